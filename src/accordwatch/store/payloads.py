"""Typed payloads of the log's entries of given record types, in log order.

The one reader behind the road map, compliance and accountancy sources: it
parses each envelope, takes the public payload or, for a confidential entry,
the stored opening (the operator's view; what a reader may see is decided by
the callers that serve readers), and validates it with its record type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from accordwatch.canonical import parse_json
from accordwatch.errors import VerificationError
from accordwatch.records import Payload, record_type
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import entries, openings
from accordwatch.timeutil import parse_time


@dataclass(frozen=True)
class LoggedPayload:
    index: int
    time: datetime  # the envelope's signed time
    party: str
    payload: Payload


def logged_payloads(ledger: Ledger, types: tuple[str, ...]) -> Iterator[LoggedPayload]:
    """Entries of `types`, in log order, with their parsed payloads."""
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        rows = conn.execute(
            select(entries.c.idx, entries.c.envelope, openings.c.payload)
            .select_from(entries.outerjoin(openings, openings.c.idx == entries.c.idx))
            .where(entries.c.record_type.in_(types))
            .order_by(entries.c.idx)
        ).all()
    for index, raw, opened in rows:
        where = f"entry {index}"
        env = parse_json(bytes(raw), where=where)
        data = env.get("payload")
        if data is None:
            if opened is None:
                raise VerificationError("confidential entry has no stored opening", where=where)
            data = parse_json(bytes(opened), where=where)
        payload = record_type(env["record_type"], where=where).parse_payload(data, where=where)
        yield LoggedPayload(index, parse_time(env["time"], where=where), str(env["party"]), payload)
