"""Material balance statistics for one material balance area (MBA): is material missing?

For balance periods 1..B, with `C_0..C_B` the physical inventories at the
period boundaries and each flow's per-period total one measurement:

    MUF_i = (C_{i-1} + inputs_i - outputs_i) - C_i

Measurement errors are relative (`accordwatch.safeguards.measurement`): a random part,
independent per measurement, and a systematic part shared by every
measurement of a location (until a recalibration starts a new one). With plug-in
estimates from the observed values, the covariance of (MUF_1..MUF_B) is

    Sigma = T + U diag(s^2) U^T

- `T` (tridiagonal), from random errors: a flow adds `F_i^2 r^2` to the
  diagonal; an inventory enters two consecutive balances with opposite signs,
  so it adds `(C_{i-1}^2 + C_i^2) r^2` to the diagonal and `-C_i^2 r^2`
  between periods i and i+1;
- `U` (one column per location and calibration), from systematic errors: a
  flow's column is `F_i`, an inventory's `C_{i-1} - C_i`, so a flow adds
  `F_i F_j s^2` and an inventory `(C_i - C_{i-1})(C_j - C_{j-1}) s^2`.

sigma_MUF is the square root of the diagonal; the opening inventory of period 1
is measured and carries its uncertainty. SITMUF is `L^-1 MUF` with
`Sigma = L L^T`: computed from the structure (a bidiagonal Cholesky factor of
`T` and a sequential rank-one update for the low-rank part) in O(B G^2) time
and O(B G) memory for G columns, never forming Sigma. Page's test runs on SITMUF.

Every function accepts leading batch dimensions (realisations of a simulation).
Pure NumPy; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Kind = Literal["input", "output", "inventory"]
KINDS: tuple[Kind, ...] = ("input", "output", "inventory")

#: Page's test threshold: with K = 0.5 the in-control average run length is 930.9
#: balances and a loss of one SITMUF standard deviation per balance is found in 10.4
#: on average (`accordwatch.safeguards.detection.page_arl_exact`).
DEFAULT_H = 5.0
TESTS = ("muf", "cumuf", "sitmuf", "page")


@dataclass(frozen=True)
class Location:
    """A key measurement point: a flow (B per-period totals) or an inventory (B+1 values)."""

    name: str
    kind: Kind
    values: Array
    random_rsd: float
    systematic_rsd: float
    #: periods (1-based) from which a recalibration gives a new systematic error
    recalibrated_at: tuple[int, ...] = ()

    def calibration(self, count: int, *, boundaries: bool) -> NDArray[np.int64]:
        """Index of the systematic error of each period (or boundary) value."""
        positions = np.arange(0, count + 1) if boundaries else np.arange(1, count + 1)
        return np.searchsorted(np.asarray(self.recalibrated_at), positions, side="right")


@dataclass(frozen=True)
class Balance:
    """One MBA's sequence of B balance periods."""

    period_count: int
    locations: tuple[Location, ...]

    def __post_init__(self) -> None:
        b = self.period_count
        if b < 1:
            raise ValueError("a balance sequence needs at least one period")
        if not self.locations:
            raise ValueError("a balance sequence needs at least one location")
        for loc in self.locations:
            want = b + 1 if loc.kind == "inventory" else b
            if loc.kind not in KINDS:
                raise ValueError(f"location {loc.name!r}: kind must be one of {', '.join(KINDS)}")
            if loc.values.shape[-1:] != (want,):
                raise ValueError(
                    f"location {loc.name!r} ({loc.kind}) needs {want} values, "
                    f"has {loc.values.shape[-1] if loc.values.ndim else 0}"
                )
            if not np.all(np.isfinite(loc.values)):
                raise ValueError(f"location {loc.name!r} has a value that is not a finite number")
            for rsd in (loc.random_rsd, loc.systematic_rsd):
                if not 0 <= rsd < 1:
                    raise ValueError(f"location {loc.name!r}: relative SDs must be in [0, 1)")
            at = loc.recalibrated_at
            if list(at) != sorted(set(at)) or any(not 2 <= p <= b for p in at):
                raise ValueError(
                    f"location {loc.name!r}: recalibrated_at must be increasing periods in 2..{b}"
                )

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(*(loc.values.shape[:-1] for loc in self.locations))


def muf(balance: Balance) -> Array:
    """MUF_i = C_{i-1} + inputs_i - outputs_i - C_i, shape (..., B)."""
    total = np.zeros((*balance.batch_shape, balance.period_count))
    for loc in balance.locations:
        v = loc.values
        if loc.kind == "input":
            total = total + v
        elif loc.kind == "output":
            total = total - v
        else:
            total = total + (v[..., :-1] - v[..., 1:])
    return total


