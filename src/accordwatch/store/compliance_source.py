"""Events and responses in the log: reading them back, and appending imported events.

`compliance_records` reads every `event` and `response` entry, in log order,
as the pure records `accordwatch.events` and `accordwatch.compliance_responses`
evaluate. `append_events` signs event payloads and appends them in batches
(each batch one atomic `Ledger.append`); the caller checks the whole file
first, so a file with an error appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accordwatch.compliance_responses import Response
from accordwatch.envelope import seal
from accordwatch.events import Event, LoggedEvent, SourceRef
from accordwatch.events_import import KnownRow
from accordwatch.keys import SigningKey
from accordwatch.records import EventRecord, ResponseRecord
from accordwatch.store.ledger import Ledger, utc_now
from accordwatch.store.payloads import logged_payloads

COMPLIANCE_TYPES = ("event", "response")
BATCH = 5000


@dataclass
class ComplianceRecords:
    events: list[LoggedEvent] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def known_rows(self) -> list[KnownRow]:
        """What the log holds of each source row, for `plan_import`."""
        return [
            KnownRow(
                e.index,
                e.event.event_id,
                e.event.source.source if e.event.source else "",
                e.event.digest,
            )
            for e in self.events
        ]


def event_from(index: int, payload: EventRecord) -> Event:
    src = payload.source
    return Event(
        event_id=payload.event_id,
        type=payload.type,
        on=payload.on,
        occurrence=payload.occurrence,
        actor=payload.actor,
        attributes=dict(payload.attributes),
        count=payload.count,
        precision=payload.precision,
        source=SourceRef(src.id, src.name, src.file, src.row, src.line),
        digest=src.digest,
        log_index=index,
    )


def compliance_records(ledger: Ledger) -> ComplianceRecords:
    """Every event and response in the log, in log order."""
    out = ComplianceRecords()
    for logged in logged_payloads(ledger, COMPLIANCE_TYPES):
        index, time, party, payload = logged.index, logged.time, logged.party, logged.payload
        if isinstance(payload, EventRecord):
            out.events.append(
                LoggedEvent(index, time, party, event_from(index, payload), payload.supersedes)
            )
        elif isinstance(payload, ResponseRecord):
            out.responses.append(
                Response(
                    index=index,
                    time=time,
                    party=party,
                    to=tuple(payload.to),
                    kind=payload.kind,
                    on=payload.on,
                    by=payload.by,
                    reference=payload.reference,
                    note=payload.note,
                )
            )
    return out


def append_events(
    ledger: Ledger,
    payloads: Sequence[dict[str, Any]],
    *,
    party: str,
    key: SigningKey,
    batch: int = BATCH,
    clock: Callable[[], datetime] = utc_now,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Sign and append event payloads in batches; returns the number of entries added."""
    added = 0
    for start in range(0, len(payloads), batch):
        chunk = payloads[start : start + batch]
        moment = clock()
        submissions = [
            seal(
                log=ledger.origin,
                record_type="event",
                party=party,
                key=key,
                time=moment,
                payload=payload,
            )
            for payload in chunk
        ]
        result = ledger.append(submissions, where="event import")
        added += sum(not e.duplicate for e in result.entries)
        if progress is not None:
            progress(len(chunk))
    return added
