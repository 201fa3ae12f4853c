"""The internal problems every declaration check shares: their kind, duplicates, late dates.

Both programs' checks (`declarations.check_nuclear`, `declarations.check_missile`)
build their problems with these; `declarations.check` runs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from accordwatch.declarations.base import FieldPath, Problem


def internal_problem(kind: str, path: FieldPath, message: str) -> Problem:
    return Problem("internal", kind, path, message)


def duplicates(section: str, keys: Iterable[object], what: str) -> Iterable[Problem]:
    seen: set[object] = set()
    for n, key in enumerate(keys):
        if key in seen:
            yield internal_problem("duplicate", (section, n), f"{what} {key} is declared twice")
        seen.add(key)


def not_after(section: str, n: int, field: str, day: date, as_of: date) -> Iterable[Problem]:
    if day > as_of:
        yield internal_problem(
            "range", (section, n, field), f"date {day} is after the declaration's date {as_of}"
        )