@dataclass(frozen=True)
class Covariance:
    """Sigma = T + U diag(variances) U^T with T tridiagonal (see the module docstring)."""

    diagonal: Array  # (..., B): T_ii
    lower: Array  # (..., B-1): T_{i+1,i}
    factors: Array  # (..., B, G): U
    variances: Array  # (G,): s^2 of each column

    def sigma(self) -> Array:
        """sigma_MUF_i, the square root of Sigma's diagonal."""
        systematic: Array = np.einsum("...ig,g->...i", self.factors**2, self.variances)
        return np.sqrt(self.diagonal + systematic)

    def cumulative_sigma(self) -> Array:
        """Standard deviation of CUMUF_i = MUF_1 + ... + MUF_i."""
        banded = np.cumsum(self.diagonal, axis=-1)
        banded[..., 1:] += 2 * np.cumsum(self.lower, axis=-1)
        summed = np.cumsum(self.factors, axis=-2)
        systematic: Array = np.einsum("...ig,g->...i", summed**2, self.variances)
        return np.sqrt(banded + systematic)

    def dense(self) -> Array:
        """The full B x B matrix (for small B and for checking; the statistics never form it)."""
        b = self.diagonal.shape[-1]
        out: Array = np.einsum("...ig,g,...jg->...ij", self.factors, self.variances, self.factors)
        i = np.arange(b)
        out[..., i, i] += self.diagonal
        out[..., i[1:], i[:-1]] += self.lower
        out[..., i[:-1], i[1:]] += self.lower
        return out


def covariance(balance: Balance) -> Covariance:
    """The covariance of (MUF_1..MUF_B) from the observed values (plug-in estimates)."""
    b = balance.period_count
    shape = balance.batch_shape
    diag = np.zeros((*shape, b))
    lower = np.zeros((*shape, b - 1))
    columns: list[Array] = []
    variances: list[float] = []
    for loc in balance.locations:
        v = np.broadcast_to(loc.values, shape + loc.values.shape[-1:])
        r2, s2 = loc.random_rsd**2, loc.systematic_rsd**2
        signed: tuple[Array, ...]
        segments: tuple[NDArray[np.int64], ...]
        if loc.kind == "inventory":
            diag = diag + (v[..., :-1] ** 2 + v[..., 1:] ** 2) * r2
            lower = lower - v[..., 1:-1] ** 2 * r2
            signed = (v[..., :-1], -v[..., 1:])
            seg = loc.calibration(b, boundaries=True)
            segments = (seg[:-1], seg[1:])
        else:
            diag = diag + v**2 * r2
            signed = (v,)
            segments = (loc.calibration(b, boundaries=False),)
        if s2 == 0:
            continue
        for g in range(len(loc.recalibrated_at) + 1):
            column = sum(
                (np.where(s == g, part, 0.0) for part, s in zip(signed, segments, strict=True)),
                start=np.zeros((*shape, b)),
            )
            columns.append(column)
            variances.append(s2)
    factors = np.stack(columns, axis=-1) if columns else np.zeros((*shape, b, 0))
    return Covariance(diag, lower, factors, np.asarray(variances, dtype=np.float64))


class NotPositiveDefiniteError(ValueError):
    """The covariance cannot be factored: SITMUF is undefined."""


def sitmuf(mufs: Array, cov: Covariance) -> Array:
    """Standardized independent transformed MUF: `L^-1 MUF` with `Sigma = L L^T`.

    Sigma = L_T (I + W W^T) L_T^T with `L_T` the bidiagonal Cholesky factor
    of T and `W = L_T^-1 U diag(s)`; so `L = L_T L_2` with `L_2` the Cholesky
    factor of `I + W W^T`, and `L_2^-1 y` is the sequence of standardized
    innovations of `y = W z + e` (z, e standard normal), which a rank-one
    update per balance computes. One pass over the balances, all at once.

    Two kinds of balance have no standardized value (NaN):
    - an empty one, whose row of Sigma is zero (no material was there, so its
      MUF is exactly known): it is left out of the sequence, which is exact,
      since it is uncorrelated with every other balance;
    - from the first balance whose random-error part is not positive definite
      while it holds material (a location measured with no random error): the
      factorization cannot go on, so that balance and every later one are NaN.
      (`evaluate` then tries the whole matrix, which may still be positive
      definite thanks to the systematic part.)
    """
    shape = np.broadcast_shapes(mufs.shape[:-1], cov.diagonal.shape[:-1])
    b = mufs.shape[-1]
    g = cov.factors.shape[-1]
    diag = np.broadcast_to(cov.diagonal, (*shape, b))
    lower = np.broadcast_to(cov.lower, (*shape, b - 1))
    factors = np.broadcast_to(cov.factors, (*shape, b, g))
    rhs = np.concatenate(
        [
            np.broadcast_to(mufs, (*shape, b))[..., None],
            factors * np.sqrt(cov.variances),
        ],
        axis=-1,
    )
    out = np.empty((*shape, b))
    p = np.broadcast_to(np.eye(g), (*shape, g, g)).copy()
    z = np.zeros((*shape, g))
    off = np.zeros(shape)
    prev = np.zeros((*shape, g + 1))
    dead = np.zeros(shape, dtype=bool)
    for i in range(b):
        pivot = diag[..., i] - off**2
        empty = (diag[..., i] <= 0) & ~np.any(factors[..., i, :] != 0, axis=-1)
        dead = dead | ((pivot <= 0) & ~empty)
        skip = empty | dead
        root = np.sqrt(np.where(skip, 1.0, pivot))
        x = (rhs[..., i, :] - off[..., None] * prev) / root[..., None]
        if i < b - 1:
            off = np.where(skip, 0.0, lower[..., i] / root)
        prev = np.where(skip[..., None], 0.0, x)
        y, w = x[..., 0], x[..., 1:]
        pw = np.einsum("...ij,...j->...i", p, w)
        s = 1.0 + np.einsum("...i,...i->...", w, pw)
        innovation = y - np.einsum("...i,...i->...", w, z)
        out[..., i] = np.where(skip, np.nan, innovation / np.sqrt(s))
        gain = np.where(skip[..., None], 0.0, pw / s[..., None])
        z = z + gain * innovation[..., None]
        p = p - gain[..., :, None] * pw[..., None, :]
    return out


