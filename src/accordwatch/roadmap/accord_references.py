"""The names an accord file uses must be declared in it: parties, phases and steps.

Reported as errors, at the reference: a step's acting `party`, its `phase`,
its `verification.by`, a `requires` entry or a relative deadline naming
something not declared (with the closest declared name, when one is
close); an obligation's bound `party`, its `effective` step, and an `ends`
before a fixed `effective` date; and an accord id that is the id of a
shipped instrument (a Security Council resolution).
"""

from __future__ import annotations

import difflib
from functools import cache

from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.roadmap.accord import FixedStart, RelativeDeadline, StepStart
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_views import AccordView


def undeclared(ident: str, declared: list[str]) -> str:
    """`'x' is not declared`, with the closest declared name as a hint when one is close."""
    close = difflib.get_close_matches(ident, declared, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{ident!r} is not declared{hint}"


def check_step_references(view: AccordView, report: ProblemReport) -> None:
    parties, steps = list(view.parties), list(view.steps)
    for step in view.all_steps:
        name = f"step {step.id!r}"
        if step.party is not None and step.party not in view.parties:
            message = f"acting party {undeclared(step.party, parties)}"
            report.error((*step.at, "party"), f"{name}: {message}")
        if step.by is not None and step.by not in view.parties:
            message = f"verifying party {undeclared(step.by, parties)}"
            report.error((*step.at, "verification", "by"), f"{name}: {message}")
        if step.phase is not None and step.phase not in view.phases:
            message = f"phase {undeclared(step.phase, list(view.phases))}"
            report.error((*step.at, "phase"), f"{name}: {message}")
        for j, ref in step.requires:
            if ref not in view.steps:
                message = f"required step {undeclared(ref, steps)}"
                report.error((*step.at, "requires", j), f"{name}: {message}")
        if isinstance(step.due, RelativeDeadline) and step.due.step not in view.steps:
            message = f"deadline counts from step {undeclared(step.due.step, steps)}"
            report.error((*step.at, "deadline"), f"{name}: {message}")


def check_obligations(view: AccordView, report: ProblemReport) -> None:
    for ob in view.obligations:
        name = f"obligation {ob.id!r}"
        if ob.party is not None and ob.party not in view.parties:
            message = f"bound party {undeclared(ob.party, list(view.parties))}"
            report.error((*ob.at, "party"), f"{name}: {message}")
        start = ob.start
        if isinstance(start, StepStart) and start.step not in view.steps:
            message = f"takes effect from step {undeclared(start.step, list(view.steps))}"
            report.error((*ob.at, "effective"), f"{name}: {message}")
        if isinstance(start, FixedStart) and ob.ends is not None and ob.ends < start.on:
            report.error(
                (*ob.at, "ends"),
                f"{name}: ends ({ob.ends.isoformat()}) before it takes effect "
                f"({start.on.isoformat()})",
            )


def check_instrument_id(view: AccordView, report: ProblemReport) -> None:
    # In force, the accord is an instrument beside the shipped resolutions,
    # under its own id: the two must not share one.
    accord_id = view.data.get("id")
    if isinstance(accord_id, str) and accord_id in _shipped_instrument_ids():
        report.error(
            ("id",),
            f"accord id {accord_id!r} is the id of a shipped instrument (a Security "
            "Council resolution); compliance could not tell the two apart",
        )


@cache
def _shipped_instrument_ids() -> frozenset[str]:
    return frozenset(i.id for i in builtin_obligations().instruments)
