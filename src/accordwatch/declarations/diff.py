"""What changed between two declarations of a program: entries, fields and totals.

Entries are matched by their identity in each section (a site by id, an
inventory line by balance area, batch and material, a missile or launcher by
its unique identifier, ...) and reported as added, removed or changed (with
each changed field's old and new value). Totals are recomputed from the lines
of both declarations (never taken from the declared totals, which the
internal check compares with their lines): per material, per balance area and
material, weapons per location category, missiles and launchers per type and
status. Each total is listed with its change.

Pure: two declarations in, a `DeclarationDiff` out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from accordwatch.declarations.base import entry_fields, grams
from accordwatch.declarations.missile import ItemStatus, MissileDeclaration
from accordwatch.declarations.nuclear import MATERIAL_FORM, Material, NuclearDeclaration
from accordwatch.declarations.reading import Declaration
from accordwatch.declarations.sums import line_sums

HEADER_FIELDS = ("id", "party", "as_of", "accord", "step", "supersedes", "updates", "illustrative")


def show(value: Any) -> str:
    """A declared value as text: an enum's value, a model's fields, "none" for no value."""
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return str(value.model_dump(mode="json", exclude_none=True))
    return str(getattr(value, "value", value))


def _json(value: Any) -> str | None:
    """A value as the JSON diff gives it: its text, or null where there is none."""
    return None if value is None else show(value)


@dataclass(frozen=True)
class Change:
    section: str
    key: str
    kind: Literal["added", "removed", "changed"]
    fields: tuple[tuple[str, Any, Any], ...] = ()

    def describe(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        text = f"{sign} {self.section} {self.key} {self.kind}"
        if self.fields:
            text += ": " + "; ".join(f"{n} {show(a)} -> {show(b)}" for n, a, b in self.fields)
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "key": self.key,
            "kind": self.kind,
            "fields": {n: [_json(a), _json(b)] for n, a, b in self.fields},
        }


@dataclass(frozen=True)
class TotalChange:
    name: str
    before: Decimal
    after: Decimal
    unit: str

    @property
    def delta(self) -> Decimal:
        return self.after - self.before

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name}: {self.before}{unit} -> {self.after}{unit} ({self.delta:+}{unit})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": str(self.before),
            "after": str(self.after),
            "change": str(self.delta),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class DeclarationDiff:
    program: str
    before: str
    after: str
    header: tuple[tuple[str, Any, Any], ...]
    changes: list[Change]
    totals: list[TotalChange]

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((c.section, c.kind) for c in self.changes)

    def changed_totals(self) -> list[TotalChange]:
        return [t for t in self.totals if t.delta != 0]

    def to_json(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "before": self.before,
            "after": self.after,
            "header": {n: [_json(a), _json(b)] for n, a, b in self.header},
            "changes": [c.to_json() for c in self.changes],
            "totals": [t.to_json() for t in self.totals],
        }


Key = Callable[[Any], Hashable]


def _key_text(key: Hashable) -> str:
    if isinstance(key, tuple):
        return "/".join(show(k) for k in key if k is not None)
    return str(key)


def _section(section: str, before: Sequence[Any], after: Sequence[Any], key: Key) -> list[Change]:
    # Keys are computed once per entry, and matched with set operations in C:
    # a section may hold a million entries.
    old = dict(zip(map(key, before), before, strict=True))
    new_keys = list(map(key, after))
    out: list[Change] = []
    for k, item in zip(new_keys, after, strict=True):
        was = old.get(k)
        if was is None:
            out.append(Change(section, _key_text(k), "added"))
        elif was != item:
            now = entry_fields(item)
            fields = tuple(
                (name, value, now[name])
                for name, value in entry_fields(was).items()
                if value != now[name]
            )
            out.append(Change(section, _key_text(k), "changed", fields))
    gone = old.keys() - new_keys
    if gone:
        out.extend(Change(section, _key_text(k), "removed") for k in old if k in gone)
    return out


def _whole(x: Any) -> Hashable:
    return tuple(show(v) for v in entry_fields(x).values())


def _totals(
    before: dict[str, Decimal], after: dict[str, Decimal], units: dict[str, str]
) -> list[TotalChange]:
    names = sorted(before.keys() | after.keys())
    return [
        TotalChange(n, before.get(n, Decimal(0)), after.get(n, Decimal(0)), units.get(n, ""))
        for n in names
    ]


def _nuclear_totals(d: NuclearDeclaration, units: dict[str, str]) -> dict[str, Decimal]:
    # From the sums per balance area, material and unit (shared with the checks):
    # names are built once per group.
    out: dict[str, Decimal] = defaultdict(Decimal)
    for (mba, material, line_unit), group in line_sums(d).items():
        unit = MATERIAL_FORM[Material(material)][2]
        scale = grams(Decimal(1), line_unit) / grams(Decimal(1), unit)
        for name in (f"{material} element mass", f"{material} in {mba}"):
            out[name] += group.element * scale
            units[name] = unit
        if group.with_isotope:
            name = f"{material} isotope mass"
            out[name] += group.isotope * scale
            units[name] = unit
    for w in d.weapons:
        out["nuclear weapons"] += w.weapons
        out["warheads"] += w.warheads
        out[f"nuclear weapons ({w.location_category})"] += w.weapons
    out["sites"] = Decimal(len(d.sites))
    return out


def _missile_totals(d: MissileDeclaration) -> dict[str, Decimal]:
    # Count per (type, status) first: the names are built once per group, not per item.
    groups: Counter[tuple[str, str, str]] = Counter()
    groups.update(("missiles", m.type, str(m.status)) for m in d.missiles)
    groups.update(("launchers", x.missile_type, str(x.status)) for x in d.launchers)
    classes = {t.name: str(t.missile_class) for t in d.missile_types}
    out: dict[str, Decimal] = defaultdict(Decimal)
    for (what, mtype, status), count in groups.items():
        out[f"{what} {status}"] += count
        if status != ItemStatus.ELIMINATED:
            out[what] += count
            out[f"{what} of type {mtype}"] += count
            out[f"{what} of class {classes.get(mtype, 'unknown')}"] += count
    return out


def _sections(d: Declaration) -> Iterable[tuple[str, Sequence[Any], Key]]:
    if isinstance(d, NuclearDeclaration):
        yield "sites", d.sites, lambda x: x.id
        yield "material_balance_areas", d.material_balance_areas, lambda x: x.id
        yield "key_measurement_points", d.key_measurement_points, lambda x: x.id
        # A text key: a million tuples would keep the garbage collector busy.
        yield "inventory", d.inventory, lambda x: f"{x.mba}/{x.batch}/{x.material}"
        yield "inventory_totals", d.inventory_totals, lambda x: (x.mba, str(x.material))
        yield (
            "production_history",
            d.production_history,
            lambda x: (x.site, x.kind, x.material, x.start, x.end),
        )
        yield "weapons", d.weapons, lambda x: (x.location_category, x.site)
        yield "inventory_changes", d.inventory_changes, _whole
        yield "weapon_changes", d.weapon_changes, _whole
    else:
        yield "missile_types", d.missile_types, lambda x: x.name
        yield "facilities", d.facilities, lambda x: x.id
        yield "missiles", d.missiles, lambda x: x.uid
        yield "launchers", d.launchers, lambda x: x.uid
        yield "changes", d.changes, _whole


def diff_declarations(before: Declaration, after: Declaration) -> DeclarationDiff:
    """Entries added, removed and changed from `before` to `after`, and every total."""
    if before.program != after.program:
        raise ValueError(
            f"cannot compare a {before.program} declaration with a {after.program} declaration"
        )
    header = tuple(
        (n, getattr(before, n), getattr(after, n))
        for n in HEADER_FIELDS
        if getattr(before, n) != getattr(after, n)
    )
    changes: list[Change] = []
    for (section, old, key), (_, new, _) in zip(_sections(before), _sections(after), strict=True):
        changes.extend(_section(section, old, new, key))
    units: dict[str, str] = {}
    if isinstance(before, NuclearDeclaration) and isinstance(after, NuclearDeclaration):
        totals = _totals(_nuclear_totals(before, units), _nuclear_totals(after, units), units)
    elif isinstance(before, MissileDeclaration) and isinstance(after, MissileDeclaration):
        totals = _totals(_missile_totals(before), _missile_totals(after), units)
    return DeclarationDiff(before.program, before.id, after.id, header, changes, totals)


def declaration_totals(d: Declaration) -> list[tuple[str, Decimal, str]]:
    """Every total of one declaration as the diff computes them: (name, value, unit), by name."""
    units: dict[str, str] = {}
    values = _nuclear_totals(d, units) if isinstance(d, NuclearDeclaration) else _missile_totals(d)
    return [(name, values[name], units.get(name, "")) for name in sorted(values)]


def section_entries(d: Declaration) -> list[tuple[str, Sequence[Any]]]:
    """The declaration's sections in their order, with their entries."""
    return [(name, entries) for name, entries, _ in _sections(d)]