def page(values: Array, k_ref: float = 0.5) -> Array:
    """Page's statistic: P_0 = 0, P_i = max(0, P_{i-1} + x_i - K).

    Equal to `S_i - min(0, S_1..S_i)` with `S` the partial sums of `x - K`, which
    is how it is computed (no loop). A balance with no standardized value (NaN,
    see `sitmuf`) leaves the statistic where it was.
    """
    undefined = np.isnan(values)
    # A balance with no standardized value moves the statistic neither way.
    partial = np.cumsum(np.where(undefined, 0.0, values - k_ref), axis=-1)
    return partial - np.minimum(0.0, np.minimum.accumulate(partial, axis=-1))


def first_alarm(flags: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The first alarming balance (1-based) along the last axis, 0 where none alarms."""
    first = np.argmax(flags, axis=-1) + 1
    return np.where(flags.any(axis=-1), first, 0)


@dataclass(frozen=True)
class Settings:
    k: float = 3.0
    """A single balance alarms when MUF_i > k sigma_i (and CUMUF, SITMUF likewise)."""
    K: float = 0.5
    """Page's reference value."""
    h: float = DEFAULT_H
    """Page's test alarms when P_i > h."""

    def __post_init__(self) -> None:
        for name in ("k", "K", "h"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, not {value}")


@dataclass(frozen=True)
class Undefined:
    """Statistics that have no value at some balances, and why."""

    statistics: tuple[str, ...]
    balances: tuple[int, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "statistics": list(self.statistics),
            "balances": list(self.balances),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Evaluation:
    """Every statistic of a balance sequence, shape (..., B) each."""

    settings: Settings
    muf: Array
    sigma_muf: Array
    cumuf: Array
    sigma_cumuf: Array
    sitmuf: Array
    page: Array
    alarms: dict[str, NDArray[np.bool_]] = field(default_factory=dict)
    undefined: tuple[Undefined, ...] = ()
    """Which statistics have no value at which balances, and why (unbatched only)."""

    def first_alarms(self) -> dict[str, NDArray[np.int64]]:
        return {name: first_alarm(flags) for name, flags in self.alarms.items()}

    def thresholds(self) -> dict[str, list[float | None]]:
        """Per balance, the value above which each test alarms (unbatched)."""
        count = int(self.muf.shape[-1])
        s = self.settings
        return {
            "muf": _floats(s.k * self.sigma_muf),
            "cumuf": _floats(s.k * self.sigma_cumuf),
            "sitmuf": [s.k] * count,
            "page": [s.h] * count,
        }

    def to_json(self) -> dict[str, Any]:
        """JSON of an unbatched evaluation (balances numbered from 1)."""
        if self.muf.ndim != 1:
            raise ValueError("to_json needs a single balance sequence")
        alarms: dict[str, Any] = {}
        for name, flags in self.alarms.items():
            balances = [int(i) + 1 for i in np.flatnonzero(flags)]
            alarms[name] = {"first": balances[0] if balances else None, "balances": balances}
        return {
            "period_count": int(self.muf.shape[-1]),
            "k": self.settings.k,
            "K": self.settings.K,
            "h": self.settings.h,
            "muf": _floats(self.muf),
            "sigma_muf": _floats(self.sigma_muf),
            "cumuf": _floats(self.cumuf),
            "sigma_cumuf": _floats(self.sigma_cumuf),
            "sitmuf": _floats(self.sitmuf),
            "page": _floats(self.page),
            "alarms": alarms,
            "undefined": [u.to_json() for u in self.undefined],
        }


def _floats(values: Array) -> list[float | None]:
    """Values for JSON: an undefined statistic (NaN) is null."""
    return [None if np.isnan(v) else float(v) for v in values]


def evaluate(
    balance: Balance, settings: Settings = Settings(), *, declared: Balance | None = None
) -> Evaluation:
    """MUF, sigma, CUMUF, SITMUF, Page and the alarms of each test.

    The covariance is built from the observed values (plug-in estimates) unless
    `declared` gives the same locations' declared values, which then build it
    instead: a measurement error does not then inflate its own variance.
    """
    mufs = muf(balance)
    cov = covariance(balance if declared is None else _declared_for(balance, declared))
    sigma = cov.sigma()
    cumuf = np.cumsum(mufs, axis=-1)
    sigma_cumuf = cov.cumulative_sigma()
    standardized = sitmuf(mufs, cov)
    empty = np.broadcast_to(
        (cov.diagonal <= 0) & ~np.any(cov.factors != 0, axis=-1), standardized.shape
    )
    stopped = np.isnan(standardized) & ~empty
    culprit = int(np.argmax(stopped)) + 1 if stopped.ndim == 1 and stopped.any() else 0
    if stopped.any() and standardized.ndim == 1 and standardized.size <= _DENSE_LIMIT:
        standardized, stopped = _dense_sitmuf(mufs, cov, empty)
    pages = np.where(stopped, np.nan, page(standardized, settings.K))
    with np.errstate(invalid="ignore"):
        alarms = {
            "muf": mufs > settings.k * sigma,
            "cumuf": cumuf > settings.k * sigma_cumuf,
            "sitmuf": standardized > settings.k,
            "page": pages > settings.h,
        }
    undefined: tuple[Undefined, ...] = ()
    if standardized.ndim == 1:
        undefined = _undefined(empty, stopped, culprit)
    return Evaluation(
        settings, mufs, sigma, cumuf, sigma_cumuf, standardized, pages, alarms, undefined
    )


#: the largest sequence whose SITMUF is computed from the full matrix when the
#: structured factorization cannot be used (B x B floats: 200 MB at 5,000)
_DENSE_LIMIT = 5_000


def _dense_sitmuf(
    mufs: Array, cov: Covariance, empty: NDArray[np.bool_]
) -> tuple[Array, NDArray[np.bool_]]:
    """SITMUF from a Cholesky factor of the whole matrix (without the empty balances).

    The structured computation factors the random-error part first, which fails
    when a balance has no random error although the systematic part gives it a
    variance; the whole matrix may still be positive definite.
    """
    keep = np.flatnonzero(~empty)
    out = np.full(mufs.shape, np.nan)
    try:
        factor = np.linalg.cholesky(cov.dense()[np.ix_(keep, keep)])
    except np.linalg.LinAlgError:
        return out, ~empty
    # Forward substitution: L is lower triangular.
    out[keep] = np.linalg.solve(factor, mufs[keep])
    return out, np.zeros(mufs.shape, dtype=bool)


def _declared_for(balance: Balance, declared: Balance) -> Balance:
    """The declared balance, checked to describe the same locations as the observed one."""
    if declared.period_count != balance.period_count:
        raise ValueError("the declared values cover another number of periods")
    names = [(loc.name, loc.kind) for loc in balance.locations]
    if [(loc.name, loc.kind) for loc in declared.locations] != names:
        raise ValueError("the declared values name other locations")
    return declared


def _undefined(
    empty: NDArray[np.bool_], stopped: NDArray[np.bool_], culprit: int
) -> tuple[Undefined, ...]:
    out: list[Undefined] = []
    balances = [int(i) + 1 for i in np.flatnonzero(empty)]
    if balances:
        out.append(
            Undefined(
                ("sitmuf",),
                tuple(balances),
                "the balance's MUF has no measurement error (an empty period, or nothing "
                "that changed was measured with error): it is known exactly and has no "
                "standardized value; Page's test keeps its value across it",
            )
        )
    stop = [int(i) + 1 for i in np.flatnonzero(stopped)]
    if stop:
        out.append(
            Undefined(
                ("sitmuf", "page"),
                tuple(stop),
                "the covariance of the balances is not positive definite (from balance "
                f"{culprit} on, material is measured with no random error), so they "
                "cannot be standardized",
            )
        )
    return tuple(out)


def locations_from(
    specs: Sequence[tuple[str, Kind, Array, float, float]],
) -> tuple[Location, ...]:
    """Locations from (name, kind, values, random_rsd, systematic_rsd) tuples."""
    return tuple(Location(n, k, np.asarray(v, dtype=np.float64), r, s) for n, k, v, r, s in specs)
