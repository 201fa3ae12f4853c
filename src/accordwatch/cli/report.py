"""`accordwatch report`: the compliance and status report as of a date, with its charts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import console
from accordwatch.cli.view_dates import AS_OF_HELP, KNOWN_AT_HELP, LOG_SIZE_HELP, view_at
from accordwatch.errors import InputError

if TYPE_CHECKING:
    from accordwatch.log.access import Reader
    from accordwatch.sources.snapshot import Snapshot

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
    as_party: str = typer.Option(
        None,
        "--as",
        help="Read confidential records as this party [default: none; on a node, its party]",
    ),
) -> None:
    """Write the compliance and status report, with the checkpoint it was computed from.

    One report in three formats with the same sections: a one-page summary (the
    accord in force, what is overdue on each side, violations and whether they
    were answered, safeguards alarms, the checkpoint), the road map with its
    timeline on a page of its own, compliance, declarations, safeguards, and
    the signed checkpoint with its cosignatures.
    """
    from accordwatch.cli.context import reader_as
    from accordwatch.compliance.report import build_report
    from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS
    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.reports.charts.compliance_chart import draw_compliance
    from accordwatch.reports.charts.roadmap_chart import draw_roadmap
    from accordwatch.reports.report_data import Chart, ReportData
    from accordwatch.reports.status import FORMATS, html, markdown
    from accordwatch.sources.compliance import evaluate_log
    from accordwatch.sources.consequences import roadmap_view
    from accordwatch.sources.escrow_status import escrow_view, with_escrow_findings
    from accordwatch.sources.roadmap import roadmap_records
    from accordwatch.sources.verification import balance_summary
    from accordwatch.sources.witnessing import log_policy

    if fmt not in (*FORMATS, "pdf"):
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, pdf, not {fmt!r}")
    view = view_at(as_of, known_at, log_size)
    day, ledger, log = view.as_of, view.ledger, view.log

    records = roadmap_records(log)
    found = evaluate_log(log, day)
    try:
        status, consequences = roadmap_view(log, day, accord, lambda: found)
    except ValueError as exc:
        raise InputError(str(exc), where="--accord") from exc
    status = with_escrow_findings(log, status)
    responses = found.responses
    compliance = build_report(
        found.evaluation,
        responses,
        unit="event",
        year=None,
        window=DEFAULT_WINDOW_DAYS,
        superseded=found.superseded,
    )
    reader = reader_as(ledger, as_party)
    # The checkpoint every record above was read at, with its cosignatures.
    cp = Checkpoint.open(log.checkpoint, ledger.signer.verifier)
    note = ledger.cosigned_note(cp.size)
    policy = log_policy(ledger, log)
    witnessed = ledger.witnessed(note, policy).summary() if policy is not None else ""

    make_private_folder(out)
    charts = []
    if status.in_force is not None:
        png, svg = draw_roadmap(records, status, out)
        charts.append(
            Chart("Road map timeline and balance", png.name, svg.read_text("utf-8"), "roadmap")
        )
    if compliance.by_year:
        png, svg = draw_compliance(compliance, responses, out)
        charts.append(Chart("Violations by year", png.name, svg.read_text("utf-8"), "compliance"))
    data = ReportData(
        as_of=day.isoformat(),
        known_at=view.known_at.isoformat(),
        simulated_clock=view.simulated_clock,
        origin=ledger.origin,
        log_key=ledger.signer.verifier.text(),
        checkpoint=note,
        size=cp.size,
        roadmap={**status.to_json(), "consequences": consequences.to_json()},
        compliance=compliance.to_json(),
        charts=charts,
        reading_as=reader.party if reader is not None else "",
        witnessed=witnessed,
        safeguards=balance_summary(log, reader),
        declarations=declaration_rows(log, reader),
        escrows=escrow_view(log, day, reader).summaries(),
    )
    path = out / f"report-{day.isoformat()}.{fmt}"
    if fmt == "pdf":
        from accordwatch.reports.pdf import pdf

        write_private_bytes(path, pdf(data, out, view.ws.clock()))
    else:
        write_private_text(path, html(data) if fmt == "html" else markdown(data))
    console.print(f"report {view.header()} written to {path}", highlight=False)


def declaration_rows(log: Snapshot, reader: Reader | None) -> list[dict[str, Any]]:
    """The report's declarations table: each entry, and its own check where readable."""
    from accordwatch.declarations.check import check_internal
    from accordwatch.sources.declarations import logged_declarations

    rows = []
    for item in logged_declarations(log, reader):
        d = item.declaration
        problems = "not readable"
        if d is not None:
            found = check_internal(d)
            problems = f"{len(found)} problem(s)" if found else "no problem"
        rows.append(
            {
                "index": item.index,
                "time": f"{item.time:%Y-%m-%d %H:%M}Z",
                "party": item.party,
                "access": "confidential" if item.confidential else "public",
                "id": d.id if d is not None else None,
                "program": d.program if d is not None else None,
                "as_of": d.as_of.isoformat() if d is not None else None,
                "problems": problems,
            }
        )
    return rows


def register(app: typer.Typer) -> None:
    app.command("report")(report)
