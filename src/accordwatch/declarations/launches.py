"""A missile declaration against the launches observed and logged.

A launch observed on or before the declaration's date must be of a declared
missile type, and from a declared facility: a type seen flying but never
declared, or a launch from a site that is not declared, is a finding. Names
are compared as the sources write them, ignoring case, spaces and hyphens,
against each type's and facility's name, aliases and (facilities) id; a
source name with a designation in brackets, such as `Hwasong-11A (KN-23)`,
matches either name. Launches whose missile or site the source does not know
are not compared, and are counted.

The launches come from whatever events the log holds (`ObservedLaunch` is
all this check needs of them). Pure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from accordwatch.declarations.base import Problem
from accordwatch.declarations.missile import MissileDeclaration

UNKNOWN = frozenset({"", "unknown", "na", "n/a"})
_BRACKETS = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


@dataclass(frozen=True)
class ObservedLaunch:
    """One missile launched: when, what (as the source names it), from where, and who says so."""

    on: date
    missile: str
    site: str
    source: str


@dataclass(frozen=True)
class LaunchCheck:
    problems: list[Problem]
    compared: int
    unidentified_missile: int
    unidentified_site: int


def _norm(name: str) -> str:
    return "".join(name.casefold().replace("-", " ").split())


def names(name: str) -> set[str]:
    """The normalised names a source name may match: `A (B)` gives A, B and the whole."""
    out = {_norm(name)}
    match = _BRACKETS.match(name)
    if match:
        out |= {_norm(match.group(1)), _norm(match.group(2))}
    return out - {""}


def _known(items: Iterable[Iterable[str]]) -> set[str]:
    out: set[str] = set()
    for group in items:
        for name in group:
            out |= names(name)
    return out


def _describe(launches: Sequence[ObservedLaunch]) -> str:
    first, last = launches[0], launches[-1]
    span = str(first.on) if first.on == last.on else f"{first.on} to {last.on}"
    sources = ", ".join(sorted({x.source for x in launches})[:5])
    more = " ..." if len({x.source for x in launches}) > 5 else ""
    return f"{len(launches)} launch(es), {span} ({sources}{more})"


def check_launches(
    declaration: MissileDeclaration, launches: Iterable[ObservedLaunch]
) -> LaunchCheck:
    """Findings for launched types and launch sites the declaration does not declare."""
    types = _known((t.name, *t.aliases) for t in declaration.missile_types)
    sites = _known((f.id, f.name, *f.aliases) for f in declaration.facilities)
    by_type: dict[str, list[ObservedLaunch]] = defaultdict(list)
    by_site: dict[str, list[ObservedLaunch]] = defaultdict(list)
    compared = no_missile = no_site = 0
    for launch in sorted(launches, key=lambda x: (x.on, x.source)):
        if launch.on > declaration.as_of:
            continue
        compared += 1
        if _norm(launch.missile) in UNKNOWN:
            no_missile += 1
        elif not names(launch.missile) & types:
            by_type[launch.missile].append(launch)
        if _norm(launch.site) in UNKNOWN:
            no_site += 1
        elif not names(launch.site) & sites:
            by_site[launch.site].append(launch)
    problems = [
        Problem(
            "events",
            "undeclared missile type",
            ("missile_types",),
            f"{name} was launched but is not a declared missile type: {_describe(seen)}",
        )
        for name, seen in by_type.items()
    ]
    problems += [
        Problem(
            "events",
            "undeclared launch site",
            ("facilities",),
            f"missiles were launched from {name}, which is not a declared facility: "
            f"{_describe(seen)}",
        )
        for name, seen in by_site.items()
    ]
    return LaunchCheck(problems, compared, no_missile, no_site)
