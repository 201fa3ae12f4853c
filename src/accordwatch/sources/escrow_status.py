"""What escrowed declarations add to a view: their draws, undeclared items and relocations.

Read from one snapshot of the log for one reader (None: the public's view,
which holds public reveals only): the escrow book, the observations, the
inspection reports the reader may read, and the draws of the drawn reveal
steps of every accord an escrow belongs to. `with_escrow_findings` puts the
findings of one accord's escrows (undeclared item, relocation, undrawn part,
unrevealed nonce) into its road map status, so every view of the status (the
command line, the API, the dashboard, the report) shows them;
`EscrowView.summaries` is the escrows' own view, for the dashboard's
declarations page and the report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from accordwatch.catalog import CATALOG
from accordwatch.declarations.draw import Breach, Draw
from accordwatch.declarations.escrow_findings import (
    EscrowFinding,
    LoggedObservation,
    escrow_findings,
    undrawn_findings,
)
from accordwatch.declarations.escrow_log import EscrowBook, EscrowState, LoggedEscrow, RevealCheck
from accordwatch.declarations.observations import ObservationRecord
from accordwatch.errors import AccordwatchError
from accordwatch.log.access import Reader, open_record
from accordwatch.roadmap.findings import ordered
from accordwatch.roadmap.status import Status, evaluate
from accordwatch.safeguards.inspection import LoggedInspection
from accordwatch.safeguards.records import InspectionReport
from accordwatch.sources.declarations import signed_accord
from accordwatch.sources.draws import draw_breaches, log_draws, reveal_steps
from accordwatch.sources.escrows import escrow_book
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.timeutil import format_time

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
    #: (accord, drawn step) -> its draw
    draws: dict[tuple[str, str], Draw]
    #: (accord, drawn step) -> the declaration step whose escrow it opens
    drawn_for: dict[tuple[str, str], str]
    breaches: tuple[Breach, ...]
    observations: tuple[LoggedObservation, ...]

    def summaries(self) -> list[dict[str, Any]]:
        """Each escrow, newest version first per chain: its parts, reveals, findings and draws.

        JSON-ready, for the dashboard's declarations page and the report.
        """
        return [self._summary(state) for state in reversed(self.book.current())]

    def _summary(self, state: EscrowState) -> dict[str, Any]:
        escrow = state.escrow
        record = escrow.record
        versions = self.book.versions(escrow.index)
        indices = {v.index for v in versions}
        findings = [f for f in self.findings if f.escrow in indices]
        parts: list[dict[str, Any]] = []
        verified = 0
        for part in record.parts:
            check = _first_reveal(self.book, versions, part.name)
            revealed: dict[str, Any] | None = None
            if check is not None:
                verified += check.verified
                r = check.reveal
                revealed = {
                    "index": r.index,
                    "time": format_time(r.time),
                    "status": check.status,
                    "problem": check.problem,
                    "confidential": r.confidential,
                    "escrow": r.escrow,
                    "step": r.record.step if r.record is not None else None,
                }
            parts.append(
                {
                    "name": part.name,
                    "count": part.count,
                    "revealed": revealed,
                    "findings": sum(1 for f in findings if f.part == part.name),
                }
            )
        draws = [
            d.to_json()
            for key, d in self.draws.items()
            if key[0] == record.accord_id and self.drawn_for.get(key) == record.step
        ]
        return {
            "index": escrow.index,
            "time": format_time(escrow.time),
            "escrow_id": record.escrow_id,
            "party": escrow.party,
            "declaration_id": record.declaration_id,
            "program": record.program,
            "as_of": record.as_of.isoformat(),
            "accord_id": record.accord_id,
            "step": record.step,
            "partition_by": record.partition_by,
            "counts": record.counts,
            "root": record.root,
            "version": len(versions),
            "versions": [v.index for v in versions],
            "parts": parts,
            "revealed": sum(1 for p in parts if p["revealed"] is not None),
            "verified": verified,
            "findings": [f.to_json() for f in findings],
            "late_additions": [
                {"index": a.amendment, "message": a.message()}
                for a in self.book.late
                if a.amendment in indices
            ],
            "draws": draws,
            # confidential reveals by its declarant that this reader may not open: which
            # part each opens is for its readers, that it was logged is for everyone
            "unreadable_reveals": [
                {"index": c.reveal.index, "time": format_time(c.reveal.time)}
                for c in self.book.checks
                if c.reveal.record is None
                and c.reveal.party == escrow.party
                and c.reveal.index > versions[0].index
            ],
        }


def _first_reveal(book: EscrowBook, versions: list[LoggedEscrow], part: str) -> RevealCheck | None:
    """The reveal of `part` in the newest version that has one: a verified one, else the first."""
    for version in reversed(versions):
        found = book.states[version.index].opened(part)
        if found is not None:
            return found
    return None


def escrow_view(log: Snapshot, as_of: date, reader: Reader | None) -> EscrowView:
    """The escrow view of `log` for `reader` as of `as_of`, with the draws of every accord
    an escrow belongs to (their deadlines as of that day)."""
    book = escrow_book(log, reader)
    observations = logged_observations(log)
    findings = escrow_findings(book, observations, logged_inspections(log, reader))
    draws: dict[tuple[str, str], Draw] = {}
    drawn_for: dict[tuple[str, str], str] = {}
    breaches: list[Breach] = []
    records = roadmap_records(log)
    accord_ids = {s.escrow.record.accord_id for s in book.states.values()}
    for accord_id in sorted(a for a in accord_ids if a is not None):
        accord = signed_accord(log, accord_id)
        try:
            status = evaluate(records, as_of, accord_id)
        except ValueError:
            continue
        if accord is None or status.in_force is None:
            continue
        found = log_draws(log, accord, book, as_of)
        draws.update({(accord_id, step): d for step, d in found.items()})
        drawn_for.update({(accord_id, s.id): s.escrow for s in reveal_steps(accord)})
        breaches += draw_breaches(found, status)
        findings += undrawn_findings(book, found)
    findings.sort(key=lambda f: (f.date, f.indices, f.kind.value, f.message))
    return EscrowView(book, tuple(findings), draws, drawn_for, tuple(breaches), tuple(observations))


def with_escrow_findings(log: Snapshot, status: Status, reader: Reader | None = None) -> Status:
    """`status` with the findings of the escrows of its accord (or of none, without one)."""
    view = escrow_view(log, status.as_of, reader)
    extra = [
        f.finding()
        for f in view.findings
        if view.book.escrows[f.escrow].record.accord_id == status.accord_id
    ]
    extra += [b.finding() for b in view.breaches if b.accord_id == status.accord_id]
    if not extra:
        return status
    return replace(status, findings=ordered([*status.findings, *extra]))
