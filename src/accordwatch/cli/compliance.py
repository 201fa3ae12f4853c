"""Compliance commands: events import/list/example, compliance evaluate/report/chart/obligations,
response record/list."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    emit,
    err_console,
    plain,
    print_json,
    shown,
    signing_key,
    submit_as,
    workspace,
)
from accordwatch.cli.view_dates import (
    AS_OF_HELP,
    KNOWN_AT_HELP,
    LOG_SIZE_HELP,
    ViewAt,
    today,
    view_at,
)
from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS, RESPONSE_KINDS
from accordwatch.data import DEMO_EVENTS, data_text
from accordwatch.errors import InputError, NotFoundError
from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    from accordwatch.compliance.obligations import Obligations
    from accordwatch.compliance.report import Report
    from accordwatch.compliance.responses import Response
    from accordwatch.compliance.violations import Evaluation
    from accordwatch.sources.snapshot import Snapshot

events_app = typer.Typer(help="Observed events: import, list.", no_args_is_help=True)
compliance_app = typer.Typer(
    help="Violations of obligations: evaluate, report, chart.", no_args_is_help=True
)
response_app = typer.Typer(help="Responses to violations.", no_args_is_help=True)

OBLIGATIONS_HELP = (
    "More obligations files (YAML) besides the shipped UN Security Council resolutions "
    "and the accords in force"
)


def _files(files: list[Path] | None) -> list[Obligations]:
    from accordwatch.compliance.obligations import read_obligations

    return [read_obligations(p) for p in files or []]


def _choice(value: str, allowed: tuple[str, ...] | list[str], option: str) -> str:
    if value not in allowed:
        raise InputError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _evaluate(
    log: Snapshot, as_of: date, files: list[Path] | None
) -> tuple[Evaluation, int, list[Response]]:
    from accordwatch.sources.compliance import evaluate_log

    found = evaluate_log(log, as_of, *_files(files))
    return found.evaluation, found.superseded, found.responses


# -- events ------------------------------------------------------------------


@events_app.command("import")
def events_import(
    file: Path = typer.Argument(..., help="Events file"),
    fmt: str = typer.Option(..., "--format", help="cns, csv or json"),
    as_party: str = typer.Option(..., "--as", help="The observer signing the events"),
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="Import the good rows and list the bad ones"
    ),
    actor: str = typer.Option(None, "--actor", help="Whose conduct the events are [cns: dprk]"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Import events as signed log entries; rows already logged are not added again."""
    from accordwatch.compliance.event_files import FORMATS, checked, parse_events, plan_import
    from accordwatch.sources.appending import Signer
    from accordwatch.sources.compliance import append_events, compliance_records
    from accordwatch.sources.snapshot import Snapshot

    _choice(fmt, FORMATS, "--format")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(file)) from exc
    parsed = checked(parse_events(data, file=str(file), fmt=fmt, actor=actor))
    if parsed.problems and not skip_bad_rows:
        more = len(parsed.problems) - 1
        first = parsed.problems[0]
        suffix = f" (and {more} more bad row(s); --skip-bad-rows imports the rest)" if more else ""
        raise InputError(f"{first.message}; nothing imported{suffix}", where=first.where)
    ws = workspace()
    ledger = ws.ledger()
    key = signing_key(ws, ledger.registry(), as_party, key_file)
    plan = plan_import(parsed.rows, compliance_records(Snapshot.default(ledger)).known_rows())
    payloads = plan.payloads
    if payloads:
        with console.status(f"signing and appending {len(payloads)} event(s)"):
            append_events(ledger, payloads, signer=Signer(as_party, key))
    for problem in parsed.problems:
        typer.echo(f"skipped {plain(problem, one_line=True)}", err=True)
    console.print(
        f"{shown(file)}: {len(plan.new)} new event(s), {len(plan.corrections)} correction(s), "
        f"{plan.unchanged} already in the log, {len(parsed.problems)} bad row(s) skipped"
    )


@events_app.command("example")
def events_example(
    out: Path = typer.Option(None, "--out", "-o", help="Write here [default: stdout]"),
) -> None:
    """Print or copy the small demo events file shipped with accordwatch (format json)."""
    emit(data_text(DEMO_EVENTS), out, "the demo events")


