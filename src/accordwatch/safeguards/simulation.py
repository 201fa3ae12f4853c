"""Monte Carlo of a facility's material balances: detection probability and false alarm rate.

A facility is described by its true flows and inventories per period (a
balanced process: inputs equal outputs plus the change of inventory) and the
measurement error of each location. A diversion scenario removes material
from one inventory: `none`, `abrupt` (an amount in one balance) or
`protracted` (an amount per balance from a start balance, to an optional end).

Each realisation draws, with NumPy's PCG64 from the given seed, a systematic
error per location and calibration and a random error per measured value:
observed = true x (1 + systematic + random). The same errors are applied to the
facility with and without the diversion, so the false alarm rate (alarms at
any balance without diversion) and the detection probability (alarms at or
after the first diverted balance, with it) are estimated on paired draws.
Pure: the seed is the only source of randomness.

    {"period_count": 100, "realisations": 10000, "seed": 1, "unit": "kg",
     "k": 3, "K": 0.5, "h": 5,
     "locations": [{"name": "feed", "kind": "input", "method": "...", "value": 50},
                   {"name": "tank", "kind": "inventory", "random_rsd": 0.01,
                    "systematic_rsd": 0.005, "values": [...]}],
     "scenario": {"kind": "protracted", "start": 21, "per_balance": 0.5, "from": "tank"}}

A location gives `value` (the same every period) or `values` (B for a flow,
B+1 for an inventory).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from accordwatch.errors import InputError
from accordwatch.safeguards.balance_file import (
    check_systematic_from,
    finite_number,
    parse_balance,
)
from accordwatch.safeguards.material_balance import (
    TESTS,
    Array,
    Balance,
    NotPositiveDefiniteError,
    Settings,
    evaluate,
    first_alarm,
    muf,
)
from accordwatch.safeguards.materials import KILOGRAMS_PER, Material, in_significant_quantities
from accordwatch.safeguards.measurement import MethodTable

ScenarioKind = Literal["none", "abrupt", "protracted"]
MAX_REALISATIONS = 1_000_000
_CHUNK_VALUES = 4_000_000  # values per location and chunk: bounds memory


@dataclass(frozen=True)
class Scenario:
    kind: ScenarioKind = "none"
    start: int = 1
    """First diverted balance."""
    end: int | None = None
    """Last diverted balance (protracted; default: the last)."""
    amount: float = 0.0
    """Diverted per balance (protracted) or once (abrupt)."""
    source: str | None = None
    """The inventory location the material is taken from [default: the first]."""

    def losses(self, count: int) -> Array:
        loss = np.zeros(count)
        if self.kind == "abrupt":
            loss[self.start - 1] = self.amount
        elif self.kind == "protracted":
            loss[self.start - 1 : self.end or count] = self.amount
        return loss


@dataclass(frozen=True)
class Facility:
    """True values (no errors) of a balanced facility, as a `Balance` without batch dimension."""

    balance: Balance
    settings: Settings
    unit: str = "kg"
    material: Material | None = None


@dataclass(frozen=True)
class TestResult:
    false_alarm_rate: float
    detection_probability: float
    mean_first_alarm: float | None
    detected_by_balance: list[float]

    def to_json(self, realisations: int) -> dict[str, Any]:
        def se(p: float) -> float:
            return float(np.sqrt(p * (1 - p) / realisations))

        return {
            "false_alarm_rate": self.false_alarm_rate,
            "false_alarm_rate_se": se(self.false_alarm_rate),
            "detection_probability": self.detection_probability,
            "detection_probability_se": se(self.detection_probability),
            "mean_first_alarm": self.mean_first_alarm,
            "detected_by_balance": self.detected_by_balance,
        }


@dataclass(frozen=True)
class SimulationResult:
    realisations: int
    seed: int
    scenario: Scenario
    tests: dict[str, TestResult]
    diverted: float = 0.0
    """Total diverted over the periods, in the facility's unit."""
    diverted_sq: float | None = None
    systematic_from: str = "observed"
    """Which values built the covariance: observed (plug-in) or declared."""

    def to_json(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "realisations": self.realisations,
            "seed": self.seed,
            "systematic_from": self.systematic_from,
            "scenario": {
                "kind": s.kind,
                "start": s.start,
                "end": s.end,
                "amount": s.amount,
                "from": s.source,
            },
            "diverted": self.diverted,
            "diverted_sq": self.diverted_sq,
            "tests": {name: t.to_json(self.realisations) for name, t in self.tests.items()},
        }


