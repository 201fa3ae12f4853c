"""Internal consistency of a nuclear declaration: places, units, masses, enrichment, totals.

The rules are listed in `declarations.check`, which runs them: sites, balance
areas and measurement points are unique and referenced where declared; masses
are in their material's unit, an isotope mass is not above its element mass,
enrichment is for uranium only, within its category and agrees with the
masses; each declared total is the sum of its lines; dates are not after the
declaration's date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from accordwatch.declarations.base import Problem
from accordwatch.declarations.internal_problems import duplicates, internal_problem, not_after
from accordwatch.declarations.nuclear import (
    ENRICHMENT_RANGE,
    MATERIAL_FORM,
    Material,
    NuclearDeclaration,
)
from accordwatch.declarations.sums import line_sums

_NO_ISOTOPE = frozenset(m for m, form in MATERIAL_FORM.items() if form[1] is None)
#: enrichment may differ from 100 x isotope / element mass by this many percentage points
ENRICHMENT_TOLERANCE = Decimal("0.05")


def _mass_line(
    section: str,
    n: int,
    material: Material,
    unit: str,
    element: Decimal,
    isotope: Decimal | None,
    enrichment: Decimal | None = None,
) -> Iterable[Problem]:
    element_name, isotope_name, expected_unit = MATERIAL_FORM[material]
    if unit != expected_unit:
        yield internal_problem(
            "unit",
            (section, n, "unit"),
            f"{material} is reported in {expected_unit}, not {unit}",
        )
    if isotope is not None:
        if isotope_name is None:
            yield internal_problem(
                "range", (section, n, "isotope_mass"), f"{material} has no isotope to report"
            )
        elif isotope > element:
            yield internal_problem(
                "range",
                (section, n, "isotope_mass"),
                f"{isotope_name} mass {isotope} {unit} is above the {element_name} mass "
                f"{element} {unit}",
            )
    if enrichment is None:
        return
    bounds = ENRICHMENT_RANGE.get(material)
    if bounds is None:
        yield internal_problem(
            "range", (section, n, "enrichment"), f"enrichment applies to uranium, not {material}"
        )
        return
    low, high = bounds
    if not low <= enrichment < high:
        yield internal_problem(
            "range",
            (section, n, "enrichment"),
            f"enrichment {enrichment} % is outside the range of {material} ({low} to {high} %)",
        )
    if isotope is not None and element > 0:
        implied = isotope * 100 / element
        if abs(implied - enrichment) > ENRICHMENT_TOLERANCE:
            yield internal_problem(
                "range",
                (section, n, "enrichment"),
                f"enrichment {enrichment} % does not match the masses "
                f"({isotope} / {element} = {implied:.3f} %)",
            )


def check_nuclear(d: NuclearDeclaration) -> Iterable[Problem]:
    """The internal problems of a nuclear declaration (see `declarations.check`)."""
    sites = {s.id for s in d.sites}
    mbas = {m.id for m in d.material_balance_areas}
    kmp_mba = {k.id: k.mba for k in d.key_measurement_points}
    yield from duplicates("sites", (s.id for s in d.sites), "site")
    yield from duplicates("material_balance_areas", (m.id for m in d.material_balance_areas), "MBA")
    yield from duplicates("key_measurement_points", (k.id for k in d.key_measurement_points), "KMP")
    for n, mba in enumerate(d.material_balance_areas):
        if mba.site not in sites:
            yield internal_problem(
                "location",
                ("material_balance_areas", n, "site"),
                f"MBA {mba.id} is at {mba.site}, which is not a declared site",
            )
    for n, kmp in enumerate(d.key_measurement_points):
        if kmp.mba not in mbas:
            yield internal_problem(
                "location",
                ("key_measurement_points", n, "mba"),
                f"KMP {kmp.id} is in {kmp.mba}, which is not a declared MBA",
            )
    yield from _inventory(d, mbas, kmp_mba)
    for n, record in enumerate(d.production_history):
        where = ("production_history", n)
        if record.site not in sites:
            yield internal_problem(
                "location", (*where, "site"), f"{record.site} is not a declared site"
            )
        if record.end < record.start:
            yield internal_problem(
                "range", (*where, "end"), f"period ends ({record.end}) before it starts"
            )
        yield from not_after("production_history", n, "end", record.end, d.as_of)
        yield from _mass_line(
            "production_history",
            n,
            record.material,
            record.unit,
            record.element_mass,
            record.isotope_mass,
        )
    for n, change in enumerate(d.inventory_changes):
        if change.mba not in mbas:
            yield internal_problem(
                "location",
                ("inventory_changes", n, "mba"),
                f"{change.mba} is not a declared MBA",
            )
        yield from not_after("inventory_changes", n, "date", change.date, d.as_of)
        yield from _mass_line(
            "inventory_changes",
            n,
            change.material,
            change.unit,
            change.element_mass,
            change.isotope_mass,
        )
    yield from duplicates(
        "weapons", ((w.location_category.value, w.site) for w in d.weapons), "weapons holding"
    )
    for n, holding in enumerate(d.weapons):
        if holding.site is not None and holding.site not in sites:
            yield internal_problem(
                "location", ("weapons", n, "site"), f"{holding.site} is not a declared site"
            )
    for n, wchange in enumerate(d.weapon_changes):
        yield from not_after("weapon_changes", n, "date", wchange.date, d.as_of)


def _inventory(d: NuclearDeclaration, mbas: set[str], kmp_mba: dict[str, str]) -> Iterable[Problem]:
    batches: set[tuple[str, str, str]] = set()
    for n, line in enumerate(d.inventory):
        if line.mba not in mbas:
            yield internal_problem(
                "location",
                ("inventory", n, "mba"),
                f"batch {line.batch} is in {line.mba}, which is not a declared MBA",
            )
        if line.kmp is not None and kmp_mba.get(line.kmp) != line.mba:
            yield internal_problem(
                "location",
                ("inventory", n, "kmp"),
                f"{line.kmp} is not a declared KMP of MBA {line.mba}",
            )
        key3 = (line.mba, line.batch, str(line.material))
        if key3 in batches:
            yield internal_problem(
                "duplicate",
                ("inventory", n, "batch"),
                f"batch {line.batch} of {line.material} in {line.mba} is declared twice",
            )
        batches.add(key3)
        # The common case, checked inline: a line in its unit, no enrichment to check.
        if (
            line.enrichment is not None
            or line.unit != MATERIAL_FORM[line.material][2]
            or (line.isotope_mass is not None and line.isotope_mass > line.element_mass)
            or (line.isotope_mass is not None and line.material in _NO_ISOTOPE)
        ):
            yield from _mass_line(
                "inventory",
                n,
                line.material,
                line.unit,
                line.element_mass,
                line.isotope_mass,
                line.enrichment,
            )
    # The lines' sums per MBA and material (keys hold the material's text), from the
    # sums per unit that the check over time and the diff share.
    sums: dict[tuple[str, str], list[Decimal]] = {}
    lines: Counter[tuple[str, str]] = Counter()
    for (mba, material, _), group in line_sums(d).items():
        acc = sums.setdefault((mba, material), [Decimal(0), Decimal(0), Decimal(0)])
        acc[0] += group.element
        acc[1] += group.isotope
        acc[2] += group.items
        lines[(mba, material)] += group.lines
    totals: set[tuple[str, str]] = set()
    for n, total in enumerate(d.inventory_totals):
        key = (total.mba, str(total.material))
        where = ("inventory_totals", n)
        if key in totals:
            yield internal_problem(
                "duplicate",
                where,
                f"the total of {total.material} in {total.mba} is declared twice",
            )
            continue
        totals.add(key)
        if total.mba not in mbas:
            yield internal_problem(
                "location", (*where, "mba"), f"{total.mba} is not a declared MBA"
            )
        yield from _mass_line(
            "inventory_totals",
            n,
            total.material,
            total.unit,
            total.element_mass,
            total.isotope_mass,
        )
        element, isotope, items = sums.get(key, (Decimal(0), Decimal(0), Decimal(0)))
        count = lines.get(key, 0)
        what = f"total of {total.material} in {total.mba}"
        if total.element_mass != element:
            yield internal_problem(
                "total",
                (*where, "element_mass"),
                f"{what} is {total.element_mass} {total.unit}, its {count} line(s) sum to "
                f"{element} (difference {total.element_mass - element})",
            )
        if total.isotope_mass is not None and total.isotope_mass != isotope:
            yield internal_problem(
                "total",
                (*where, "isotope_mass"),
                f"{what}: isotope mass is {total.isotope_mass} {total.unit}, its lines sum to "
                f"{isotope}",
            )
        if total.items is not None and total.items != items:
            yield internal_problem(
                "total",
                (*where, "items"),
                f"{what}: {total.items} items declared, its lines hold {items}",
            )
    for key, count in lines.items():
        if key not in totals:
            mba, material = key
            yield internal_problem(
                "total",
                ("inventory_totals",),
                f"no total is declared for {material} in {mba} ({count} line(s))",
            )
