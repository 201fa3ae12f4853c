"""The road map's records, read from the log for the pure evaluation in `roadmap`."""

from __future__ import annotations

from accordwatch.roadmap.accord import Accord
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
