"""The compliance record's record types: observed events and responses to violations."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from accordwatch.compliance.responses import ResponseKind
from accordwatch.log.records import Name, Payload, RecordType
from accordwatch.log.roles import Role


class EventSourceRow(Payload):
    """The source row an event comes from, kept verbatim with its SHA-256 digest."""

    id: Name = Field(description="short id of the source, e.g. cns")
    name: str = Field(min_length=1, max_length=300)
    url: str = Field(default="", max_length=500)
    file: str = Field(min_length=1, max_length=300)
    row: str = Field(min_length=1, max_length=200, description="the row's key in the source")
    line: int = Field(ge=0, description="line (CSV) or position (JSON) in the file")
    content: dict[str, Any]
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of canonical content")


class EventRecord(Payload):
    """An observed event (a launch, a nuclear test, an observation).

    Its types and attributes: `accordwatch.compliance.events`.
    """

    event_id: str = Field(min_length=1, max_length=300, description="<source>:<row key>")
    type: str
    on: date
    precision: Literal["day", "month", "year"] = "day"
    occurrence: str = Field(min_length=1, max_length=300, description="rows of one event")
    actor: Name
    count: int = Field(default=1, ge=1)
    attributes: dict[str, str | int | float | None] = Field(default_factory=dict)
    source: EventSourceRow
    supersedes: int | None = Field(default=None, ge=0, description="log index it corrects")

    @model_validator(mode="after")
    def _consistent(self) -> EventRecord:
        from accordwatch.compliance.events import check_event_fields, content_digest

        problem = check_event_fields(self.type, self.attributes)
        if problem:
            raise ValueError(problem)
        if content_digest(self.source.content) != self.source.digest:
            raise ValueError("source.digest does not match the source row's content")
        return self


class ResponseRecord(Payload):
    """A response to violations (`accordwatch.compliance.responses`)."""

    to: list[str] = Field(min_length=1, description="violation ids")
    kind: ResponseKind
    on: date
    by: str = Field(default="", max_length=300, description="who responded, if not the signer")
    reference: str = Field(default="", max_length=300)
    note: str = Field(default="", max_length=10_000)


EVENT = RecordType(
    "event",
    EventRecord,
    frozenset({Role.OBSERVER, Role.INSPECTORATE, Role.PARTY}),
    "an observed event (launch, nuclear test, observation) with its source row",
)
RESPONSE = RecordType(
    "response",
    ResponseRecord,
    frozenset({Role.PARTY, Role.OBSERVER, Role.INSPECTORATE}),
    "a response to violations (resolution, statement, sanctions, exercise, protest)",
)
RECORD_TYPES: tuple[RecordType, ...] = (EVENT, RESPONSE)
