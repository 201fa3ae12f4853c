"""Road map status counts and balance for every day of a period, in one sweep.

`timeline(records, start, end)` gives, for each day (or every `step_days`-th
day), the version in force, how many steps are in each status and the two
balance weights, exactly as `roadmap.evaluate(records, day)` would give them
(the tests check this), without evaluating each day afresh.

How: each step's own state (`roadmap_log.StepLedger`) changes only on days
when one of its records starts to count, so it is kept as a short list of
change days. A step's status then changes only on those days, on the change
days of its deadline's anchor and of the steps it requires (while it is not
yet reported), and on the day after its deadline. Evaluating the status on just
those candidate days gives each step's status runs, which are summed per day
through difference arrays. The work grows with the number of records and
steps, not with days times steps.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.balance import AheadPeriod, BalancePoint, Scale, ahead_periods
from accordwatch.roadmap.history import (
    NOTHING,
    STATES,
    OwnState,
    Plan,
    Report,
    RoadmapRecord,
    StepLedger,
    VerificationResult,
    accord_ids,
    classify,
    deadline,
    gather_versions,
    plans,
    schedule,
    sort_records,
)

FORMAT = "accordwatch.roadmap-timeline/1"
_ONE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """Status counts and balance as of the end of `date`."""

    date: date
    in_force: str | None  # digest of the version in force, None before entry into force
    counts: Mapping[str, int]  # every status, in `STATES` order
    verified_weight: float
    concession_weight: float

    @property
    def ahead(self) -> bool:
        return self.concession_weight > self.verified_weight


@dataclass(frozen=True, slots=True)
class Timeline:
    accord_id: str | None
    start: date
    end: date
    step_days: int
    points: tuple[TimelinePoint, ...]

    def ahead(self) -> tuple[AheadPeriod, ...]:
        """Where concessions ran ahead of verified progress, at the timeline's resolution."""
        return ahead_periods(
            [BalancePoint(p.date, p.verified_weight, p.concession_weight) for p in self.points]
        )

    def to_json(self) -> dict[str, Any]:
        """Columns for a chart: one list per series, aligned with `dates`."""
        return {
            "format": FORMAT,
            "accord_id": self.accord_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "step_days": self.step_days,
            "dates": [p.date.isoformat() for p in self.points],
            "in_force": [p.in_force for p in self.points],
            "counts": {str(s): [p.counts[str(s)] for p in self.points] for s in STATES},
            "verified_weight": [p.verified_weight for p in self.points],
            "concession_weight": [p.concession_weight for p in self.points],
            "ahead": [
                {"start": a.start.isoformat(), "end": None if a.end is None else a.end.isoformat()}
                for a in self.ahead()
            ],
        }


#: one step's own state as change days and the state from each of them on
_Changes = tuple[list[date], list[OwnState]]


def timeline(
    records: Sequence[RoadmapRecord],
    start: date,
    end: date,
    step_days: int = 1,
    accord_id: str | None = None,
) -> Timeline:
    """Counts and balance as of `start`, `start + step_days`, ... up to `end`.

    Without `accord_id`, the one accord signed in the records by `end` is used.
    """
    if end < start:
        raise ValueError(f"timeline end {end} is before its start {start}")
    if step_days < 1:
        raise ValueError(f"step_days must be at least 1, not {step_days}")
    if accord_id is None:
        ids = accord_ids(records, end)
        if len(ids) > 1:
            raise ValueError(f"records hold several accords ({', '.join(ids)}): name one")
        accord_id = ids[0] if ids else None
    ndays = (end - start).days + 1
    versions = [] if accord_id is None else schedule(gather_versions(records, accord_id, end))
    scale = Scale.of(s.weight for _, v in versions for s in v.accord.steps)
    sweep = _Sweep(start, ndays, scale)
    order: list[tuple[date, str]] = []
    if versions:
        own_cache: dict[str, dict[str, _Changes]] = {}
        for i, (since, version) in enumerate(versions):
            order.append((since, version.digest))
            until = versions[i + 1][0] - _ONE if i + 1 < len(versions) else end
            first, last = max(since, start), min(until, end)
            if first > last:
                continue
            own = own_cache.get(version.digest)
            if own is None:
                own = own_cache[version.digest] = _own_changes(records, version.accord, end)
            sweep.add(version.accord, own, first, last, entered=versions[0][0])
    return Timeline(accord_id, start, end, step_days, sweep.points(step_days, order))


def _own_changes(
    records: Sequence[RoadmapRecord], accord: Accord, end: date
) -> dict[str, _Changes]:
    by_step, _ = sort_records(records, accord, end)
    out: dict[str, _Changes] = {}
    for step_id, gathered in by_step.items():
        events: list[Report | VerificationResult] = [*gathered.reports, *gathered.results]
        events.sort(key=lambda r: (r.counts_from, r.index))
        ledger = StepLedger()
        days: list[date] = []
        states: list[OwnState] = []
        now = NOTHING
        for at, record in enumerate(events):
            ledger.add(record)
            day = record.counts_from
            if at + 1 < len(events) and events[at + 1].counts_from == day:
                continue
            state = ledger.state()
            if state != now:
                days.append(day)
                states.append(state)
                now = state
        out[step_id] = (days, states)
    return out