def check_balanced(balance: Balance, *, tolerance: float = 1e-9) -> None:
    """Raise ValueError unless the true values balance in every period (true MUF = 0)."""
    scale = max(float(np.abs(loc.values).max()) for loc in balance.locations) or 1.0
    residual = muf(balance)
    worst = int(np.argmax(np.abs(residual)))
    if abs(residual[worst]) > tolerance * scale:
        raise ValueError(
            f"the facility does not balance: true MUF of period {worst + 1} is "
            f"{residual[worst]:.6g} (inputs must equal outputs plus the change of inventory)"
        )


def _with_loss(balance: Balance, scenario: Scenario) -> Balance:
    if scenario.kind == "none":
        return balance
    cumulative = np.concatenate([[0.0], np.cumsum(scenario.losses(balance.period_count))])
    inventories = [loc for loc in balance.locations if loc.kind == "inventory"]
    name = scenario.source or (inventories[0].name if inventories else None)
    target = next((loc for loc in inventories if loc.name == name), None)
    if target is None:
        raise ValueError(f"the diversion must come from an inventory location, not {name!r}")
    reduced = target.values - cumulative
    if np.any(reduced < 0):
        first = int(np.argmax(reduced < 0))
        raise ValueError(f"inventory {name!r} would become negative at boundary {first}")
    changed = replace(target, values=reduced)
    return replace(
        balance, locations=tuple(changed if loc is target else loc for loc in balance.locations)
    )


def _error_factors(balance: Balance, rng: np.random.Generator, size: int) -> list[Array]:
    """Relative errors (1 + S + R) per location for `size` realisations, and the factors."""
    b = balance.period_count
    factors: list[Array] = []
    for loc in balance.locations:
        boundaries = loc.kind == "inventory"
        n = b + 1 if boundaries else b
        segments = loc.calibration(b, boundaries=boundaries)
        systematic = rng.standard_normal((size, len(loc.recalibrated_at) + 1)) * loc.systematic_rsd
        random = rng.standard_normal((size, n)) * loc.random_rsd
        factors.append(1.0 + systematic[:, segments] + random)
    return factors


