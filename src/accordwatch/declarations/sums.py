"""Sums of a nuclear declaration's inventory lines, per balance area, material and unit.

The internal check (each declared total against its lines), the check over
time (what each balance area held before and after) and the diff (every
total, recomputed) all add up the same lines. A declaration may hold a
million of them, so they are added up once per declaration and the result
is kept for as long as the declaration object lives.

Pure: the sums depend on the declaration only (its models are frozen).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from accordwatch.declarations.nuclear import NuclearDeclaration

#: (MBA, material, unit), as text
GroupKey = tuple[str, str, str]


@dataclass(slots=True)
class LineSums:
    """The lines of one balance area, material and unit, added up (masses in that unit)."""

    element: Decimal
    #: the isotope masses given (lines without one add nothing)
    isotope: Decimal
    items: int
    lines: int
    #: how many of the lines give an isotope mass
    with_isotope: int


_cache: dict[int, Mapping[GroupKey, LineSums]] = {}
_lock = threading.Lock()


def _sum(d: NuclearDeclaration) -> dict[GroupKey, LineSums]:
    # The members themselves key the groups while adding up (a string enum hashes as
    # its text, in C, and compares by identity first); the keys become text once, per group.
    groups: dict[tuple[str, str, str], LineSums] = {}
    for line in d.inventory:
        key = (line.mba, line.material, line.unit)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = LineSums(Decimal(0), Decimal(0), 0, 0, 0)
        acc.element += line.element_mass
        if line.isotope_mass is not None:
            acc.isotope += line.isotope_mass
            acc.with_isotope += 1
        acc.items += line.items
        acc.lines += 1
    return {(mba, str(material), str(unit)): acc for (mba, material, unit), acc in groups.items()}


def line_sums(d: NuclearDeclaration) -> Mapping[GroupKey, LineSums]:
    """The declaration's inventory lines added up per (MBA, material, unit), in line order.

    Computed on the first call for a declaration object, then kept until the
    object is freed. The caller must not change the sums it is given.
    """
    key = id(d)
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    sums = _sum(d)
    with _lock:
        if key not in _cache:
            _cache[key] = sums
            # The id may be reused once the declaration is freed: forget its sums then.
            weakref.finalize(d, _cache.pop, key, None)
        return _cache[key]
