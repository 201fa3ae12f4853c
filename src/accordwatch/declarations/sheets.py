"""The spreadsheet layout of a declaration: one sheet per section, one column per field.

Declarations are prepared in spreadsheets. A workbook has a `declaration`
sheet (one header field per row: field name in column A, value in column B),
then one sheet per section, named as the section, with the column names in
row 1 and one entry per row below. Nested fields are flattened (a site's
`location` is the columns `latitude`, `longitude` and `place`); list fields
are comma-separated in one cell (sources: one per line). This module holds
the layout and turns rows into document entries and back; reading and
writing workbooks is `declaration_xlsx`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from accordwatch.declarations.base import Program, SiteStatus
from accordwatch.declarations.missile import (
    FacilityKind,
    ItemStatus,
    LauncherKind,
    MissileChangeKind,
    MissileClass,
    Propellant,
)
from accordwatch.declarations.nuclear import (
    CapacityUnit,
    ChangeKind,
    MassUnit,
    Material,
    PhysicalForm,
    ProductionKind,
    SiteCategory,
    WeaponChangeKind,
    WeaponLocation,
)

HEADER_SHEET = "declaration"
INSTRUCTIONS_SHEET = "instructions"
# How text starts that a spreadsheet program takes for a formula: `=`, and `+`,
# `-`, `@` once the cell is edited or the file is read as CSV; a leading tab or
# carriage return hides such a start from a check of the first character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    path: tuple[str, ...]
    kind: str = "text"  # text, int, number (exact decimal), float, date, list, lines, bool
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    name: str
    help: str
    columns: tuple[Column, ...]


def _choices(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(e.value for e in enum)


def _col(
    header: str,
    kind: str = "text",
    *,
    path: tuple[str, ...] | None = None,
    required: bool = False,
    help: str = "",
    choices: type[StrEnum] | tuple[str, ...] = (),
) -> Column:
    values = choices if isinstance(choices, tuple) else _choices(choices)
    return Column(header, path or (header,), kind, required, help, values)


HEADER = (
    _col("id", required=True, help="this declaration's identifier (lower case, a-z 0-9 . _ -)"),
    _col("program", required=True, help="nuclear or missile", choices=Program),
    _col("party", required=True, help="the declaring party (it alone may sign)"),
    _col("as_of", "date", required=True, help="the date the declaration describes"),
    _col("accord", help="the accord this declaration serves"),
    _col("step", help="the accord step it fulfils"),
    _col("supersedes", help="id of the declaration this one corrects (same date)"),
    _col("updates", help="id of the declaration this one brings up to date (later date)"),
    _col("illustrative", "bool", help="TRUE when the figures are examples, not facts"),
    _col("note"),
    _col("sources", "lines", help="public sources, one per line"),
    _col(
        "declared_empty",
        "list",
        help="categories declared to have nothing (comma-separated), e.g. thorium, slbm",
    ),
)

_LOCATION = (
    _col("latitude", "float", path=("location", "latitude"), required=True, help="-90 to 90"),
    _col("longitude", "float", path=("location", "longitude"), required=True, help="-180 to 180"),
    _col("place", path=("location", "place")),
)
_MASS = (
    _col("element_mass", "number", required=True, help="g for Pu, U-233, enriched U; else kg"),
    _col("isotope_mass", "number", help="Pu-239, U-233 or U-235 mass, same unit"),
    _col("unit", required=True, choices=MassUnit),
)

NUCLEAR = (
    Sheet(
        "sites",
        "Every nuclear site and facility, whatever its status.",
        (
            _col("id", required=True),
            _col("name", required=True),
            _col("category", required=True, choices=SiteCategory),
            *_LOCATION,
            _col("status", required=True, choices=SiteStatus),
            _col("capacity", "number", path=("capacity", "value"), help="design capacity"),
            _col("capacity_unit", path=("capacity", "unit"), choices=CapacityUnit),
            _col("note"),
        ),
    ),
    Sheet(
        "material_balance_areas",
        "Material balance areas, each within a declared site.",
        (_col("id", required=True), _col("site", required=True), _col("name")),
    ),
    Sheet(
        "key_measurement_points",
        "Key measurement points of the balance areas.",
        (
            _col("id", required=True),
            _col("mba", required=True),
            _col("kind", required=True, choices=("flow", "inventory")),
            _col("description"),
        ),
    ),
    Sheet(
        "inventory",
        "Nuclear material held, one batch (and material) per row.",
        (
            _col("mba", required=True),
            _col("batch", required=True),
            _col("material", required=True, choices=Material),
            *_MASS,
            _col("enrichment", "number", help="U-235 weight %, uranium only"),
            _col("physical_form", required=True, choices=PhysicalForm),
            _col("items", "int", help="number of items [default 1]"),
            _col("kmp", help="key measurement point"),
        ),
    ),
    Sheet(
        "inventory_totals",
        "The total of each material in each balance area: must equal the sum of its rows.",
        (
            _col("mba", required=True),
            _col("material", required=True, choices=Material),
            *_MASS,
            _col("items", "int"),
        ),
    ),
    Sheet(
        "production_history",
        "What each site produced, period by period.",
        (
            _col("site", required=True),
            _col("kind", required=True, choices=ProductionKind),
            _col("material", required=True, choices=Material),
            _col("start", "date", required=True),
            _col("end", "date", required=True),
            *_MASS,
        ),
    ),
    Sheet(
        "weapons",
        "Nuclear weapons and separate warheads in aggregate, by location category.",
        (
            _col("location_category", required=True, choices=WeaponLocation),
            _col("weapons", "int", required=True),
            _col("warheads", "int"),
            _col("site", help="a declared site, where one is named"),
        ),
    ),
    Sheet(
        "inventory_changes",
        "Changes in each balance area since the declaration this one updates.",
        (
            _col("date", "date", required=True),
            _col("mba", required=True),
            _col("kind", required=True, choices=ChangeKind),
            _col("material", required=True, choices=Material),
            *_MASS,
            _col("counterpart", help="the other MBA, or where outside it went"),
            _col("note"),
        ),
    ),
    Sheet(
        "weapon_changes",
        "Weapons assembled, dismantled, removed or expended since the last update.",
        (
            _col("date", "date", required=True),
            _col("kind", required=True, choices=WeaponChangeKind),
            _col("weapons", "int", required=True),
            _col("note"),
        ),
    ),
)

MISSILE = (
    Sheet(
        "missile_types",
        "Every missile type, with the missiles and launchers declared for it.",
        (
            _col("name", required=True),
            _col("aliases", "list", help="other names, comma-separated"),
            _col("missile_class", required=True, choices=MissileClass),
            _col("propellant", required=True, choices=Propellant),
            _col("stages", "int", required=True),
            _col("range_km", "float", required=True),
            _col("payload_kg", "float", required=True),
            _col("declared_missiles", "int", required=True, help="missiles not eliminated"),
            _col("declared_launchers", "int", required=True, help="launchers not eliminated"),
        ),
    ),
    Sheet(
        "facilities",
        "Production, storage, deployment, test and space launch facilities.",
        (
            _col("id", required=True),
            _col("name", required=True),
            _col("aliases", "list"),
            _col("kind", required=True, choices=FacilityKind),
            *_LOCATION,
            _col("status", required=True, choices=SiteStatus),
            _col("note"),
        ),
    ),
    Sheet(
        "missiles",
        "Every missile, by its unique identifier.",
        (
            _col("uid", required=True),
            _col("type", required=True, help="a declared missile type"),
            _col("status", required=True, choices=ItemStatus),
            _col("location", help="a declared facility (empty once eliminated)"),
        ),
    ),
    Sheet(
        "launchers",
        "Every launcher, by its unique identifier.",
        (
            _col("uid", required=True),
            _col("kind", required=True, choices=LauncherKind),
            _col("missile_type", required=True),
            _col("status", required=True, choices=ItemStatus),
            _col("location"),
        ),
    ),
    Sheet(
        "changes",
        "Missiles and launchers produced or eliminated since the last update.",
        (
            _col("date", "date", required=True),
            _col("kind", required=True, choices=MissileChangeKind),
            _col("uid", required=True),
            _col("facility"),
            _col("method", help="how it was eliminated"),
            _col("note"),
        ),
    ),
)

SHEETS: dict[Program, tuple[Sheet, ...]] = {Program.NUCLEAR: NUCLEAR, Program.MISSILE: MISSILE}


def from_cell(kind: str, value: Any) -> Any:
    """A cell's value as the document holds it; what cannot be read is left for the schema."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = value.strip()
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    if kind == "number" and isinstance(value, float):
        return Decimal(repr(value))
    if kind == "list" and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if kind == "lines" and isinstance(value, str):
        return [v.strip() for v in value.splitlines() if v.strip()]
    if kind in ("list", "lines"):
        return [value]
    if kind == "text" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def formula_like(value: object) -> bool:
    """Whether a spreadsheet program could read the text `value` as a formula.

    A declaration is the declarant's text, read by the other parties: such a
    value is written as text (in a workbook, a string cell marked with a
    quote prefix), never as a formula that runs on the reader's machine.
    """
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def to_cell(kind: str, value: Any) -> Any:
    """A document value as a cell holds it."""
    if value is None:
        return None
    if kind == "list":
        return ", ".join(str(v) for v in value)
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if kind == "number":
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    return value


def row_entry(sheet: Sheet, cells: Sequence[tuple[Column, Any]]) -> dict[str, Any]:
    """A document entry from a row's (column, cell value) pairs; empty cells are left out."""
    entry: dict[str, Any] = {}
    for column, raw in cells:
        value = from_cell(column.kind, raw)
        if value is None:
            continue
        target = entry
        for part in column.path[:-1]:
            target = target.setdefault(part, {})
        target[column.path[-1]] = value
    return entry


def entry_row(sheet: Sheet, entry: dict[str, Any]) -> list[Any]:
    """The cells of a row from a document entry."""
    out = []
    for column in sheet.columns:
        value: Any = entry
        for part in column.path:
            value = value.get(part) if isinstance(value, dict) else None
        out.append(to_cell(column.kind, value))
    return out
