"""Responses to violations: what followed, how soon, and what was left without any.

A response (a log entry by a party or an observer) names the violations it
answers, its kind and the day it was made. For each violation the *first
response* is the earliest one dated on or after the violation, with the days
it took; `none-decided` records that a body considered a violation and decided
nothing, so it is kept but is not a response. An event (an occurrence) is
answered by the first response to any of its violations, and is, as of a date:

- `answered`: a response came within the window (default 90 days);
- `late`: the only responses came after the window;
- `unanswered`: the window has closed with no response;
- `open`: the window has not closed yet and there is no response so far.

"Without response within the window" counts `late` and `unanswered`. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol, get_args

from accordwatch.errors import InputError, NotFoundError

if TYPE_CHECKING:
    # Only annotations name it: the command line reads this module's constants at start-up.
    from accordwatch.compliance.violations import Violation

DEFAULT_WINDOW_DAYS = 90

#: what followed violations, as a `response` record names it
ResponseKind = Literal[
    "sc-resolution",
    "sc-statement",
    "sanctions-designation",
    "resumed-exercise",
    "diplomatic-protest",
    "other",
    "none-decided",
]

_NAMES = {
    "sc-resolution": "Security Council resolution",
    "sc-statement": "Security Council statement",
    "sanctions-designation": "sanctions designation",
    "resumed-exercise": "resumed military exercise",
    "diplomatic-protest": "diplomatic protest",
    "other": "other response",
    "none-decided": "considered, nothing decided",
}
#: response kinds (as the `response` record allows them) and their names
RESPONSE_KINDS: dict[str, str] = {kind: _NAMES[kind] for kind in get_args(ResponseKind)}
NOT_A_RESPONSE = frozenset({"none-decided"})
ANSWER_STATES = ("answered", "late", "unanswered", "open")


class Answerable(Protocol):
    """What a response answers: a violation, or a triggered consequence of an accord."""

    @property
    def id(self) -> str: ...

    @property
    def on(self) -> date: ...


@dataclass(frozen=True)
class Response:
    index: int  # log index
    logged_at: datetime  # the log's time of the entry: the response is known from then
    party: str  # who recorded it
    to: tuple[str, ...]  # violation ids
    kind: str
    on: date
    by: str = ""  # who responded, if not the recording party
    reference: str = ""  # e.g. the resolution's symbol
    note: str = ""

    @property
    def counts_from(self) -> date:
        return self.logged_at.astimezone(UTC).date()

    @property
    def responder(self) -> str:
        return self.by or self.party

    def to_json(self) -> dict[str, object]:
        return {
            "log_index": self.index,
            "kind": self.kind,
            "on": self.on.isoformat(),
            "by": self.responder,
            "recorded_by": self.party,
            "reference": self.reference,
            "note": self.note,
        }


@dataclass(frozen=True)
class FirstResponse:
    response: Response
    days: int

    def to_json(self) -> dict[str, object]:
        return {**self.response.to_json(), "days": self.days}


def responses_as_of(responses: Iterable[Response], as_of: date) -> list[Response]:
    """Responses logged by `as_of` (UTC day of the log's time) and dated by it."""
    return [r for r in responses if r.counts_from <= as_of and r.on <= as_of]


def first_responses(
    violations: Sequence[Answerable], responses: Iterable[Response]
) -> dict[str, FirstResponse]:
    """Violation (or consequence occasion) id -> its first response (earliest on or after it)."""
    by_id = {v.id: v for v in violations}
    best: dict[str, Response] = {}
    for r in responses:
        if r.kind in NOT_A_RESPONSE:
            continue
        for vid in r.to:
            v = by_id.get(vid)
            if v is None or r.on < v.on:
                continue
            held = best.get(vid)
            if held is None or (r.on, r.index) < (held.on, held.index):
                best[vid] = r
    return {vid: FirstResponse(r, (r.on - by_id[vid].on).days) for vid, r in best.items()}


def considered(violations: Sequence[Violation], responses: Iterable[Response]) -> set[str]:
    """Violations for which a `none-decided` was recorded."""
    ids = {v.id for v in violations}
    return {vid for r in responses if r.kind in NOT_A_RESPONSE for vid in r.to if vid in ids}


def answer_state(on: date, first: FirstResponse | None, as_of: date, window: int) -> str:
    """The state of an event dated `on` whose first response (as of `as_of`) is `first`."""
    if first is not None:
        return "answered" if first.days <= window else "late"
    return "unanswered" if as_of > on + timedelta(days=window) else "open"


def resolve_targets(
    targets: Sequence[str],
    violations: Sequence[Violation],
    on: date,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The violation ids a response names: violation ids, or occurrences for all of theirs.

    `aliases` gives other names of occurrences (the Korean date for the UTC
    date, `accordwatch.compliance.events.occurrence_aliases`): an event, or a
    violation `<event>/<obligation>`, may be named by either. A name that is an
    occurrence's own (UTC) name means that occurrence, whatever it is another's
    alias. Raises if a target is unknown or the response is dated before the event.
    """
    by_id = {v.id: v for v in violations}
    by_occurrence: dict[str, list[Violation]] = {}
    for v in violations:
        by_occurrence.setdefault(v.occurrence, []).append(v)
    chosen: list[str] = []
    for target in targets:
        found = [by_id[target]] if target in by_id else by_occurrence.get(target, [])
        if not found and aliases:
            found = _by_alias(target, aliases, by_id, by_occurrence)
        if not found:
            raise NotFoundError(
                f"no violation or event {target!r} (see accordwatch compliance evaluate)",
                where="--to",
            )
        for v in found:
            if on < v.on:
                raise InputError(
                    f"the response is dated {on}, before the violation {v.id} ({v.on})",
                    where="--on",
                )
            if v.id not in chosen:
                chosen.append(v.id)
    return chosen


def _by_alias(
    target: str,
    aliases: Mapping[str, Sequence[str]],
    by_id: Mapping[str, Violation],
    by_occurrence: Mapping[str, list[Violation]],
) -> list[Violation]:
    """The violations `target` names through an occurrence's other name."""
    if target in aliases:
        return [v for occurrence in aliases[target] for v in by_occurrence.get(occurrence, [])]
    found: list[Violation] = []
    for alias, occurrences in aliases.items():
        if target.startswith(alias + "/"):
            rest = target[len(alias) :]
            found += [by_id[o + rest] for o in occurrences if o + rest in by_id]
    return found
