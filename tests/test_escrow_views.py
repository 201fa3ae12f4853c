"""Escrowed declarations end to end: the draw of a drawn reveal, breaches, findings, views.

A small accord (a declaration step, a reveal of region north, a drawn reveal)
is signed by three parties with a witness policy asking no cosignature, so
the first checkpoint after the last commitment is the witnessed one. The
declarant escrows a declaration of sites in three regions and reveals north;
every party commits to a nonce and reveals it; the draw picks one of the two
regions left, and `verify-draw` recomputes it from the log alone. An
observation of a site in region north that the reveal lacks is an undeclared
item, in `status`, `declaration check`, the dashboard and the report; a party
that does not reveal its nonce by the drawn step's deadline is in breach; an
amendment that moves an item from a sealed region into a revealed one is a
relocation; an item an inspection finds in a revealed balance area is
undeclared too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from accordwatch.cli import main as cli_main
from accordwatch.declarations.draw import pick
from accordwatch.log.keys import SigningKey
from accordwatch.service.api.app import create_app
from accordwatch.timeutil import set_clock_file
from accordwatch.workspace import CLOCK_FILE, Workspace, init_workspace
from tests.helpers import ANSI, Log, Run, one_line_error

PARTIES = (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate"))

ACCORD = {
    "id": "escrow-test",
    "title": "An escrow revealed by region",
    "illustrative": True,
    "parties": [
        {"id": "dprk", "name": "DPRK", "role": "inspected"},
        {"id": "usa", "name": "USA", "role": "counterpart"},
        {"id": "iaea", "name": "IAEA", "role": "inspectorate"},
    ],
    "phases": [{"id": "one", "title": "One", "ends": "2023-12-31"}],
    "steps": [
        {
            "id": "declare-sites",
            "title": "Escrow of the sites",
            "phase": "one",
            "party": "dprk",
            "kind": "declare",
            "deadline": "2023-01-31",
            "verification": {"method": "declaration accepted", "by": "iaea"},
        },
        {
            "id": "reveal-north",
            "title": "Reveal of region north",
            "phase": "one",
            "party": "dprk",
            "kind": "reveal",
            "escrow": "declare-sites",
            "part": "region-north",
            "deadline": "2023-03-31",
            "verification": {"method": "inspectorate", "by": "iaea"},
        },
        {
            "id": "reveal-drawn",
            "title": "Reveal of a drawn region",
            "phase": "one",
            "party": "dprk",
            "kind": "reveal",
            "escrow": "declare-sites",
            "part": "drawn",
            "deadline": "2023-06-30",
            "verification": {"method": "inspectorate", "by": "iaea"},
        },
    ],
}


def _site(sid: str, category: str, lat: float, lon: float, region: str) -> dict[str, object]:
    return {
        "id": sid,
        "name": f"site {sid}",
        "category": category,
        "location": {"latitude": lat, "longitude": lon, "place": "x", "region": region},
        "status": "operating",
    }


DECLARATION = {
    "id": "sites-2023",
    "program": "nuclear",
    "party": "dprk",
    "as_of": "2023-01-31",
    "accord": "escrow-test",
    "step": "declare-sites",
    "illustrative": True,
    "declared_empty": ["material", "weapons"],
    "sites": [
        _site("reactor-n", "reactor", 39.80, 125.75, "north"),
        _site("mine-n", "mine", 40.10, 126.00, "north"),
        _site("store-c", "storage", 39.03, 125.75, "central"),
        _site("mill-s", "milling", 38.32, 126.43, "south"),
    ],
    "material_balance_areas": [],
    "key_measurement_points": [],
    "inventory": [],
    "inventory_totals": [],
    "production_history": [],
    "weapons": [],
}

Cli = Callable[..., Run]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", simulated_clock=datetime(2023, 1, 2, 9, tzinfo=UTC))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], ws: Workspace) -> Cli:
    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = 0
        try:
            cli_main(["--home", str(ws.home), *(str(a) for a in args)])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        out, err = capsys.readouterr()
        return Run(code, ANSI.sub("", out), ANSI.sub("", err))

    return run


def ok(run: Run) -> Run:
    assert run.code == 0, run.err + run.out
    return run


def at(ws: Workspace, day: str) -> None:
    set_clock_file(ws.home / CLOCK_FILE, datetime.fromisoformat(day + "T12:00:00+00:00"))


def entry_of(run: Run) -> int:
    found = re.findall(r"(?:log )?entry (\d+)", run.flat)
    assert found, run.out
    return int(found[0])


@pytest.fixture
def escrowed(ws: Workspace, cli: Cli, tmp_path: Path) -> dict[str, int]:
    """The accord signed with its policy, the declaration escrowed and region north revealed."""
    for party, role in PARTIES:
        ok(cli("party", "add", party, "--role", role))
        ok(cli("key", "new", "--party", party))
    accord = tmp_path / "accord.yaml"
    accord.write_text(yaml.safe_dump(ACCORD, sort_keys=False), "utf-8")
    policy = tmp_path / "policy.txt"
    log_key = ws.log_signer().verifier.text()
    policy.write_text(f"log {log_key}\nquorum none\n", "utf-8")
    for party, _ in PARTIES:
        ok(cli("accord", "sign", accord, "--as", party))
    for party, _ in PARTIES:
        ok(cli("accord", "policy", policy, "--as", party, "--accord", "escrow-test"))
    at(ws, "2023-01-31")
    declaration = tmp_path / "declaration.yaml"
    declaration.write_text(yaml.safe_dump(DECLARATION, sort_keys=False), "utf-8")
    ok(cli("declaration", "escrow", declaration, "--partition-by", "region", "--as", "dprk"))
    at(ws, "2023-03-01")
    run = ok(cli("declaration", "reveal", "sites-2023", "--part", "region-north", "--as", "dprk"))
    return {"reveal": entry_of(run)}


def _reveal_against_the_draw(ws: Workspace, part: str) -> int:
    """Log a reveal of `part` for step reveal-drawn as the declarant, whatever the draw chose."""
    from accordwatch.cli.declaration_escrow import escrow_file_path
    from accordwatch.declarations.escrow import reveal_part
    from accordwatch.declarations.escrow_file import read_header, read_part
    from accordwatch.declarations.escrow_records import EscrowRecord, reveal_payload

    log = Log.open(ws)
    key = next(k for k in log.ledger.registry().keys_of("dprk") if k.active)
    log.keys["dprk"] = SigningKey.read(ws.party_key_path("dprk", key.key_id))
    (entry,) = [e for e in log.ledger.entries() if e.record_type == "escrow"]
    envelope = json.loads(entry.envelope)
    record = EscrowRecord.model_validate(envelope["payload"])
    path = escrow_file_path(ws, "dprk", record.escrow_id)
    with path.open("rb") as fh:
        held = read_part(fh, read_header(fh, str(path)), part, str(path))
    opening = reveal_part(held, record.commitments())
    payload = reveal_payload(opening, escrow_index=entry.index, escrow=record, step="reveal-drawn")
    return log.submit("dprk", "escrow.reveal", payload).index


def _commit_all(cli: Cli, parties: tuple[str, ...] = ("dprk", "usa", "iaea")) -> list[int]:
    return [
        entry_of(ok(cli("declaration", "draw", "commit", "reveal-drawn", "--as", p)))
        for p in parties
    ]


def test_the_draw_is_recomputed_from_the_log_and_a_reveal_must_open_the_drawn_part(
    ws: Workspace, cli: Cli, escrowed: dict[str, int]
) -> None:
    at(ws, "2023-04-01")
    ok(cli("declaration", "draw", "commit", "reveal-drawn", "--as", "dprk"))
    nonce = ws.home / "keys" / "dprk" / "draws" / "escrow-test.reveal-drawn.nonce"
    assert nonce.stat().st_mode & 0o777 == 0o600
    early = cli("declaration", "draw", "reveal", "reveal-drawn", "--as", "dprk")
    one_line_error(early, "not yet", "iaea, usa")
    again = cli("declaration", "draw", "commit", "reveal-drawn", "--as", "dprk")
    one_line_error(again, "already committed")
    one_line_error(
        cli("declaration", "draw", "commit", "reveal-north", "--as", "usa"), "not a reveal step"
    )
    _commit_all(cli, ("usa", "iaea"))
    for party in ("dprk", "usa", "iaea"):
        last = entry_of(ok(cli("declaration", "draw", "reveal", "reveal-drawn", "--as", party)))
    shown = json.loads(ok(cli("declaration", "draw", "show", "--format", "json")).out)[0]
    assert shown["state"] == "drawn"
    assert shown["candidates"] == ["region-central", "region-south"]
    assert shown["part"] == pick(bytes.fromhex(shown["seed"]), shown["candidates"])
    checked = ok(cli("declaration", "verify-draw", str(last)))
    assert f"draw verified: part {shown['part']}" in checked.flat
    other = next(p for p in shown["candidates"] if p != shown["part"])
    refused = cli(
        "declaration", "reveal", "sites-2023", "--part", other, "--step", "reveal-drawn",
        "--as", "dprk",
    )  # fmt: skip
    one_line_error(refused, f"the part its draw chose, {shown['part']}, not {other}")
    # a declarant that logs such a reveal all the same, past the command's refusal
    wrong = _reveal_against_the_draw(ws, other)
    failed = cli("declaration", "verify-draw", str(wrong))
    assert failed.code != 0 and f"the draw chose {shown['part']}" in failed.err
    right = ok(cli("declaration", "reveal", "sites-2023", "--part", "drawn", "--as", "dprk"))
    assert f"reveal of part {shown['part']} of escrow sites-2023 for step reveal-drawn" in (
        right.flat
    )
    assert "the reveal at entry" in ok(cli("declaration", "verify-draw", str(entry_of(right)))).flat
    # offline: the log export and the entry, nothing else
    export = ws.home.parent / "log.jsonl"
    ok(cli("log", "export", export))
    offline = ok(cli("declaration", "verify-draw", str(entry_of(right)), "--log", export))
    assert f"draw verified: part {shown['part']}" in offline.flat
    as_json = json.loads(
        ok(cli("declaration", "verify-draw", str(last), "--log", export, "--format", "json")).out
    )
    assert (as_json["seed"], as_json["part"]) == (shown["seed"], shown["part"])
    failed = cli("declaration", "verify-draw", str(wrong), "--log", export)
    assert failed.code != 0 and f"the draw chose {shown['part']}" in failed.err
    tampered = ws.home.parent / "tampered.jsonl"
    nonce = shown["nonces"]["usa"]
    tampered.write_text(export.read_text("utf-8").replace(nonce, "0" * 64), "utf-8")
    one_line_error(cli("declaration", "verify-draw", str(last), "--log", tampered), "entry")
    one_line_error(cli("declaration", "verify-draw", "0"), "log.genesis", "not draw.commit")
    # no breach: every nonce was revealed before the deadline; the reveal against the
    # draw is a finding
    status = json.loads(ok(cli("status", "--as-of", "2023-07-31", "--format", "json")).out)
    assert not [f for f in status["findings"] if f["kind"] == "unrevealed nonce"]
    (undrawn,) = [f for f in status["findings"] if f["kind"] == "undrawn part"]
    assert f"opens part {other}" in undrawn["message"] and wrong in undrawn["indices"]


def test_a_party_that_does_not_reveal_its_nonce_by_the_deadline_is_in_breach(
    ws: Workspace, cli: Cli, escrowed: dict[str, int]
) -> None:
    at(ws, "2023-04-01")
    commits = _commit_all(cli)
    ok(cli("declaration", "draw", "reveal", "reveal-drawn", "--as", "dprk"))
    at(ws, "2023-07-02")
    status = json.loads(ok(cli("status", "--format", "json")).out)
    breaches = [f for f in status["findings"] if f["kind"] == "unrevealed nonce"]
    assert {f["party"] for f in breaches} == {"usa", "iaea"}
    assert all(f["step"] == "reveal-drawn" and f["date"] == "2023-06-30" for f in breaches)
    assert sorted(f["indices"][0] for f in breaches) == commits[1:]
    table = ok(cli("status")).flat
    assert "unrevealed nonce usa did not reveal the nonce it committed to" in table


def test_an_observed_site_the_revealed_region_lacks_is_an_undeclared_item(
    ws: Workspace, cli: Cli, escrowed: dict[str, int], tmp_path: Path
) -> None:
    at(ws, "2023-04-01")
    image = tmp_path / "image.png"
    image.write_bytes(b"satellite image")
    common = (
        "--as",
        "usa",
        "--observer",
        "US NTM",
        "--method",
        "national-technical-means",
        "--on",
        "2023-03-20",
        "--program",
        "nuclear",
        "--evidence",
        str(image),
    )
    # a declared site (same category, same place) and a site in a sealed region: no finding
    ok(
        cli(
            "observation",
            "record",
            "--id",
            "obs-1",
            *common,
            "--site",
            "reactor",
            "--category",
            "reactor",
            "--latitude",
            "39.81",
            "--longitude",
            "125.74",
            "--region",
            "north",
        )
    )
    ok(
        cli(
            "observation",
            "record",
            "--id",
            "obs-2",
            *common,
            "--site",
            "hall",
            "--category",
            "enrichment",
            "--latitude",
            "38.3",
            "--longitude",
            "126.4",
            "--region",
            "south",
        )
    )
    found = ok(
        cli(
            "observation",
            "record",
            "--id",
            "obs-3",
            *common,
            "--site",
            "hidden hall",
            "--category",
            "enrichment",
            "--latitude",
            "40.05",
            "--longitude",
            "125.28",
            "--region",
            "north",
        )
    )
    observed = entry_of(found)
    bad = cli(
        "observation",
        "record",
        "--id",
        "obs-4",
        *common,
        "--site",
        "x",
        "--category",
        "mine",
        "--latitude",
        "95",
        "--longitude",
        "1",
    )
    one_line_error(bad, "latitude")
    assert "obs-3" in ok(cli("observation", "list")).out
    status = json.loads(ok(cli("status", "--format", "json")).out)
    undeclared = [f for f in status["findings"] if f["kind"] == "undeclared item"]
    assert len(undeclared) == 1
    assert "hidden hall" in undeclared[0]["message"]
    assert escrowed["reveal"] in undeclared[0]["indices"]
    assert observed in undeclared[0]["indices"]
    check = cli("declaration", "check", tmp_path / "declaration.yaml", "--as", "iaea")
    assert check.code == 1 and "undeclared item" in check.flat
    # the dashboard's declarations page: the map of parts and the finding
    client = TestClient(create_app(ws))
    data = client.get("/declarations.json").json()
    (escrow,) = data["escrows"]
    parts = {p["name"]: p for p in escrow["parts"]}
    assert parts["region-north"]["revealed"]["index"] == escrowed["reveal"]
    assert parts["region-north"]["revealed"]["status"] == "verified"
    assert parts["region-south"]["revealed"] is None and parts["region-north"]["findings"] == 1
    page = client.get("/declarations").text
    assert "Escrowed declarations" in page and "part-finding" in page and "hidden hall" in page
    # the report
    ok(cli("report", "--format", "md", "--out", tmp_path / "report"))
    text = next((tmp_path / "report").glob("report-*.md")).read_text("utf-8")
    assert "## Escrowed declarations" in text and "undeclared item" in text


def test_an_item_moved_from_a_sealed_region_into_a_revealed_one_is_a_relocation(
    ws: Workspace, cli: Cli, escrowed: dict[str, int], tmp_path: Path
) -> None:
    at(ws, "2023-04-01")
    moved = json.loads(json.dumps(DECLARATION))
    moved["id"] = "sites-2023-rev1"
    store = next(s for s in moved["sites"] if s["id"] == "store-c")
    store["location"]["region"] = "north"  # out of the sealed centre, into the opened north
    path = tmp_path / "moved.yaml"
    path.write_text(yaml.safe_dump(moved, sort_keys=False), "utf-8")
    amended = ok(
        cli(
            "declaration", "escrow", path, "--partition-by", "region", "--as", "dprk",
            "--supersedes", "sites-2023", "--reason", "the store was misplaced",
        )
    )  # fmt: skip
    status = json.loads(ok(cli("status", "--format", "json")).out)
    (found,) = [f for f in status["findings"] if f["kind"] == "relocation"]
    assert "moves item sites/store-c from part region-central" in found["message"]
    assert "into part region-north" in found["message"]
    assert escrowed["reveal"] in found["indices"] and entry_of(amended) in found["indices"]
    client = TestClient(create_app(ws))
    (escrow,) = client.get("/declarations.json").json()["escrows"]
    assert escrow["version"] == 2 and [f["kind"] for f in escrow["findings"]] == ["relocation"]


def test_an_undeclared_item_an_inspection_finds_in_a_revealed_balance_area(
    ws: Workspace, cli: Cli, tmp_path: Path
) -> None:
    for party, role in PARTIES:
        ok(cli("party", "add", party, "--role", role))
        ok(cli("key", "new", "--party", party))
    doc = json.loads(json.dumps(DECLARATION))
    doc["material_balance_areas"] = [{"id": "mba-n", "site": "reactor-n"}]
    doc["inventory"] = []
    path = tmp_path / "declaration.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    ok(cli("declaration", "escrow", path, "--partition-by", "region", "--as", "dprk"))
    ok(cli("declaration", "reveal", "sites-2023", "--part", "region-north", "--as", "dprk"))
    log = Log.open(ws)
    key = next(k for k in log.ledger.registry().keys_of("iaea") if k.active)
    log.keys["iaea"] = SigningKey.read(ws.party_key_path("iaea", key.key_id))
    report = {
        "plan_entry": 1,
        "mba": "mba-n",
        "report_id": "insp-1",
        "date": "2023-03-15",
        "observations": [{"status": "undeclared", "observed_id": "DRUM-9"}],
    }
    logged = log.submit("iaea", "inspection.report", report, confidential=True).index
    check = cli("declaration", "check", path, "--as", "iaea", "--format", "json")
    assert check.code == 1
    (found,) = json.loads(check.out)["escrow_findings"]
    assert found["kind"] == "undeclared item" and "item DRUM-9" in found["message"]
    assert logged in found["indices"]
    # the public does not read the inspection report: its status does not show it
    status = json.loads(ok(cli("status", "--format", "json")).out)
    assert not [f for f in status["findings"] if f["kind"] == "undeclared item"]
