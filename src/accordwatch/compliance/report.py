"""The compliance report: violations counted by year, instrument, event type and missile class.

Every count is in one unit, and says which:

- `event`: occurrences (the rows of one launch event, or one nuclear test);
  an event is a violation if some row of it certainly breaks a binding
  obligation, and *uncertain* if none does but some row may;
- `missile`: the rows' `count` (one per missile in the CNS data); a missile
  is a violation if its row certainly breaks a binding obligation, uncertain
  if it only may.

Uncertain counts are never added to the violations. Breakdowns by type and
class count an event under each type or class it has rows of, so their sum can
exceed the total. Events whose type the source does not state
(`unclassified_launch`) are counted in `overview`. Response states
(`compliance_responses`) are given for events that certainly violate. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from accordwatch.compliance.events import EVENT_TYPES
from accordwatch.compliance.responses import (
    ANSWER_STATES,
    DEFAULT_WINDOW_DAYS,
    FirstResponse,
    Response,
    answer_state,
    considered,
    first_responses,
)
from accordwatch.compliance.rules import Mask
from accordwatch.compliance.violations import CERTAIN, UNCERTAIN, Evaluation, Violation

UNITS = ("event", "missile")


@dataclass(frozen=True)
class Tally:
    violations: int = 0
    uncertain: int = 0


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    tally: Tally
    binding: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "binding": self.binding,
            "violations": self.tally.violations,
            "uncertain": self.tally.uncertain,
        }


@dataclass
class YearLine:
    year: int
    tally: Tally
    non_binding_only: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANSWER_STATES, 0))
    #: the year's counts by event type (an event is counted under each type it has)
    by_type: dict[str, Tally] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "violations": self.tally.violations,
            "uncertain": self.tally.uncertain,
            "non_binding_only": self.non_binding_only,
            **self.states,
            "without_response_within_window": self.states["late"] + self.states["unanswered"],
            "by_type": {
                name: {"violations": t.violations, "uncertain": t.uncertain}
                for name, t in self.by_type.items()
            },
        }


@dataclass
class EventLine:
    """One event (occurrence) that violates, or may violate, a binding obligation."""

    occurrence: str
    on: date
    certain: bool
    missiles: int
    violations: list[Violation]
    first: FirstResponse | None
    state: str
    considered: bool = False

    @property
    def instruments(self) -> list[str]:
        return list(dict.fromkeys(v.instrument for v in self.violations))

    def to_json(self) -> dict[str, Any]:
        types = sorted({t for v in self.violations for t in v.types})
        classes = sorted({c for v in self.violations for c in v.classes})
        return {
            "occurrence": self.occurrence,
            "date": self.on.isoformat(),
            "status": "violation" if self.certain else "uncertain",
            "missiles": self.missiles,
            "types": types,
            "classes": classes,
            "instruments": self.instruments,
            "first_response": self.first.to_json() if self.first else None,
            "response_state": self.state,
            "considered_without_decision": self.considered,
            "violations": [v.to_json() for v in self.violations],
        }


@dataclass
class Report:
    as_of: date
    unit: str
    year: int | None
    window_days: int
    obligation_files: tuple[str, ...]
    overview: dict[str, int]
    totals: Tally
    states: dict[str, int]
    by_year: list[YearLine]
    by_instrument: list[Group]
    by_type: list[Group]
    by_class: list[Group]
    events: list[EventLine]

    @property
    def without_response(self) -> int:
        return self.states["late"] + self.states["unanswered"]

    def to_json(self) -> dict[str, Any]:
        unit = self.unit
        return {
            "as_of": self.as_of.isoformat(),
            "counted_per": unit,
            "year": self.year,
            "window_days": self.window_days,
            "obligation_files": list(self.obligation_files),
            "overview": self.overview,
            "totals": {
                "counted_per": unit,
                "violations": self.totals.violations,
                "uncertain": self.totals.uncertain,
                **self.states,
                "without_response_within_window": self.without_response,
            },
            "by_year": {"counted_per": unit, "rows": [y.to_json() for y in self.by_year]},
            "by_instrument": {
                "counted_per": unit,
                "rows": [g.to_json() for g in self.by_instrument],
            },
            "by_type": {"counted_per": unit, "rows": [g.to_json() for g in self.by_type]},
            "by_class": {"counted_per": unit, "rows": [g.to_json() for g in self.by_class]},
            "events": [e.to_json() for e in self.events],
        }


class _Counter:
    """Counts rows in the chosen unit: missiles add up counts, events count occurrences."""

    def __init__(self, evaluation: Evaluation, unit: str, rows: Mask) -> None:
        table = evaluation.table
        self.unit = unit
        self.occurrence = table.occurrence_code
        self.count = table.count
        self.status = np.where(rows, evaluation.row_status, 0)
        self.sure_rows = self.status == CERTAIN
        self.maybe_rows = self.status == UNCERTAIN
        self.sure_occurrences = np.unique(self.occurrence[self.sure_rows])

    def tally(self, sure: Mask, maybe: Mask, sure_occurrences: Any = None) -> Tally:
        if self.unit == "missile":
            return Tally(int(self.count[sure].sum()), int(self.count[maybe].sum()))
        held = self.sure_occurrences if sure_occurrences is None else sure_occurrences
        unsure = np.setdiff1d(np.unique(self.occurrence[maybe]), held)
        return Tally(len(np.unique(self.occurrence[sure])), len(unsure))

    def of(self, selected: Mask) -> Tally:
        return self.tally(self.sure_rows & selected, self.maybe_rows & selected)

    def amount(self, selected: Mask) -> int:
        if self.unit == "missile":
            return int(self.count[selected].sum())
        return len(np.unique(self.occurrence[selected]))


def build_report(
    evaluation: Evaluation,
    responses: Iterable[Response],
    *,
    unit: str,
    year: int | None = None,
    window: int = DEFAULT_WINDOW_DAYS,
    superseded: int = 0,
) -> Report:
    """The report of an evaluation (as of its date), counted per `unit`, for a year or all."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    table = evaluation.table
    years = table.years()
    rows: Mask = years == year if year is not None else np.ones(len(table), dtype=bool)
    counter = _Counter(evaluation, unit, rows)
    everything = np.ones(len(table), dtype=bool)

    unclassified = (
        np.array([EVENT_TYPES[name].uncertain for name in table.type_names] or [False], dtype=bool)[
            table.type_code
        ]
        & rows
    )
    overview = {
        "rows": int(rows.sum()),
        "events": len(np.unique(table.occurrence_code[rows])),
        "missiles": int(table.count[rows].sum()),
        "unclassified_events": len(np.unique(table.occurrence_code[unclassified])),
        "unclassified_missiles": int(table.count[unclassified].sum()),
        "superseded_versions": superseded,
    }

    lines = _event_lines(evaluation, responses, rows, window)
    states = dict.fromkeys(ANSWER_STATES, 0)
    by_year: dict[int, YearLine] = {}
    loose = (evaluation.non_binding_status == CERTAIN) & (counter.status == 0) & rows
    for y in sorted({int(v) for v in np.unique(years[rows])}):
        in_year = years == y
        line = YearLine(y, counter.of(in_year), counter.amount(loose & in_year))
        if line.tally.violations or line.tally.uncertain or line.non_binding_only:
            for code, name in enumerate(table.type_names):
                tally = counter.of(in_year & (table.type_code == code))
                if tally.violations or tally.uncertain:
                    line.by_type[name] = tally
            by_year[y] = line
    for e in lines:
        if e.certain:
            weight = e.missiles if unit == "missile" else 1
            states[e.state] += weight
            by_year[e.on.year].states[e.state] += weight

    return Report(
        as_of=evaluation.as_of,
        unit=unit,
        year=year,
        window_days=window,
        obligation_files=evaluation.obligations.files,
        overview=overview,
        totals=counter.of(everything),
        states=states,
        by_year=list(by_year.values()),
        by_instrument=_by_instrument(evaluation, counter, rows),
        by_type=_by_codes(counter, table.type_code, table.type_names),
        by_class=_by_class(evaluation, counter),
        events=lines,
    )


