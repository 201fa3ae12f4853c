"""The balance of a road map: verified progress against concessions granted, over time.

Verified weight is the summed weight of the inspected party's steps whose latest
verification result, as of a day, says verified (a step later found not verified
drops out again). Concession weight is the summed weight of concession steps
reported by their acting party, from the report date. Sums are exact (the
float weights as integer multiples of one power of two, `Scale`, divided once at
the end), so the same set of steps gives the same figure in whatever order it
is added.

Where concession weight exceeds verified weight, concessions ran ahead of
verified progress: `ahead_periods` lists those stretches.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class BalancePoint:
    """The two cumulative weights from `date` on (until the next point)."""

    date: date
    verified_weight: float
    concession_weight: float

    @property
    def ahead(self) -> bool:
        return self.concession_weight > self.verified_weight


@dataclass(frozen=True, slots=True)
class AheadPeriod:
    """Concessions ran ahead of verified progress from `start` until `end` (None: still)."""

    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class Scale:
    """Float weights as exact integers: a weight is `units / denominator`.

    A finite float is an integer over a power of two, so the largest denominator
    among the weights is a common one; integer sums are exact, and Python's
    int / int division rounds correctly, so a total never depends on the order
    of the additions.
    """

    denominator: int

    @classmethod
    def of(cls, weights: Iterable[float]) -> Scale:
        denominator = 1
        for weight in weights:
            if not math.isfinite(weight):
                raise ValueError(f"step weight {weight!r} is not a finite number")
            denominator = max(denominator, weight.as_integer_ratio()[1])
        return cls(denominator)

    def units(self, weight: float) -> int:
        numerator, denominator = weight.as_integer_ratio()
        return numerator * (self.denominator // denominator)

    def value(self, units: int) -> float:
        return units / self.denominator


#: a change of the balance: on a day, verified and concession weight change by (units)
Change = tuple[date, int, int]


def points(changes: Iterable[Change], until: date, scale: Scale) -> tuple[BalancePoint, ...]:
    """Points at every day up to `until` where either weight changes (net of that day)."""
    by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, verified, conceded in changes:
        if day <= until:
            sums = by_day[day]
            sums[0] += verified
            sums[1] += conceded
    out: list[BalancePoint] = []
    verified_total = conceded_total = 0
    for day in sorted(by_day):
        verified, conceded = by_day[day]
        if not verified and not conceded:
            continue
        verified_total += verified
        conceded_total += conceded
        out.append(BalancePoint(day, scale.value(verified_total), scale.value(conceded_total)))
    return tuple(out)


def ahead_periods(series: Sequence[BalancePoint]) -> tuple[AheadPeriod, ...]:
    """The stretches where concession weight exceeded verified weight."""
    out: list[AheadPeriod] = []
    start: date | None = None
    for point in series:
        if point.ahead and start is None:
            start = point.date
        elif not point.ahead and start is not None:
            out.append(AheadPeriod(start, point.date))
            start = None
    if start is not None:
        out.append(AheadPeriod(start, None))
    return tuple(out)


def verified_changes(days: Sequence[date], values: Sequence[bool], weight: int) -> list[Change]:
    """Changes from one step's verification history (value at the end of each day)."""
    out: list[Change] = []
    now = False
    for day, value in zip(days, values, strict=True):
        if value != now:
            out.append((day, weight if value else -weight, 0))
            now = value
    return out