@events_app.command("list")
def events_list(
    year: int = typer.Option(None, "--year", help="Only this year"),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """The events that count as of a date (the latest version of each source row)."""
    from rich.table import Table

    from accordwatch.compliance.events import current_events
    from accordwatch.sources.compliance import compliance_records

    _choice(fmt, ("table", "json"), "--format")
    view = view_at(as_of, known_at, log_size)
    current = current_events(compliance_records(view.log).events, view.as_of)
    listed = [e for e in current.events if year is None or e.on.year == year]
    if fmt == "json":
        print_json(
            {
                **view.to_json(),
                "events": [
                    {
                        "event_id": e.event_id,
                        "occurrence": e.occurrence,
                        "date": e.on.isoformat(),
                        "type": e.type,
                        "count": e.count,
                        "attributes": dict(e.attributes),
                        "log_index": e.log_index,
                        "source": e.source.describe() if e.source else None,
                    }
                    for e in listed
                ],
            }
        )
        return
    console.print(view.header(), highlight=False)
    table = Table("date", "occurrence", "event", "type", "class", "name", "site", "entry")
    for e in listed:
        a = e.attributes
        table.add_row(
            e.on.isoformat(),
            shown(e.occurrence),
            shown(e.event_id),
            shown(e.type),
            shown(a.get("missile_class") or ""),
            shown(a.get("missile_name") or ""),
            shown(a.get("site") or ""),
            str(e.log_index),
        )
    console.print(table)
    console.print(f"{len(listed)} event row(s); {current.superseded} superseded version(s)")


# -- compliance --------------------------------------------------------------


@compliance_app.command("evaluate")
def compliance_evaluate(
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
) -> None:
    """Match every event against every obligation in force on its date; list the violations."""
    from rich.table import Table

    _choice(fmt, ("table", "json"), "--format")
    view = view_at(as_of, known_at, log_size)
    day = view.as_of
    evaluation, _, _ = _evaluate(view.log, day, obligations)
    found = evaluation.violations()
    loose = evaluation.violations(binding=False)
    if fmt == "json":
        print_json(
            {
                **view.to_json(),
                "events": len(evaluation.events),
                "obligations": len(evaluation.obligations.obligations),
                "violations": [v.to_json() for v in found],
                "non_binding": [v.to_json() for v in loose],
            }
        )
        return
    table = Table("violation", "date", "instrument", "status", "missiles", "evidence")
    for v in found:
        rows = ", ".join(
            f"{e.source.file}:{e.source.row}" if e.source else e.event_id for e in v.evidence
        )
        status = "violation" if v.certain else "[yellow]uncertain[/]"
        table.add_row(
            shown(v.id),
            v.on.isoformat(),
            shown(v.obligation.instrument.title),
            status,
            str(v.missiles),
            shown(rows),
        )
    console.print(table)
    certain = sum(v.certain for v in found)
    console.print(view.header(), highlight=False)
    console.print(
        f"as of {day}: {len(evaluation.events)} event row(s) against "
        f"{len(evaluation.obligations.obligations)} obligation(s): {certain} violation(s) "
        f"(event x obligation), {len(found) - certain} uncertain, {len(loose)} match(es) of "
        "obligations that do not bind"
    )


def _report(
    by: str, year: int | None, view: ViewAt, window: int, files: list[Path] | None
) -> tuple[Report, list[Response]]:
    from accordwatch.compliance.report import UNITS, build_report

    _choice(by, UNITS, "--by")
    if window < 0:
        raise InputError(f"--window must be 0 or more days, not {window}")
    evaluation, superseded, responses = _evaluate(view.log, view.as_of, files)
    report = build_report(
        evaluation, responses, unit=by, year=year, window=window, superseded=superseded
    )
    return report, responses


@compliance_app.command("report")
def compliance_report(
    by: str = typer.Option(..., "--by", help="Count per event or per missile"),
    year: int = typer.Option(None, "--year", help="Only this year"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    window: int = typer.Option(DEFAULT_WINDOW_DAYS, "--window", help="Days a response may take"),
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
    chart: bool = typer.Option(False, "--chart", help="Also draw the chart (PNG and SVG)"),
    out: Path = typer.Option(Path(), "--out", help="Folder for the chart"),
) -> None:
    """Violations by year, instrument, event type and missile class, with responses."""
    _choice(fmt, ("table", "json"), "--format")
    view = view_at(as_of, known_at, log_size)
    report, responses = _report(by, year, view, window, obligations)
    if fmt == "json":
        print_json({**report.to_json(), **view.to_json()})
    else:
        console.print(view.header(), highlight=False)
        _print_report(report)
    if chart:
        _draw(report, responses, out)


def _print_report(report: Report) -> None:
    from rich.table import Table

    from accordwatch.reports.compliance_tables import report_tables, summary_lines

    for text in report_tables(report):
        if not text.rows:
            continue
        table = Table(*text.columns, title=shown(text.title), title_justify="left")
        for row in text.rows:
            table.add_row(*map(shown, row))
        console.print(table)
    for line in summary_lines(report):
        console.print(shown(line), highlight=False)


@compliance_app.command("chart")
def compliance_chart(
    by: str = typer.Option("event", "--by", help="Count per event or per missile"),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    window: int = typer.Option(DEFAULT_WINDOW_DAYS, "--window", help="Days a response may take"),
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
    out: Path = typer.Option(Path(), "--out", help="Folder for the chart"),
) -> None:
    """Draw violations per year by event type, with responses marked (PNG and SVG)."""
    view = view_at(as_of, known_at, log_size)
    console.print(view.header(), highlight=False)
    report, responses = _report(by, None, view, window, obligations)
    _draw(report, responses, out)


def _draw(report: Report, responses: list[Response], out: Path) -> None:
    from accordwatch.reports.charts.compliance_chart import draw_compliance

    files = draw_compliance(report, responses, out)
    console.print("chart: " + ", ".join(str(f) for f in files))


@compliance_app.command("obligations")
def compliance_obligations(
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """List the obligations evaluated as of a date: instrument, party, dates, rule.

    Outside a workspace there is no accord in force: the shipped resolutions
    (and any --obligations files) are listed, and a note on stderr says so.
    """
    from rich.table import Table

    from accordwatch.roadmap.obligations import obligations_as_of
    from accordwatch.sources.compliance import log_obligations
    from accordwatch.timeutil import utc_now

    _choice(fmt, ("table", "json"), "--format")
    files = _files(obligations)
    try:
        ws = workspace()
    except NotFoundError as exc:
        err_console.print(
            f"{exc.message}: no accord's obligations are included", highlight=False, soft_wrap=True
        )
        # no workspace, no clock of its own: today is the system's
        day = parse_date(as_of, where="--as-of") if as_of else utc_now().date()
        loaded = obligations_as_of((), day, *files)
        header: dict[str, object] = {"as_of": day.isoformat()}
    else:
        view = view_at(as_of, known_at, log_size, ws=ws)
        loaded = log_obligations(view.log, view.as_of, *files)
        header = view.to_json()
        if fmt != "json":
            console.print(view.header(), highlight=False)
    if fmt == "json":
        print_json({**header, "obligations": [o.to_json() for o in loaded.obligations]})
        return
    table = Table("obligation", "instrument", "binding", "party", "from", "to", "rule")
    for o in loaded.obligations:
        j = o.to_json()
        table.add_row(
            shown(o.id),
            shown(o.instrument.title),
            "yes" if o.binding else "[yellow]no[/]",
            shown(o.party),
            shown(j["effective"]),
            shown(j["ends"] or ""),
            shown(j["rule"]),
        )
    console.print(table)


# -- responses ---------------------------------------------------------------


@response_app.command("record")
def response_record(
    to: list[str] = typer.Option(
        ...,
        "--to",
        help="Violation ids, event occurrences, or triggered consequences (CONSEQUENCE-ID/DATE)",
    ),
    more: list[str] = typer.Argument(
        None, help="More violation ids after --to", show_default=False
    ),
    kind: str = typer.Option(..., "--kind", help=", ".join(RESPONSE_KINDS)),
    on: str = typer.Option(..., "--on", help="Date of the response (YYYY-MM-DD)"),
    as_party: str = typer.Option(..., "--as", help="The party recording it"),
    by: str = typer.Option("", "--by", help="Who responded, if not the recording party"),
    reference: str = typer.Option("", "--reference", help="e.g. S/RES/2087 (2013)"),
    note: str = typer.Option("", "--note", help="Free text"),
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Record a response to violations or to a triggered consequence of an accord (a log entry)."""
    from accordwatch.compliance.responses import resolve_targets
    from accordwatch.roadmap.consequences import is_occasion_id, resolve_occasions
    from accordwatch.sources.consequences import consequences_in_force
    from accordwatch.sources.snapshot import Snapshot

    _choice(kind, list(RESPONSE_KINDS), "--kind")
    day = parse_date(on, where="--on")
    ws = workspace()
    ledger = ws.ledger()
    log, now = Snapshot.default(ledger), today(ws)
    named = [*to, *(more or [])]
    occasions = [t for t in named if is_occasion_id(t)]
    others = [t for t in named if not is_occasion_id(t)]
    violations: list[str] = []
    if others:
        evaluation, _, _ = _evaluate(log, now, obligations)
        violations = resolve_targets(others, evaluation.violations(), day)
    if occasions:
        occasions = resolve_occasions(occasions, consequences_in_force(log, now), day)
    targets = [*violations, *occasions]
    payload = {
        "to": targets,
        "kind": kind,
        "on": day.isoformat(),
        "by": by,
        "reference": reference,
        "note": note,
    }
    receipt = submit_as(
        ws, ledger, as_party, key_file, "response", payload, where="response record"
    )
    counted = ((len(violations), "violation(s)"), (len(occasions), "triggered consequence(s)"))
    what = [f"{n} {noun}" for n, noun in counted if n]
    console.print(
        f"{as_party} recorded a response ({RESPONSE_KINDS[kind]}) of {day} to "
        f"{' and '.join(what)} at log entry {receipt.index}"
    )


@response_app.command("list")
def response_list(fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Responses in the log."""
    from rich.table import Table

    from accordwatch.sources.compliance import compliance_records
    from accordwatch.sources.snapshot import Snapshot

    _choice(fmt, ("table", "json"), "--format")
    responses = compliance_records(Snapshot.default(workspace().ledger())).responses
    if fmt == "json":
        print_json([{**r.to_json(), "to": list(r.to)} for r in responses])
        return
    table = Table("entry", "on", "kind", "by", "reference", "to")
    for r in responses:
        table.add_row(
            str(r.index),
            r.on.isoformat(),
            RESPONSE_KINDS[r.kind],
            shown(r.responder),
            shown(r.reference),
            "\n".join(shown(t, one_line=True) for t in r.to),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    app.add_typer(compliance_app, name="compliance")
    app.add_typer(response_app, name="response")
