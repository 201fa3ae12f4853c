"""Compliance commands: events import/list/example, compliance evaluate/report/chart/obligations,
response record/list."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    destination,
    emit,
    err_console,
    plain,
    shown,
    signing_key,
    workspace,
)
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.cli.view_dates import (
    AS_OF_HELP,
    KNOWN_AT_HELP,
    LOG_SIZE_HELP,
    ViewAt,
    view_at,
)
from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS
from accordwatch.data import DEMO_EVENTS, data_text
from accordwatch.errors import InputError, NotFoundError
from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    from accordwatch.compliance.obligations import Obligations
    from accordwatch.compliance.report import Report
    from accordwatch.compliance.responses import Response
    from accordwatch.compliance.violations import Evaluation, Violation
    from accordwatch.reports.exports import Sheet
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
            append_events(
                ledger, payloads, signer=Signer(as_party, key), to=destination(ws, ledger)
            )
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
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """The events that count as of a date (the latest version of each source row)."""
    from accordwatch.compliance.events import current_events
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.sources.compliance import compliance_records

    chosen = chosen_format(fmt, as_json, output)
    view = view_at(as_of, known_at, log_size)
    current = current_events(compliance_records(view.log).events, view.as_of)
    listed = [e for e in current.events if year is None or e.on.year == year]
    sheet = Sheet(
        "events",
        (
            Column("date", kind=Kind.DATE),
            Column("date_kst", "date (KST)", Kind.DATE),
            Column("occurrence", kind=Kind.ID),
            Column("event_id", "event", Kind.ID),
            Column("type"),
            Column("missile_class", "class"),
            Column("missile_name", "name"),
            Column("site"),
            Column("count", kind=Kind.FIGURE),
            Column("log_index", "entry", Kind.ID),
        ),
    )
    for e in listed:
        a = e.attributes
        sheet.add(
            date=e.on,
            date_kst=a.get("date_kst"),
            occurrence=e.occurrence,
            event_id=e.event_id,
            type=e.type,
            missile_class=a.get("missile_class"),
            missile_name=a.get("missile_name"),
            site=a.get("site"),
            count=e.count,
            log_index=e.log_index,
        )

    def as_json_value() -> object:
        return {
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

    def text() -> None:
        console.print(view.header(), highlight=False)
        kst = any(r.get("date_kst") for r in sheet.rows)
        shown_sheet = Sheet(
            sheet.name,
            [c for c in sheet.columns if c.key != "count" and (kst or c.key != "date_kst")],
            sheet.rows,
        )
        print_sheet(shown_sheet, head="event_id")
        console.print(f"{len(listed)} event row(s); {current.superseded} superseded version(s)")

    deliver(chosen, json=as_json_value, sheets=lambda: [sheet], text=text)


# -- compliance --------------------------------------------------------------


def violations_sheet(found: list[Violation]) -> Sheet:
    """Violations as a sheet: id, date, instrument, status, missiles, evidence rows and entries."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    sheet = Sheet(
        "violations",
        (
            Column("violation", kind=Kind.ID),
            Column("date", kind=Kind.DATE),
            Column("instrument"),
            Column("status"),
            Column("missiles", kind=Kind.FIGURE),
            Column("evidence"),
            Column("entries", kind=Kind.ID),
        ),
    )
    for v in found:
        sheet.add(
            violation=v.id,
            date=v.on,
            instrument=v.obligation.instrument.title,
            status="violation" if v.certain else "uncertain",
            missiles=v.missiles,
            evidence=[
                f"{e.source.file}:{e.source.row}" if e.source else e.event_id for e in v.evidence
            ],
            entries=sorted({e.log_index for e in v.evidence}),
        )
    return sheet


