"""The road map's records, read from the log for the pure evaluation in `roadmap`."""

from __future__ import annotations

from collections.abc import Mapping

from accordwatch.errors import AuthorityError, ConflictError, NotFoundError
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.admission import STEP_RECORDS, refusal
from accordwatch.roadmap.history import Report, RoadmapRecord, Signature, VerificationResult
from accordwatch.roadmap.records import AccordSignature, StepReport, StepVerification
from accordwatch.sources.snapshot import Snapshot

ROADMAP_TYPES = ("accord.signature", "step.report", "step.verification")


def roadmap_records(log: Snapshot) -> list[RoadmapRecord]:
    """Every signature, step report and verification result in the log, in log order."""
    accords: dict[str, Accord] = {}
    out: list[RoadmapRecord] = []
    for e in log.payloads(ROADMAP_TYPES):
        payload = e.payload
        if isinstance(payload, AccordSignature):
            accord = accords.get(payload.digest)
            if accord is None:
                accord = accords[payload.digest] = Accord.model_validate(payload.accord)
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
