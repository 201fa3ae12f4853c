"""The schedule of a draft accord under delays: when steps are taken and verified.

The schedule model. Every step is taken once it may be and at its deadline:
`taken = max(deadline, the day its last required step is verified) + delay`,
where a relative deadline counts from the day its anchor step was taken
(`reported`) or verified. A step is verified `lag` days after it is taken,
`lag` at most its verification window (`within_days`, else the accord's
`verification_window_days`). The balance, as `balance` computes it from the
log, is the concession weight given (concession steps, from the day taken)
against the verified weight of the inspected party's steps (from the day
verified).

- `scheduled` is the schedule if every party acts at its deadline and every
  verifier uses its whole window (delay 0, lag = window): the dates on which
  `assessment` finds the largest exposure.
- `simulate` is a Monte Carlo of it: each step's delay drawn from the
  distribution of its kind, else of its party, else the default (`Delays`;
  `DEFAULT_DELAY` when the draft gives none), each lag uniform over the
  window. It gives the probability that concessions run ahead of verified
  steps at some point, how long that lasts, the distribution of the
  completion date (the last verification) and the spread of the balance
  over time. Draws come from one `numpy` generator seeded by `seed`, in a
  fixed order, so the result is a function of the accord, the delays, the
  number of runs and the seed.

On one day verifications count before concessions (the balance is the one
at the end of the day, as `balance.points` nets each day's changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accordwatch.roadmap.accord import (
    Accord,
    AccordRole,
    Delay,
    Delays,
    FixedDeadline,
    PhaseEndDeadline,
    Step,
    StepKind,
)

Days = NDArray[np.int64]

#: the delay of a step when neither the draft nor a delays file gives one
DEFAULT_DELAY = Delay(triangular=(0, 15, 90))
#: points of the balance's spread over time
GRID_POINTS = 120
#: the quantiles of the spread and of the completion date, in percent
QUANTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class Network:
    """The steps of an accord in an order where every step comes after those it waits for."""

    accord: Accord
    order: tuple[int, ...]
    #: per step (accord order): the indices of its required steps
    requires: tuple[tuple[int, ...], ...]
    #: per step: (anchor index, counts from verification?, days) of a relative deadline
    anchors: tuple[tuple[int, bool, int] | None, ...]
    #: per step: the day ordinal of a fixed or end-of-phase deadline
    fixed: tuple[int | None, ...]
    windows: tuple[int, ...]
    concession: tuple[bool, ...]
    inspected: tuple[bool, ...]
    weights: tuple[float, ...]

    @staticmethod
    def of(accord: Accord) -> Network:
        """The network of a checked accord (no cycles, every reference declared)."""
        index = {s.id: i for i, s in enumerate(accord.steps)}
        phases = {p.id: p.ends.toordinal() for p in accord.phases}
        inspected_parties = {p.id for p in accord.parties if p.role is AccordRole.INSPECTED}
        requires: list[tuple[int, ...]] = []
        anchors: list[tuple[int, bool, int] | None] = []
        fixed: list[int | None] = []
        for step in accord.steps:
            requires.append(tuple(index[r] for r in step.requires))
            due = step.due
            if isinstance(due, FixedDeadline):
                fixed.append(due.on.toordinal())
                anchors.append(None)
            elif isinstance(due, PhaseEndDeadline):
                fixed.append(phases[step.phase])
                anchors.append(None)
            else:
                fixed.append(None)
                anchors.append((index[due.step], due.event == "verified", due.days))
        waits = [
            set(req) | ({anchor[0]} if anchor else set())
            for req, anchor in zip(requires, anchors, strict=True)
        ]
        return Network(
            accord=accord,
            order=_topological(waits),
            requires=tuple(requires),
            anchors=tuple(anchors),
            fixed=tuple(fixed),
            windows=tuple(
                s.verification.within_days or accord.verification_window_days for s in accord.steps
            ),
            concession=tuple(accord.base_kind(s) is StepKind.CONCESSION for s in accord.steps),
            inspected=tuple(s.party in inspected_parties for s in accord.steps),
            weights=tuple(s.weight for s in accord.steps),
        )

    def propagate(self, delays: Days, lags: Days) -> tuple[Days, Days]:
        """Days taken and verified, shape (steps, runs), from delays and lags of that shape."""
        taken = np.empty_like(delays)  # every row is written below
        verified = np.empty_like(delays)
        for i in self.order:
            anchor = self.anchors[i]
            if anchor is None:
                start = np.full(delays.shape[1], self.fixed[i], dtype=np.int64)
            else:
                source = verified if anchor[1] else taken
                start = source[anchor[0]] + anchor[2]
            for r in self.requires[i]:
                np.maximum(start, verified[r], out=start)
            taken[i] = start + delays[i]
            verified[i] = taken[i] + lags[i]
        return taken, verified


def _topological(waits: list[set[int]]) -> tuple[int, ...]:
    """Accord order, each step moved after the steps it waits for (no cycles: checked)."""
    done: set[int] = set()
    order: list[int] = []
    for start in range(len(waits)):
        stack = [(start, iter(sorted(waits[start])))]
        if start in done:
            continue
        while stack:
            node, pending = stack[-1]
            nxt = next((d for d in pending if d not in done), None)
            if nxt is None:
                stack.pop()
                if node not in done:
                    done.add(node)
                    order.append(node)
            else:
                stack.append((nxt, iter(sorted(waits[nxt]))))
    return tuple(order)


@dataclass(frozen=True)
class Schedule:
    """The schedule if every party acts at its deadline and verifiers use their windows."""

    taken: dict[str, date]
    verified: dict[str, date]


def scheduled(network: Network) -> Schedule:
    n = len(network.order)
    delays = np.zeros((n, 1), dtype=np.int64)
    lags = np.asarray(network.windows, dtype=np.int64).reshape(n, 1)
    taken, verified = network.propagate(delays, lags)
    steps = network.accord.steps
    return Schedule(
        taken={s.id: date.fromordinal(int(taken[i, 0])) for i, s in enumerate(steps)},
        verified={s.id: date.fromordinal(int(verified[i, 0])) for i, s in enumerate(steps)},
    )


def delay_of(step: Step, accord: Accord, delays: Delays) -> Delay:
    """A step's delay: its kind's, its built-in kind's, its party's, else the default."""
    base = accord.base_kind(step).value
    return (
        delays.kinds.get(str(step.kind))
        or delays.kinds.get(base)
        or delays.parties.get(step.party)
        or delays.default
        or DEFAULT_DELAY
    )


def _draw(delay: Delay, rng: np.random.Generator, runs: int) -> Days:
    if delay.fixed is not None:
        values = np.full(runs, delay.fixed)
    elif delay.uniform is not None:
        values = rng.uniform(delay.uniform[0], delay.uniform[1], runs)
    elif delay.triangular is not None:
        values = rng.triangular(*delay.triangular, size=runs)
    else:
        assert delay.exponential is not None
        values = rng.exponential(delay.exponential, runs)
    rounded: Days = np.rint(values).astype(np.int64)
    return rounded


@dataclass(frozen=True)
class MonteCarlo:
    """What the delays do to the balance and to the completion date, over `runs` runs."""

    runs: int
    seed: int
    #: where the delays came from: "draft", a delays file's name, or "default"
    delays_from: str
    #: probability that concession weight exceeds verified weight on some day
    p_ahead: float
    #: the mean number of days it does, over all runs, and over the runs where it does
    mean_days_ahead: float
    mean_days_ahead_when_ahead: float | None
    #: probability that concessions are still ahead when the last step is verified
    p_ahead_at_completion: float
    #: the completion date (last verification) if nobody is late, and its distribution
    scheduled_completion: date
    mean_completion: date
    completion: dict[int, date]
    #: the largest concession weight ahead of verified weight in a run: mean and 95th pct
    mean_largest_exposure: float
    p95_largest_exposure: float
    #: the spread of the balance (concession - verified weight) over time
    spread_days: tuple[date, ...]
    spread: dict[int, tuple[float, ...]]
    #: the share of runs ahead on each day of `spread_days`
    spread_ahead: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "delays_from": self.delays_from,
            "p_ahead": self.p_ahead,
            "mean_days_ahead": self.mean_days_ahead,
            "mean_days_ahead_when_ahead": self.mean_days_ahead_when_ahead,
            "p_ahead_at_completion": self.p_ahead_at_completion,
            "scheduled_completion": self.scheduled_completion.isoformat(),
            "mean_completion": self.mean_completion.isoformat(),
            "completion": {f"p{q}": d.isoformat() for q, d in self.completion.items()},
            "mean_largest_exposure": self.mean_largest_exposure,
            "p95_largest_exposure": self.p95_largest_exposure,
            "spread": {
                "days": [d.isoformat() for d in self.spread_days],
                **{f"p{q}": list(v) for q, v in self.spread.items()},
                "share_ahead": list(self.spread_ahead),
            },
        }


def simulate(
    network: Network, delays: Delays, *, runs: int, seed: int, delays_from: str
) -> MonteCarlo:
    """The Monte Carlo of the module docstring; `runs` >= 1."""
    accord = network.accord
    n, rng = len(accord.steps), np.random.default_rng(seed)
    delay_draws = np.empty((n, runs), dtype=np.int64)
    lag_draws = np.empty((n, runs), dtype=np.int64)
    for i, step in enumerate(accord.steps):  # accord order: the draws do not depend on `order`
        delay_draws[i] = _draw(delay_of(step, accord, delays), rng, runs)
        lag_draws[i] = rng.integers(0, network.windows[i], runs, endpoint=True)
    taken, verified = network.propagate(delay_draws, lag_draws)
    del delay_draws, lag_draws
    completion = verified.max(axis=0)
    times, weights = _events(network, taken, verified)
    del taken, verified
    balance = np.cumsum(weights, axis=1)  # concession minus verified weight after each event
    total = float(np.abs(weights).sum())
    eps = 1e-9 * max(1.0, total)
    ahead = balance > eps
    ever = ahead.any(axis=1)
    gaps = np.diff(times // 2, axis=1)
    days_ahead = (gaps * ahead[:, :-1]).sum(axis=1) if times.shape[1] > 1 else np.zeros(runs)
    largest = np.maximum(balance.max(axis=1, initial=0.0), 0.0)
    spread_days, spread, share = _spread(times, balance, completion, eps)
    first = scheduled(network)
    return MonteCarlo(
        runs=runs,
        seed=seed,
        delays_from=delays_from,
        p_ahead=float(ever.mean()),
        mean_days_ahead=float(days_ahead.mean()),
        mean_days_ahead_when_ahead=float(days_ahead[ever].mean()) if ever.any() else None,
        p_ahead_at_completion=float(ahead[:, -1].mean()) if ahead.shape[1] else 0.0,
        scheduled_completion=max(first.verified.values()),
        mean_completion=date.fromordinal(round(float(completion.mean()))),
        completion={
            q: date.fromordinal(int(np.percentile(completion, q, method="lower")))
            for q in QUANTILES
        },
        mean_largest_exposure=float(largest.mean()),
        p95_largest_exposure=float(np.percentile(largest, 95)),
        spread_days=spread_days,
        spread=spread,
        spread_ahead=share,
    )


def _events(network: Network, taken: Days, verified: Days) -> tuple[Days, NDArray[np.float64]]:
    """Per run, the balance's changes sorted by day: (keys, signed weights), shape (runs, E).

    A key is `2 * day + 1` for a concession and `2 * day` for a verification, so that
    sorting by key puts a day's verifications first.
    """
    rows, signs = [], []
    for i in range(len(network.weights)):
        if network.concession[i]:
            rows.append(taken[i] * 2 + 1)
            signs.append(network.weights[i])
        elif network.inspected[i]:
            rows.append(verified[i] * 2)
            signs.append(-network.weights[i])
    runs = taken.shape[1]
    if not rows:
        return np.zeros((runs, 0), dtype=np.int64), np.zeros((runs, 0))
    # Sorting values is much faster than sorting indices: carry each event's index in
    # the low bits of its key (ties keep the events' order, as a stable sort would).
    bits = max(1, (len(rows) - 1).bit_length())
    packed = np.stack(rows, axis=1)
    packed <<= bits
    packed |= np.arange(len(rows), dtype=np.int64)
    packed.sort(axis=1)
    weights = np.asarray(signs)[packed & ((1 << bits) - 1)]
    packed >>= bits
    return packed, weights


def _spread(
    keys: Days, balance: NDArray[np.float64], completion: Days, eps: float
) -> tuple[tuple[date, ...], dict[int, tuple[float, ...]], tuple[float, ...]]:
    """Quantiles of the balance at the end of each of `GRID_POINTS` days, and the share ahead."""
    runs, events = balance.shape
    if events == 0:
        return (), {q: () for q in QUANTILES}, ()
    first, last = int(keys[:, 0].min()) // 2, int(completion.max())
    grid = np.unique(np.linspace(first, max(first, last), GRID_POINTS).round().astype(np.int64))
    # One searchsorted over all runs: each run's keys shifted past the previous run's.
    shift = int(keys.max()) + 2
    offsets = np.arange(runs, dtype=np.int64) * shift
    flat = keys + offsets[:, None]
    wanted = (grid[None, :] * 2 + 1) + offsets[:, None]
    counts = np.searchsorted(flat.ravel(), wanted.ravel(), side="right").reshape(runs, -1)
    del flat
    counts -= (np.arange(runs, dtype=np.int64) * events)[:, None]
    # the balance after the last event of the day; 0 before the first event
    at = np.take_along_axis(balance, np.maximum(counts - 1, 0), axis=1)
    at[counts == 0] = 0.0
    values = np.percentile(at, QUANTILES, axis=0)
    spread = {q: tuple(float(v) for v in row) for q, row in zip(QUANTILES, values, strict=True)}
    share = tuple(float(v) for v in (at > eps).mean(axis=0))
    return tuple(date.fromordinal(int(d)) for d in grid), spread, share
