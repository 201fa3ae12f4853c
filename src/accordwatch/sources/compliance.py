"""Events and responses in the log: reading them back, evaluating them, appending events.

`compliance_records` reads every `event` and `response` entry, in log order,
as the pure records `accordwatch.compliance.events` and `accordwatch.compliance.responses`
evaluate. `evaluate_log` is the compliance evaluation as of a date that every
view shows (CLI, API, dashboard, report): the current events against the
obligations that apply that day (`accord_obligations.obligations_as_of`: the
shipped resolutions, the accords in force in the log, and any more given),
with the responses recorded by then. `append_events` signs event payloads and
appends them in batches (each batch one atomic `Ledger.append`); the caller
checks the whole file first, so a file with an error appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from accordwatch.compliance.event_files import KnownRow
from accordwatch.compliance.events import Event, LoggedEvent, SourceRef, current_events
from accordwatch.compliance.obligations import Obligations
from accordwatch.compliance.records import EventRecord, ResponseRecord
from accordwatch.compliance.responses import Response, responses_as_of
from accordwatch.compliance.violations import Evaluation, evaluate
from accordwatch.roadmap.obligations import obligations_as_of
from accordwatch.sources.appending import Destination, Signer, sign_and_append
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.store.ledger import Ledger

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


def compliance_records(log: Snapshot) -> ComplianceRecords:
    """Every event and response in the log, in log order."""
    out = ComplianceRecords()
    for logged in log.payloads(COMPLIANCE_TYPES):
        index, time, party, payload = logged.index, logged.logged_at, logged.party, logged.payload
        if isinstance(payload, EventRecord):
            out.events.append(
                LoggedEvent(index, time, party, event_from(index, payload), payload.supersedes)
            )
        elif isinstance(payload, ResponseRecord):
            out.responses.append(response_from(index, time, party, payload))
    return out


def response_from(index: int, logged_at: datetime, party: str, payload: ResponseRecord) -> Response:
    return Response(
        index=index,
        logged_at=logged_at,
        party=party,
        to=tuple(payload.to),
        kind=payload.kind,
        on=payload.on,
        by=payload.by,
        reference=payload.reference,
        note=payload.note,
    )


@dataclass(frozen=True)
class LogEvaluation:
    """The compliance evaluation of the log as of a date, and what the reports need with it."""

    evaluation: Evaluation
    #: versions of event rows replaced by later corrections
    superseded: int
    #: the responses recorded as of the date
    responses: list[Response]


def log_obligations(log: Snapshot, as_of: date, *more: Obligations) -> Obligations:
    """The obligations that apply as of `as_of`: resolutions, accords in force, then `more`."""
    return obligations_as_of(roadmap_records(log), as_of, *more)


def evaluate_log(log: Snapshot, as_of: date, *more: Obligations) -> LogEvaluation:
    """The log's current events as of `as_of` against the obligations that apply then."""
    records = compliance_records(log)
    current = current_events(records.events, as_of)
    evaluation = evaluate(current.events, log_obligations(log, as_of, *more), as_of)
    return LogEvaluation(evaluation, current.superseded, responses_as_of(records.responses, as_of))


def append_events(
    ledger: Ledger,
    payloads: Sequence[dict[str, Any]],
    *,
    signer: Signer,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    to: Destination | None = None,
) -> int:
    """Sign and append event payloads in batches (or send them `to` a log elsewhere);
    returns the number of entries added."""
    added = 0
    for start in range(0, len(payloads), batch):
        chunk = payloads[start : start + batch]
        result = sign_and_append(ledger, signer, "event", chunk, where="event import", to=to)
        added += sum(not e.duplicate for e in result.entries)
        if progress is not None:
            progress(len(chunk))
    return added
