"""Violations: every event matched against every obligation in force on its date.

`evaluate(events, obligations, as_of)` is pure. For each obligation it finds
the events that are certainly forbidden by it (the obligation binds the
event's actor, is in force on the event's date and its rule is true) and
those that may be (some of this is unknown: the event's type or a tested
attribute is not stated, or its date is known only to the month around the
day the obligation took effect). It works on columns (`EventTable`), so a
million events against hundreds of obligations take seconds.

Violations are counted per occurrence (the rows of one launch event):

- a `Violation` is one occurrence and one obligation; its id,
  `<occurrence>/<obligation>`, stays the same as long as the source does, so
  a response can name it; it is *uncertain* when no row of the occurrence
  certainly matches but some row may;
- its evidence is the source rows (log entry, source, file, row) that match.

Only binding instruments make violations. Matches of obligations that do not
bind (1695) are kept apart as `non_binding`. The summaries and responses are
in `compliance_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from accordwatch.compliance.event_table import EventTable
from accordwatch.compliance.events import EVENT_TYPES, Event, SourceRef
from accordwatch.compliance.obligations import Obligation, Obligations
from accordwatch.compliance.rules import Compiler, Mask, Truth, TruthArray, attributes_of, match

IntArray = npt.NDArray[np.int32]

NONE, UNCERTAIN, CERTAIN = 0, 1, 2
FALSE, UNKNOWN, TRUE = Truth.FALSE.value, Truth.UNKNOWN.value, Truth.TRUE.value


@dataclass(frozen=True)
class Evidence:
    """A source row behind a violation."""

    event_id: str
    log_index: int
    source: SourceRef | None
    certain: bool
    #: why the match is uncertain ("" when it is certain)
    uncertain_because: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "event_id": self.event_id,
            "log_index": self.log_index,
            "certain": self.certain,
        }
        if self.source is not None:
            out["source"] = self.source.name
            out["file"] = self.source.file
            out["row"] = self.source.row
            out["line"] = self.source.line
        if self.uncertain_because:
            out["uncertain_because"] = self.uncertain_because
        return out


@dataclass(frozen=True)
class Violation:
    """One occurrence against one obligation."""

    id: str
    occurrence: str
    on: date
    obligation: Obligation
    certain: bool
    #: missiles (rows' counts) of the occurrence that match, certainly if `certain`
    missiles: int
    types: tuple[str, ...]
    classes: tuple[str, ...]
    evidence: tuple[Evidence, ...]

    @property
    def instrument(self) -> str:
        return self.obligation.instrument.id

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "occurrence": self.occurrence,
            "date": self.on.isoformat(),
            "status": "violation" if self.certain else "uncertain",
            "binding": self.obligation.binding,
            "obligation": self.obligation.id,
            "instrument": self.instrument,
            "instrument_title": self.obligation.instrument.title,
            "missiles": self.missiles,
            "types": list(self.types),
            "classes": list(self.classes),
            "evidence": [e.to_json() for e in self.evidence],
        }


def violation_id(occurrence: str, obligation_id: str) -> str:
    return f"{occurrence}/{obligation_id}"


@dataclass
class Evaluation:
    """Which event rows match which obligations, as of a date."""

    as_of: date
    table: EventTable
    obligations: Obligations
    #: per obligation (same order): rows that certainly match, rows that may
    certain_rows: list[IntArray] = field(default_factory=list)
    uncertain_rows: list[IntArray] = field(default_factory=list)
    #: per row, over binding obligations: NONE, UNCERTAIN or CERTAIN
    row_status: npt.NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    #: per row, the same over obligations that do not bind
    non_binding_status: npt.NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))

    @property
    def events(self) -> Sequence[Event]:
        return self.table.events

    def violations(self, *, binding: bool = True, rows: Mask | None = None) -> list[Violation]:
        """Violations (occurrence x obligation), certain and uncertain, in date order.

        `binding=False` gives the matches of obligations that do not bind;
        `rows` limits the evidence considered to some rows (a year, say).
        """
        table = self.table
        out: list[Violation] = []
        for j, ob in enumerate(self.obligations.obligations):
            if ob.binding != binding:
                continue
            certain, maybe = self.certain_rows[j], self.uncertain_rows[j]
            if rows is not None:
                certain, maybe = certain[rows[certain]], maybe[rows[maybe]]
            if not len(certain) and not len(maybe):
                continue
            groups: dict[int, tuple[list[int], list[int]]] = {}
            for i in certain.tolist():
                groups.setdefault(int(table.occurrence_code[i]), ([], []))[0].append(i)
            for i in maybe.tolist():
                groups.setdefault(int(table.occurrence_code[i]), ([], []))[1].append(i)
            tested = attributes_of(ob.rule)
            for occ, (sure, unsure) in groups.items():
                name = table.occurrence_names[occ]
                out.append(self._violation(ob, tested, name, sure, unsure))
        out.sort(key=lambda v: (v.on, v.occurrence, v.obligation.effective, v.obligation.id))
        return out

    def _violation(
        self,
        ob: Obligation,
        tested: frozenset[str],
        occurrence: str,
        sure: list[int],
        unsure: list[int],
    ) -> Violation:
        events = self.table.events
        counted = sure or unsure
        evidence = [
            Evidence(events[i].event_id, events[i].log_index, events[i].source, True) for i in sure
        ]
        evidence += [
            Evidence(
                events[i].event_id,
                events[i].log_index,
                events[i].source,
                False,
                explain_uncertain(events[i], ob, tested),
            )
            for i in unsure
        ]
        shown = [events[i] for i in counted]
        return Violation(
            id=violation_id(occurrence, ob.id),
            occurrence=occurrence,
            on=min(e.on for e in shown),
            obligation=ob,
            certain=bool(sure),
            missiles=sum(e.count for e in shown),
            types=tuple(sorted({e.type for e in shown})),
            classes=tuple(sorted({event_class(e) for e in shown})),
            evidence=tuple(evidence),
        )


def event_class(event: Event) -> str:
    """The missile class of a launch ("unknown" if not stated), else the event type."""
    if "missile_class" not in EVENT_TYPES[event.type].attributes:
        return event.type
    value = event.attributes.get("missile_class")
    return str(value) if value is not None else "unknown"


def explain_uncertain(event: Event, ob: Obligation, tested: frozenset[str] | None = None) -> str:
    """Why an event may or may not fall under an obligation: what the source leaves open.

    `tested` is the attributes the obligation's rule reads (computed if not given).
    """
    reasons = []
    if EVENT_TYPES[event.type].uncertain:
        reasons.append(f"the source does not say what kind of launch it was ({event.type})")
    missing = [
        name
        for name in sorted(attributes_of(ob.rule) if tested is None else tested)
        if name in EVENT_TYPES[event.type].attributes and event.attributes.get(name) is None
    ]
    if missing:
        reasons.append("not stated: " + ", ".join(missing))
    if ob.in_force(event.on) != ob.in_force(event.last_day):
        reasons.append(f"dated only to the {event.precision}, which {ob.id} covers in part")
    if not reasons and match(ob.rule, event) is Truth.UNKNOWN:
        reasons.append("the rule cannot be decided from the source")
    return "; ".join(reasons)


def evaluate(events: Sequence[Event], obligations: Obligations, as_of: date) -> Evaluation:
    """Match `events` (the current ones, as of `as_of`) against every obligation."""
    table = EventTable(events)
    compiler = Compiler(table)
    n = len(table)
    result = Evaluation(as_of, table, obligations)
    binding_true = np.zeros(n, dtype=bool)
    binding_maybe = np.zeros(n, dtype=bool)
    loose_true = np.zeros(n, dtype=bool)
    loose_maybe = np.zeros(n, dtype=bool)
    parties: dict[str, TruthArray] = {}
    first, last = table.first_day, table.last_day
    for ob in obligations.obligations:
        bound = parties.get(ob.party)
        if bound is None:
            bound = parties[ob.party] = np.where(table.actor_is(ob.party), TRUE, FALSE).astype(
                np.int8
            )
        start, end = ob.effective.toordinal(), ob.ends.toordinal() if ob.ends else 10**7
        truth = np.minimum(compiler.truth(ob.rule), bound)
        if table.exact:  # single days: in force or not
            in_force = first >= start
            if ob.ends is not None:
                in_force &= first <= end
            sure = (truth == TRUE) & in_force
            maybe = (truth == UNKNOWN) & in_force
        else:  # in force all along an event's dates: true; on none of them: false
            whole = (first >= start) & (last <= end)
            partly = ~whole & (last >= start) & (first <= end)
            truth = np.minimum(truth, whole.view(np.int8) * np.int8(TRUE) + partly.view(np.int8))
            sure = truth == TRUE
            maybe = truth == UNKNOWN
        result.certain_rows.append(np.flatnonzero(sure).astype(np.int32))
        result.uncertain_rows.append(np.flatnonzero(maybe).astype(np.int32))
        if ob.binding:
            binding_true |= sure
            binding_maybe |= maybe
        else:
            loose_true |= sure
            loose_maybe |= maybe
    result.row_status = _status(binding_true, binding_maybe)
    result.non_binding_status = _status(loose_true, loose_maybe)
    return result


def _status(sure: Mask, maybe: Mask) -> npt.NDArray[np.int8]:
    return np.where(sure, CERTAIN, np.where(maybe, UNCERTAIN, NONE)).astype(np.int8)
