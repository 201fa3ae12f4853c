"""Road map commands: accord check/assess/sign/diff/list, step report/verify, status."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    emit,
    held,
    plain,
    print_json,
    shown,
    submit_as,
    workspace,
)
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.cli.view_dates import AS_OF_HELP, KNOWN_AT_HELP, LOG_SIZE_HELP, today, view_at
from accordwatch.errors import InputError, NotFoundError
from accordwatch.examples import EXAMPLES, example_path
from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    from accordwatch.reports.exports import Sheet
    from accordwatch.roadmap.accord import Accord
    from accordwatch.roadmap.accord_problems import CheckResult
    from accordwatch.roadmap.status import Status
    from accordwatch.store.ledger import Ledger

accord_app = typer.Typer(help="Accords as code: check, sign, compare.", no_args_is_help=True)
step_app = typer.Typer(help="Report and verify road map steps.", no_args_is_help=True)

STATUS_STYLE = {
    "verified": "green",
    "reported": "cyan",
    "disputed": "magenta",
    "overdue": "red",
    "open": "yellow",
    "waiting for prerequisites": "dim",
}


def _checked(path: Path) -> Accord:
    from accordwatch.roadmap.accord_check import check_file

    result = check_file(path)
    if not result.ok or result.accord is None:
        _print_problems(result)
        raise InputError(f"{len(result.errors)} error(s) in the accord file", where=str(path))
    return result.accord


def _print_problems(result: CheckResult) -> None:
    for problem in result.problems:
        style = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{style}]{shown(problem.format())}[/]", highlight=False)


@accord_app.command("check")
def accord_check(file: Path = typer.Argument(..., help="Accord file (YAML)")) -> None:
    """Report every problem in an accord file with its line and column."""
    from accordwatch.roadmap.accord_check import check_file

    result = check_file(file)
    _print_problems(result)
    console.print(shown(result.summary()))
    if not result.ok:
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)


@accord_app.command("schema")
def accord_schema() -> None:
    """Print the JSON Schema of accord files."""
    from accordwatch.roadmap.accord import json_schema

    print_json(json_schema())


@accord_app.command("example")
def accord_example(
    name: str = typer.Argument(..., help=f"One of: {', '.join(EXAMPLES)}"),
    out: Path = typer.Option(None, "--out", "-o", help="Write here [default: stdout]"),
) -> None:
    """Print or copy one of the accords shipped with accordwatch."""
    emit(example_path(name).read_text("utf-8"), out, name)


@accord_app.command("sign")
def accord_sign(
    file: Path = typer.Argument(..., help="Accord file (YAML)"),
    as_party: str = typer.Option(..., "--as", help="The signing party"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Sign the canonical form of an accord version; in force once every party signed it."""
    accord = _checked(file)
    ws = workspace()
    ledger = ws.ledger()
    payload = {
        "accord_id": accord.id,
        "digest": accord.digest(),
        "accord": accord.model_dump(mode="json"),
    }
    receipt = submit_as(
        ws, ledger, as_party, key_file, "accord.signature", payload, where=str(file)
    )
    console.print(
        f"{as_party} signed accord {shown(accord.id)} version {accord.digest()[:12]} "
        f"at log entry {receipt.index}"
    )
    if held(ledger, receipt.index):
        _signature_state(ledger, accord)


def _signature_state(ledger: Ledger, accord: Accord) -> None:
    from accordwatch.roadmap.history import Signature
    from accordwatch.sources.roadmap import roadmap_records
    from accordwatch.sources.snapshot import Snapshot

    signed = {
        r.party
        for r in roadmap_records(Snapshot.default(ledger))
        if isinstance(r, Signature) and r.accord.digest() == accord.digest()
    }
    missing = [p.id for p in accord.parties if p.id not in signed]
    if missing:
        console.print(f"  awaiting signatures of: {shown(', '.join(missing), one_line=True)}")
    else:
        console.print("  every party has signed this version: it is in force")


