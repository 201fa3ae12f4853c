"""The spread of a draft's balance under delays: `accord assess --chart PATH`.

Top: concession weight minus the inspected party's verified weight, over
time, across the Monte Carlo runs: the median, the 25-75 % band and the
5-95 % band; above zero, concessions run ahead of verified steps. Bottom:
the share of runs in which they do, on each day, with the completion date's
5th, 50th and 95th percentiles.
"""

from __future__ import annotations

from pathlib import Path

from accordwatch.reports.charts.files import save_chart
from accordwatch.roadmap.assessment import Assessment

AHEAD = "#d32f2f"
LINE = "#1e3a5f"
BAND = "#90caf9"


def draw_assessment(assessment: Assessment, path: Path) -> list[Path]:
    """Write `path` with the suffixes .png and .svg; return the two paths."""
    # matplotlib is imported when a chart is drawn: importing this module stays light.
    import matplotlib

    matplotlib.use("Agg")  # no display, no network: files only

    import matplotlib.pyplot as plt

    mc = assessment.monte_carlo
    days = list(mc.spread_days)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
    )
    if days:
        top.fill_between(
            days, mc.spread[5], mc.spread[95], color=BAND, alpha=0.45, lw=0, label="5-95 % of runs"
        )
        top.fill_between(
            days, mc.spread[25], mc.spread[75], color=BAND, alpha=0.9, lw=0, label="25-75 % of runs"
        )
        top.plot(days, mc.spread[50], color=LINE, lw=1.5, label="median")
        bottom.fill_between(days, 0, mc.spread_ahead, color=AHEAD, alpha=0.35, lw=0, step="post")
        bottom.plot(
            days,
            mc.spread_ahead,
            color=AHEAD,
            lw=1,
            drawstyle="steps-post",
            label="share of runs with concessions ahead",
        )
    top.axhline(0, color="#555555", lw=0.8)
    top.set_ylabel("concessions - verified (weight)")
    top.set_title(
        f"P(concessions ahead at some point) {mc.p_ahead:.3f}; "
        f"expected {mc.mean_days_ahead:.0f} days ahead",
        fontsize=9,
        loc="left",
    )
    for q, style in ((5, ":"), (50, "--"), (95, ":")):
        bottom.axvline(
            mc.completion[q],
            color=LINE,
            ls=style,
            lw=0.8,
            label=f"completion p{q}: {mc.completion[q]}",
        )
    bottom.set_ylim(0, 1.02)
    bottom.set_ylabel("share ahead")
    for ax in (top, bottom):
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"{assessment.accord_id}: the balance under delays "
        f"({mc.runs} runs, seed {mc.seed}, delays: {mc.delays_from})"
    )
    fig.tight_layout()
    stem = path.with_suffix("") if path.suffix.lower() in (".png", ".svg") else path
    paths = save_chart(fig, stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg"))
    plt.close(fig)
    return paths
