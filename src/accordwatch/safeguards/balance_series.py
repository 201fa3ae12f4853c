"""From time series of measurements to per-period flow totals and boundary inventories.

Process monitoring gives measurements in time; material balances need, for
periods of length `period` starting at `start`:

- a continuous flow (a rate sampled in time): its total over period i is the
  trapezoid integral over the samples in the closed interval
  `[start + (i-1) period, start + i period]`;
- a discrete flow (batches stamped with a time): the sum of the batches in
  the half-open interval `(start + (i-1) period, start + i period]`, the first
  period also taking a batch stamped exactly at `start`, so each batch counts once;
- an inventory at boundary i: the sample nearest to `start + i period`
  (the earlier one on a tie).

These are Sandia MAPIT's conventions except for batches stamped exactly on a
boundary, which MAPIT counts in both periods. Values may carry leading batch
dimensions (realisations); times are one increasing 1-D array.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def _boundaries(start: float, period: float, count: int) -> Array:
    if period <= 0 or count < 1:
        raise ValueError("periods need a positive length and count")
    return start + period * np.arange(count + 1, dtype=np.float64)


def _times(times: Array, values: Array) -> None:
    if times.ndim != 1 or values.shape[-1:] != times.shape:
        raise ValueError("values must end with one value per time")
    if times.size > 1 and np.any(np.diff(times) < 0):
        raise ValueError("times must be increasing")


def continuous_totals(
    times: Array, values: Array, *, start: float, period: float, count: int
) -> Array:
    """Trapezoid integral of a sampled rate over each period, shape (..., count)."""
    _times(times, values)
    edges = _boundaries(start, period, count)
    steps = np.diff(times) * (values[..., 1:] + values[..., :-1]) / 2
    first = np.searchsorted(times, edges[:-1], side="left")
    last = np.searchsorted(times, edges[1:], side="right") - 1
    if np.any(last <= first):
        raise ValueError("a period holds fewer than two samples of a continuous flow")
    return _segment_sums(steps, first, last)


def discrete_totals(
    times: Array, values: Array, *, start: float, period: float, count: int
) -> Array:
    """Sum of the batches in each period, shape (..., count)."""
    _times(times, values)
    edges = _boundaries(start, period, count)
    cut = np.searchsorted(times, edges, side="right")
    cut[0] = np.searchsorted(times, edges[0], side="left")
    return _segment_sums(values, cut[:-1], cut[1:])


def _segment_sums(values: Array, starts: NDArray[np.intp], stops: NDArray[np.intp]) -> Array:
    """Sums of `values[..., start:stop]`, added in order: differences of running totals
    would lose digits over a long series."""
    padded = np.concatenate([values, np.zeros((*values.shape[:-1], 1))], axis=-1)
    bounds = np.stack([starts, stops], axis=-1).ravel()
    sums = np.add.reduceat(padded, bounds, axis=-1)[..., ::2]
    return np.asarray(np.where(stops > starts, sums, 0.0), dtype=np.float64)


def boundary_inventories(
    times: Array, values: Array, *, start: float, period: float, count: int
) -> Array:
    """The sample nearest each boundary 0..count, shape (..., count + 1)."""
    _times(times, values)
    if times.size == 0:
        raise ValueError("an inventory needs at least one sample")
    edges = _boundaries(start, period, count)
    right = np.clip(np.searchsorted(times, edges, side="left"), 0, times.size - 1)
    left = np.clip(right - 1, 0, times.size - 1)
    nearest = np.where(np.abs(times[left] - edges) <= np.abs(times[right] - edges), left, right)
    return np.asarray(values[..., nearest], dtype=np.float64)


def complete_periods(times: Array, *, start: float, period: float) -> int:
    """How many whole periods from `start` the samples cover."""
    if times.size == 0:
        return 0
    return max(0, int(np.floor((float(times[-1]) - start) / period + 1e-9)))
