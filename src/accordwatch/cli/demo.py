"""`accordwatch demo`: the system at work, start to finish, in a fresh workspace.

It registers the parties of an illustrative accord, gives them keys, logs
signed statements (one confidential), proves an entry against a signed
checkpoint, rotates and revokes a key and shows a revoked key refused,
exports the log, audits it offline, and shows that changing one byte of the
export is caught and the entry named. Then every party signs the DPRK road map
example, its scripted (illustrative) history of reports and verifications is
logged, and the road map's status, findings and balance are shown as of
several dates, with the timeline chart. Through the user's commands it then
submits declarations, imports launch events (every launch of 2019 among them)
and reports their violations of the resolutions and of the road map, imports
an illustrative plutonium store's accountancy reports with a planted
diversion and shows the balance tests alarm, inspects the store and finds the
one planted discrepancy, writes the report, and issues the inspectorate a token
to sign in to the dashboard with (`inspectorate.token`), where the
declarations and their diff are read.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import typer
from rich.panel import Panel

from accordwatch.catalog import CATALOG
from accordwatch.cli.context import console
from accordwatch.cli.token import issue_token
from accordwatch.errors import AccordwatchError, InputError
from accordwatch.examples import example_path
from accordwatch.log.audit import audit
from accordwatch.log.envelope import seal
from accordwatch.log.export import read_export
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import Verifier
from accordwatch.log.receipt import Receipt
from accordwatch.reports.charts.roadmap_chart import draw_roadmap
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.scenario import parse_scenario, scenario_submissions
from accordwatch.roadmap.status import evaluate
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.store.auditing import audit_database
from accordwatch.store.exporting import export_ledger
from accordwatch.store.ledger import Ledger
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace, init_workspace

MARKER = ".accordwatch-demo"
STORE = "yb-pu-store"  # the MBA of the shipped accountancy and inspection examples
TOKEN_LIFETIME = "30d"  # of the inspectorate's dashboard token, written to the workspace

PARTIES = [
    ("dprk", "declarant", "Democratic People's Republic of Korea"),
    ("usa", "party", "United States of America"),
    ("rok", "party", "Republic of Korea"),
    ("iaea", "inspectorate", "International Atomic Energy Agency"),
    ("cns", "observer", "James Martin Center for Nonproliferation Studies"),
]

# Illustrative statements for the demo, paraphrasing the October 2019 commentary
# the project started from; they are labelled as demo entries in the log.
STATEMENTS = [
    (
        "usa",
        "Demo: proposal of a detailed road map",
        "Illustrative demo entry. Proposes a comprehensive road map with deadlines on both sides.",
    ),
    (
        "dprk",
        "Demo: position on the talks",
        "Illustrative demo entry. Asks for an end to joint exercises and to sanctions first.",
    ),
    (
        "iaea",
        "Demo: readiness to verify",
        "Illustrative demo entry. Ready to verify declarations once access is agreed.",
    ),
]


def _step(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


def _prepare_home(home: Path) -> None:
    if home.exists():
        if not (home / MARKER).exists():
            raise InputError(
                "folder exists and is not a demo workspace; choose another --home", where=str(home)
            )
        shutil.rmtree(home)


def demo(
    home: Path = typer.Option(Path("accordwatch-demo"), "--home", help="Demo workspace folder"),
) -> None:
    """Run the ledger end to end in a fresh demo workspace (SQLite)."""
    _prepare_home(home)
    _step("1. A new workspace: database, log key, genesis entry")
    ws = init_workspace(home, origin="accordwatch.demo/dprk-accord")
    (home / MARKER).write_text("created by accordwatch demo; removed by the next demo run\n")
    ledger = ws.ledger()
    console.print(f"log [bold]{ledger.origin}[/], verifier key:\n  {ledger.signer.verifier.text()}")

    _step("2. Parties and their keys, registered by the registrar")
    registrar_key = _key_of(ws, ledger, ws.settings.registrar)
    keys: dict[str, SigningKey] = {}
    for name, role, display in PARTIES:
        _as(
            ledger,
            ws.settings.registrar,
            registrar_key,
            "party.register",
            {"name": name, "role": role, "display_name": display},
        )
        key = SigningKey.generate()
        key.write(ws.party_key_path(name, key.key_id))
        _as(
            ledger,
            ws.settings.registrar,
            registrar_key,
            "key.register",
            {"party": name, "key_id": key.key_id, "public_key": _b64(key.public_key)},
        )
        keys[name] = key
        console.print(f"  {name:5} {role:12} key {key.key_id}")

    _step("3. Signed statements; each append returns a receipt")
    receipts = []
    for party, subject, text in STATEMENTS:
        r = _as(ledger, party, keys[party], "statement", {"subject": subject, "text": text})
        receipts.append(r)
        console.print(f"  entry {r.index}: {subject!r} by {party}")
    secret = _as(
        ledger,
        "iaea",
        keys["iaea"],
        "statement",
        {
            "subject": "Demo: confidential inspection note",
            "text": "Illustrative demo entry held in confidence.",
        },
        confidential=True,
    )
    public_view = json.loads(ledger.entry(secret.index).envelope)
    console.print(
        f"  entry {secret.index}: confidential; the public log holds only "
        f"{public_view['commitment'][:30]}..."
    )

    _step("4. A receipt, checked with nothing but the log's public key")
    receipt = ledger.receipt(receipts[0].index, at="latest")
    console.print(
        Panel(json.dumps(receipt.to_json(), indent=2), title=f"receipt of entry {receipt.index}")
    )
    receipt_file = home / f"receipt-{receipt.index}.json"
    receipt_file.write_text(json.dumps(receipt.to_json(), indent=2) + "\n", "utf-8")
    cp = receipt.verify(Verifier.parse(ledger.signer.verifier.text()))
    console.print(f"  [green]valid[/]: entry {receipt.index} is in the tree of size {cp.size}")

    _step("5. Key rotation and revocation")
    old = keys["dprk"]
    new = SigningKey.generate()
    new.write(ws.party_key_path("dprk", new.key_id))
    _as(
        ledger,
        ws.settings.registrar,
        registrar_key,
        "key.register",
        {
            "party": "dprk",
            "key_id": new.key_id,
            "public_key": _b64(new.public_key),
            "replaces": old.key_id,
        },
    )
    keys["dprk"] = new
    console.print(f"  dprk rotated key {old.key_id} -> {new.key_id}")
    try:
        _as(ledger, "dprk", old, "statement", {"subject": "Demo: signed with the old key"})
    except AccordwatchError as exc:
        console.print(f"  [red]refused[/]: {exc.diagnostic()}")
    r = _as(ledger, "dprk", new, "statement", {"subject": "Demo: signed with the new key"})
    console.print(f"  entry {r.index} signed with the new key; entries signed before stay valid")

    _step("6. Audit: the database, then an exported copy offline")
    report = audit_database(ledger)
    console.print(
        f"  database: {report.size} entries, {report.checkpoints} checkpoints, "
        f"{report.nodes} Merkle nodes: [green]ok[/]"
    )
    export = home / "log-export.jsonl"
    with export.open("w", encoding="utf-8") as fh:
        export_ledger(ledger, fh)
    header, entries = read_export(export)
    offline = audit(entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG)
    console.print(
        f"  {export}: {offline.size} entries, {offline.checkpoints} checkpoints: [green]ok[/]"
    )

    tampered = home / "log-export-tampered.jsonl"
    text = export.read_text("utf-8").replace("comprehensive road map", "comprehensive roadmap", 1)
    tampered.write_text(text, "utf-8")
    header, entries = read_export(tampered)
    try:
        audit(entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG)
        console.print("  [red]tampering went unnoticed[/]")
    except AccordwatchError as exc:
        console.print(f"  one word changed in {tampered.name}: [red]{exc.diagnostic()}[/]")

    _roadmap(ledger, keys, home)
    _commands(home)
    token_file = _inspectorate_token(ledger, home)

    _step("Next")
    console.print(
        f"The demo workspace is {home}. Open {home}/report/ in a browser, or serve the "
        f"dashboard and API:\n"
        f"  accordwatch --home {home} serve     # then http://127.0.0.1:8000/\n"
        f"  then sign in at /signin with the token in {token_file} to read, as the "
        f"inspectorate, the confidential declarations and their diff at /declarations "
        f"and the material balances and inspections at /safeguards\n"
        f"Or from the command line:\n"
        f"  accordwatch --home {home} log show\n"
        f"  accordwatch --home {home} log prove {receipts[0].index}\n"
        f"  accordwatch --home {home} log audit\n"
        f"  accordwatch --home {home} status --as-of 2021-03-01\n"
        f"  accordwatch --home {home} compliance report --by missile\n"
        f"  accordwatch --home {home} declaration list --as iaea\n"
        f"  accordwatch --home {home} accountancy show --mba {STORE} --history\n"
        f"  accordwatch receipt verify {home}/receipt-{receipts[0].index}.json --log {export}"
    )


def _inspectorate_token(ledger: Ledger, home: Path) -> Path:
    """A token reading as the IAEA, in a file only its owner may read."""
    token, _ = issue_token(ledger, "iaea", "inspectorate", TOKEN_LIFETIME)
    path = home / "inspectorate.token"
    # created with mode 0600, so the token is never readable by others, even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return path


def _roadmap(ledger: Ledger, keys: dict[str, SigningKey], home: Path) -> None:
    """Sign the DPRK road map, replay its scripted history, and show where it stands."""
    _step("7. The road map: signed by every party, then an (illustrative) history")
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None  # the shipped example is checked by the tests
    history = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    events = parse_scenario(history, accord, source="dprk-history.yaml")
    result = ledger.append(scenario_submissions(events, keys, ledger.origin), where="history")
    console.print(
        f"  {accord.title}\n  version {accord.digest()[:12]}: {len(accord.steps)} steps in "
        f"{len(accord.phases)} phases; {len(result.entries)} signatures, reports and "
        "verifications logged"
    )
    records = roadmap_records(ledger)
    for day in ("2020-02-20", "2021-03-01", "2021-12-31"):
        status = evaluate(records, date.fromisoformat(day))
        counts = ", ".join(f"{n} {k}" for k, n in status.counts.items() if n)
        console.print(f"\n  [bold]as of {day}[/]: {counts}")
        for finding in status.findings:
            if finding.kind.value in ("premature concession", "missed deadline"):
                console.print(
                    f"    [red]{finding.kind.value}[/]: {finding.message}", highlight=False
                )
        for period in status.ahead:
            console.print(
                f"    [yellow]concessions ran ahead of verified steps[/] from {period.start} "
                f"to {period.end or day}"
            )
    final = evaluate(records, date(2021, 12, 31))
    charts = draw_roadmap(records, final, home)
    console.print(f"\n  timeline chart: {charts[0]} and {charts[1].name}")


def _commands(home: Path) -> None:
    """The rest through the commands a user types, so the demo shows them as they are."""
    from accordwatch.cli import main

    def run(*args: str) -> None:
        console.print(f"[dim]$ accordwatch {' '.join(args)}[/]")
        main(["--home", str(home), *args])

    _step("8. Declarations: confidential, signed, corrected and compared")
    for name in ("dprk-nuclear", "dprk-nuclear-corrected"):
        main(["declaration", "example", name, "--out", str(home / f"{name}.yaml")])
        run("declaration", "submit", str(home / f"{name}.yaml"), "--as", "dprk")
    run(
        "declaration",
        "diff",
        str(home / "dprk-nuclear.yaml"),
        str(home / "dprk-nuclear-corrected.yaml"),
    )

    _step("9. Compliance: launches and tests against the UN resolutions and the road map")
    events = home / "demo-events.json"
    main(["events", "example", "--out", str(events)])
    run("events", "import", str(events), "--format", "json", "--as", "cns")
    # The Council's answers to the three 2017 events above (adoption dates and
    # triggers as in its resolutions 2371, 2375 and 2397).
    for occurrence, day, resolution in (
        ("cns-demo:2017-07-04:panghyon", "2017-08-05", "S/RES/2371 (2017)"),
        ("usgs-iris:2017-09-03:punggye-ri", "2017-09-11", "S/RES/2375 (2017)"),
        ("cns-demo:2017-11-28:pyongsong", "2017-12-22", "S/RES/2397 (2017)"),
    ):
        run(
            "response",
            "record",
            "--to",
            occurrence,
            "--kind",
            "sc-resolution",
            "--on",
            day,
            "--as",
            "usa",
            "--by",
            "UN Security Council",
            "--reference",
            resolution,
        )
    run("compliance", "report", "--by", "event", "--year", "2017")
    # Every launch of 2019 is in the file as the CNS database records it; the
    # demo records no response to them, so they stand unanswered.
    run("compliance", "report", "--by", "event", "--year", "2019")
    # The road map signed above forbids nuclear tests from its entry into force
    # (6 January 2020) and long-range and space launches from the deadline of its
    # missile freeze (31 January 2020); the file's only later event is one launch
    # of 2022 whose class the source does not give.
    console.print(
        "The road map's moratoria bind from January 2020: the 2019 launches are judged "
        "by the resolutions alone; the unclassified launch of 2022 may break the "
        "road map (dprk-roadmap) as well."
    )
    run("compliance", "report", "--by", "event", "--year", "2022")
    run("compliance", "chart", "--by", "event", "--out", str(home))

    _step("10. Accountancy: a plutonium store's reports, with a planted diversion")
    examples = example_path("dprk-roadmap").parent
    reports = home / "dprk-accountancy.yaml"  # a copy in the workspace, to read or change
    shutil.copyfile(examples / "dprk-accountancy.yaml", reports)
    run("accountancy", "import", str(reports), "--as", "dprk")
    run("accountancy", "balance", STORE, "--chart", str(home / "safeguards"))

    _step("11. An inspection of the store: plan, seeded draw, results, comparison")
    selection = home / "inspection-selection.json"
    run(
        "inspection",
        "plan",
        STORE,
        "--as",
        "iaea",
        "--date",
        "2022-01-14",
        "--plan-id",
        "piv-2022-01",
        "--out",
        str(selection),
    )
    plan_entry = json.loads(selection.read_text("utf-8"))["plan_entry"]
    # The shipped results name no plan: the plan's log index is known only now.
    results = home / "dprk-inspection.yaml"
    shipped = (examples / "dprk-inspection.yaml").read_text("utf-8")
    results.write_text(f"plan_entry: {plan_entry}\n{shipped}", "utf-8")
    run("inspection", "record", str(results), "--as", "iaea")
    run("inspection", "compare", str(plan_entry))

    _step("12. A report anyone can check against the log")
    run("report", "--format", "html", "--out", str(home / "report"))


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


def _key_of(ws: Workspace, ledger: Ledger, party: str) -> SigningKey:
    record = next(k for k in ledger.registry().keys_of(party) if k.active)
    return SigningKey.read(ws.party_key_path(party, record.key_id))


def _as(
    ledger: Ledger,
    party: str,
    key: SigningKey,
    record: str,
    payload: dict[str, object],
    *,
    confidential: bool = False,
) -> Receipt:
    return ledger.submit(
        seal(
            log=ledger.origin,
            record_type=record,
            party=party,
            key=key,
            time=utc_now(),
            payload=payload,
            confidential=confidential,
        ),
        where=record,
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