def _at(changes: _Changes | None, day: date) -> OwnState:
    if changes is None:
        return NOTHING
    days, states = changes
    at = bisect_right(days, day)
    return states[at - 1] if at else NOTHING


class _Sweep:
    """Difference arrays over the days of the timeline."""

    def __init__(self, start: date, ndays: int, scale: Scale) -> None:
        self.start = start
        self.ndays = ndays
        self.scale = scale
        self.counts = [[0] * (ndays + 1) for _ in STATES]
        self.verified: dict[int, int] = {}  # day offset -> change of verified weight (units)
        self.conceded: dict[int, int] = {}

    def _offset(self, day: date) -> int:
        return (day - self.start).days

    def add(
        self, accord: Accord, own: dict[str, _Changes], first: date, last: date, *, entered: date
    ) -> None:
        """Add the steps of `accord`, in force from `first` to `last` (inclusive).

        `entered` is the day the accord first entered into force (any version).
        """
        state_index = {str(s): i for i, s in enumerate(STATES)}
        stop = self._offset(last) + 1
        for plan in plans(accord, entered):
            runs = self._runs(plan, own, first, last)
            for (day, status), nxt in zip(runs, [*runs[1:], None], strict=True):
                row = self.counts[state_index[status]]
                row[self._offset(day)] += 1
                row[stop if nxt is None else self._offset(nxt[0])] -= 1
            mine = own[plan.id]
            weight = self.scale.units(plan.weight)
            if plan.inspected:
                self._interval(mine, first, last, lambda s: s.latest is True, weight, self.verified)
            if plan.concession:
                self._interval(
                    mine, first, last, lambda s: s.reported_on is not None, weight, self.conceded
                )

    def _runs(
        self, plan: Plan, own: dict[str, _Changes], first: date, last: date
    ) -> list[tuple[date, str]]:
        """The step's status from `first` on, as (day, status) at each change."""
        mine = own[plan.id]
        days, states = mine
        candidates = {first}
        candidates.update(d for d in days if first < d <= last)
        reported = next((d for d, s in zip(days, states, strict=True) if s.reported_on), None)
        limit = last if reported is None else min(last, reported)
        # before the report, the deadline and the prerequisites matter too
        anchor = None if plan.anchor is None else own.get(plan.anchor)
        if plan.anchor is None:
            if plan.fixed is not None:
                candidates.add(plan.fixed + _ONE)
        elif anchor is not None:
            candidates.update(d for d in anchor[0] if first < d <= limit)
            for state in anchor[1]:
                due = deadline(plan, state)
                if due is not None:
                    candidates.add(due + _ONE)
        for required in plan.requires:
            other = own.get(required)
            if other is not None:
                candidates.update(d for d in other[0] if first < d <= limit)
        runs: list[tuple[date, str]] = []
        now = ""
        for day in sorted(d for d in candidates if first <= d <= last):
            state = _at(mine, day)
            if state.reported_on is None:
                due = deadline(plan, None if plan.anchor is None else _at(anchor, day))
                actionable = all(
                    required in own and _at(own[required], day).latest is True
                    for required in plan.requires
                )
            else:
                due, actionable = None, True
            status = str(classify(state, due, actionable, day))
            if status != now:
                runs.append((day, status))
                now = status
        return runs

    def _interval(
        self,
        changes: _Changes,
        first: date,
        last: date,
        holds: Callable[[OwnState], bool],
        weight: int,
        into: dict[int, int],
    ) -> None:
        """Add `weight` on the days from `first` to `last` where `holds(state)`."""
        if not weight:
            return
        days, states = changes
        now = holds(_at(changes, first))
        if now:
            into[self._offset(first)] = into.get(self._offset(first), 0) + weight
        for day, state in zip(days, states, strict=True):
            if not first < day <= last:
                continue
            value = holds(state)
            if value != now:
                off = self._offset(day)
                into[off] = into.get(off, 0) + (weight if value else -weight)
                now = value
        if now:
            off = self._offset(last) + 1
            into[off] = into.get(off, 0) - weight

    def points(self, step_days: int, order: list[tuple[date, str]]) -> tuple[TimelinePoint, ...]:
        since = [d for d, _ in order]
        out: list[TimelinePoint] = []
        running = [0] * len(STATES)
        verified = conceded = 0
        names = [str(s) for s in STATES]
        for off in range(self.ndays):
            for i, row in enumerate(self.counts):
                running[i] += row[off]
            verified += self.verified.get(off, 0)
            conceded += self.conceded.get(off, 0)
            if off % step_days:
                continue
            day = self.start + timedelta(days=off)
            at = bisect_right(since, day)
            out.append(
                TimelinePoint(
                    date=day,
                    in_force=order[at - 1][1] if at else None,
                    counts=dict(zip(names, running, strict=True)),
                    verified_weight=self.scale.value(verified),
                    concession_weight=self.scale.value(conceded),
                )
            )
        return tuple(out)
