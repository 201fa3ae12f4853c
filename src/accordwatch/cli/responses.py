"""`accordwatch response record|list`: responses to violations and to the accord's consequences."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    submit_as,
    workspace,
)
from accordwatch.cli.output import (
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.cli.view_dates import (
    today,
)
from accordwatch.compliance.responses import RESPONSE_KINDS
from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    pass

from accordwatch.cli.compliance import OBLIGATIONS_HELP, _choice, _evaluate, response_app


@response_app.command("record")
def response_record(
    to: list[str] = typer.Option(
        ...,
        "--to",
        help="Violation ids, event occurrences, or triggered consequences (CONSEQUENCE-ID/DATE); "
        "an event's date may be UTC or, for CNS rows, Korean (date_kst)",
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
    from accordwatch.compliance.events import occurrence_aliases
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
        aliases = occurrence_aliases(evaluation.events)
        violations = resolve_targets(others, evaluation.violations(), day, aliases)
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
def response_list(
    fmt: SheetFormat = "text", output: OutputFile = None, as_json: JsonAlias = False
) -> None:
    """Responses in the log."""
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.sources.compliance import compliance_records
    from accordwatch.sources.snapshot import Snapshot

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    responses = compliance_records(Snapshot.default(workspace().ledger())).responses
    sheet = Sheet(
        "responses",
        (
            Column("log_index", "entry", Kind.ID),
            Column("on", kind=Kind.DATE),
            Column("kind"),
            Column("by", kind=Kind.ID),
            Column("recorded_by", "recorded by", Kind.ID),
            Column("reference"),
            Column("to", kind=Kind.ID),
            Column("note"),
        ),
    )
    for r in responses:
        sheet.add(
            log_index=r.index,
            on=r.on,
            kind=r.kind,
            by=r.responder,
            recorded_by=r.party,
            reference=r.reference,
            to=list(r.to),
            note=r.note,
        )

    def text() -> None:
        print_sheet(
            Sheet(
                sheet.name,
                [c for c in sheet.columns if c.key not in ("recorded_by", "note")],
                sheet.rows,
            ),
            show={"kind": lambda k: RESPONSE_KINDS.get(k, k), "to": "\n".join},
        )

    deliver(
        chosen,
        json=lambda: [{**r.to_json(), "to": list(r.to)} for r in responses],
        sheets=lambda: [sheet],
        text=text,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(response_app, name="response")
