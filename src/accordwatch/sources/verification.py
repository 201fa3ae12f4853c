"""The material balances of every balance area, from the accountancy reports a reader may read.

What the report's safeguards section and summary show: for each balance area and
material, the statistics and alarms (`accountancy balance --format json`), the
areas whose balance cannot be computed and why, and how many accountancy
reports were withheld from this reader.
"""

from __future__ import annotations

from typing import Any

from accordwatch.errors import AccordwatchError
from accordwatch.log.access import Reader
from accordwatch.safeguards.accountancy import effective, mbas
from accordwatch.safeguards.accountancy_balance import (
    BalanceResult,
    evaluate_balance,
    materials_in,
)
from accordwatch.safeguards.material_balance import Settings
from accordwatch.safeguards.measurement import load_package_table
from accordwatch.sources.safeguards import ACCOUNTANCY_TYPES, Records, verification_records
from accordwatch.sources.snapshot import Snapshot


def balance_summary(log: Snapshot, reader: Reader | None) -> dict[str, Any] | None:
    """`{balances, unavailable, withheld}`, or None when the log holds no accountancy report."""
    records = verification_records(log, reader)
    if not any(f.record_type in ACCOUNTANCY_TYPES for f in records.filed):
        return None
    found, unavailable = balances_of(records)
    return {
        "balances": [result.to_json() for result in found],
        "unavailable": unavailable,
        "withheld": records.withheld(ACCOUNTANCY_TYPES),
    }


def balances_of(records: Records) -> tuple[list[BalanceResult], list[dict[str, Any]]]:
    """Each area's and material's balance from the reports in force, and those that fail."""
    state = effective(records.accountancy)
    table = load_package_table()
    found: list[BalanceResult] = []
    unavailable: list[dict[str, Any]] = []
    for mba in mbas(state.in_force()):
        for material in materials_in(state, mba):
            try:
                result = evaluate_balance(
                    state, mba, table=table, settings=Settings(), material=material
                )
            except AccordwatchError as exc:
                unavailable.append({"mba": mba, "material": material.value, "detail": exc.message})
                continue
            found.append(result)
    return found, unavailable
