"""The schedule of an accord file: phases that end in order, and deadlines that can be met.

Phases must be listed in the order they end (error). A fixed deadline after
the end of its step's phase is a warning.

Deadlines that cannot be met. Every deadline is given a *scheduled date*: a
fixed date is itself, `end of phase` is the phase's `ends`, and
`Nd after X reported|verified` is X's scheduled date plus N days, that is the
date it falls on when X is taken on its own deadline and verified at once
(verification windows are not added, so this is the earliest date the
deadline falls on when X uses its full time). A step that `requires` X may
only be taken once X is verified; if its scheduled date is before X's, the
schedule asks for it before X is even due, and that is an error. Steps in a
cycle, or counting from an unknown step, have no scheduled date and are not
compared.
"""

from __future__ import annotations

from datetime import date, timedelta

from accordwatch.roadmap.accord import FixedDeadline, PhaseEndDeadline, RelativeDeadline
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_views import AccordView, PhaseView


def check_phase_order(view: AccordView, report: ProblemReport) -> None:
    latest: PhaseView | None = None
    for phase in sorted(view.phases.values(), key=lambda p: p.index):
        if phase.ends is None:
            continue
        if latest is not None and latest.ends is not None and phase.ends <= latest.ends:
            report.error(
                ("phases", phase.index, "ends"),
                f"phase {phase.id!r} ends {phase.ends.isoformat()}, not after phase "
                f"{latest.id!r} ({latest.ends.isoformat()}): list phases in the order they end",
            )
        else:
            latest = phase


def check_schedule(view: AccordView, report: ProblemReport, in_cycle: set[str]) -> None:
    """Deadlines before those of the steps they require, and fixed ones after their phase."""
    dates = _scheduled(view, report, in_cycle)
    for step in view.steps.values():
        due = dates.get(step.id)
        if due is None:
            continue
        late = [
            ref
            for _, ref in step.requires
            if ref != step.id
            and ref in dates
            and dates[ref] > due
            and not (ref in in_cycle and step.id in in_cycle)
        ]
        if late:
            counted = (
                f" (counting from {step.due.step!r} taken on its deadline)"
                if isinstance(step.due, RelativeDeadline)
                else ""
            )
            names = ", ".join(f"{ref!r} (due {dates[ref].isoformat()})" for ref in late)
            report.error(
                (*step.at, "deadline"),
                f"step {step.id!r}: deadline {due.isoformat()}{counted} cannot be met: it "
                f"falls before the deadline of {names}, which must be verified first",
            )
        phase = view.phases.get(step.phase) if step.phase is not None else None
        fixed = step.due.on if isinstance(step.due, FixedDeadline) else None
        if fixed is not None and phase is not None and phase.ends and fixed > phase.ends:
            report.warning(
                (*step.at, "deadline"),
                f"step {step.id!r}: due {fixed.isoformat()}, after its phase "
                f"{phase.id!r} ends ({phase.ends.isoformat()})",
            )


def _scheduled(view: AccordView, report: ProblemReport, in_cycle: set[str]) -> dict[str, date]:
    """The scheduled date of every deadline that has one (see the module docstring)."""
    dates: dict[str, date] = {}
    relative: dict[str, RelativeDeadline] = {}
    for step in view.steps.values():
        if isinstance(step.due, FixedDeadline):
            dates[step.id] = step.due.on
        elif isinstance(step.due, PhaseEndDeadline) and step.phase in view.phases:
            ends = view.phases[step.phase].ends
            if ends is not None:
                dates[step.id] = ends
        elif isinstance(step.due, RelativeDeadline) and step.id not in in_cycle:
            relative[step.id] = step.due
    for ident in list(relative):
        chain = []  # steps whose deadline counts from the next one, back to a known date
        while ident in relative and ident not in dates:
            chain.append(ident)
            ident = relative.pop(ident).step
        base = dates.get(ident)
        for counted in reversed(chain):
            if base is None:
                break
            try:
                base = dates[counted] = base + timedelta(days=view.steps[counted].due_days)
            except OverflowError:
                base = None
                report.error(
                    (*view.steps[counted].at, "deadline"),
                    f"step {counted!r}: deadline falls beyond the last representable date",
                )
    return dates
