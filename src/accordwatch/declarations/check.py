"""Internal consistency of one declaration: what it says must agree with itself.

The rules (each problem names its field path):

- identifiers: site, balance area, measurement point and facility ids, missile
  type names and batch keys are unique; a unique identifier names one missile
  or launcher only;
- locations: every balance area is at a declared site, every inventory line,
  total and change in a declared balance area (and its measurement point in
  that area), every production record and weapons holding at a declared site,
  every missile and launcher not eliminated at a declared facility;
- references: every missile and launcher is of a declared type;
- units: masses are in grams for plutonium, U-233 and enriched uranium, in
  kilograms for natural and depleted uranium and thorium;
- ranges: isotope mass is not above element mass; enrichment is given for
  uranium only, lies in its category's range (HEU at least 20 %) and agrees
  with the isotope and element masses; a missile type's range fits its
  class; dates are not after the declaration's date, periods do not end
  before they start;
- totals: each declared total equals the sum of its lines (per balance area
  and material: element mass, isotope mass, items; per missile type: the
  missiles and launchers not eliminated);
- header: a declaration corrects (`supersedes`) or updates, not both.

Pure: a declaration in, problems out. Schema problems (types, enumerations,
coordinates) are found before, by `declarations.reading.parse_declaration`; the rules of
each program are in `declarations.check_nuclear` and `declarations.check_missile`.
"""

from __future__ import annotations

from typing import Any

from accordwatch.declarations.base import Problem
from accordwatch.declarations.check_missile import check_missile
from accordwatch.declarations.check_nuclear import check_nuclear
from accordwatch.declarations.internal_problems import internal_problem
from accordwatch.declarations.nuclear import NuclearDeclaration
from accordwatch.declarations.reading import Declaration, DeclarationError, parse_declaration


def check_internal(declaration: Declaration) -> list[Problem]:
    """Every internal inconsistency of a declaration (empty when it agrees with itself)."""
    out: list[Problem] = []
    if declaration.supersedes and declaration.updates:
        out.append(
            internal_problem(
                "header",
                ("updates",),
                "a declaration either corrects (supersedes) or updates an earlier one, not both",
            )
        )
    if isinstance(declaration, NuclearDeclaration):
        out.extend(check_nuclear(declaration))
    else:
        out.extend(check_missile(declaration))
    return out


def checked(data: Any, *, where: str | None = None) -> Declaration:
    """Parse a document and refuse it, listing every problem, unless it agrees with itself."""
    declaration = parse_declaration(data, where=where)
    problems = check_internal(declaration)
    if problems:
        raise DeclarationError(problems, where=where)
    return declaration
