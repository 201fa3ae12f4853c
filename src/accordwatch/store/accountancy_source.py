"""Accountancy reports and inspection records, read back from the log for the pure modules.

Confidential entries (the default for these record types) are read from their
openings, which the database keeps beside the public log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accordwatch.accountancy import Logged, Report
from accordwatch.inspection import InspectionPlanBody, InspectionReportBody
from accordwatch.store.ledger import Ledger
from accordwatch.store.payloads import logged_payloads

ACCOUNTANCY_TYPES = (
    "accountancy.inventory-change",
    "accountancy.physical-inventory",
    "accountancy.material-balance",
)
INSPECTION_TYPES = ("inspection.plan", "inspection.report")


@dataclass(frozen=True)
class LoggedPlan:
    index: int
    time: datetime
    party: str
    plan: InspectionPlanBody


@dataclass(frozen=True)
class LoggedInspection:
    index: int
    time: datetime
    party: str
    report: InspectionReportBody


def accountancy_records(ledger: Ledger) -> list[Logged]:
    """Every accountancy report in the log, in log order (corrections included)."""
    out: list[Logged] = []
    for e in logged_payloads(ledger, ACCOUNTANCY_TYPES):
        index, time, party, payload = e.index, e.time, e.party, e.payload
        assert isinstance(payload, Report)
        out.append(Logged(index, time, party, payload))
    return out


def inspection_records(ledger: Ledger) -> tuple[dict[int, LoggedPlan], list[LoggedInspection]]:
    """Inspection plans by log index, and inspection reports in log order."""
    plans: dict[int, LoggedPlan] = {}
    reports: list[LoggedInspection] = []
    for e in logged_payloads(ledger, INSPECTION_TYPES):
        index, time, party, payload = e.index, e.time, e.party, e.payload
        if isinstance(payload, InspectionPlanBody):
            plans[index] = LoggedPlan(index, time, party, payload)
        elif isinstance(payload, InspectionReportBody):
            reports.append(LoggedInspection(index, time, party, payload))
    return plans, reports
