"""The road map's records, read from the log for the pure evaluation in `roadmap`.

An escrow reports the declaration step it names, and a reveal that verifies
against its escrow reports the reveal step it names (when it opens that
step's part, or the step's part is drawn): the log's time dates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from accordwatch.declarations.escrow_log import EscrowBook, LoggedEscrow, LoggedReveal
from accordwatch.declarations.escrow_records import EscrowRecord, RevealRecord
from accordwatch.errors import AuthorityError, ConflictError, NotFoundError
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.admission import STEP_RECORDS, refusal
from accordwatch.roadmap.history import Report, RoadmapRecord, Signature, VerificationResult
from accordwatch.roadmap.records import AccordSignature, StepReport, StepVerification
from accordwatch.sources.snapshot import Snapshot

ROADMAP_TYPES = (
    "accord.signature",
    "step.report",
    "step.verification",
    "escrow",
    "escrow.reveal",
)


def roadmap_records(log: Snapshot) -> list[RoadmapRecord]:
    """Every signature, step report and verification result in the log, in log order."""
    accords: dict[str, Accord] = {}
    latest: dict[str, Accord] = {}
    escrows = EscrowBook()
    out: list[RoadmapRecord] = []
    for e in log.payloads(ROADMAP_TYPES):
        payload = e.payload
        if isinstance(payload, EscrowRecord):
            escrows.add_escrow(LoggedEscrow(e.index, e.logged_at, e.party, payload))
            if payload.accord_id is not None and payload.step is not None:
                note = f"escrow {payload.escrow_id} (log entry {e.index})"
                out.append(
                    Report(
                        e.index,
                        e.logged_at,
                        e.party,
                        payload.accord_id,
                        payload.step,
                        e.logged_at.date(),
                        note,
                    )
                )
            continue
        if isinstance(payload, RevealRecord):
            report = _reveal_report(e.index, e.logged_at, e.party, payload, escrows, latest)
            if report is not None:
                out.append(report)
            continue
        if isinstance(payload, AccordSignature):
            accord = accords.get(payload.digest)
            if accord is None:
                accord = accords[payload.digest] = Accord.model_validate(payload.accord)
            latest[accord.id] = accord
            out.append(Signature(e.index, e.logged_at, e.party, accord))
        elif isinstance(payload, StepReport):
            out.append(
                Report(
                    e.index,
                    e.logged_at,
                    e.party,
                    payload.accord_id,
                    payload.step,
                    payload.on,
                    payload.note,
                )
            )
        elif isinstance(payload, StepVerification):
            out.append(
                VerificationResult(
                    e.index,
                    e.logged_at,
                    e.party,
                    payload.accord_id,
                    payload.step,
                    payload.on,
                    payload.result == "verified",
                    payload.finding,
                )
            )
    return out


def _reveal_report(
    index: int,
    logged_at: datetime,
    party: str,
    reveal: RevealRecord,
    escrows: EscrowBook,
    accords: dict[str, Accord],
) -> Report | None:
    """The step report a reveal makes, if it verifies and opens its step's part."""
    check = escrows.add_reveal(
        LoggedReveal(index, logged_at, party, False, reveal.escrow, reveal.part, reveal)
    )
    if not check.verified or reveal.accord_id is None or reveal.step is None:
        return None
    accord = accords.get(reveal.accord_id)
    step = next((s for s in accord.steps if s.id == reveal.step), None) if accord else None
    if step is not None and step.part not in (None, "drawn", reveal.part):
        return None
    note = f"reveal of part {reveal.part} of escrow {reveal.escrow_id} (log entry {index})"
    return Report(index, logged_at, party, reveal.accord_id, reveal.step, logged_at.date(), note)


def check_step_record(log: Snapshot, record_type: str, party: str, payload: object) -> None:
    """Refuse, in one line, a step report or verification the road map would not count.

    Any other record, or a payload that is not a mapping with `accord_id` and
    `step` (the payload check will name that), passes.
    """
    what = STEP_RECORDS.get(record_type)
    if what is None or not isinstance(payload, Mapping):
        return
    accord_id, step = payload.get("accord_id"), payload.get("step")
    if not isinstance(accord_id, str) or not isinstance(step, str):
        return
    refused = refusal(roadmap_records(log), what, party, accord_id, step)
    if refused is None:
        return
    if refused.kind == "unknown":
        raise NotFoundError(refused.reason)
    error = AuthorityError if refused.kind == "not-allowed" else ConflictError
    raise error(f"{record_type} refused: {refused.reason}")
