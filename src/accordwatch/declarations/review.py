"""The whole check of one declaration: the four groups of rules, in one report.

`review` runs, for a declaration and what the log holds besides it:

1. internal consistency (`declaration_check`);
2. consistency over time with the declaration in effect before it, and the
   soundness of what it corrects or updates (`declaration_history`);
3. completeness against the accord step it fulfils (`declaration_completeness`);
4. consistency with the launches observed and logged (`declaration_events`).

Pure: everything it needs is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accordwatch.declarations.base import Problem, path_text
from accordwatch.declarations.check import check_internal
from accordwatch.declarations.completeness import check_completeness
from accordwatch.declarations.history import (
    Filed,
    Reports,
    chain_findings,
    check_over_time,
    in_effect,
    reports_from,
    superseded,
)
from accordwatch.declarations.launches import LaunchCheck, ObservedLaunch, check_launches
from accordwatch.declarations.missile import MissileDeclaration
from accordwatch.declarations.reading import Locate
from accordwatch.roadmap.accord import Accord

GROUPS = ("schema", "internal", "over time", "completeness", "events")


@dataclass(frozen=True)
class Review:
    target: Filed
    previous: Filed | None
    superseded_by: int | None
    problems: list[Problem]
    launches: LaunchCheck | None

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_group(self) -> dict[str, list[Problem]]:
        return {g: [p for p in self.problems if p.check == g] for g in GROUPS}

    def summary(self) -> str:
        counts = ", ".join(f"{g}: {len(ps)}" for g, ps in self.by_group().items() if g != "schema")
        d = self.target.declaration
        verdict = "passes every check" if self.ok else f"{len(self.problems)} problem(s)"
        return f"{d.program} declaration {d.id} of {d.party} as of {d.as_of}: {verdict} ({counts})"

    def to_json(self, locate: Locate = path_text) -> dict[str, Any]:
        d = self.target.declaration
        out: dict[str, Any] = {
            "declaration": d.id,
            "party": d.party,
            "program": d.program,
            "as_of": d.as_of.isoformat(),
            "entry": self.target.index if self.target.index >= 0 else None,
            "superseded_by": self.superseded_by,
            "compared_with": (
                {"declaration": self.previous.declaration.id, "entry": self.previous.index}
                if self.previous
                else None
            ),
            "ok": self.ok,
            "problems": {
                g: [p.to_json(locate) for p in ps]
                for g, ps in self.by_group().items()
                if g != "schema"
            },
        }
        if self.launches is not None:
            out["launches"] = {
                "compared": self.launches.compared,
                "unidentified_missile": self.launches.unidentified_missile,
                "unidentified_site": self.launches.unidentified_site,
            }
        return out


def _merge(a: Reports, b: Reports | None) -> Reports:
    if b is None:
        return a
    return Reports(
        [*a.inventory, *b.inventory], [*a.weapons, *b.weapons], [*a.missiles, *b.missiles]
    )


def review(
    target: Filed,
    filed: Sequence[Filed],
    *,
    accord: Accord | None,
    launches: Sequence[ObservedLaunch] = (),
    reports: Reports | None = None,
    with_log: bool = True,
) -> Review:
    """Check a declaration (logged or not: a file has index -1) against the log's others.

    Without a log (`with_log` false), what a declaration corrects or updates is not checked.
    """
    d = target.declaration
    others = [f for f in filed if f.index != target.index]
    problems = check_internal(d)
    if with_log:
        problems += chain_findings(target, others)
    effective = [
        f
        for f in in_effect(others, target.party, d.program)
        if f.declaration.as_of < d.as_of and f.declaration.id != d.supersedes
    ]
    previous = effective[-1] if effective else None
    if previous is not None:
        known = _merge(reports_from([*effective, target]), reports)
        problems += check_over_time(previous.declaration, d, known)
    problems += check_completeness(d, accord)
    launch_check = None
    if isinstance(d, MissileDeclaration):
        launch_check = check_launches(d, launches)
        problems += launch_check.problems
    replaced_by = superseded(filed).get(target.index) if target.index >= 0 else None
    return Review(target, previous, replaced_by, problems, launch_check)
