"""Inspections: the plan and report records, and the comparison with what was declared.

An inspection plan (logged by the inspectorate) fixes, for each stratum of
declared items of an MBA, its population (the item ids), the goal quantity,
the number of items to falsify and the sample size (`accordwatch.safeguards.sampling`);
the plan commits to the inspectorate's secret nonce by its SHA-256, and the
items are drawn from the nonce and the first witnessed checkpoint after the
plan (`accordwatch.safeguards.sampling`). An
inspection report records what the inspector found: items found (with the
identifier read on them and, for variables sampling, the measured mass of the
quantity the material's significant quantity counts), items not found, and
items found but not declared) and reveals the plan's nonce, so that anyone
who reads the plan can repeat and check the draw.

`compare` checks a report against the declared items in force: missing or
extra items, identifiers that do not match, selected items left uninspected,
and operator-inspector differences larger than `k` combined standard
deviations; and, from the differences, the D statistic, the estimate of the
total falsified mass `D = sum over strata of N/n sum d_j`, with its standard
deviation under the hypothesis of no falsification (random errors per item,
systematic errors shared by every measurement with one method). Pure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from accordwatch.errors import InputError
from accordwatch.log.encoding import decode_base64
from accordwatch.safeguards.accountancy import Body, Identifier, MbaName, MethodKey, Text
from accordwatch.safeguards.materials import Mass, Material, in_significant_quantities
from accordwatch.safeguards.measurement import MethodTable
from accordwatch.safeguards.sampling import NONCE_BYTES, items_to_falsify, sample_size


def _base64_of(value: str, size: int, what: str) -> str:
    try:
        raw = decode_base64(value, what)
    except InputError as exc:
        raise ValueError(exc.message) from None
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes in base64, not {len(raw)}")
    return value


class PlanStratum(Body):
    name: Identifier
    material: Material
    item_mass: Mass = Field(description="largest counted mass of an item in the stratum")
    goal: Mass = Field(description="goal quantity (by default one significant quantity)")
    defect_fraction: Decimal = Field(default=Decimal(1), gt=0, le=1)
    falsified: int = Field(ge=1, description="items to falsify to divert the goal quantity")
    sample_size: int = Field(ge=0)
    item_ids: list[Identifier] = Field(min_length=1, description="the population, every item")


class InspectionPlanBody(Body):
    """An inspection plan: strata, sample sizes and populations, fixed before the draw."""

    mba: MbaName
    plan_id: Identifier
    date: dt.date = Field(description="planned date of the inspection")
    beta: Decimal = Field(gt=0, lt=1, description="accepted non-detection probability")
    declared: Text = Field(description="the declaration the populations come from")
    strata: list[PlanStratum] = Field(min_length=1)
    nonce_sha256: str | None = Field(
        default=None,
        description="base64 SHA-256 of the inspectorate's secret draw nonce "
        "(absent only in plans logged before draws had a nonce)",
    )

    @field_validator("nonce_sha256")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        return None if value is None else _base64_of(value, 32, "nonce_sha256")

    @model_validator(mode="after")
    def _consistent(self) -> InspectionPlanBody:
        names = [s.name for s in self.strata]
        if len(set(names)) != len(names):
            raise ValueError("stratum names must be unique")
        for s in self.strata:
            n_items = len(s.item_ids)
            if len(set(s.item_ids)) != n_items:
                raise ValueError(f"stratum {s.name}: item ids must be unique")
            r = items_to_falsify(
                s.goal.kilograms(), s.item_mass.kilograms(), n_items, s.defect_fraction
            )
            n = sample_size(n_items, r, self.beta)
            if (s.falsified, s.sample_size) != (r, n):
                raise ValueError(
                    f"stratum {s.name}: {n_items} items of {s.item_mass} for a goal of {s.goal} "
                    f"need r = {r} and n = {n}, not {s.falsified} and {s.sample_size}"
                )
        return self


Status = Literal["found", "not-found", "undeclared"]


class Observation(Body):
    item_id: Identifier | None = Field(default=None, description="the declared item looked for")
    status: Status
    observed_id: Identifier | None = Field(default=None, description="identifier read on it")
    measured: Mass | None = Field(default=None, description="inspector's measured counted mass")
    method: MethodKey | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _consistent(self) -> Observation:
        if self.status == "undeclared":
            if self.item_id is not None or self.observed_id is None:
                raise ValueError("an undeclared item has an observed_id and no item_id")
        elif self.item_id is None:
            raise ValueError(f"a {self.status} observation names the declared item_id")
        if self.status == "not-found" and (self.measured or self.observed_id):
            raise ValueError("an item not found has no observed_id and no measurement")
        if self.measured is not None and self.method is None:
            raise ValueError("a measured value needs its method")
        return self


class DrawReveal(Body):
    """The plan's nonce, revealed, and the checkpoint the draw was seeded with."""

    nonce: str = Field(description="the plan's draw nonce, base64")
    checkpoint: int = Field(ge=1, description="size of the witnessed checkpoint of the draw")

    @field_validator("nonce")
    @classmethod
    def _nonce(cls, value: str) -> str:
        return _base64_of(value, NONCE_BYTES, "draw nonce")


