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

Dates counted from entry into force (`Nd after entry into force`, for a
deadline or a phase's end) are scheduled as N days after an unknown day:
they are compared with each other, and with dates counted from them, but not
with calendar dates, since the accord may be signed on any day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from accordwatch.roadmap.accord import (
    AfterEntryIntoForce,
    FixedDeadline,
    PhaseEndDeadline,
    RelativeDeadline,
)
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_views import AccordView, PhaseView

#: the day entry into force is scheduled on, for dates counted from it
_ENTRY = date(1, 1, 1)


class Scheduled(NamedTuple):
    """A scheduled date: a calendar date, or one counted from entry into force."""

    on: date
    from_entry: bool

    def comparable(self, other: Scheduled) -> bool:
        return self.from_entry == other.from_entry

    def text(self) -> str:
        if self.from_entry:
            return f"{(self.on - _ENTRY).days}d after entry into force"
        return self.on.isoformat()


def phase_end(phase: PhaseView) -> Scheduled | None:
    if phase.ends is not None:
        return Scheduled(phase.ends, False)
    if phase.after_force is not None:
        try:
            return Scheduled(_ENTRY + timedelta(days=phase.after_force), True)
        except OverflowError:
            return None
    return None


def check_phase_order(view: AccordView, report: ProblemReport) -> None:
    latest: tuple[PhaseView, Scheduled] | None = None
    for phase in sorted(view.phases.values(), key=lambda p: p.index):
        end = phase_end(phase)
        if end is None:
            continue
        if latest is not None and latest[1].comparable(end) and end.on <= latest[1].on:
            report.error(
                ("phases", phase.index, "ends"),
                f"phase {phase.id!r} ends {end.text()}, not after phase "
                f"{latest[0].id!r} ({latest[1].text()}): list phases in the order they end",
            )
        else:
            latest = (phase, end)


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
            and dates[ref].comparable(due)
            and dates[ref].on > due.on
            and not (ref in in_cycle and step.id in in_cycle)
        ]
        if late:
            counted = (
                f" (counting from {step.due.step!r} taken on its deadline)"
                if isinstance(step.due, RelativeDeadline)
                else ""
            )
            names = ", ".join(f"{ref!r} (due {dates[ref].text()})" for ref in late)
            report.error(
                (*step.at, "deadline"),
                f"step {step.id!r}: deadline {due.text()}{counted} cannot be met: it "
                f"falls before the deadline of {names}, which must be verified first",
            )
        phase = view.phases.get(step.phase) if step.phase is not None else None
        fixed = due if isinstance(step.due, FixedDeadline | AfterEntryIntoForce) else None
        ends = phase_end(phase) if phase is not None else None
        if fixed is not None and ends is not None and fixed.comparable(ends) and fixed > ends:
            assert phase is not None
            report.warning(
                (*step.at, "deadline"),
                f"step {step.id!r}: due {fixed.text()}, after its phase "
                f"{phase.id!r} ends ({ends.text()})",
            )


def _scheduled(view: AccordView, report: ProblemReport, in_cycle: set[str]) -> dict[str, Scheduled]:
    """The scheduled date of every deadline that has one (see the module docstring)."""
    dates: dict[str, Scheduled] = {}
    relative: dict[str, RelativeDeadline] = {}
    for step in view.steps.values():
        if isinstance(step.due, FixedDeadline):
            dates[step.id] = Scheduled(step.due.on, False)
        elif isinstance(step.due, AfterEntryIntoForce):
            on = step.due.on(_ENTRY)
            if on is None:
                report.error(
                    (*step.at, "deadline"),
                    f"step {step.id!r}: deadline falls beyond the last representable date",
                )
            else:
                dates[step.id] = Scheduled(on, True)
        elif isinstance(step.due, PhaseEndDeadline) and step.phase in view.phases:
            ends = phase_end(view.phases[step.phase])
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
                on = base.on + timedelta(days=view.steps[counted].due_days)
                base = dates[counted] = Scheduled(on, base.from_entry)
            except OverflowError:
                base = None
                report.error(
                    (*view.steps[counted].at, "deadline"),
                    f"step {counted!r}: deadline falls beyond the last representable date",
                )
    return dates
