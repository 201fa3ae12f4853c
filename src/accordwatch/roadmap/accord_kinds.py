"""Kinds and delays must name what the accord declares.

Errors, at the name: a step whose `kind` is neither built in nor declared
under `kinds`, and a `delays` entry for a party or kind the file does not
declare. (The shape of `kinds` and `delays` is the schema's.)
"""

from __future__ import annotations

import difflib
from typing import Any

from accordwatch.roadmap.accord import StepKind
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_references import undeclared
from accordwatch.roadmap.accord_views import AccordView

BUILTIN_KINDS = [kind.value for kind in StepKind]


def known_kinds(view: AccordView) -> list[str]:
    return [*BUILTIN_KINDS, *(k for k in view.kinds if k not in BUILTIN_KINDS)]


def check_kinds(view: AccordView, report: ProblemReport) -> None:
    known = known_kinds(view)
    for step in view.all_steps:
        if step.kind_name is not None and step.kind_name not in known:
            close = difflib.get_close_matches(step.kind_name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"built in: {', '.join(known)}"
            report.error(
                (*step.at, "kind"),
                f"step {step.id!r}: kind {step.kind_name!r} is neither built in nor declared "
                f"under 'kinds' ({hint})",
            )
    delays = view.data.get("delays")
    if not isinstance(delays, dict):
        return
    for section, names, noun in (
        ("parties", list(view.parties), "party"),
        ("kinds", known, "kind"),
    ):
        entries: Any = delays.get(section)
        for name in entries if isinstance(entries, dict) else {}:
            if isinstance(name, str) and name not in names:
                report.error(
                    ("delays", section, name),
                    f"delays: {noun} {undeclared(name, names)}",
                    key=True,
                )
