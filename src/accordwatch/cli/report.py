"""`accordwatch report`: the compliance and status report as of a date, with its charts."""

from __future__ import annotations

from pathlib import Path

import typer

from accordwatch.cli.context import console
from accordwatch.cli.view_dates import AS_OF_HELP, KNOWN_AT_HELP, LOG_SIZE_HELP, view_at
from accordwatch.errors import InputError
from accordwatch.private_files import (
    make_private_folder,
    write_private_bytes,
    write_private_text,
)


def report(
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: str = typer.Option("html", "--format", help="html, md or pdf"),
    out: Path = typer.Option(Path(), "--out", help="Folder for the report and its charts"),
    accord: str = typer.Option(None, "--accord", help="The accord, if the log holds several"),
) -> None:
    """Write the compliance and status report, with the checkpoint it was computed from."""
    from accordwatch.compliance.report import build_report
    from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS
    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.reports.charts.compliance_chart import draw_compliance
    from accordwatch.reports.charts.roadmap_chart import draw_roadmap
    from accordwatch.reports.status import FORMATS, Chart, ReportData, html, markdown
    from accordwatch.roadmap import status as roadmap
    from accordwatch.sources.compliance import evaluate_log
    from accordwatch.sources.escrow_status import escrow_view, with_escrow_findings
    from accordwatch.sources.roadmap import roadmap_records

    if fmt not in (*FORMATS, "pdf"):
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, pdf, not {fmt!r}")
    view = view_at(as_of, known_at, log_size)
    day, ledger, log = view.as_of, view.ledger, view.log

    records = roadmap_records(log)
    try:
        status = roadmap.evaluate(records, day, accord)
    except ValueError as exc:
        raise InputError(str(exc), where="--accord") from exc
    escrows = escrow_view(log, day, None)
    status = with_escrow_findings(log, status)
    found = evaluate_log(log, day)
    responses = found.responses
    compliance = build_report(
        found.evaluation,
        responses,
        unit="event",
        year=None,
        window=DEFAULT_WINDOW_DAYS,
        superseded=found.superseded,
    )
    # The checkpoint every record above was read at.
    note = log.checkpoint
    cp = Checkpoint.open(note, ledger.signer.verifier)

    make_private_folder(out)
    charts = []
    if status.in_force is not None:
        png, svg = draw_roadmap(records, status, out)
        charts.append(Chart("Road map timeline and balance", png.name, svg.read_text("utf-8")))
    if compliance.by_year:
        png, svg = draw_compliance(compliance, responses, out)
        charts.append(Chart("Violations by year", png.name, svg.read_text("utf-8")))
    data = ReportData(
        as_of=day.isoformat(),
        known_at=view.known_at.isoformat(),
        simulated_clock=view.simulated_clock,
        origin=ledger.origin,
        log_key=ledger.signer.verifier.text(),
        checkpoint=note,
        size=cp.size,
        roadmap=status.to_json(),
        compliance=compliance.to_json(),
        charts=charts,
        escrows=escrows.summaries(),
    )
    path = out / f"report-{day.isoformat()}.{fmt}"
    if fmt == "pdf":
        from accordwatch.reports.pdf import pdf

        write_private_bytes(path, pdf(data, out, view.ws.clock()))
    else:
        write_private_text(path, html(data) if fmt == "html" else markdown(data))
    console.print(f"report {view.header()} written to {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
