"""The road map's records, read from the log for the pure evaluation in `roadmap`."""

from __future__ import annotations

from sqlalchemy import select

from accordwatch.accord import Accord
from accordwatch.canonical import parse_json
from accordwatch.records import AccordSignature, StepReport, StepVerification, record_type
from accordwatch.roadmap_log import Report, RoadmapRecord, Signature, VerificationResult
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import entries
from accordwatch.timeutil import parse_time

ROADMAP_TYPES = ("accord.signature", "step.report", "step.verification")


def roadmap_records(ledger: Ledger) -> list[RoadmapRecord]:
    """Every signature, step report and verification result in the log, in log order."""
    accords: dict[str, Accord] = {}
    out: list[RoadmapRecord] = []
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        rows = conn.execute(
            select(entries.c.idx, entries.c.envelope)
            .where(entries.c.record_type.in_(ROADMAP_TYPES))
            .order_by(entries.c.idx)
        ).all()
    for index, raw in rows:
        where = f"entry {index}"
        env = parse_json(bytes(raw), where=where)
        time = parse_time(env["time"], where=where)
        payload = record_type(env["record_type"], where=where).parse_payload(
            env["payload"], where=where
        )
        if isinstance(payload, AccordSignature):
            accord = accords.get(payload.digest)
            if accord is None:
                accord = accords[payload.digest] = Accord.model_validate(payload.accord)
            out.append(Signature(index, time, env["party"], accord))
        elif isinstance(payload, StepReport):
            out.append(
                Report(
                    index,
                    time,
                    env["party"],
                    payload.accord_id,
                    payload.step,
                    payload.on,
                    payload.note,
                )
            )
        elif isinstance(payload, StepVerification):
            out.append(
                VerificationResult(
                    index,
                    time,
                    env["party"],
                    payload.accord_id,
                    payload.step,
                    payload.on,
                    payload.result == "verified",
                    payload.finding,
                )
            )
    return out