def simulate(
    facility: Facility,
    scenario: Scenario,
    *,
    realisations: int,
    seed: int,
    systematic_from: str = "observed",
) -> SimulationResult:
    """Estimate each test's false alarm rate and detection probability.

    With `systematic_from="declared"` the covariance of each realisation is built
    from the facility's values as declared (its true, undiverted ones) rather than
    from the observed values (see `material_balance.evaluate`).
    """
    if not 1 <= realisations <= MAX_REALISATIONS:
        raise ValueError(f"realisations must be between 1 and {MAX_REALISATIONS}")
    truth = facility.balance
    check_balanced(truth)
    diverted = _with_loss(truth, scenario)
    b = truth.period_count
    rng = np.random.default_rng(seed)
    per_chunk = max(1, _CHUNK_VALUES // (b + 1))
    false_first: dict[str, list[NDArray[np.int64]]] = {t: [] for t in TESTS}
    loss_first: dict[str, list[NDArray[np.int64]]] = {t: [] for t in TESTS}
    done = 0
    while done < realisations:
        size = min(per_chunk, realisations - done)
        factors = _error_factors(truth, rng, size)
        for source, into in ((truth, false_first), (diverted, loss_first)):
            observed = tuple(
                replace(loc, values=loc.values * f)
                for loc, f in zip(source.locations, factors, strict=True)
            )
            result = evaluate(
                replace(source, locations=observed),
                facility.settings,
                declared=truth if systematic_from == "declared" else None,
            )
            if np.isnan(result.page).any():
                raise NotPositiveDefiniteError(
                    "SITMUF and Page's test are undefined: a location holds material "
                    "measured with no random error (every balance with material needs some)"
                )
            for name in TESTS:
                flags = result.alarms[name]
                if into is loss_first and scenario.kind != "none":
                    flags = flags & (np.arange(1, b + 1) >= scenario.start)
                into[name].append(first_alarm(flags))
        done += size
    tests: dict[str, TestResult] = {}
    for name in TESTS:
        no_loss = np.concatenate(false_first[name])
        with_loss = np.concatenate(loss_first[name])
        detected = with_loss[with_loss > 0]
        by_balance = np.bincount(with_loss, minlength=b + 1)[1:].cumsum() / realisations
        tests[name] = TestResult(
            false_alarm_rate=float(np.mean(no_loss > 0)),
            detection_probability=float(detected.size / realisations),
            mean_first_alarm=float(detected.mean()) if detected.size else None,
            detected_by_balance=[float(v) for v in by_balance],
        )
    total_loss = float(scenario.losses(b).sum())
    sq = None
    if facility.material is not None:
        kilograms = total_loss * float(KILOGRAMS_PER[facility.unit])
        sq = in_significant_quantities(kilograms, facility.material)
    return SimulationResult(realisations, seed, scenario, tests, total_loss, sq, systematic_from)


_FACILITY = {
    "period_count",
    "realisations",
    "seed",
    "unit",
    "material",
    "k",
    "K",
    "h",
    "locations",
    "scenario",
}
_LOCATION = {"name", "kind", "method", "random_rsd", "systematic_rsd", "recalibrated_at", "value"}


def parse_facility(
    doc: Any, *, table: MethodTable, where: str
) -> tuple[Facility, Scenario, int, int]:
    """(facility, scenario, realisations, seed) from a description; InputError on any problem."""
    if not isinstance(doc, dict):
        raise InputError("a facility description must be a JSON object", where=where)
    extra = set(doc) - _FACILITY
    if extra:
        raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=where)
    count = doc.get("period_count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"period_count must be a positive integer, not {count!r}", where=where)
    locations = doc.get("locations")
    if not isinstance(locations, list) or not locations:
        raise InputError("locations must be a non-empty list", where=where)
    expanded = []
    for n, item in enumerate(locations):
        if isinstance(item, dict) and "value" in item:
            if "values" in item:
                raise InputError("give value or values, not both", where=f"{where}: locations[{n}]")
            at = f"{where}: locations[{n}]"
            value = finite_number(item["value"], "value", at, minimum=0.0)
            length = count + 1 if item.get("kind") == "inventory" else count
            item = {k: v for k, v in item.items() if k != "value"} | {"values": [value] * length}
        expanded.append(item)
    settings_doc = {
        k: doc[k] for k in ("period_count", "unit", "material", "k", "K", "h") if k in doc
    }
    parsed = parse_balance({**settings_doc, "locations": expanded}, table=table, where=where)
    facility = Facility(parsed.balance, parsed.settings, parsed.unit, parsed.material)
    try:
        check_balanced(facility.balance)
    except ValueError as exc:
        raise InputError(str(exc), where=where) from None
    realisations = doc.get("realisations", 10_000)
    if isinstance(realisations, bool) or not isinstance(realisations, int):
        raise InputError("realisations must be an integer", where=where)
    if not 1 <= realisations <= MAX_REALISATIONS:
        raise InputError(f"realisations must be between 1 and {MAX_REALISATIONS}", where=where)
    seed = doc.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(
            "seed must be a non-negative integer (the simulation is seeded)", where=where
        )
    scenario = _scenario(
        doc.get("scenario", {"kind": "none"}), facility.balance, f"{where}: scenario"
    )
    return facility, scenario, realisations, seed


def _scenario(doc: Any, balance: Balance, where: str) -> Scenario:
    count = balance.period_count
    if not isinstance(doc, dict) or doc.get("kind") not in ("none", "abrupt", "protracted"):
        raise InputError("kind must be none, abrupt or protracted", where=where)
    kind = doc["kind"]
    allowed = {
        "none": {"kind"},
        "abrupt": {"kind", "balance", "amount", "from"},
        "protracted": {"kind", "start", "end", "per_balance", "from"},
    }[kind]
    extra = set(doc) - allowed
    if extra:
        raise InputError(f"unknown member(s) for {kind}: {', '.join(sorted(extra))}", where=where)
    if kind == "none":
        return Scenario()

    def period(name: str, default: int | None = None) -> int:
        value = doc.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= count:
            raise InputError(f"{name} must be a balance number in 1..{count}", where=where)
        return value

    source = doc.get("from")
    inventories = [loc.name for loc in balance.locations if loc.kind == "inventory"]
    if (source is not None and source not in inventories) or not inventories:
        raise InputError(
            f"from must name an inventory location ({', '.join(inventories) or 'none'})",
            where=where,
        )
    if kind == "abrupt":
        scenario = Scenario(
            "abrupt",
            period("balance"),
            None,
            finite_number(doc.get("amount"), "amount", where),
            source,
        )
    else:
        start = period("start")
        end = period("end", count)
        if end < start:
            raise InputError("end must not be before start", where=where)
        scenario = Scenario(
            "protracted",
            start,
            end,
            finite_number(doc.get("per_balance"), "per_balance", where),
            source,
        )
    try:
        _with_loss(balance, scenario)
    except ValueError as exc:
        raise InputError(str(exc), where=where) from None
    return scenario


def run_simulation(
    facility: Facility,
    scenario: Scenario,
    *,
    realisations: int,
    seed: int,
    where: str,
    systematic_from: str = "observed",
) -> SimulationResult:
    """`simulate`, with a covariance that cannot be factored reported as a user error."""
    check_systematic_from(systematic_from)
    try:
        return simulate(
            facility,
            scenario,
            realisations=realisations,
            seed=seed,
            systematic_from=systematic_from,
        )
    except NotPositiveDefiniteError as exc:
        raise InputError(str(exc), where=where) from None
