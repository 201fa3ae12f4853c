"""The balance sequence of an MBA from its accountancy reports in force.

Consecutive physical inventory listings (PILs) bound the balance periods:
period i runs from the listing of date d_{i-1} (exclusive) to that of d_i
(inclusive), and each inventory change dated in it counts in it. For one
material, and its counted mass (element or isotope, as its significant
quantity counts), every (measurement method, key measurement point) is one
location: the items of a listing measured that way make one inventory value,
the changes of a period measured that way one flow total. Each location has
the method's relative random and systematic errors (`accordwatch.safeguards.measurement`).

Material balance reports are checked against what the listings and changes
give, exactly (decimal arithmetic): beginning and ending inventory,
increases, decreases and MUF. The result feeds the same statistics as a
balance file (`accordwatch.safeguards.balance_file`); `evaluate_balance` runs them, as
`accountancy balance` shows them. Each period keeps the log entries it rests
on (its two listings, its changes, a report of its balance). Pure.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from accordwatch.errors import InputError, NotFoundError
from accordwatch.safeguards.accountancy import (
    CHANGE_SIGN,
    InventoryChangeBody,
    Logged,
    MaterialBalanceBody,
    Measured,
    PhysicalInventoryBody,
    Reports,
)
from accordwatch.safeguards.balance_file import BalanceInput, report, run
from accordwatch.safeguards.material_balance import Balance, Evaluation, Kind, Location, Settings
from accordwatch.safeguards.materials import Material
from accordwatch.safeguards.measurement import MethodTable

LocationKey = tuple[Kind, str, str]  # kind, method, kmp


@dataclass(frozen=True)
class LogBalance:
    mba: str
    material: Material
    boundaries: list[dt.date]
    data: BalanceInput
    methods: dict[str, str]
    exact_muf: list[Decimal]
    outside: int
    findings: list[str] = field(default_factory=list)
    #: per period, the log indices of the reports it rests on
    entries: tuple[tuple[int, ...], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "mba": self.mba,
            "material": self.material.value,
            "periods": [
                {"start": a.isoformat(), "end": b.isoformat(), "entries": list(entries)}
                for a, b, entries in zip(
                    self.boundaries, self.boundaries[1:], self.entries, strict=False
                )
            ],
            "locations": [
                {
                    "name": loc.name,
                    "kind": loc.kind,
                    "method": self.methods[loc.name],
                    "random_rsd": loc.random_rsd,
                    "systematic_rsd": loc.systematic_rsd,
                }
                for loc in self.data.balance.locations
            ],
            "exact_muf_kg": [str(v) for v in self.exact_muf],
            "changes_outside_periods": self.outside,
            "findings": self.findings,
        }


def _name(key: LocationKey) -> str:
    kind, method, kmp = key
    return f"{kind} {method}" + (f" at {kmp}" if kmp else "")


def _materials(reports: list[Logged]) -> set[Material]:
    found: set[Material] = set()
    for logged in reports:
        r = logged.report
        lines: list[Measured] = []
        if isinstance(r, InventoryChangeBody):
            lines = list(r.entries)
        elif isinstance(r, PhysicalInventoryBody):
            lines = list(r.items)
        found.update(line.material for line in lines)
    return found


def materials_in(reports: Reports, mba: str) -> list[Material]:
    """The materials the inventory listings and changes in force of `mba` hold."""
    return sorted(_materials(reports.in_force(mba)), key=lambda m: m.value)


def _material(reports: list[Logged], material: Material | None, mba: str) -> Material:
    found = _materials(reports)
    if material is not None:
        if material not in found:
            raise NotFoundError(f"MBA {mba} holds no {material.value} in its listings and changes")
        return material
    if len(found) != 1:
        names = ", ".join(sorted(m.value for m in found)) or "none"
        raise InputError(f"MBA {mba} holds materials {names}: choose one with --material")
    return found.pop()


def build_balance(
    reports: Reports,
    mba: str,
    *,
    table: MethodTable,
    settings: Settings,
    material: Material | None = None,
) -> LogBalance:
    """The balance sequence of `mba` for one material, from the reports in force."""
    in_force = reports.in_force(mba)
    if not in_force:
        raise NotFoundError(f"no accountancy report of MBA {mba} is in force")
    chosen = _material(in_force, material, mba)
    listings = sorted(
        (r for r in in_force if isinstance(r.report, PhysicalInventoryBody)),
        key=lambda r: r.report.date or dt.date.min,  # type: ignore[union-attr]
    )
    dates: list[dt.date] = []
    for logged in listings:
        assert isinstance(logged.report, PhysicalInventoryBody) and logged.report.date
        if dates and dates[-1] == logged.report.date:
            raise InputError(
                f"MBA {mba}: two physical inventory listings are dated {logged.report.date}"
            )
        dates.append(logged.report.date)
    if len(dates) < 2:
        raise InputError(f"MBA {mba}: a balance needs two physical inventory listings or more")
    count = len(dates) - 1
    exact: dict[LocationKey, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * (count + 1))
    rests_on: list[set[int]] = [set() for _ in range(count)]
    methods: dict[LocationKey, tuple[str, str]] = {}

    def add(key: LocationKey, slot: int, line: Measured, where: str) -> None:
        if key not in methods:
            table.lookup(line.method, where=where)
            methods[key] = (line.method, where)
        exact[key][slot] += line.counted().kilograms()

    for b, logged in enumerate(listings):
        assert isinstance(logged.report, PhysicalInventoryBody)
        # a listing closes the period before it and opens the one after
        for period in (b - 1, b):
            if 0 <= period < count:
                rests_on[period].add(logged.index)
        for item in logged.report.items:
            if item.material == chosen:
                where = f"{logged.report.report_id} item {item.item_id} (entry {logged.index})"
                add(("inventory", item.method, item.kmp or ""), b, item, where)
    outside = 0
    for logged in in_force:
        report = logged.report
        if not isinstance(report, InventoryChangeBody):
            continue
        for n, entry in enumerate(report.entries):
            if entry.material != chosen:
                continue
            period = bisect_left(dates, entry.date)
            if not 1 <= period <= count:
                outside += 1
                continue
            kind: Kind = "input" if CHANGE_SIGN[entry.change] > 0 else "output"
            where = f"{report.report_id} entry {n} (log entry {logged.index})"
            add((kind, entry.method, entry.kmp or ""), period - 1, entry, where)
            rests_on[period - 1].add(logged.index)

    locations = []
    muf = [Decimal(0)] * count
    for key in sorted(exact, key=lambda k: (("input", "output", "inventory").index(k[0]), k)):
        kind = key[0]
        values = exact[key] if kind == "inventory" else exact[key][:count]
        for i in range(count):
            if kind == "inventory":
                muf[i] += values[i] - values[i + 1]
            else:
                muf[i] += values[i] if kind == "input" else -values[i]
        method = table.lookup(methods[key][0], where=methods[key][1])
        locations.append(
            Location(
                _name(key),
                kind,
                np.array([float(v) for v in values]),
                method.random_rsd,
                method.systematic_rsd,
            )
        )
    findings = _check_reports(in_force, chosen, dates, exact, muf)
    for logged in in_force:
        r = logged.report
        if isinstance(r, MaterialBalanceBody) and r.material == chosen:
            covered = _period_of(r, dates)
            if covered is not None:
                rests_on[covered].add(logged.index)
    data = BalanceInput(Balance(count, tuple(locations)), settings, "kg", chosen)
    named = {_name(k): v[0] for k, v in methods.items()}
    entries = tuple(tuple(sorted(e)) for e in rests_on)
    return LogBalance(mba, chosen, dates, data, named, muf, outside, findings, entries)


@dataclass(frozen=True)
class BalanceResult:
    """A balance sequence built from the log and its statistics."""

    balance: LogBalance
    evaluation: Evaluation

    def to_json(self) -> dict[str, Any]:
        """As `accountancy balance --format json` prints it."""
        return {**self.balance.to_json(), **report(self.evaluation, self.balance.data)}


def evaluate_balance(
    reports: Reports,
    mba: str,
    *,
    table: MethodTable,
    settings: Settings,
    material: Material | None = None,
) -> BalanceResult:
    """Build the balance sequence of `mba` and run the statistics on it."""
    built = build_balance(reports, mba, table=table, settings=settings, material=material)
    return BalanceResult(built, run(built.data, where=f"MBA {mba}"))


def _period_of(r: MaterialBalanceBody, dates: list[dt.date]) -> int | None:
    """The period (0-based) a material balance report covers, if it is one between listings."""
    if r.period_start not in dates:
        return None
    i = dates.index(r.period_start)
    if i + 1 >= len(dates) or dates[i + 1] != r.period_end:
        return None
    return i


def _check_reports(
    in_force: list[Logged],
    material: Material,
    dates: list[dt.date],
    exact: dict[LocationKey, list[Decimal]],
    muf: list[Decimal],
) -> list[str]:
    count = len(dates) - 1
    totals = {
        kind: [
            sum((v[i] for k, v in exact.items() if k[0] == kind), Decimal(0))
            for i in range(count + 1)
        ]
        for kind in ("input", "output", "inventory")
    }
    findings = []
    for logged in in_force:
        r = logged.report
        if not isinstance(r, MaterialBalanceBody) or r.material != material:
            continue
        assert r.period_start and r.period_end and r.muf and r.beginning_inventory
        assert r.increases and r.decreases and r.ending_inventory
        name = f"material balance report {r.report_id} (entry {logged.index})"
        i = _period_of(r, dates)
        if i is None:
            findings.append(
                f"{name}: {r.period_start} to {r.period_end} is not a period between two listings"
            )
            continue
        for label, declared, computed in (
            ("beginning inventory", r.beginning_inventory.kilograms(), totals["inventory"][i]),
            ("increases", r.increases.kilograms(), totals["input"][i]),
            ("decreases", r.decreases.kilograms(), totals["output"][i]),
            ("ending inventory", r.ending_inventory.kilograms(), totals["inventory"][i + 1]),
            ("MUF", r.muf.kilograms(), muf[i]),
        ):
            if declared != computed:
                findings.append(
                    f"{name}: {label} {declared} kg, the listings and changes give {computed} kg"
                )
    return findings
