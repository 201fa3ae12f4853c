"""The road map timeline: phases, steps, deadlines, status colours, the balance curve.

Top: one row per step, grouped by phase (shaded bands), with its deadline
(a tick), the span from report to verification and a dot coloured by the
step's status as of the date. Bottom: cumulative weight of the inspected
party's verified steps against concessions granted, shaded where concessions
ran ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from accordwatch.reports.charts.files import MIN_TEXT_PT, PAGE_WIDTH_IN, save_chart
from accordwatch.roadmap.accord import Accord, StepKind
from accordwatch.roadmap.history import RoadmapRecord, Signature
from accordwatch.roadmap.status import Status
from accordwatch.roadmap.timeline import timeline

COLOURS = {
    "verified": "#2e7d32",
    "reported": "#1e88e5",
    "disputed": "#8e24aa",
    "overdue": "#d32f2f",
    "due": "#f9a825",
    "not yet due": "#9e9e9e",
}


def _accord(records: Sequence[RoadmapRecord], status: Status) -> Accord:
    assert status.in_force is not None
    return next(
        r.accord
        for r in records
        if isinstance(r, Signature) and r.accord.digest() == status.in_force.digest
    )


def draw_roadmap(records: Sequence[RoadmapRecord], status: Status, out: Path) -> list[Path]:
    """Write `roadmap-<accord>-<date>.png` and `.svg` into `out`; return the paths."""
    # matplotlib is imported when a chart is drawn: importing this module stays light.
    import matplotlib

    matplotlib.use("Agg")  # no display, no network: files only

    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if status.in_force is None or status.accord_id is None:
        from accordwatch.errors import InputError

        raise InputError(f"no accord is in force as of {status.as_of}: nothing to draw")
    accord = _accord(records, status)
    # a kind the accord declares may refine `concession` (a sanctions lift)
    concessions = {st.id for st in accord.steps if accord.base_kind(st) is StepKind.CONCESSION}
    steps = list(status.steps)
    start = min(status.in_force.since, *(s.deadline for s in steps if s.deadline)) - timedelta(30)
    end = max(status.as_of, *(p.ends for p in accord.phases)) + timedelta(30)

    # rows far enough apart for labels of MIN_TEXT_PT; legends above the plots, never on them
    height = max(7.0, 0.22 * len(steps) + 5.0)
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(PAGE_WIDTH_IN, height),
        sharex=True,
        gridspec_kw={"height_ratios": [max(3.0, len(steps) / 6), 1.6]},
        layout="constrained",
    )
    phase_start = status.in_force.since
    rows = {s.id: i for i, s in enumerate(steps)}
    for n, phase in enumerate(accord.phases):
        top.axvspan(phase_start, phase.ends, color="#000000", alpha=0.04 if n % 2 else 0.0)
        top.text(
            phase_start + (phase.ends - phase_start) / 2,
            -1.4,
            phase.id,
            ha="center",
            va="top",
            fontsize=MIN_TEXT_PT,
            color="#555555",
        )
        phase_start = phase.ends
    for s in steps:
        y = rows[s.id]
        colour = COLOURS[str(s.status)]
        if s.reported_on:
            finish = s.verified_on or status.as_of
            top.plot(
                [s.reported_on, finish],
                [y, y],
                color=colour,
                lw=3,
                alpha=0.5,
                solid_capstyle="butt",
            )
        if s.deadline:
            top.plot([s.deadline], [y], marker="|", ms=11, mew=2, color="#333333")
        anchor = s.verified_on or s.reported_on or s.deadline
        if anchor:
            top.plot(
                [anchor],
                [y],
                marker="o",
                ms=6,
                color=colour,
                markeredgecolor="black" if s.id in concessions else "white",
            )
    top.axvline(status.as_of, color="#d32f2f", lw=1, ls="--")
    top.set_yticks(range(len(steps)))
    top.set_yticklabels([f"{s.id} ({s.party})" for s in steps], fontsize=MIN_TEXT_PT)
    top.set_ylim(len(steps), -1.5)
    fig.suptitle(f"{accord.title}: status as of {status.as_of}", fontsize=11)
    legend = [Line2D([0], [0], marker="o", ls="", color=c, label=k) for k, c in COLOURS.items()]
    legend.append(
        Line2D([0], [0], marker="|", ls="", ms=10, mew=2, color="#333333", label="deadline")
    )
    legend.append(
        Line2D(
            [0], [0], marker="o", ls="", color="white", markeredgecolor="black", label="concession"
        )
    )
    top.legend(
        handles=legend,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        fontsize=MIN_TEXT_PT,
        ncol=len(legend),
        frameon=False,
        handletextpad=0.2,
        columnspacing=1.0,
    )

    days = timeline(records, start, min(status.as_of, end), accord_id=status.accord_id)
    xs = [p.date for p in days.points]
    verified = [p.verified_weight for p in days.points]
    granted = [p.concession_weight for p in days.points]
    bottom.step(
        xs,
        verified,
        where="post",
        color=COLOURS["verified"],
        label="verified steps (inspected party)",
    )
    bottom.step(xs, granted, where="post", color="#ef6c00", label="concessions granted")
    bottom.fill_between(
        xs,
        verified,
        granted,
        where=[g > v for g, v in zip(granted, verified, strict=True)],
        step="post",
        color="#ef6c00",
        alpha=0.25,
        label="concessions ahead",
    )
    bottom.axvline(status.as_of, color="#d32f2f", lw=1, ls="--")
    bottom.set_ylabel("cumulative weight", fontsize=MIN_TEXT_PT)
    bottom.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=MIN_TEXT_PT, ncol=3, frameon=False
    )
    bottom.set_xlim(start, end)
    # matplotlib.dates has no type annotations for these constructors
    bottom.xaxis.set_major_locator(mdates.YearLocator())  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))  # type: ignore[no-untyped-call]
    bottom.xaxis.set_minor_locator(
        mdates.MonthLocator(bymonth=(4, 7, 10))  # type: ignore[no-untyped-call]
    )
    stem = out / f"roadmap-{status.accord_id}-{status.as_of.isoformat()}"
    paths = save_chart(fig, stem.with_suffix(".png"), stem.with_suffix(".svg"))
    plt.close(fig)
    return paths