class InspectionReportBody(Body):
    """What an inspection found, against a logged plan."""

    plan_entry: int = Field(ge=0, description="log index of the inspection plan")
    mba: MbaName
    report_id: Identifier
    date: dt.date
    observations: list[Observation] = Field(min_length=1)
    draw: DrawReveal | None = Field(
        default=None, description="the plan's nonce revealed (for a plan that commits to one)"
    )

    @model_validator(mode="after")
    def _unique(self) -> InspectionReportBody:
        ids = [o.item_id for o in self.observations if o.item_id is not None]
        if len(set(ids)) != len(ids):
            raise ValueError("each declared item is observed at most once per report")
        return self


@dataclass(frozen=True)
class LoggedInspection:
    """An inspection report as the log holds it: entry, log time, the inspectorate."""

    index: int
    time: dt.datetime
    party: str
    report: InspectionReportBody


@dataclass(frozen=True)
class DeclaredItem:
    """One declared item: what `compare` needs of a declaration."""

    item_id: str
    mba: str
    kilograms: Decimal  # the counted mass (element or isotope, per the material)
    method: str | None = None
    material: str | None = None
    stratum: str | None = None


@dataclass(frozen=True)
class Finding:
    kind: str
    item_id: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "item_id": self.item_id, "message": self.message}


@dataclass(frozen=True)
class Difference:
    item_id: str
    stratum: str
    declared_kg: float
    measured_kg: float
    sigma_kg: float
    significant: bool

    @property
    def difference_kg(self) -> float:
        return self.declared_kg - self.measured_kg


@dataclass(frozen=True)
class DStatistic:
    stratum: str
    population: int
    measured: int
    d_kg: float
    sigma_kg: float
    significant: bool
    material: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stratum": self.stratum,
            "population": self.population,
            "measured": self.measured,
            "d_kg": self.d_kg,
            "sigma_kg": self.sigma_kg,
            "significant": self.significant,
        }
        if self.material is not None:
            out["d_sq"] = in_significant_quantities(self.d_kg, self.material)
        return out


@dataclass(frozen=True)
class Comparison:
    findings: list[Finding]
    differences: list[Difference]
    d_statistics: list[DStatistic]
    k: float

    def to_json(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "findings": [f.to_json() for f in self.findings],
            "differences": [
                {
                    "item_id": d.item_id,
                    "stratum": d.stratum,
                    "declared_kg": d.declared_kg,
                    "measured_kg": d.measured_kg,
                    "difference_kg": d.difference_kg,
                    "sigma_kg": d.sigma_kg,
                    "significant": d.significant,
                }
                for d in self.differences
            ],
            "d_statistics": [d.to_json() for d in self.d_statistics],
        }


def _sds(table: MethodTable, key: str, where: str) -> tuple[float, float]:
    method = table.lookup(key, where=where)
    return method.random_rsd, method.systematic_rsd


def compare(
    declared: Sequence[DeclaredItem],
    *,
    mba: str,
    observations: Sequence[Observation],
    strata: Mapping[str, Sequence[str]],
    selected: Mapping[str, Sequence[str]],
    table: MethodTable,
    materials: Mapping[str, str] | None = None,
    default_method: str | None = None,
    k: float = 3.0,
) -> Comparison:
    """Discrepancies of one inspection against the declared items of `mba`.

    `strata` maps each stratum to its population (item ids), `selected` to the
    items drawn for inspection; `materials` gives a stratum's material (for D
    in significant quantities).
    """
    by_id = {item.item_id: item for item in declared}
    stratum_of = {i: name for name, ids in strata.items() for i in ids}
    findings: list[Finding] = []
    observed: set[str] = set()
    differences: list[Difference] = []
    for obs in observations:
        if obs.status == "undeclared":
            findings.append(
                Finding(
                    "undeclared", obs.observed_id, f"item {obs.observed_id} found, not declared"
                )
            )
            continue
        assert obs.item_id is not None
        observed.add(obs.item_id)
        item = by_id.get(obs.item_id)
        if item is None:
            findings.append(
                Finding("undeclared", obs.item_id, f"item {obs.item_id} is not in the declaration")
            )
            continue
        if item.mba != mba:
            findings.append(
                Finding("wrong-mba", item.item_id, f"item {item.item_id} is declared in {item.mba}")
            )
        if obs.status == "not-found":
            findings.append(
                Finding("missing", item.item_id, f"declared item {item.item_id} was not found")
            )
            continue
        if obs.observed_id is not None and obs.observed_id != item.item_id:
            findings.append(
                Finding(
                    "identifier",
                    item.item_id,
                    f"item {item.item_id} bears identifier {obs.observed_id}",
                )
            )
            continue
        if obs.measured is not None and obs.method is not None:
            where = f"item {item.item_id}"
            op_method = item.method or default_method
            if op_method is None:
                raise InputError("the declared value has no measurement method", where=where)
            ro, so = _sds(table, op_method, where)
            ri, si = _sds(table, obs.method, where)
            x, y = float(item.kilograms), float(obs.measured.kilograms())
            sigma = math.sqrt(x * x * (ro * ro + so * so) + y * y * (ri * ri + si * si))
            significant = abs(x - y) > k * sigma
            stratum = stratum_of.get(item.item_id, "-")
            differences.append(Difference(item.item_id, stratum, x, y, sigma, significant))
            if significant:
                findings.append(
                    Finding(
                        "difference",
                        item.item_id,
                        f"item {item.item_id}: declared {x:.6g} kg, measured {y:.6g} kg, "
                        f"difference {x - y:.4g} kg > {k:g} sigma ({sigma:.3g} kg)",
                    )
                )
    for name, ids in selected.items():
        for item_id in ids:
            if item_id not in observed:
                findings.append(
                    Finding(
                        "not-inspected", item_id, f"item {item_id} of stratum {name} was selected"
                    )
                )
    stats = _d_statistics(differences, by_id, strata, observations, table, default_method, k)
    if materials:
        kinds = set(materials.values())
        single = next(iter(kinds)) if len(kinds) == 1 else None
        stats = [
            replace(s, material=materials.get(s.stratum, single if s.stratum == "total" else None))
            for s in stats
        ]
    return Comparison(findings, differences, stats, k)