def _by_instrument(evaluation: Evaluation, counter: _Counter, rows: Mask) -> list[Group]:
    n = len(evaluation.table)
    out: list[Group] = []
    for instrument in evaluation.obligations.instruments:
        sure = np.zeros(n, dtype=bool)
        maybe = np.zeros(n, dtype=bool)
        for j, ob in enumerate(evaluation.obligations.obligations):
            if ob.instrument.id == instrument.id:
                sure[evaluation.certain_rows[j]] = True
                maybe[evaluation.uncertain_rows[j]] = True
        sure &= rows
        maybe &= rows & ~sure
        held = np.unique(counter.occurrence[sure])
        tally = counter.tally(sure, maybe, held)
        if tally.violations or tally.uncertain:
            out.append(Group(instrument.id, instrument.title, tally, instrument.binding))
    return out


def _by_codes(
    counter: _Counter, codes: npt.NDArray[Any], names: list[str], unknown: str = "unknown"
) -> list[Group]:
    out: list[Group] = []
    for code in np.unique(codes[counter.sure_rows | counter.maybe_rows]).tolist():
        label = names[code] if code >= 0 else unknown
        out.append(Group(label, label, counter.of(codes == code)))
    return sorted(out, key=lambda g: (-g.tally.violations, -g.tally.uncertain, g.key))