@compliance_app.command("evaluate")
def compliance_evaluate(
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: SheetFormat = "text",
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Match every event against every obligation in force on its date; list the violations."""
    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    view = view_at(as_of, known_at, log_size)
    day = view.as_of
    evaluation, _, _ = _evaluate(view.log, day, obligations)
    found = evaluation.violations()
    loose = evaluation.violations(binding=False)

    def text() -> None:
        print_sheet(
            violations_sheet(found),
            styles={"status": lambda value: "yellow" if value == "uncertain" else ""},
        )
        certain = sum(v.certain for v in found)
        console.print(view.header(), highlight=False)
        console.print(
            f"as of {day}: {len(evaluation.events)} event row(s) against "
            f"{len(evaluation.obligations.obligations)} obligation(s): {certain} violation(s) "
            f"(event x obligation), {len(found) - certain} uncertain, {len(loose)} match(es) of "
            "obligations that do not bind"
        )

    def non_binding() -> Sheet:
        sheet = violations_sheet(loose)
        sheet.name = "non-binding matches"
        return sheet

    deliver(
        chosen,
        json=lambda: {
            **view.to_json(),
            "events": len(evaluation.events),
            "obligations": len(evaluation.obligations.obligations),
            "violations": [v.to_json() for v in found],
            "non_binding": [v.to_json() for v in loose],
        },
        sheets=lambda: [violations_sheet(found), non_binding()],
        text=text,
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
    fmt: SheetFormat = "text",
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    window: int = typer.Option(DEFAULT_WINDOW_DAYS, "--window", help="Days a response may take"),
    obligations: list[Path] = typer.Option(None, "--obligations", help=OBLIGATIONS_HELP),
    chart: bool = typer.Option(False, "--chart", help="Also draw the chart (PNG and SVG)"),
    out: Path = typer.Option(Path(), "--out", help="Folder for the chart"),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Violations by year, instrument, event type and missile class, with responses.

    csv holds the events that violate; xlsx every table of the report.
    """
    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    view = view_at(as_of, known_at, log_size)
    report, responses = _report(by, year, view, window, obligations)

    def text() -> None:
        console.print(view.header(), highlight=False)
        _print_report(report)

    deliver(
        chosen,
        json=lambda: {**report.to_json(), **view.to_json()},
        sheets=lambda: report_sheets(report),
        text=text,
    )
    if chart:
        _draw(report, responses, out)


# the report's columns that name or date something, and those that count
_REPORT_KINDS = {"year": "id", "event": "id", "date": "date"}
_REPORT_COUNTS = {
    "violations",
    "uncertain",
    "non-binding only",
    "answered",
    "late",
    "unanswered",
    "window open",
    "matches",
    "missiles",
    "days",
}
_REPORT_SHEETS = ("by year", "by instrument", "by type", "by class", "events")


def report_sheets(report: Report) -> list[Sheet]:
    """The report's tables as sheets, the events first (CSV holds the first only)."""
    from accordwatch.reports.compliance_tables import report_tables
    from accordwatch.reports.exports import Column, Kind, Sheet

    sheets = []
    for name, table in zip(_REPORT_SHEETS, report_tables(report), strict=True):
        keys = [c.replace(" ", "_").replace("-", "_") for c in table.columns]
        counts = {i for i, heading in enumerate(table.columns) if heading in _REPORT_COUNTS}
        columns = [
            Column(
                key,
                heading,
                Kind(_REPORT_KINDS.get(heading, "figure" if i in counts else "text")),
            )
            for i, (key, heading) in enumerate(zip(keys, table.columns, strict=True))
        ]
        sheet = Sheet(name, columns)
        for row in table.rows:
            sheet.rows.append(
                {
                    key: int(v) if i in counts and v else v
                    for i, (key, v) in enumerate(zip(keys, row, strict=True))
                }
            )
        sheets.append(sheet)
    return [sheets[-1], *sheets[:-1]]


def _print_report(report: Report) -> None:
    from accordwatch.reports.compliance_tables import report_tables, summary_lines

    titles = [t.title for t in report_tables(report)]
    events, *groups = report_sheets(report)
    for sheet, title in zip([*groups, events], titles, strict=True):
        if sheet.rows:
            print_sheet(sheet, title=title, head="event")
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
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """List the obligations evaluated as of a date: instrument, party, dates, rule.

    Outside a workspace there is no accord in force: the shipped resolutions
    (and any --obligations files) are listed, and a note on stderr says so.
    """
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.roadmap.obligations import obligations_as_of
    from accordwatch.sources.compliance import log_obligations
    from accordwatch.timeutil import utc_now

    chosen = chosen_format(fmt, as_json, output)
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
        if chosen.text:
            console.print(view.header(), highlight=False)
    sheet = Sheet(
        "obligations",
        (
            Column("obligation", kind=Kind.ID),
            Column("instrument"),
            Column("binding"),
            Column("party", kind=Kind.ID),
            Column("effective", "from", Kind.DATE),
            Column("ends", "to", Kind.DATE),
            Column("rule"),
        ),
    )
    for o in loaded.obligations:
        j = o.to_json()
        sheet.add(
            obligation=o.id,
            instrument=o.instrument.title,
            binding="yes" if o.binding else "no",
            party=o.party,
            effective=str(j["effective"]),
            ends=str(j["ends"] or ""),
            rule=str(j["rule"]),
        )
    deliver(
        chosen,
        json=lambda: {**header, "obligations": [o.to_json() for o in loaded.obligations]},
        sheets=lambda: [sheet],
        text=lambda: print_sheet(
            sheet, styles={"binding": lambda value: "yellow" if value == "no" else ""}
        ),
    )


# -- responses ---------------------------------------------------------------


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    app.add_typer(compliance_app, name="compliance")
