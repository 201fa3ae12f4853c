"""Observed events: their types and attributes, their identity, and which version counts.

An event is one observed fact from one source row: a missile launch, a
satellite launch, a nuclear test, or another observation (activity seen at a
site, a shipment). Rows that belong to one happening (the missiles of one
salvo from one site on one day) share an `occurrence`; counts "per event"
count occurrences, counts "per missile" add up the rows' `count`.

Identity. `event_id` is the source's id and the row's key in it
(`cns:119`): a later row with the same id is a correction and supersedes the
earlier one (both stay in the log). `digest` is the SHA-256 of the row's
canonical content: a row whose content the log already holds, from the same
source, is not imported again.

Uncertainty. An attribute the source gives as unknown is `None`, and a type
the source does not state is `unclassified_launch`, which may be a missile or
a satellite launch. Rules then answer "unknown" rather than yes or no
(`accordwatch.compliance.rules`).

Pure: no database, no clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from accordwatch.log.canonical import canonical_json


class AttributeKind(StrEnum):
    TEXT = "text"  # compared exactly, ignoring case
    NUMBER = "number"  # compared as a number


#: every attribute an event may carry, and its kind
ATTRIBUTES: dict[str, AttributeKind] = {
    "site": AttributeKind.TEXT,
    "site_name": AttributeKind.TEXT,
    "outcome": AttributeKind.TEXT,
    "description": AttributeKind.TEXT,
    "missile_class": AttributeKind.TEXT,
    "missile_name": AttributeKind.TEXT,
    "distance_km": AttributeKind.NUMBER,
    "apogee_km": AttributeKind.NUMBER,
    "landing_area": AttributeKind.TEXT,
    "time_utc": AttributeKind.TEXT,
    # the day in Korea (UTC+9) of a launch whose UTC time is known, as the source gives it
    "date_kst": AttributeKind.TEXT,
    "yield_kt": AttributeKind.NUMBER,
    "magnitude_mb": AttributeKind.NUMBER,
    "activity": AttributeKind.TEXT,
}

_COMMON = ("site", "site_name", "outcome", "description")
_LAUNCH = (
    *_COMMON,
    "missile_class",
    "missile_name",
    "distance_km",
    "apogee_km",
    "landing_area",
    "time_utc",
    "date_kst",
)


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    attributes: frozenset[str]
    #: the definite types this one may turn out to be (itself, for a definite type)
    covers: frozenset[str]

    @property
    def uncertain(self) -> bool:
        return len(self.covers) > 1


def _type(name: str, description: str, attributes: Iterable[str], *covers: str) -> EventType:
    return EventType(name, description, frozenset(attributes), frozenset(covers or (name,)))


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        _type("missile_launch", "launch of a missile (class in missile_class)", _LAUNCH),
        _type("satellite_launch", "launch of a satellite launch vehicle", _LAUNCH),
        _type(
            "unclassified_launch",
            "a launch the source does not classify: a missile or a satellite launch",
            _LAUNCH,
            "missile_launch",
            "satellite_launch",
        ),
        _type("nuclear_test", "nuclear explosive test", (*_COMMON, "yield_kt", "magnitude_mb")),
        _type(
            "observation", "other observed activity (at a site, a shipment)", (*_COMMON, "activity")
        ),
    )
}

Value = str | int | float | None


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def period_end(start: date, precision: Precision | str) -> date:
    """The last day of the period a date of this precision stands for."""
    if precision == Precision.DAY:
        return start
    if precision == Precision.YEAR:
        return date(start.year, 12, 31)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 of a source row's canonical JSON: the same row always has the same digest."""
    if all(type(k) is str and k.isascii() and type(v) is str for k, v in content.items()):
        # A CSV row: text keyed by ASCII names. Sorted `json.dumps` is then already
        # RFC 8785 (what `canonical_json` would produce), without its per-value checks,
        # which would double the cost of importing a file.
        try:
            data = json.dumps(
                content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let canonical_json say so
            data = canonical_json(dict(content))
    else:
        data = canonical_json(dict(content))
    return hashlib.sha256(data).hexdigest()


def occurrence_aliases(events: Iterable[Event]) -> dict[str, list[str]]:
    """Other names of occurrences: with the Korean date (`date_kst`) in place of the UTC date.

    The rows of a launch the source dates `2016-04-15` (UTC) at 20:33 are
    `cns:2016-04-15:site`; in Korea it was 16 April, so `cns:2016-04-16:site`
    names it too. One such name may cover several occurrences (launches from
    one site on one Korean day, on two UTC days).
    """
    out: dict[str, list[str]] = {}
    for e in events:
        kst = e.attributes.get("date_kst")
        utc = f":{e.on.isoformat()}:"
        if not isinstance(kst, str) or kst == e.on.isoformat() or utc not in e.occurrence:
            continue
        alias = e.occurrence.replace(utc, f":{kst}:", 1)
        if e.occurrence not in out.setdefault(alias, []):
            out[alias].append(e.occurrence)
    return out


def event_field_problem(type_name: str, attributes: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first problem with an event's type and attributes, as (field, message), or None."""
    etype = EVENT_TYPES.get(type_name)
    if etype is None:
        return "type", f"unknown event type {type_name!r} (known: {', '.join(EVENT_TYPES)})"
    for name, value in attributes.items():
        if name not in etype.attributes:
            allowed = ", ".join(sorted(etype.attributes))
            return name, f"{type_name} has no attribute {name!r} (its attributes: {allowed})"
        if value is None:
            continue
        kind = ATTRIBUTES[name]
        if kind is AttributeKind.NUMBER and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            return name, f"attribute {name!r} must be a number, not {value!r}"
        if kind is AttributeKind.TEXT and not isinstance(value, str):
            return name, f"attribute {name!r} must be text, not {value!r}"
    return None


def check_event_fields(type_name: str, attributes: Mapping[str, Any]) -> str | None:
    """The first problem with an event's type and attributes, or None."""
    problem = event_field_problem(type_name, attributes)
    return problem[1] if problem else None


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an event comes from: the source, the file and the row in it."""

    source: str  # short id of the source, e.g. "cns"
    name: str  # its full name
    file: str
    row: str  # the row's key in the source
    line: int  # line (CSV) or position (JSON) in the file

    def describe(self) -> str:
        return f"{self.name}, {self.file} row {self.row} (line {self.line})"


@dataclass(frozen=True, slots=True)
class Event:
    """One event as the evaluation sees it (the current version of its source row)."""

    event_id: str
    type: str
    on: date
    occurrence: str
    actor: str
    attributes: Mapping[str, Value]
    count: int = 1
    precision: str = Precision.DAY
    source: SourceRef | None = None
    digest: str = ""
    log_index: int = -1
    #: log entries of earlier versions of this row (corrected by this one)
    superseded: tuple[int, ...] = ()

    @property
    def last_day(self) -> date:
        return period_end(self.on, self.precision)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event entry as the log holds it, with when the log knew it (`logged_at`)."""

    index: int
    logged_at: datetime
    party: str
    event: Event
    supersedes: int | None = None

    @property
    def logged_on(self) -> date:
        return self.logged_at.astimezone(UTC).date()


@dataclass
class CurrentEvents:
    """The events that count as of a date: the latest version of each source row."""

    events: list[Event] = field(default_factory=list)
    #: log entries replaced by a later version of the same row
    superseded: int = 0
    #: events in the log read but dated after the date
    not_yet: int = 0


def current_events(logged: Iterable[LoggedEvent], as_of: date) -> CurrentEvents:
    """The latest version (by log index) of each event_id in `logged`, if it occurred by `as_of`.

    An event is a fact about the world dated by its occurrence (`Event.on`),
    whenever the log learnt of it: `as_of` is a day in the world. What the log
    knew, and when, is the caller's choice of entries (a snapshot of the log
    at one checkpoint), never the signer's claimed time.
    """
    latest: dict[str, LoggedEvent] = {}
    earlier: dict[str, list[int]] = {}
    for entry in sorted(logged, key=lambda e: e.index):
        key = entry.event.event_id
        previous = latest.get(key)
        if previous is not None:
            earlier.setdefault(key, []).append(previous.index)
        latest[key] = entry
    out = CurrentEvents()
    for key, entry in latest.items():
        if entry.event.on > as_of:
            out.not_yet += 1
            continue
        event = entry.event
        replaced = tuple(earlier.get(key, ()))
        if replaced:
            out.superseded += len(replaced)
            event = replace(event, superseded=replaced)
        out.events.append(event)
    out.events.sort(key=lambda e: (e.on, e.occurrence, e.event_id))
    return out