def _d_statistics(
    differences: Sequence[Difference],
    by_id: Mapping[str, DeclaredItem],
    strata: Mapping[str, Sequence[str]],
    observations: Sequence[Observation],
    table: MethodTable,
    default_method: str | None,
    k: float,
) -> list[DStatistic]:
    inspector_method = {o.item_id: o.method for o in observations if o.item_id}
    grouped: dict[str, list[Difference]] = defaultdict(list)
    for d in differences:
        if d.stratum in strata:
            grouped[d.stratum].append(d)
    out: list[DStatistic] = []
    systematic_total: dict[tuple[str, str], float] = defaultdict(float)
    random_total = d_total = 0.0
    for name, ds in grouped.items():
        scale = len(strata[name]) / len(ds)
        random_var = 0.0
        systematic: dict[tuple[str, str], float] = defaultdict(float)
        for d in ds:
            op = by_id[d.item_id].method or default_method or ""
            ins = inspector_method.get(d.item_id) or ""
            ro, so = _sds(table, op, d.item_id)
            ri, si = _sds(table, ins, d.item_id)
            random_var += scale**2 * (d.declared_kg**2 * ro**2 + d.measured_kg**2 * ri**2)
            systematic[("operator", op)] += scale * d.declared_kg * so
            systematic[("inspector", ins)] += scale * d.measured_kg * si
        d_value = scale * sum(d.difference_kg for d in ds)
        sigma = math.sqrt(random_var + sum(v * v for v in systematic.values()))
        out.append(
            DStatistic(name, len(strata[name]), len(ds), d_value, sigma, d_value > k * sigma)
        )
        for key, v in systematic.items():
            systematic_total[key] += v
        random_total += random_var
        d_total += d_value
    if len(out) > 1:
        sigma = math.sqrt(random_total + sum(v * v for v in systematic_total.values()))
        population = sum(s.population for s in out)
        measured = sum(s.measured for s in out)
        out.append(DStatistic("total", population, measured, d_total, sigma, d_total > k * sigma))
    return out


@dataclass(frozen=True)
class Inspected:
    """One inspection report compared with the declared items: what `inspection compare` shows."""

    plan_entry: int
    report_entry: int
    report_id: str
    mba: str
    declared: str  # where the declared items come from
    comparison: Comparison

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_entry": self.plan_entry,
            "report_entry": self.report_entry,
            "report_id": self.report_id,
            "mba": self.mba,
            "declared": self.declared,
            **self.comparison.to_json(),
        }


def compare_inspection(
    plan_entry: int,
    plan: InspectionPlanBody,
    report_entry: int,
    report: InspectionReportBody,
    declared: Sequence[DeclaredItem],
    source: str,
    *,
    selected: Mapping[str, Sequence[str]],
    table: MethodTable,
    default_method: str | None = None,
    k: float = 3.0,
) -> Inspected:
    """`compare` of a logged report against its logged plan's strata and draw."""
    result = compare(
        declared,
        mba=plan.mba,
        observations=report.observations,
        strata={s.name: s.item_ids for s in plan.strata},
        selected=selected,
        table=table,
        materials={s.name: s.material.value for s in plan.strata},
        default_method=default_method,
        k=k,
    )
    return Inspected(plan_entry, report_entry, report.report_id, plan.mba, source, result)