def _by_class(evaluation: Evaluation, counter: _Counter) -> list[Group]:
    table = evaluation.table
    codes, vocabulary = table.text("missile_class")
    # show classes as the source writes them; events without classes under their type
    shown: dict[int, str] = {}
    for event, code in zip(table.events, codes.tolist(), strict=True):
        if code >= 0 and code not in shown:
            shown[code] = str(event.attributes.get("missile_class"))
    applies = table.applies("missile_class")
    names = [shown.get(c, k) for k, c in vocabulary.items()]
    offset = len(names)
    merged = np.where(applies, codes, offset + table.type_code.astype(np.int32))
    return _by_codes(counter, merged, names + list(table.type_names))


def _event_lines(
    evaluation: Evaluation, responses: Iterable[Response], rows: Mask, window: int
) -> list[EventLine]:
    listed = list(responses)
    violations = evaluation.violations(rows=rows)
    firsts = first_responses(violations, listed)
    seen_none = considered(violations, listed)
    table = evaluation.table
    status = np.where(rows, evaluation.row_status, 0)
    grouped: dict[str, list[Violation]] = {}
    for v in violations:
        grouped.setdefault(v.occurrence, []).append(v)
    index = {name: i for i, name in enumerate(table.occurrence_names)}
    n = len(table.occurrence_names)
    occ = table.occurrence_code
    sure_missiles = np.bincount(occ, weights=table.count * (status == CERTAIN), minlength=n)
    maybe_missiles = np.bincount(occ, weights=table.count * (status == UNCERTAIN), minlength=n)
    lines: list[EventLine] = []
    for occurrence, found in grouped.items():
        certain = any(v.certain for v in found)
        found = [v for v in found if v.certain] if certain else found
        answers = [firsts[v.id] for v in found if v.id in firsts]
        first = min(answers, key=lambda f: (f.response.on, f.response.index), default=None)
        on = min(v.on for v in found)
        if first is not None:
            first = FirstResponse(first.response, (first.response.on - on).days)
        i = index[occurrence]
        missiles = sure_missiles[i] if certain else maybe_missiles[i]
        lines.append(
            EventLine(
                occurrence,
                on,
                certain,
                int(missiles),
                found,
                first,
                answer_state(on, first, evaluation.as_of, window),
                any(v.id in seen_none for v in found),
            )
        )
    lines.sort(key=lambda e: (e.on, e.occurrence))
    return lines
