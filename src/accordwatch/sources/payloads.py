"""Typed payloads of the log's entries of given record types, in log order.

The one reader behind the road map, compliance and accountancy sources: it
parses each envelope, takes the public payload or, for a confidential entry,
the stored opening (the operator's view; what a reader may see is decided by
the callers that serve readers), and validates it with its record type. An
entry whose opening is sealed to its readers is not in the operator's view:
the log holds its commitment only; a view read by a party (a node's, by
default) adds those it opens with its own keys (`reader`).
`logged_rows` gives the envelopes and stored openings themselves, for the
callers that open each entry for one reader (`log.access.open_record`). Views
read them through a `sources.snapshot.Snapshot`, which bounds both by one
signed checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from accordwatch.catalog import CATALOG, record_type
from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.log.access import Reader, open_record
from accordwatch.log.canonical import parse_json
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.records import Payload
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.log_reader import aware_utc
from accordwatch.store.schema import entries, openings, sealed_openings
from accordwatch.timeutil import parse_time


@dataclass(frozen=True)
class LoggedPayload:
    """An entry's payload with its two times: the signer's claim and the log's own.

    `logged_at` (the entry's `recorded_at`) is when the log knew it: the time
    that counts. `signed_at` (the envelope's time) is what the signer claims,
    within the log's allowed clock skew of `logged_at`.
    """

    index: int
    signed_at: datetime
    logged_at: datetime
    party: str
    payload: Payload


class LoggedRow(NamedTuple):
    """An entry's envelope, its stored opening (if confidential) and the log's time of it."""

    log_index: int
    envelope: Envelope
    opening: Opening | None
    logged_at: datetime


def logged_payloads(
    ledger: Ledger,
    types: tuple[str, ...],
    *,
    below: int | None = None,
    reader: Reader | None = None,
) -> Iterator[LoggedPayload]:
    """Entries of `types` (with an index below `below`), in log order, with their payloads;
    with `reader`, also the sealed ones it may read and opens with its keys."""
    sealed = select(sealed_openings.c.idx).where(sealed_openings.c.idx == entries.c.idx).exists()
    query = (
        select(
            entries.c.idx,
            entries.c.envelope,
            openings.c.payload,
            entries.c.recorded_at,
            sealed.label("sealed"),
        )
        .select_from(entries.outerjoin(openings, openings.c.idx == entries.c.idx))
        .where(entries.c.record_type.in_(types))
    )
    if below is not None:
        query = query.where(entries.c.idx < below)
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        rows = conn.execute(query.order_by(entries.c.idx)).all()
    for index, raw, opened, recorded_at, is_sealed in rows:
        where = f"entry {index}"
        env = parse_json(bytes(raw), where=where)
        data = env.get("payload")
        if data is None:
            if opened is None and is_sealed:
                # sealed to its readers: the log's own view holds its commitment only
                data = _unsealed(bytes(raw), reader, where) if reader is not None else None
                if data is None:
                    continue
            elif opened is None:
                raise VerificationError("confidential entry has no stored opening", where=where)
            else:
                data = parse_json(bytes(opened), where=where)
        payload = record_type(env["record_type"], where=where).parse_payload(data, where=where)
        yield LoggedPayload(
            index,
            parse_time(env["time"], where=where),
            aware_utc(recorded_at),
            str(env["party"]),
            payload,
        )


def _unsealed(raw: bytes, reader: Reader, where: str) -> dict[str, object] | None:
    """The payload of a sealed entry that `reader` may read and opens, else None (a
    ciphertext that does not open is left out, as one the reader cannot read)."""
    envelope = Envelope.from_bytes(raw, where=where)
    with suppress(AccordwatchError):
        return open_record(CATALOG, envelope, None, reader, where=where)
    return None


def logged_rows(
    ledger: Ledger,
    types: Sequence[str] | None = None,
    *,
    below: int | None = None,
    chunk: int = 2000,
) -> Iterator[LoggedRow]:
    """Entries (of some record types, below `below`) with their stored openings, by chunks."""
    after = -1
    while True:
        query = (
            select(
                entries.c.idx,
                entries.c.envelope,
                openings.c.salt,
                openings.c.payload,
                entries.c.recorded_at,
            )
            .join(openings, openings.c.idx == entries.c.idx, isouter=True)
            .where(entries.c.idx > after)
        )
        if types is not None:
            query = query.where(entries.c.record_type.in_(types))
        if below is not None:
            query = query.where(entries.c.idx < below)
        with storage_errors(ledger.url), ledger.engine.connect() as conn:
            rows = conn.execute(query.order_by(entries.c.idx).limit(chunk)).all()
        if not rows:
            return
        for index, raw, salt, payload, recorded_at in rows:
            where = f"log entry {index}"
            envelope = Envelope.from_bytes(bytes(raw), where=where)
            opening = None
            if salt is not None:
                opening = Opening(bytes(salt), parse_json(bytes(payload), where=where))
            yield LoggedRow(int(index), envelope, opening, aware_utc(recorded_at))
        after = rows[-1].idx
