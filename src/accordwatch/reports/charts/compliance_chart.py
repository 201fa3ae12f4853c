"""Violations per year by event type, with uncertain events and responses marked.

Bars: per year, the violations of binding obligations stacked by event type,
and on top of them (hatched, grey) the uncertain ones, in the report's unit
(events or missiles). Diamonds: how many of the year's violating events were
answered within the window. Along the foot of the chart, one tick per
response, coloured by kind, at its date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display, no network: files only

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from accordwatch.compliance.report import Report
from accordwatch.compliance.responses import NOT_A_RESPONSE, RESPONSE_KINDS, Response
from accordwatch.errors import InputError
from accordwatch.reports.charts.files import MIN_TEXT_PT, PAGE_WIDTH_IN, save_chart

TYPE_COLOURS = {
    "missile_launch": "#c62828",
    "satellite_launch": "#6a1b9a",
    "nuclear_test": "#212121",
    "observation": "#00838f",
    "unclassified_launch": "#9e9e9e",
}
KIND_COLOURS = {
    "sc-resolution": "#1565c0",
    "sc-statement": "#42a5f5",
    "sanctions-designation": "#2e7d32",
    "resumed-exercise": "#ef6c00",
    "diplomatic-protest": "#8d6e63",
    "other": "#546e7a",
    "none-decided": "#bdbdbd",
}


def _fraction(day: date) -> float:
    start = date(day.year, 1, 1).toordinal()
    length = date(day.year + 1, 1, 1).toordinal() - start
    return day.year + (day.toordinal() - start) / length - 0.5


def draw_compliance(report: Report, responses: Sequence[Response], out: Path) -> list[Path]:
    """Write `compliance-<unit>-<date>.png` and `.svg` into `out`; return the paths."""
    if not report.by_year:
        raise InputError(f"no violations as of {report.as_of}: nothing to draw")
    unit = "events" if report.unit == "event" else "missiles"
    years = [y.year for y in report.by_year]
    first, last = min(years), max(years)
    xs = list(range(first, last + 1))
    lines = {y.year: y for y in report.by_year}
    types = [t for t in TYPE_COLOURS if any(t in y.by_type for y in report.by_year)]

    fig, ax = plt.subplots(
        figsize=(min(PAGE_WIDTH_IN, max(8.0, 0.55 * len(xs) + 3)), 6.0), layout="constrained"
    )
    bottom = [0.0] * len(xs)
    for name in types:
        heights = [
            float(lines[x].by_type[name].violations)
            if x in lines and name in lines[x].by_type
            else 0.0
            for x in xs
        ]
        if any(heights):
            ax.bar(
                xs,
                heights,
                bottom=bottom,
                color=TYPE_COLOURS[name],
                width=0.7,
                label=name.replace("_", " "),
            )
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    uncertain = [float(lines[x].tally.uncertain) if x in lines else 0.0 for x in xs]
    if any(uncertain):
        ax.bar(
            xs,
            uncertain,
            bottom=bottom,
            color="white",
            edgecolor="#757575",
            hatch="///",
            width=0.7,
            label="uncertain (source does not say enough)",
        )
    totals = [b + u for b, u in zip(bottom, uncertain, strict=True)]
    top = max(totals) if totals else 1.0
    for x, total, violations in zip(xs, totals, bottom, strict=True):
        if total:
            ax.text(
                x,
                total + top * 0.01,
                f"{violations:g}",
                ha="center",
                va="bottom",
                fontsize=MIN_TEXT_PT,
            )

    # only years where some violation was answered in time: zero is the bar's own foot
    marked = [(x, float(lines[x].states["answered"])) for x in xs if x in lines]
    marked = [(x, n) for x, n in marked if n]
    ax.plot(
        [x for x, _ in marked],
        [n for _, n in marked],
        ls="",
        marker="D",
        ms=6,
        color="#1565c0",
        markeredgecolor="white",
        label=f"violating {unit} answered within {report.window_days} days",
    )

    rug = -top * 0.06
    kinds_seen: list[str] = []
    for r in sorted(responses, key=lambda r: r.on):
        if not first <= r.on.year <= last:
            continue
        ax.plot(
            [_fraction(r.on)],
            [rug],
            marker="^",
            ms=7,
            ls="",
            color=KIND_COLOURS.get(r.kind, "#546e7a"),
            markeredgecolor="black" if r.kind in NOT_A_RESPONSE else "none",
        )
        if r.kind not in kinds_seen:
            kinds_seen.append(r.kind)

    ax.axhline(0, color="#424242", lw=0.8)
    ax.set_xlim(first - 0.7, last + 0.7)
    ax.set_ylim(rug * 2, top * 1.12 + 1)
    ax.set_xticks(xs)
    # a year's label is four digits: upright while they fit side by side, else turned
    upright = len(xs) <= 16
    ax.set_xticklabels([str(x) for x in xs], rotation=0 if upright else 90, fontsize=MIN_TEXT_PT)
    # counts of events or missiles: whole numbers only, however few
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"violations ({unit})")
    ax.set_xlabel(
        "year; below the axis, each response (triangle) at its date", fontsize=MIN_TEXT_PT
    )
    scope = f"as of {report.as_of}"
    fig.suptitle(
        f"Violations of binding obligations per year, counted in {unit}: {scope}", fontsize=11
    )
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D(
            [0],
            [0],
            marker="^",
            ls="",
            color=KIND_COLOURS.get(k, "#546e7a"),
            label=f"response: {RESPONSE_KINDS.get(k, k)}",
        )
        for k in kinds_seen
    ]
    if not kinds_seen:
        handles.append(Patch(color="white", label="no response recorded"))
    # above the plot, not on it: a legend inside would hide the bars of some years
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        fontsize=MIN_TEXT_PT,
        ncol=3,
        frameon=False,
    )

    stem = out / f"compliance-{report.unit}-{report.as_of.isoformat()}"
    paths = save_chart(fig, stem.with_suffix(".png"), stem.with_suffix(".svg"))
    plt.close(fig)
    return paths
