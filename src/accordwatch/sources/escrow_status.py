"""What escrowed declarations add to a view: their draws, undeclared items and relocations.

Read from one snapshot of the log for one reader (None: the public's view,
which holds public reveals only): the escrow book, the observations, the
inspection reports the reader may read, and the draws of the accord's drawn
reveal steps. `with_escrow_findings` puts the findings (undeclared item,
relocation, unrevealed nonce) into a road map status, so every view of the
status (the command line, the API, the dashboard, the report) shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from accordwatch.catalog import CATALOG
from accordwatch.declarations.draw import Breach, Draw
from accordwatch.declarations.escrow_findings import (
    EscrowFinding,
    LoggedInspection,
    LoggedObservation,
    escrow_findings,
)
from accordwatch.declarations.escrow_log import EscrowBook
from accordwatch.declarations.observations import ObservationRecord
from accordwatch.errors import AccordwatchError
from accordwatch.log.access import Reader, open_record
from accordwatch.roadmap.findings import ordered
from accordwatch.roadmap.status import Status
from accordwatch.safeguards.records import InspectionReport
from accordwatch.sources.declarations import signed_accord
from accordwatch.sources.draws import draw_breaches, log_draws
from accordwatch.sources.escrows import escrow_book
from accordwatch.sources.snapshot import Snapshot

OBSERVATION_TYPES = ("observation",)
INSPECTION_TYPES = ("inspection.report",)


def logged_observations(log: Snapshot) -> list[LoggedObservation]:
    return [
        LoggedObservation(e.index, e.logged_at, e.party, e.payload)
        for e in log.payloads(OBSERVATION_TYPES)
        if isinstance(e.payload, ObservationRecord)
    ]


def logged_inspections(log: Snapshot, reader: Reader | None) -> list[LoggedInspection]:
    """The inspection reports `reader` may read."""
    out = []
    for index, envelope, opening, logged_at in log.rows(INSPECTION_TYPES):
        try:
            data = open_record(CATALOG, envelope, opening, reader, where=f"log entry {index}")
            report = InspectionReport.model_validate(data)
        except (AccordwatchError, ValueError):
            continue
        out.append(LoggedInspection(index, logged_at, envelope.party, report))
    return out


@dataclass(frozen=True)
class EscrowView:
    """The escrows, their draws and what they show, as one snapshot holds them for one reader."""

    book: EscrowBook
    findings: tuple[EscrowFinding, ...]
    draws: dict[str, Draw]
    breaches: tuple[Breach, ...]
    observations: tuple[LoggedObservation, ...]


def escrow_view(log: Snapshot, status: Status | None, reader: Reader | None) -> EscrowView:
    """The escrow view of `log` for `reader`, with the draws of the status's accord."""
    book = escrow_book(log, reader)
    observations = logged_observations(log)
    findings = escrow_findings(book, observations, logged_inspections(log, reader))
    draws: dict[str, Draw] = {}
    breaches: list[Breach] = []
    if status is not None and status.accord_id is not None and status.in_force is not None:
        accord = signed_accord(log, status.accord_id)
        if accord is not None:
            draws = log_draws(log, accord, book, status.as_of)
            breaches = draw_breaches(draws, status)
    return EscrowView(book, tuple(findings), draws, tuple(breaches), tuple(observations))


def with_escrow_findings(log: Snapshot, status: Status, reader: Reader | None = None) -> Status:
    """`status` with the escrow findings added to its findings."""
    view = escrow_view(log, status, reader)
    extra = [f.finding() for f in view.findings] + [b.finding() for b in view.breaches]
    if not extra:
        return status
    return replace(status, findings=ordered([*status.findings, *extra]))
