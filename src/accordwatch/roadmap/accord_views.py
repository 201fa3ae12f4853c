"""A lenient reading of an accord file's parties, phases, steps, obligations and consequences.

The checks of meaning (references, cycles, verification, the schedule) run
on this view rather than on the parsed `Accord`, so that they run on every
file the YAML reader could read: each field is read when it can be and is
None otherwise (the schema check says why), so one mistyped field hides
nothing else. Reading the lists also reports duplicate ids (at the
duplicate; the first item with an id is the one the checks use, and every
step, duplicates included, is checked).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from accordwatch.documents import Pointer
from accordwatch.log.records import NAME_PATTERN
from accordwatch.roadmap.accord import (
    AccordRole,
    Deadline,
    RelativeDeadline,
    Start,
    StepKind,
    VerificationMethod,
    parse_deadline,
    parse_start,
)
from accordwatch.roadmap.accord_problems import ITEM_NOUNS, ProblemReport
from accordwatch.roadmap.consequence_views import ConsequenceView

_ID = re.compile(NAME_PATTERN)


def _an_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.match(value) else None


# Read dates as the schema does (a date, its ISO text, or a datetime at midnight).
_DATE: TypeAdapter[date] = TypeAdapter(date)
_DEADLINE: TypeAdapter[str | date] = TypeAdapter(str | date)


def _a_date(value: Any) -> date | None:
    try:
        return _DATE.validate_python(value)
    except ValidationError:
        return None


@dataclass(frozen=True)
class PartyView:
    """A party: its place in `parties`, its id and its role (None when it cannot be read)."""

    index: int
    id: str
    role: AccordRole | None


@dataclass(frozen=True)
class PhaseView:
    """A phase: its place in `phases`, its id and its end date (None when it cannot be read)."""

    index: int
    id: str
    ends: date | None


@dataclass(frozen=True)
class StepView:
    """What can be read of one step, each field None when it cannot (the schema says why)."""

    index: int
    id: str
    party: str | None
    phase: str | None
    #: the built-in kind (a declared kind's `of`); None when it cannot be read or is unknown
    kind: StepKind | None
    #: the kind as written, built in or declared under `kinds`
    kind_name: str | None
    due: Deadline | None
    requires: tuple[tuple[int, str], ...]
    has_requires: bool
    method: VerificationMethod | None
    by: str | None

    @property
    def at(self) -> Pointer:
        return ("steps", self.index)

    @property
    def due_days(self) -> int:
        return self.due.days if isinstance(self.due, RelativeDeadline) else 0

    @staticmethod
    def read(index: int, item: dict[Any, Any], ident: str, kinds: dict[str, StepKind]) -> StepView:
        kind_name = item.get("kind") if isinstance(item.get("kind"), str) else None
        verification = item.get("verification")
        verification = verification if isinstance(verification, dict) else {}
        requires = item.get("requires")
        entries = tuple(
            (j, ref)
            for j, value in enumerate(requires if isinstance(requires, list) else [])
            if (ref := _an_id(value)) is not None
        )
        return StepView(
            index=index,
            id=ident,
            party=_an_id(item.get("party")),
            phase=_an_id(item.get("phase")),
            kind=_enum(StepKind, kind_name) or kinds.get(kind_name or ""),
            kind_name=kind_name,
            due=_deadline(item.get("deadline")),
            requires=entries,
            has_requires=bool(requires),
            method=_enum(VerificationMethod, verification.get("method")),
            by=_an_id(verification.get("by")),
        )


@dataclass(frozen=True)
class ObligationView:
    """What can be read of one obligation, each field None when it cannot."""

    index: int
    id: str
    party: str | None
    start: Start | None
    ends: date | None

    @property
    def at(self) -> Pointer:
        return ("obligations", self.index)

    @staticmethod
    def read(index: int, item: dict[Any, Any], ident: str) -> ObligationView:
        try:
            start: Start | None = parse_start(
                _DEADLINE.validate_python(item.get("effective", "entry into force"))
            )
        except ValueError:  # the schema says why
            start = None
        return ObligationView(
            index, ident, _an_id(item.get("party")), start, _a_date(item.get("ends"))
        )


_E = TypeVar("_E", StepKind, VerificationMethod, AccordRole)


def _enum(kind: type[_E], value: Any) -> _E | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _deadline(value: Any) -> Deadline | None:
    try:
        return parse_deadline(_DEADLINE.validate_python(value))
    except ValueError:  # pydantic's ValidationError is a ValueError too
        return None


@dataclass
class AccordView:
    """What can be read of an accord file's lists, by id."""

    #: the accord file's top-level mapping (empty when it is not one)
    data: dict[Any, Any]
    parties: dict[str, PartyView] = field(default_factory=dict)
    phases: dict[str, PhaseView] = field(default_factory=dict)
    steps: dict[str, StepView] = field(default_factory=dict)
    #: every step, duplicates included (they are checked too)
    all_steps: list[StepView] = field(default_factory=list)
    obligations: list[ObligationView] = field(default_factory=list)
    #: the kinds declared under `kinds`: id -> (index, the built-in kind it is or refines)
    kinds: dict[str, tuple[int, StepKind | None]] = field(default_factory=dict)
    consequences: list[ConsequenceView] = field(default_factory=list)

    @staticmethod
    def read(data: Any, report: ProblemReport) -> AccordView:
        """Read the lists of `data`, reporting duplicate ids."""
        view = AccordView(data if isinstance(data, dict) else {})
        for index, item, ident in view._items("parties", report):
            party = PartyView(index, ident, _enum(AccordRole, item.get("role")))
            view.parties.setdefault(ident, party)
        for index, item, ident in view._items("phases", report):
            view.phases.setdefault(ident, PhaseView(index, ident, _a_date(item.get("ends"))))
        for index, item, ident in view._items("kinds", report):
            base = _enum(StepKind, ident) or _enum(StepKind, item.get("of"))
            view.kinds.setdefault(ident, (index, base))
        bases = {ident: base for ident, (_, base) in view.kinds.items() if base is not None}
        for index, item, ident in view._items("steps", report):
            step = StepView.read(index, item, ident, bases)
            view.all_steps.append(step)
            view.steps.setdefault(ident, step)
        for index, item, ident in view._items("obligations", report):
            view.obligations.append(ObligationView.read(index, item, ident))
        for index, item, ident in view._items("consequences", report):
            view.consequences.append(ConsequenceView.read(index, item, ident))
        return view

    def _items(self, key: str, report: ProblemReport) -> Iterator[tuple[int, dict[Any, Any], str]]:
        """(index, item, id) of each entry of a top-level list; duplicate ids reported here."""
        items = self.data.get(key)
        first: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else []):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(ident, str):
                continue
            at = (key, index, "id")
            if ident in first:
                line = report.locate((key, first[ident], "id"))[0]
                noun = ITEM_NOUNS[key]
                report.error(at, f"duplicate {noun} id {ident!r} (first at line {line})")
            else:
                first[ident] = index
            yield index, item, ident
