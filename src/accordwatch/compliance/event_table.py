"""Events as columns, so that a rule is checked against every event at once.

`EventTable` turns a list of `Event`s into NumPy arrays: type, first and last
day (a date known only to the month spans the month), actor, occurrence,
count and year; attribute columns are built on first use
(text as integer codes into a case-folded vocabulary, -1 where unknown;
numbers as floats, NaN where unknown). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from accordwatch.compliance.events import ATTRIBUTES, EVENT_TYPES, AttributeKind, Event, Precision

IntArray = npt.NDArray[np.int32]
Mask = npt.NDArray[np.bool_]


class EventTable:
    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        # column by column with C-level map(); a loop over a million events per
        # column would cost more than all the rule checks that follow
        n = len(events)
        self.type_names, self.type_code = _codes(list(map(attrgetter("type"), events)), np.int16)
        self.actor_names, self.actor_code = _codes(list(map(attrgetter("actor"), events)))
        self.occurrence_names, self.occurrence_code = _codes(
            list(map(attrgetter("occurrence"), events))
        )
        days = list(map(date.toordinal, map(attrgetter("on"), events)))
        self.first_day = np.array(days, dtype=np.int32)
        self.last_day = self.first_day.copy()
        precisions = list(map(attrgetter("precision"), events))
        #: every date is a single day (the common case, and a faster one)
        self.exact = precisions.count(Precision.DAY) == n
        if not self.exact:
            for i, precision in enumerate(precisions):
                if precision != Precision.DAY:
                    self.last_day[i] = events[i].last_day.toordinal()
        self.count = np.fromiter(map(attrgetter("count"), events), dtype=np.int64, count=n)
        self._text: dict[str, tuple[IntArray, dict[str, int]]] = {}
        self._number: dict[str, npt.NDArray[np.float64]] = {}
        self._applies: dict[str, Mask] = {}
        self._known: dict[str, tuple[Mask, npt.NDArray[np.int8]]] = {}

    def __len__(self) -> int:
        return len(self.events)

    def applies(self, attribute: str) -> Mask:
        """Events whose type has `attribute` at all."""
        mask = self._applies.get(attribute)
        if mask is None:
            lut = np.array(
                [attribute in EVENT_TYPES[name].attributes for name in self.type_names] or [False],
                dtype=bool,
            )
            mask = self._applies[attribute] = lut[self.type_code]
        return mask

    def text(self, attribute: str) -> tuple[IntArray, dict[str, int]]:
        """Codes of a text attribute (-1: unknown or absent) and the case-folded vocabulary."""
        cached = self._text.get(attribute)
        if cached is None:
            raw = self._values(attribute)
            vocabulary: dict[str, int] = {}
            raw_codes: dict[object, int] = {None: -1}
            for value in dict.fromkeys(raw):
                if value is not None:
                    raw_codes[value] = vocabulary.setdefault(str(value).casefold(), len(vocabulary))
            codes = np.fromiter(map(raw_codes.__getitem__, raw), dtype=np.int32, count=len(raw))
            cached = self._text[attribute] = (codes, vocabulary)
        return cached

    def number(self, attribute: str) -> npt.NDArray[np.float64]:
        """A numeric attribute as floats (NaN: unknown or absent)."""
        column = self._number.get(attribute)
        if column is None:
            nan = float("nan")
            values = self._values(attribute)
            column = self._number[attribute] = np.array(
                [nan if v is None or isinstance(v, str) else float(v) for v in values],
                dtype=np.float64,
            )
        return column

    def _values(self, attribute: str) -> list[Any]:
        return list(map(methodcaller("get", attribute), map(attrgetter("attributes"), self.events)))

    def known_and_unknown(self, attribute: str) -> tuple[Mask, npt.NDArray[np.int8]]:
        """Events whose type has `attribute` and whose source gives it; and, as a truth
        value, UNKNOWN (1) where the type has it but the source does not say, else 0."""
        cached = self._known.get(attribute)
        if cached is None:
            applies = self.applies(attribute)
            if attribute in self._number or _is_number(attribute):
                known = ~np.isnan(self.number(attribute))
            else:
                known = self.text(attribute)[0] >= 0
            given = applies & known
            cached = self._known[attribute] = (given, (applies & ~known).view(np.int8))
        return cached

    def actor_is(self, party: str) -> Mask:
        if party not in self.actor_names:
            return np.zeros(len(self), dtype=bool)
        mask: Mask = self.actor_code == self.actor_names.index(party)
        return mask

    def years(self) -> IntArray:
        """The calendar year of each event's first day."""
        ordinals = self.first_day
        if not len(ordinals):
            return np.zeros(0, dtype=np.int32)
        # ordinal -> year through a table of first days of years in range
        lo = date.fromordinal(int(ordinals.min())).year
        hi = date.fromordinal(int(ordinals.max())).year
        starts = np.array([date(y, 1, 1).toordinal() for y in range(lo, hi + 2)], dtype=np.int32)
        return (np.searchsorted(starts, ordinals, side="right") - 1 + lo).astype(np.int32)


def _codes(
    values: list[str], dtype: type[np.signedinteger[Any]] = np.int32
) -> tuple[list[str], npt.NDArray[Any]]:
    """Distinct values in order of first appearance, and each value's index among them."""
    names = list(dict.fromkeys(values))
    index = {name: i for i, name in enumerate(names)}
    return names, np.fromiter(map(index.__getitem__, values), dtype=dtype, count=len(values))


def _is_number(attribute: str) -> bool:
    return ATTRIBUTES[attribute] is AttributeKind.NUMBER
