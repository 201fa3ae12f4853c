"""Declarations over time: corrections, updates, and changes that must be explained.

Nothing is overwritten. A declaration that `supersedes` another corrects it
(same party, program and date): the correction stands in its place from then
on, and both stay in the log. A declaration that `updates` another describes
the same program at a later date. The declarations in effect for a party and
program are those no later entry supersedes, ordered by date.

Between two consecutive declarations in effect, every change must be
explained by what was reported in between (dated after the first and up to
the second): inventory changes (production, receipts, shipments, losses,
discards) for each material in each balance area, weapons assembled,
dismantled, removed or expended, and missiles and launchers produced or
eliminated. Reports come from the declarations' own change sections and from
any other source passed in (accountancy reports, for example). Findings:

- an inventory or weapons total that moved by more or less than its reported changes;
- an item that disappears, or turns up eliminated, without an elimination record;
- an item that appears without a production record (unless still in production);
- a unique identifier reused for another kind or type of item, or an
  eliminated item listed again as not eliminated;
- a site, balance area, facility or missile type that disappears (they stay
  declared, with their status); a dismantled site that is back in another status;
- production history that was changed or dropped.

Pure: declarations and reports in, findings out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accordwatch.declarations.base import FieldPath, Problem, SiteStatus, grams
from accordwatch.declarations.missile import (
    ItemStatus,
    MissileChange,
    MissileChangeKind,
    MissileDeclaration,
)
from accordwatch.declarations.nuclear import (
    CHANGE_SIGN,
    WEAPON_SIGN,
    InventoryChange,
    NuclearDeclaration,
    WeaponChange,
)
from accordwatch.declarations.reading import Declaration
from accordwatch.declarations.sums import line_sums


@dataclass(frozen=True)
class Filed:
    """A declaration as the log holds it: its entry, and the party that signed it."""

    index: int
    party: str
    declaration: Declaration


@dataclass(frozen=True)
class Reports:
    """Changes reported for one party and program, from any source."""

    inventory: Sequence[InventoryChange] = ()
    weapons: Sequence[WeaponChange] = ()
    missiles: Sequence[MissileChange] = ()


def _finding(kind: str, path: FieldPath, message: str) -> Problem:
    return Problem("over time", kind, path, message)


def superseded(filed: Sequence[Filed]) -> dict[int, int]:
    """Entry index of each superseded declaration -> the entry that corrects it."""
    out: dict[int, int] = {}
    by_id: dict[tuple[str, str], Filed] = {}
    for f in sorted(filed, key=lambda f: f.index):
        target = f.declaration.supersedes
        if target is not None:
            old = by_id.get((f.party, target))
            if old is not None and old.index not in out:
                out[old.index] = f.index
        by_id[(f.party, f.declaration.id)] = f
    return out


def in_effect(filed: Sequence[Filed], party: str, program: str) -> list[Filed]:
    """The declarations of a party and program that no later one supersedes, by date."""
    replaced = superseded(filed)
    return sorted(
        (
            f
            for f in filed
            if f.party == party and f.declaration.program == program and f.index not in replaced
        ),
        key=lambda f: (f.declaration.as_of, f.index),
    )


def chain_findings(target: Filed, filed: Sequence[Filed]) -> list[Problem]:
    """Problems with what a declaration says it corrects or updates, and with its id."""
    out: list[Problem] = []
    d = target.declaration
    # A file not yet logged (index -1) comes after everything in the log.
    earlier = [
        f for f in filed if f.party == target.party and (target.index < 0 or f.index < target.index)
    ]
    same_id = [f.index for f in earlier if f.declaration.id == d.id]
    if same_id:
        out.append(
            _finding(
                "duplicate id",
                ("id",),
                f"declaration id {d.id} was already used at log entry {same_id[0]}",
            )
        )
    for field_name, ref in (("supersedes", d.supersedes), ("updates", d.updates)):
        if ref is None:
            continue
        matches = [f for f in earlier if f.declaration.id == ref]
        if not matches:
            out.append(
                _finding(
                    "reference",
                    (field_name,),
                    f"no earlier declaration {ref} of {target.party} in the log",
                )
            )
            continue
        old = matches[-1].declaration
        if old.program != d.program:
            out.append(
                _finding(
                    "reference",
                    (field_name,),
                    f"{ref} declares the {old.program} program, this one the {d.program} program",
                )
            )
        if field_name == "supersedes" and old.as_of != d.as_of:
            out.append(
                _finding(
                    "reference",
                    ("as_of",),
                    f"a correction keeps the date of what it corrects ({old.as_of}), not {d.as_of}",
                )
            )
        if field_name == "updates" and old.as_of >= d.as_of:
            out.append(
                _finding(
                    "reference",
                    ("as_of",),
                    f"an update must be dated after {ref} ({old.as_of}), not {d.as_of}",
                )
            )
    return out


def reports_from(filed: Iterable[Filed]) -> Reports:
    """The changes reported in the change sections of declarations (duplicates counted once)."""
    inventory: dict[InventoryChange, None] = {}
    weapons: dict[WeaponChange, None] = {}
    missiles: dict[MissileChange, None] = {}
    for f in filed:
        d = f.declaration
        if isinstance(d, NuclearDeclaration):
            inventory.update(dict.fromkeys(d.inventory_changes))
            weapons.update(dict.fromkeys(d.weapon_changes))
        else:
            missiles.update(dict.fromkeys(d.changes))
    return Reports(list(inventory), list(weapons), list(missiles))


def check_over_time(before: Declaration, after: Declaration, reports: Reports) -> list[Problem]:
    """Findings on the changes from `before` to `after` that reports do not explain."""
    start, end = before.as_of, after.as_of
    if isinstance(before, NuclearDeclaration) and isinstance(after, NuclearDeclaration):
        return list(_nuclear(before, after, reports, start, end))
    if isinstance(before, MissileDeclaration) and isinstance(after, MissileDeclaration):
        return list(_missile(before, after, reports, start, end))
    raise ValueError("declarations of different programs cannot be compared over time")


def _within(day: date, start: date, end: date) -> bool:
    return start < day <= end


def _held(d: NuclearDeclaration) -> dict[tuple[str, str], list[Decimal]]:
    """Element and isotope grams per (MBA, material), summed from the lines."""
    # From the sums per unit (shared with the internal check and the diff), converted once.
    held: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for (mba, material, unit), group in line_sums(d).items():
        acc = held[(mba, material)]
        acc[0] += grams(group.element, unit)
        acc[1] += grams(group.isotope, unit)
    return held


def _nuclear(
    a: NuclearDeclaration, b: NuclearDeclaration, reports: Reports, start: date, end: date
) -> Iterable[Problem]:
    yield from _kept(
        "sites", [s.id for s in a.sites], [s.id for s in b.sites], "site", "status dismantled"
    )
    yield from _kept(
        "material_balance_areas",
        [m.id for m in a.material_balance_areas],
        [m.id for m in b.material_balance_areas],
        "MBA",
        "no material",
    )
    status_before = {s.id: s.status for s in a.sites}
    for n, site in enumerate(b.sites):
        was = status_before.get(site.id)
        if was is SiteStatus.DISMANTLED and site.status is not SiteStatus.DISMANTLED:
            yield _finding(
                "status",
                ("sites", n, "status"),
                f"site {site.id} was dismantled on {start} and is {site.status} on {end}",
            )
    moved: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for change in reports.inventory:
        if _within(change.date, start, end):
            sign = CHANGE_SIGN[change.kind]
            acc = moved[(change.mba, str(change.material))]
            acc[0] += sign * grams(change.element_mass, change.unit)
            acc[1] += sign * grams(change.isotope_mass or Decimal(0), change.unit)
    held_a, held_b = _held(a), _held(b)
    total_path = {(t.mba, str(t.material)): n for n, t in enumerate(b.inventory_totals)}
    zero = [Decimal(0), Decimal(0)]
    for key in sorted(held_a.keys() | held_b.keys() | moved.keys()):
        mba, material = key
        old, new, reported = held_a.get(key, zero), held_b.get(key, zero), moved.get(key, zero)
        for i, what in enumerate(("element", "isotope")):
            delta = new[i] - old[i]
            if delta != reported[i]:
                row = total_path.get(key)
                path: FieldPath = ("inventory_totals", row) if row is not None else ("inventory",)
                yield _finding(
                    "unexplained change",
                    path,
                    f"{material} in {mba}: {what} mass went from {old[i]} g to {new[i]} g "
                    f"({delta:+} g) but the changes reported from {start} to {end} add up to "
                    f"{reported[i]:+} g (unexplained {delta - reported[i]:+} g)",
                )
    weapons_a = sum(w.weapons for w in a.weapons)
    weapons_b = sum(w.weapons for w in b.weapons)
    reported_weapons = sum(
        WEAPON_SIGN[c.kind] * c.weapons for c in reports.weapons if _within(c.date, start, end)
    )
    if weapons_b - weapons_a != reported_weapons:
        yield _finding(
            "unexplained change",
            ("weapons",),
            f"nuclear weapons went from {weapons_a} to {weapons_b} ({weapons_b - weapons_a:+}) "
            f"but the changes reported from {start} to {end} add up to {reported_weapons:+}",
        )
    history_b = set(b.production_history)
    for record in a.production_history:
        if record not in history_b:
            yield _finding(
                "history changed",
                ("production_history",),
                f"production history of {record.site} ({record.kind}, {record.start} to "
                f"{record.end}, {record.element_mass} {record.unit}) was changed or dropped",
            )


def _kept(
    section: str, before: Sequence[str], after: Sequence[str], what: str, instead: str
) -> Iterable[Problem]:
    now = set(after)
    for ident in before:
        if ident not in now:
            yield _finding(
                "disappeared",
                (section,),
                f"{what} {ident} is no longer declared (it stays declared, with {instead})",
            )


class _Items:
    """Missiles and launchers by unique identifier: uid -> (section, type, status, index).

    The index maps hold integers only, and the tuples are made when asked for:
    millions of long-lived tuples would keep the garbage collector busy.
    """

    def __init__(self, d: MissileDeclaration) -> None:
        self.d = d
        self.missiles: dict[str, int] = {}
        self.launchers: dict[str, int] = {}
        for n, m in enumerate(d.missiles):
            self.missiles.setdefault(m.uid, n)
        for n, x in enumerate(d.launchers):
            self.launchers.setdefault(x.uid, n)

    def __contains__(self, uid: str) -> bool:
        return uid in self.missiles or uid in self.launchers

    def get(self, uid: str) -> tuple[str, str, ItemStatus, int] | None:
        n = self.missiles.get(uid)
        if n is not None:
            m = self.d.missiles[n]
            return "missiles", m.type, m.status, n
        n = self.launchers.get(uid)
        if n is not None:
            x = self.d.launchers[n]
            return "launchers", x.missile_type, x.status, n
        return None

    def items(self) -> Iterator[tuple[str, tuple[str, str, ItemStatus, int]]]:
        for n, m in enumerate(self.d.missiles):
            if self.missiles[m.uid] == n:
                yield m.uid, ("missiles", m.type, m.status, n)
        for n, x in enumerate(self.d.launchers):
            if self.launchers[x.uid] == n and x.uid not in self.missiles:
                yield x.uid, ("launchers", x.missile_type, x.status, n)


def _missile(
    a: MissileDeclaration, b: MissileDeclaration, reports: Reports, start: date, end: date
) -> Iterable[Problem]:
    yield from _kept(
        "facilities",
        [f.id for f in a.facilities],
        [f.id for f in b.facilities],
        "facility",
        "its status",
    )
    yield from _kept(
        "missile_types",
        [t.name for t in a.missile_types],
        [t.name for t in b.missile_types],
        "missile type",
        "no missiles",
    )
    eliminated_by: dict[str, date] = {}
    produced: set[str] = set()
    for change in reports.missiles:
        if change.kind is MissileChangeKind.ELIMINATED and change.date <= end:
            eliminated_by.setdefault(change.uid, change.date)
        elif change.kind is MissileChangeKind.PRODUCED and _within(change.date, start, end):
            produced.add(change.uid)
    gone = ItemStatus.ELIMINATED
    items_a, items_b = _Items(a), _Items(b)
    for uid, (section, mtype, status, _) in items_a.items():
        if uid not in items_b and status is not gone and uid not in eliminated_by:
            yield _finding(
                "disappeared",
                (section,),
                f"{uid} ({mtype}, {status} on {start}) is missing on {end} with no "
                "elimination record",
            )
    for uid, (section, mtype, status, n) in items_b.items():
        path: FieldPath = (section, n, "uid")
        old = items_a.get(uid)
        if old is None:
            if status is gone:
                if uid not in eliminated_by:
                    yield _finding(
                        "eliminated unrecorded",
                        path,
                        f"{uid} appears already eliminated with no elimination record",
                    )
            elif status is not ItemStatus.IN_PRODUCTION and uid not in produced:
                yield _finding(
                    "appeared",
                    path,
                    f"{uid} ({mtype}, {status}) appears with no production record since {start}",
                )
            continue
        old_section, old_type, old_status, _ = old
        if (old_section, old_type) != (section, mtype):
            kind_now = section.rstrip("s")
            kind_then = old_section.rstrip("s")
            yield _finding(
                "uid reused",
                path,
                f"unique identifier {uid} named a {old_type} {kind_then} on {start} and a "
                f"{mtype} {kind_now} on {end}",
            )
        if old_status is gone and status is not gone:
            yield _finding(
                "reappeared",
                path,
                f"{uid} was eliminated by {start} and is {status} on {end}",
            )
        elif old_status is not gone and status is gone:
            when = eliminated_by.get(uid)
            if when is None or when <= start:
                yield _finding(
                    "eliminated unrecorded",
                    path,
                    f"{uid} is eliminated on {end} with no elimination record since {start}",
                )
