"""The declared items an inspection is planned on and compared with.

Inspections need of a declaration only its items: a unique identifier, the
material balance area, the counted mass (element or isotope, as the
material's significant quantity counts), and where known the material, the
operator's measurement method and a sampling stratum (`DeclaredItem`). They come
from either

- the physical inventory listing in force for the MBA (the latest dated on or
  before a date), item by item (`from_listing`); or
- a declared-items file (JSON or YAML, `from_document`):

      items:
        - id: PU-0001
          mba: mba-a
          mass: "2.500"        # counted mass, exact decimal
          unit: kg             # g, kg or t
          material: pu         # optional: needed to plan
          method: neutron-coincidence-pu   # optional: the operator's method
          stratum: cans        # optional: sampling stratum [default: the material]
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from accordwatch.errors import InputError, NotFoundError
from accordwatch.safeguards.accountancy import PhysicalInventoryBody, Reports
from accordwatch.safeguards.inspection import DeclaredItem
from accordwatch.safeguards.materials import KILOGRAMS_PER, Material

_ITEM = {"id", "mba", "mass", "unit", "material", "method", "stratum"}


def from_listing(
    reports: Reports, mba: str, on: dt.date | None = None
) -> tuple[list[DeclaredItem], str]:
    """Items of the latest listing in force for `mba` dated on or before `on`, and its name."""
    listings = [
        r
        for r in reports.in_force(mba)
        if isinstance(r.report, PhysicalInventoryBody)
        and r.report.date is not None
        and (on is None or r.report.date <= on)
    ]
    if not listings:
        when = f" dated on or before {on}" if on else ""
        raise NotFoundError(f"no physical inventory listing of MBA {mba}{when} is in force")
    latest = max(listings, key=lambda r: r.report.date or dt.date.min)  # type: ignore[union-attr]
    pil = latest.report
    assert isinstance(pil, PhysicalInventoryBody)
    items = [
        DeclaredItem(
            item.item_id,
            mba,
            item.counted().kilograms(),
            item.method,
            item.material.value,
            item.stratum,
        )
        for item in pil.items
    ]
    name = (
        f"physical-inventory {pil.report_id} revision {pil.revision} of {pil.date} "
        f"(entry {latest.index})"
    )
    return items, name


def from_document(doc: Any, *, where: str) -> list[DeclaredItem]:
    """Items of a declared-items file; InputError naming the item and member at fault."""
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise InputError("a declared-items file is an object with a list of items", where=where)
    out: list[DeclaredItem] = []
    seen: set[str] = set()
    for n, item in enumerate(doc["items"]):
        at = f"{where}: items[{n}]"
        if not isinstance(item, dict):
            raise InputError("an item must be an object", where=at)
        extra = set(item) - _ITEM
        if extra:
            raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=at)
        item_id, mba = item.get("id"), item.get("mba")
        if not isinstance(item_id, str) or not item_id or not isinstance(mba, str) or not mba:
            raise InputError("id and mba are required strings", where=at)
        if item_id in seen:
            raise InputError(f"item {item_id} is listed twice", where=at)
        seen.add(item_id)
        raw = item.get("mass")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InputError("mass must be a number (or a decimal string)", where=at)
        try:
            mass = Decimal(str(raw))
        except InvalidOperation:
            raise InputError(f"mass {raw!r} is not a number", where=at) from None
        if not mass.is_finite() or mass < 0:
            raise InputError(f"mass must be a finite number >= 0, not {raw}", where=at)
        unit = item.get("unit", "kg")
        if unit not in KILOGRAMS_PER:
            raise InputError(f"unit must be g, kg or t, not {unit!r}", where=at)
        material = item.get("material")
        if material is not None and material not in {m.value for m in Material}:
            raise InputError(f"unknown material {material!r}", where=at)
        for name in ("method", "stratum"):
            if item.get(name) is not None and not isinstance(item[name], str):
                raise InputError(f"{name} must be a string", where=at)
        out.append(
            DeclaredItem(
                item_id,
                mba,
                mass * KILOGRAMS_PER[unit],
                item.get("method"),
                material,
                item.get("stratum"),
            )
        )
    return out
