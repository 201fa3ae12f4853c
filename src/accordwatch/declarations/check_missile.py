"""Internal consistency of a missile declaration: identifiers, types, locations, totals.

The rules are listed in `declarations.check`, which runs them: a unique
identifier names one missile or launcher only; every item is of a declared
type and, unless eliminated, at a declared facility; each type's declared
numbers of missiles and launchers are those listed and not eliminated; a
type's range fits its class; changes are dated by the declaration's date,
at declared facilities, and agree with the statuses listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from accordwatch.declarations.base import Problem
from accordwatch.declarations.internal_problems import duplicates, internal_problem, not_after
from accordwatch.declarations.missile import (
    CLASS_RANGE_KM,
    ItemStatus,
    Launcher,
    Missile,
    MissileChangeKind,
    MissileDeclaration,
)


def check_missile(d: MissileDeclaration) -> Iterable[Problem]:
    """The internal problems of a missile declaration (see `declarations.check`)."""
    facilities = {f.id for f in d.facilities}
    types = {t.name for t in d.missile_types}
    yield from duplicates("facilities", (f.id for f in d.facilities), "facility")
    yield from duplicates(
        "missile_types",
        (name.casefold() for t in d.missile_types for name in (t.name, *t.aliases)),
        "missile type name",
    )
    for n, mtype in enumerate(d.missile_types):
        bounds = CLASS_RANGE_KM.get(mtype.missile_class)
        if bounds is not None and not bounds[0] <= mtype.range_km < bounds[1]:
            yield internal_problem(
                "range",
                ("missile_types", n, "range_km"),
                f"{mtype.name}: a range of {mtype.range_km:g} km is not that of an "
                f"{mtype.missile_class} ({bounds[0]:g} to {bounds[1]:g} km)",
            )
    missiles: Counter[str] = Counter()
    launchers: Counter[str] = Counter()
    eliminated: set[str] = set()
    seen: set[str] = set()
    sections: tuple[tuple[str, Sequence[Missile | Launcher], str, Counter[str]], ...] = (
        ("missiles", d.missiles, "type", missiles),
        ("launchers", d.launchers, "missile_type", launchers),
    )
    for section, items, type_field, counts in sections:
        for n, entry in enumerate(items):
            uid, status, location = entry.uid, entry.status, entry.location
            type_name: str = getattr(entry, type_field)
            if uid in seen:
                yield internal_problem(
                    "duplicate uid", (section, n, "uid"), f"unique identifier {uid} appears twice"
                )
            seen.add(uid)
            if type_name not in types:
                yield internal_problem(
                    "reference",
                    (section, n, type_field),
                    f"{uid} is of type {type_name}, which is not a declared missile type",
                )
            if status is ItemStatus.ELIMINATED:
                eliminated.add(uid)
            else:
                counts[type_name] += 1
                if location is None:
                    yield internal_problem(
                        "location", (section, n, "location"), f"{uid} ({status}) has no location"
                    )
            if location is not None and location not in facilities:
                yield internal_problem(
                    "location",
                    (section, n, "location"),
                    f"{uid} is at {location}, which is not a declared facility",
                )
    for n, mtype in enumerate(d.missile_types):
        for field, declared, counted in (
            ("declared_missiles", mtype.declared_missiles, missiles[mtype.name]),
            ("declared_launchers", mtype.declared_launchers, launchers[mtype.name]),
        ):
            if declared != counted:
                yield internal_problem(
                    "total",
                    ("missile_types", n, field),
                    f"{mtype.name}: {declared} declared, {counted} listed and not eliminated",
                )
    # An item produced and eliminated since the last update may be left out of the lists.
    eliminated_since = {c.uid for c in d.changes if c.kind is MissileChangeKind.ELIMINATED}
    listed_live = seen - eliminated
    for n, change in enumerate(d.changes):
        yield from not_after("changes", n, "date", change.date, d.as_of)
        if change.facility is not None and change.facility not in facilities:
            yield internal_problem(
                "location",
                ("changes", n, "facility"),
                f"{change.facility} is not a declared facility",
            )
        if change.kind is MissileChangeKind.ELIMINATED and change.uid in listed_live:
            yield internal_problem(
                "status",
                ("changes", n, "uid"),
                f"{change.uid} is reported eliminated but listed as not eliminated",
            )
        if (
            change.kind is MissileChangeKind.PRODUCED
            and change.uid not in seen
            and change.uid not in eliminated_since
        ):
            yield internal_problem(
                "reference",
                ("changes", n, "uid"),
                f"{change.uid} is reported produced but is not listed",
            )