@accord_app.command("diff")
def accord_diff(
    old: Path = typer.Argument(..., help="Earlier version (YAML)"),
    new: Path = typer.Argument(..., help="Later version (YAML)"),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Show steps added, removed and changed (deadlines, requires, parties, weights)."""
    import json

    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.roadmap.diff import diff_accords

    chosen = chosen_format(fmt, as_json, output)
    changes = diff_accords(_checked(old), _checked(new))
    sheet = Sheet(
        "changes",
        (
            Column("what"),
            Column("id", kind=Kind.ID),
            Column("change"),
            Column("field"),
            Column("old"),
            Column("new"),
        ),
    )
    for c in changes:
        j = c.to_json()
        if not j["fields"]:
            sheet.add(what=c.what, id=c.id, change=c.change)
        for name, values in j["fields"].items():
            old_value, new_value = (
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for v in (values["old"], values["new"])
            )
            sheet.add(
                what=c.what, id=c.id, change=c.change, field=name, old=old_value, new=new_value
            )

    def text() -> None:
        if not changes:
            console.print("no differences in steps, phases or parties")
        for change in changes:
            console.print(shown(change.describe()), highlight=False)

    deliver(chosen, json=lambda: [c.to_json() for c in changes], sheets=lambda: [sheet], text=text)


@accord_app.command("list")
def accord_list(
    fmt: Format = "text", output: OutputFile = None, as_json: JsonAlias = False
) -> None:
    """Accord versions in the log, who signed them, and which is in force today."""
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.roadmap.history import Signature
    from accordwatch.roadmap.status import evaluate
    from accordwatch.sources.roadmap import roadmap_records
    from accordwatch.sources.snapshot import Snapshot

    chosen = chosen_format(fmt, as_json, output)
    ws = workspace()
    records = roadmap_records(Snapshot.default(ws.ledger()))
    status_by_id: dict[str, Status] = {}
    for accord_id in sorted({r.accord.id for r in records if isinstance(r, Signature)}):
        status_by_id[accord_id] = evaluate(records, today(ws), accord_id)
    sheet = Sheet(
        "accords",
        (
            Column("accord", kind=Kind.ID),
            Column("digest", kind=Kind.ID),
            Column("state"),
            Column("title"),
            Column("signed_by", "signed by", Kind.ID),
            Column("signed_entries", "entries", Kind.ID),
            Column("missing", kind=Kind.ID),
            Column("complete_on", "complete on", Kind.DATE),
        ),
    )
    for accord_id, status in status_by_id.items():
        for version in status.signatures:
            sheet.add(
                accord=accord_id,
                digest=version.digest,
                state=version.state,
                title=version.title,
                signed_by=[s.party for s in version.signed],
                signed_entries=[s.index for s in version.signed],
                missing=list(version.missing),
                complete_on=version.complete_on,
            )

    def text() -> None:
        if not status_by_id:
            console.print("no accord has been signed in this log")
        for accord_id, status in status_by_id.items():
            for version in status.signatures:
                signers = ", ".join(s.party for s in version.signed)
                missing = ", ".join(version.missing) or "none"
                console.print(
                    shown(
                        f"{accord_id} {version.digest[:12]} [{version.state}] "
                        f"{plain(version.title, one_line=True)}\n"
                        f"  signed by {signers}; missing {missing}"
                    )
                )

    deliver(chosen, json=sheet.records, sheets=lambda: [sheet], text=text)


def _accord_id(ledger: Ledger, accord_id: str | None) -> tuple[str, Accord]:
    from accordwatch.roadmap.history import Signature
    from accordwatch.sources.roadmap import roadmap_records
    from accordwatch.sources.snapshot import Snapshot

    signatures = [r for r in roadmap_records(Snapshot.default(ledger)) if isinstance(r, Signature)]
    if accord_id is None:
        ids = sorted({s.accord.id for s in signatures})
        if not ids:
            raise NotFoundError("no accord has been signed in this log (accordwatch accord sign)")
        if len(ids) > 1:
            raise InputError(f"the log holds several accords ({', '.join(ids)}): give --accord")
        accord_id = ids[0]
    versions = [s.accord for s in signatures if s.accord.id == accord_id]
    if not versions:
        raise NotFoundError(f"no accord {accord_id!r} has been signed in this log")
    return accord_id, versions[-1]


def evidence_digests(paths: list[Path]) -> list[dict[str, str]]:
    """Each file's name and SHA-256, as a step report or an observation logs them."""
    out = []
    for path in paths:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise InputError(f"cannot read evidence: {exc.strerror}", where=str(path)) from exc
        out.append({"name": path.name, "sha256": digest})
    return out


@step_app.command("report")
def step_report(
    step: str = typer.Argument(..., help="Step id"),
    on: str = typer.Option(..., "--on", help="Date the step was taken (YYYY-MM-DD)"),
    as_party: str = typer.Option(..., "--as", help="The acting party"),
    evidence: list[Path] = typer.Option([], "--evidence", help="File(s) whose SHA-256 to log"),
    note: str = typer.Option("", "--note", help="Free text"),
    accord: str = typer.Option(None, "--accord", help="Accord id [default: the only one]"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """The acting party reports a step as done (a log entry)."""
    day = parse_date(on, where="--on")
    ws = workspace()
    ledger = ws.ledger()
    accord_id, _ = _accord_id(ledger, accord)
    payload = {
        "accord_id": accord_id,
        "step": step,
        "on": day.isoformat(),
        "note": note,
        "evidence": evidence_digests(evidence),
    }
    _admissible(ledger, "step.report", as_party, payload)
    index = submit_as(ws, ledger, as_party, key_file, "step.report", payload).index
    console.print(f"{as_party} reported step {step} done on {day} at log entry {index}")


@step_app.command("verify")
def step_verify(
    step: str = typer.Argument(..., help="Step id"),
    as_party: str = typer.Option(..., "--as", help="The verifying party"),
    result: str = typer.Option(..., "--result", help="verified or not-verified"),
    finding: str = typer.Option("", "--finding", help="What was found"),
    on: str = typer.Option(None, "--on", help="Date of the finding [default: today]"),
    accord: str = typer.Option(None, "--accord", help="Accord id [default: the only one]"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """The verifying side's word on a reported step (a log entry)."""
    if result not in ("verified", "not-verified"):
        raise InputError(f"--result must be verified or not-verified, not {result!r}")
    ws = workspace()
    day = parse_date(on, where="--on") if on else today(ws)
    ledger = ws.ledger()
    accord_id, _ = _accord_id(ledger, accord)
    payload = {
        "accord_id": accord_id,
        "step": step,
        "on": day.isoformat(),
        "result": result,
        "finding": finding,
    }
    _admissible(ledger, "step.verification", as_party, payload)
    index = submit_as(ws, ledger, as_party, key_file, "step.verification", payload).index
    console.print(f"{as_party}: step {step} {result} on {day}, log entry {index}")


def _admissible(ledger: Ledger, record: str, party: str, payload: Mapping[str, object]) -> None:
    """Refuse, before signing, a step record the road map would not count."""
    from accordwatch.sources.roadmap import check_step_record
    from accordwatch.sources.snapshot import Snapshot

    check_step_record(Snapshot.default(ledger), record, party, payload)


def status(
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: SheetFormat = "text",
    accord: str = typer.Option(None, "--accord", help="Accord id [default: the only one]"),
    timeline: bool = typer.Option(False, "--timeline", help="Also draw the timeline chart"),
    out: Path = typer.Option(Path(), "--out", help="Folder for the timeline chart"),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Where every step stands as of a date, per party, findings, the balance and consequences.

    Each step has one status:

    \b
    - verified: reported, and its verifier's latest word is: verified
    - disputed: reported, and its verifier's latest word is: not verified
    - reported: reported by its actor; its verifier has not spoken yet
    - overdue: not reported, and its deadline has passed
    - open: not reported, every step it requires is verified, and its deadline
      has not passed (or is not set yet): it may be taken now
    - waiting for prerequisites: not reported, and a step it requires is not
      verified yet; its deadline has not passed

    The balance compares the total weight of the inspected party's verified
    steps with the total weight of the concessions granted.

    csv holds the steps; xlsx the steps, parties, findings and balance.
    """
    from accordwatch.cli.consequence_lines import print_consequences
    from accordwatch.sources.consequences import roadmap_view
    from accordwatch.sources.escrow_status import with_escrow_findings
    from accordwatch.sources.roadmap import roadmap_records

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    view = view_at(as_of, known_at, log_size)
    try:
        result, consequences = roadmap_view(view.log, view.as_of, accord)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    result = with_escrow_findings(view.log, result)
    if not chosen.text:
        deliver(
            chosen,
            json=lambda: {
                **result.to_json(),
                "consequences": consequences.to_json(),
                **view.to_json(),
            },
            sheets=lambda: status_sheets(result),
            text=lambda: None,
        )
    else:
        console.print(view.header(), highlight=False)
        _print_status(result)
        print_consequences(consequences)
        if result.accord_id is not None and result.in_force is not None:
            from accordwatch.cli.policy_lines import policy_line
            from accordwatch.sources.witnessing import policy_state_of

            state = policy_state_of(view.log, result.accord_id, view.as_of)
            console.print(policy_line(state), highlight=False)
        _print_confidential(view.ledger)
    if timeline:
        from accordwatch.reports.charts.roadmap_chart import draw_roadmap

        files = draw_roadmap(roadmap_records(view.log), result, out)
        console.print("timeline chart: " + ", ".join(str(f) for f in files))


def _print_confidential(ledger: Ledger) -> None:
    """What the log holds of confidential entries: sealed, or still in plaintext."""
    from accordwatch.sources.confidential import held_counts

    counts = held_counts(ledger)
    if counts["sealed"] or counts["plaintext"]:
        more = " (accordwatch openings status)" if counts["plaintext"] else ""
        console.print(f"confidential entries: {counts['words']}{more}", highlight=False)


def _late(days: object) -> str:
    return str(days or "")


def status_sheets(status: Status) -> list[Sheet]:
    """The status as sheets: steps, parties, findings, balance."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    steps = Sheet(
        "steps",
        (
            Column("step", kind=Kind.ID),
            Column("party", kind=Kind.ID),
            Column("kind"),
            Column("deadline", kind=Kind.DATE),
            Column("status"),
            Column("days_late", "late", Kind.FIGURE),
            Column("reported_on", "reported", Kind.DATE),
            Column("verified_on", "verified", Kind.DATE),
        ),
    )
    for s in status.steps:
        steps.add(
            step=s.id,
            party=s.party,
            kind=s.kind,
            deadline=s.deadline,
            status=str(s.status),
            days_late=s.days_late,
            reported_on=s.reported_on,
            verified_on=s.verified_on,
        )
    parties = Sheet(
        "parties",
        (
            Column("party", kind=Kind.ID),
            Column("role"),
            Column("on_time", "on time", Kind.FIGURE),
            Column("late", kind=Kind.FIGURE),
            Column("outstanding", kind=Kind.FIGURE),
            Column("overdue", kind=Kind.FIGURE),
            Column("next_deadlines", "next deadlines"),
        ),
    )
    for p in status.parties:
        parties.add(
            party=p.id,
            role=p.role,
            on_time=p.on_time,
            late=p.late,
            outstanding=p.outstanding,
            overdue=p.overdue,
            next_deadlines=[f"{d.step} {d.deadline}" for d in p.next_deadlines],
        )
    findings = Sheet(
        "findings",
        (
            Column("date", kind=Kind.DATE),
            Column("kind"),
            Column("step", kind=Kind.ID),
            Column("party", kind=Kind.ID),
            Column("message"),
            Column("entries", kind=Kind.ID),
        ),
    )
    for f in status.findings:
        findings.add(
            date=f.date,
            kind=str(f.kind),
            step=f.step,
            party=f.party,
            message=f.message,
            entries=list(f.indices),
        )
    balance = Sheet(
        "balance",
        (
            Column("date", kind=Kind.DATE),
            Column("verified_weight", "verified weight", Kind.FIGURE),
            Column("concession_weight", "concession weight", Kind.FIGURE),
        ),
    )
    for b in status.balance:
        balance.add(
            date=b.date, verified_weight=b.verified_weight, concession_weight=b.concession_weight
        )
    return [steps, parties, findings, balance]


def _print_status(status: Status) -> None:
    if status.accord_id is None:
        console.print(f"as of {status.as_of}: no accord has been signed")
        return
    if status.in_force is None:
        console.print(f"as of {status.as_of}: accord {shown(status.accord_id)} is not in force")
        for version in status.signatures:
            console.print(
                f"  version {version.digest[:12]}: signed by "
                f"{shown(', '.join(s.party for s in version.signed) or 'nobody')}; "
                f"missing {shown(', '.join(version.missing))}"
            )
        return
    head = status.in_force
    console.print(
        f"[bold]{shown(head.title, one_line=True)}[/] ({shown(status.accord_id)} "
        f"{head.digest[:12]}), in force since "
        f"{head.since}; status as of [bold]{status.as_of}[/]"
    )
    steps, parties, _, _ = status_sheets(status)
    print_sheet(
        steps,
        styles={"status": lambda value: STATUS_STYLE.get(value, "")},
        show={"days_late": _late},
    )
    print_sheet(parties)
    if status.findings:
        console.print(f"[bold]findings ({len(status.findings)})[/]")
        for f in status.findings:
            console.print(f"  [red]{shown(f.kind)}[/] {shown(f.message)}", highlight=False)
    if status.balance:
        last = status.balance[-1]
        console.print(
            f"balance: weight of verified steps {last.verified_weight:g} against weight of "
            f"concessions granted {last.concession_weight:g}"
        )
    for period in status.ahead:
        end = period.end or "now"
        console.print(
            f"  [yellow]concessions ran ahead[/] (by weight) from {period.start} to {end}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(accord_app, name="accord")
    app.add_typer(step_app, name="step")
    app.command("status")(status)
