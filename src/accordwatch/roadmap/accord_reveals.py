"""Reveal steps: the opening of one part of an escrowed declaration, checked in the accord file.

A step of kind `reveal` names the declaration step whose escrow it opens
(`escrow: STEP`, a `declare` step) and the part (`part: region-north`, or
`part: drawn` for a part chosen by a draw no single party controls), and may
say the reveal is confidential to the inspectorate (`reveal_to`). A declare
step may say its escrow keeps counts secret (`escrow_counts: secret`): every
part is then padded to one count. Errors, at the field:

- a reveal step without `escrow` or `part`, or naming a step that is not
  declared or not a `declare` step, or a part that is not a name;
- escrow terms on a step of another kind;
- two reveal steps opening the same named part of the same escrow (warning:
  the second opens nothing new).
"""

from __future__ import annotations

import re
from typing import Any

from accordwatch.log.records import NAME_PATTERN
from accordwatch.roadmap.accord import StepKind
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_references import undeclared
from accordwatch.roadmap.accord_views import AccordView

DRAWN = "drawn"
_NAME = re.compile(NAME_PATTERN)
_REVEAL_ONLY = ("escrow", "part", "reveal_to")


def _raw(view: AccordView, index: int) -> dict[Any, Any]:
    steps = view.data.get("steps")
    item = steps[index] if isinstance(steps, list) and index < len(steps) else None
    return item if isinstance(item, dict) else {}


def check_reveal_steps(view: AccordView, report: ProblemReport) -> None:
    opened: dict[tuple[str, str], str] = {}
    for step in view.all_steps:
        raw = _raw(view, step.index)
        name = f"step {step.id!r}"
        if step.kind is not StepKind.DECLARE and raw.get("escrow_counts") is not None:
            report.error(
                (*step.at, "escrow_counts"), f"{name}: escrow_counts belongs on a declare step"
            )
        if step.kind is not StepKind.REVEAL:
            for field in _REVEAL_ONLY:
                if raw.get(field) is not None:
                    report.error(
                        (*step.at, field), f"{name}: {field} belongs on a step of kind reveal"
                    )
            continue
        escrow, part = raw.get("escrow"), raw.get("part")
        if escrow is None:
            report.error(step.at, f"{name}: a reveal step names the declaration step (escrow)")
        elif isinstance(escrow, str):
            target = view.steps.get(escrow)
            if target is None:
                message = f"escrow step {undeclared(escrow, list(view.steps))}"
                report.error((*step.at, "escrow"), f"{name}: {message}")
            elif target.kind is not None and target.kind is not StepKind.DECLARE:
                report.error(
                    (*step.at, "escrow"),
                    f"{name}: escrow step {escrow!r} is a {target.kind} step, not a declare step",
                )
        if part is None:
            report.error(step.at, f"{name}: a reveal step names the part it opens (or drawn)")
        elif not isinstance(part, str) or not _NAME.match(part):
            report.error(
                (*step.at, "part"), f"{name}: part {part!r} is not a part name (a-z, 0-9, . _ -)"
            )
        elif part != DRAWN and isinstance(escrow, str):
            first = opened.setdefault((escrow, part), step.id)
            if first != step.id:
                report.warning(
                    (*step.at, "part"),
                    f"{name}: part {part!r} of {escrow!r} is already opened by step {first!r}",
                )
