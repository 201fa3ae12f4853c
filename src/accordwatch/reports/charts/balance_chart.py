"""Material balance pictures: MUF and CUMUF with their alarm bands, SITMUF and Page's
statistic against their thresholds, detection probability curves, and simulated
detection by balance. Each is written as PNG and SVG; `balance_svg` gives the
balance picture as SVG bytes, for the dashboard.

The tests alarm one way only (material missing: a statistic above its
threshold), so the threshold a statistic must cross is drawn as a red dashed
line, over the grey-blue band of +-k sigma that random measurement error alone
keeps MUF and CUMUF within; every alarming balance is marked in red.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display, no network: files only

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from accordwatch.reports.charts.files import MIN_TEXT_PT, PAGE_WIDTH_IN, save_chart, svg_bytes
from accordwatch.safeguards.detection import (
    DEFAULT_POWER,
    detectable_diversion,
    detection_probability,
)
from accordwatch.safeguards.material_balance import Evaluation
from accordwatch.safeguards.materials import KILOGRAMS_PER, Material, significant_quantity
from accordwatch.safeguards.simulation import SimulationResult

ALARM = "#d32f2f"
LINE = "#1e3a5f"
BAND = "#90caf9"


def _save(fig: Figure, out: Path, stem: str) -> list[Path]:
    paths = save_chart(fig, out / f"{stem}.png", out / f"{stem}.svg")
    plt.close(fig)
    return paths


def _banded(
    ax: Axes, x: np.ndarray, y: np.ndarray, sigma: np.ndarray, k: float, label: str
) -> None:
    ax.fill_between(
        x, -k * sigma, k * sigma, color=BAND, alpha=0.5, step="mid", label=rf"$\pm${k:g} $\sigma$"
    )
    ax.step(
        x, k * sigma, where="mid", color=ALARM, ls="--", lw=1, label=rf"alarm above {k:g} $\sigma$"
    )
    ax.plot(x, y, "o-", color=LINE, ms=3, lw=1, label=label)
    over = y > k * sigma
    ax.plot(x[over], y[over], "o", color=ALARM, ms=6, label="alarm", zorder=3)
    ax.axhline(0, color="#555555", lw=0.6)


#: the most period labels side by side; with more, they are turned upright (never broken)
_LEVEL_LABELS = 12


def draw_balance(
    result: Evaluation,
    out: Path,
    stem: str,
    *,
    unit: str,
    title: str,
    periods: Sequence[tuple[date, date]] | None = None,
) -> list[Path]:
    """MUF ± k sigma, CUMUF ± k sigma, SITMUF against k and Page's statistic against h.

    `periods`: each balance period's first and last day, to label the periods by their dates.
    """
    return _save(_balance_figure(result, unit=unit, title=title, periods=periods), out, stem)


def balance_svg(
    result: Evaluation,
    *,
    unit: str,
    title: str,
    periods: Sequence[tuple[date, date]] | None = None,
) -> bytes:
    """The picture of `draw_balance`, as SVG bytes."""
    fig = _balance_figure(result, unit=unit, title=title, periods=periods)
    svg = svg_bytes(fig)
    plt.close(fig)
    return svg


def _label_periods(ax: Axes, x: np.ndarray, periods: Sequence[tuple[date, date]] | None) -> None:
    """Name each balance period on the x axis by the day it ends, or by its number."""
    if periods is None or len(periods) != x.size:
        ax.set_xlabel("balance period", fontsize=MIN_TEXT_PT)
        return
    ax.set_xticks(x)
    level = x.size <= _LEVEL_LABELS
    ax.set_xticklabels(
        [end.isoformat() for _, end in periods],
        rotation=0 if level else 90,
        fontsize=MIN_TEXT_PT,
    )
    first = periods[0][0].isoformat()
    ax.set_xlabel(f"balance period, by the day it ends (the first begins {first})")


def _balance_figure(
    result: Evaluation,
    *,
    unit: str,
    title: str,
    periods: Sequence[tuple[date, date]] | None = None,
) -> Figure:
    if result.muf.ndim != 1:
        raise ValueError("draw one balance sequence at a time")
    s = result.settings
    x = np.arange(1, result.muf.size + 1)
    fig, axes = plt.subplots(4, 1, figsize=(PAGE_WIDTH_IN, 12), sharex=True, layout="constrained")
    _banded(axes[0], x, result.muf, result.sigma_muf, s.k, "MUF")
    axes[0].set_ylabel(f"MUF ({unit})")
    _banded(axes[1], x, result.cumuf, result.sigma_cumuf, s.k, "CUMUF")
    axes[1].set_ylabel(f"CUMUF ({unit})")
    over_k = result.sitmuf > s.k
    axes[2].bar(x[~over_k], result.sitmuf[~over_k], color=LINE, width=0.7, label="SITMUF")
    if over_k.any():
        axes[2].bar(x[over_k], result.sitmuf[over_k], color=ALARM, width=0.7, label="alarm")
    axes[2].axhline(s.k, color=ALARM, ls="--", lw=1, label=f"alarm above k = {s.k:g}")
    axes[2].set_ylabel(r"SITMUF ($\sigma$ units)")
    axes[3].step(x, result.page, where="mid", color=LINE, label=f"Page (K = {s.K:g})")
    axes[3].axhline(s.h, color=ALARM, ls="--", lw=1, label=f"alarm above h = {s.h:g}")
    over = result.page > s.h
    axes[3].plot(x[over], result.page[over], "o", color=ALARM, ms=5, label="alarm")
    axes[3].set_ylabel("Page's statistic")
    _label_periods(axes[3], x, periods)
    firsts = {name: int(v) for name, v in result.first_alarms().items()}
    for ax, name in zip(axes, ("muf", "cumuf", "sitmuf", "page"), strict=True):
        first = firsts[name]
        note = f"first alarm: balance {first}" if first else "no alarm"
        ax.set_title(
            f"{name.upper() if name != 'page' else 'Page'}: {note}", fontsize=10, loc="left"
        )
        # above the plot, on the right, not on the data
        ax.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=MIN_TEXT_PT,
            ncols=4,
            frameon=False,
            borderaxespad=0.2,
        )
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def draw_detection(
    sigmas: np.ndarray,
    alpha: float,
    out: Path,
    stem: str,
    *,
    unit: str,
    material: Material | None,
    title: str,
) -> list[Path]:
    """Detection probability of a diversion in one balance, for the smallest, median and
    largest sigma_MUF of the sequence, with the diversion detected with probability 0.95.
    """
    picks = {
        r"smallest $\sigma$": float(np.min(sigmas)),
        r"median $\sigma$": float(np.median(sigmas)),
        r"largest $\sigma$": float(np.max(sigmas)),
    }
    top = float(detectable_diversion(max(picks.values()), alpha)) * 1.4
    m = np.linspace(0, top, 400)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    colours = ("#2e7d32", LINE, "#8e24aa")
    for (label, sigma), colour in zip(picks.items(), colours, strict=True):
        p = detection_probability(m, sigma, alpha)
        m95 = float(detectable_diversion(sigma, alpha))
        ax.plot(m, p, color=colour, label=f"{label} = {sigma:.3g} {unit}: 95 % at {m95:.3g} {unit}")
        ax.axvline(m95, color=colour, ls=":", lw=0.8)
    ax.axhline(DEFAULT_POWER, color=ALARM, ls="--", lw=0.8, label="probability 0.95")
    ax.axhline(alpha, color="#777777", ls=":", lw=0.8, label=rf"false alarm $\alpha$ = {alpha:.3g}")
    ax.set_xlabel(f"diversion in one balance ({unit})")
    ax.set_ylabel("detection probability")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, top)
    if material is not None:
        sq = float(significant_quantity(material).kilograms) / float(KILOGRAMS_PER[unit])

        def to_sq(v: ArrayLike) -> ArrayLike:
            return np.asarray(v, dtype=np.float64) / sq

        def from_sq(v: ArrayLike) -> ArrayLike:
            return np.asarray(v, dtype=np.float64) * sq

        sec = ax.secondary_xaxis("top", functions=(to_sq, from_sq))
        sec.set_xlabel(f"significant quantities of {material.value}")
    ax.legend(loc="lower right", fontsize=MIN_TEXT_PT)
    ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, out, stem)


def draw_simulation(result: SimulationResult, out: Path, stem: str, *, title: str) -> list[Path]:
    """Cumulative probability that each test has alarmed, by balance, under the scenario."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for name, test in result.tests.items():
        curve = np.asarray(test.detected_by_balance)
        x = np.arange(1, curve.size + 1)
        ax.step(
            x,
            curve,
            where="post",
            label=f"{name}: P(detect) {test.detection_probability:.3f}, "
            f"false alarms {test.false_alarm_rate:.3f}",
        )
    scenario = result.scenario
    if scenario.kind != "none":
        ax.axvline(scenario.start, color=ALARM, ls=":", lw=0.8, label="diversion starts")
    ax.set_xlabel("balance period")
    ax.set_ylabel("probability of an alarm by this balance")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", fontsize=MIN_TEXT_PT)
    ax.grid(alpha=0.3)
    ax.set_title(f"{title} ({result.realisations} realisations, seed {result.seed})")
    fig.tight_layout()
    return _save(fig, out, stem)
