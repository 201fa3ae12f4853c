"""One MBA's balance sequence as a document, and the statistics' report on it.

The document (JSON or YAML), as `accordwatch safeguards evaluate` reads it:

    {"period_count": B, "k": 3, "K": 0.5, "h": 5,
     "unit": "kg", "material": "pu", "alpha": 0.00135,      # optional
     "locations": [{"name": ..., "kind": "input" | "output" | "inventory",
                    "random_rsd": r, "systematic_rsd": s,    # or "method": key
                    "recalibrated_at": [periods],            # optional
                    "values": [...],
                    "declared": [...]}]}                     # optional

`declared` holds the values the operator declared, as many as `values`; with
`systematic_from="declared"` they, not the observed values, build the
covariance (see `material_balance.evaluate`).

A flow has B per-period totals; an inventory has B+1 values (boundaries 0..B).
`report` adds to the statistics, for each balance, the diversion detected with
probability 0.95 by the single-balance test (in the file's unit and, given a
material, in significant quantities). The same report serves MBAs in the log
(`accordwatch.safeguards.accountancy_balance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from accordwatch.errors import InputError
from accordwatch.safeguards.detection import DEFAULT_POWER, alpha_for, detectable_diversion
from accordwatch.safeguards.material_balance import (
    KINDS,
    Balance,
    Evaluation,
    Location,
    Settings,
    evaluate,
)
from accordwatch.safeguards.materials import KILOGRAMS_PER, Material, in_significant_quantities
from accordwatch.safeguards.measurement import MethodTable

_TOP = {"period_count", "k", "K", "h", "unit", "material", "alpha", "locations"}
_LOCATION = {
    "name",
    "kind",
    "random_rsd",
    "systematic_rsd",
    "method",
    "recalibrated_at",
    "values",
    "declared",
}
SYSTEMATIC_FROM = ("observed", "declared")


@dataclass(frozen=True)
class BalanceInput:
    balance: Balance
    settings: Settings
    unit: str = "kg"
    material: Material | None = None
    alpha: float | None = None
    """False alarm probability for the detection figures [default: that of k]."""
    declared: Balance | None = None
    """The declared values of every location, when the file gives them."""


def finite_number(value: Any, what: str, where: str, *, minimum: float | None = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, not {value!r}", where=where)
    if minimum is not None and value < minimum:
        raise InputError(f"{what} must be at least {minimum:g}, not {value}", where=where)
    return float(value)


def parse_balance(doc: Any, *, table: MethodTable, where: str) -> BalanceInput:
    """Read the document; every problem is an InputError naming the member at fault."""
    if not isinstance(doc, dict):
        raise InputError("a balance file must be a JSON object", where=where)
    extra = set(doc) - _TOP
    if extra:
        raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=where)
    count = doc.get("period_count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"period_count must be a positive integer, not {count!r}", where=where)
    defaults = Settings()
    settings = Settings(
        k=finite_number(doc.get("k", defaults.k), "k", where),
        K=finite_number(doc.get("K", defaults.K), "K", where),
        h=finite_number(doc.get("h", defaults.h), "h", where),
    )
    unit = doc.get("unit", "kg")
    if unit not in KILOGRAMS_PER:
        raise InputError(f"unit must be one of g, kg, t, not {unit!r}", where=where)
    material = None
    if doc.get("material") is not None:
        try:
            material = Material(doc["material"])
        except ValueError:
            known = ", ".join(m.value for m in Material)
            raise InputError(
                f"unknown material {doc['material']!r} ({known})", where=where
            ) from None
    alpha = None
    if doc.get("alpha") is not None:
        alpha = finite_number(doc["alpha"], "alpha", where)
        if not 0 < alpha < 1:
            raise InputError(f"alpha must be between 0 and 1, not {alpha}", where=where)
    raw = doc.get("locations")
    if not isinstance(raw, list) or not raw:
        raise InputError("locations must be a non-empty list", where=where)
    parsed = [
        _location(item, count, table, f"{where}: locations[{n}]") for n, item in enumerate(raw)
    ]
    locations = tuple(loc for loc, _ in parsed)
    names = [loc.name for loc in locations]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"duplicate location name(s): {', '.join(duplicated)}", where=where)
    declared = None
    missing = [loc.name for loc, d in parsed if d is None]
    if len(missing) < len(parsed):
        if missing:
            raise InputError(
                f"declared values are given for some locations but not {', '.join(missing)}",
                where=where,
            )
        declared = Balance(count, tuple(d for _, d in parsed if d is not None))
    return BalanceInput(Balance(count, locations), settings, unit, material, alpha, declared)


def _location(
    item: Any, count: int, table: MethodTable, where: str
) -> tuple[Location, Location | None]:
    """The location as observed and, when the item has `declared`, as declared."""
    if not isinstance(item, dict):
        raise InputError("a location must be an object", where=where)
    extra = set(item) - _LOCATION
    if extra:
        raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=where)
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise InputError("name must be a non-empty string", where=where)
    where = f"{where} ({name})"
    kind = item.get("kind")
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", where=where)
    if "method" in item:
        if "random_rsd" in item or "systematic_rsd" in item:
            raise InputError("give either method or random_rsd and systematic_rsd", where=where)
        method = table.lookup(str(item["method"]), where=where)
        r, s = method.random_rsd, method.systematic_rsd
    else:
        if "random_rsd" not in item or "systematic_rsd" not in item:
            raise InputError("random_rsd and systematic_rsd (or method) are required", where=where)
        r = finite_number(item["random_rsd"], "random_rsd", where)
        s = finite_number(item["systematic_rsd"], "systematic_rsd", where)
        if r >= 1 or s >= 1:
            raise InputError("relative SDs are fractions below 1 (0.001 is 0.1 %)", where=where)
    values = item.get("values")
    want = count + 1 if kind == "inventory" else count
    if not isinstance(values, list) or len(values) != want:
        got = len(values) if isinstance(values, list) else type(values).__name__
        raise InputError(
            f"values must be a list of {want} numbers for an {kind} location over "
            f"{count} periods (got {got})",
            where=where,
        )
    numbers = [finite_number(v, f"values[{i}]", where, minimum=None) for i, v in enumerate(values)]
    at = item.get("recalibrated_at", [])
    if not isinstance(at, list) or any(isinstance(p, bool) or not isinstance(p, int) for p in at):
        raise InputError("recalibrated_at must be a list of period numbers", where=where)
    if at != sorted(set(at)) or any(not 2 <= p <= count for p in at):
        raise InputError(f"recalibrated_at must be increasing periods in 2..{count}", where=where)
    location = Location(name, kind, np.asarray(numbers, dtype=np.float64), r, s, tuple(at))
    if "declared" not in item:
        return location, None
    declared = item["declared"]
    if not isinstance(declared, list) or len(declared) != want:
        got = len(declared) if isinstance(declared, list) else type(declared).__name__
        raise InputError(f"declared must be a list of {want} numbers (got {got})", where=where)
    stated = [
        finite_number(v, f"declared[{i}]", where, minimum=None) for i, v in enumerate(declared)
    ]
    return location, replace(location, values=np.asarray(stated, dtype=np.float64))


def check_systematic_from(value: str) -> None:
    """Which values build the variances: `observed` (plug-in) or `declared`."""
    if value not in SYSTEMATIC_FROM:
        raise InputError(f"--systematic-from must be observed or declared, not {value!r}")


def run(data: BalanceInput, *, where: str, systematic_from: str = "observed") -> Evaluation:
    """Evaluate, with the covariance built from the observed or the declared values."""
    check_systematic_from(systematic_from)
    declared = None
    if systematic_from == "declared":
        if data.declared is None:
            raise InputError(
                "--systematic-from declared needs `declared` values for every location",
                where=where,
            )
        declared = data.declared
    return evaluate(data.balance, data.settings, declared=declared)


def report(result: Evaluation, data: BalanceInput, power: float = DEFAULT_POWER) -> dict[str, Any]:
    """The statistics as JSON, with the diversion each balance detects with probability `power`."""
    out = result.to_json()
    alpha = data.alpha if data.alpha is not None else alpha_for(data.settings.k)
    detectable = detectable_diversion(result.sigma_muf, alpha, power)
    detection: dict[str, Any] = {
        "alpha": alpha,
        "power": power,
        "unit": data.unit,
        "diversion": [float(v) for v in detectable],
    }
    if data.material is not None:
        to_kg = float(KILOGRAMS_PER[data.unit])
        detection["material"] = data.material.value
        detection["diversion_sq"] = [
            in_significant_quantities(float(v) * to_kg, data.material) for v in detectable
        ]
    out["unit"] = data.unit
    out["detection"] = detection
    return out
