"""Accountancy reports and inspection records, read back from the log for the pure modules.

Confidential entries (the default for these record types) are read from their
openings, which the database keeps beside the public log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from accordwatch.accountancy import Logged, Report
from accordwatch.canonical import parse_json
from accordwatch.inspection import InspectionPlanBody, InspectionReportBody
from accordwatch.records import Payload, record_type
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import entries, openings
from accordwatch.timeutil import parse_time

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


def _payloads(
    ledger: Ledger, types: tuple[str, ...]
) -> Iterator[tuple[int, datetime, str, Payload]]:
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        rows = conn.execute(
            select(entries.c.idx, entries.c.envelope, openings.c.payload)
            .select_from(entries.outerjoin(openings, openings.c.idx == entries.c.idx))
            .where(entries.c.record_type.in_(types))
            .order_by(entries.c.idx)
        ).all()
    for index, raw, opened in rows:
        where = f"entry {index}"
        env = parse_json(bytes(raw), where=where)
        data = env.get("payload")
        if data is None and opened is not None:
            data = parse_json(bytes(opened), where=where)
        payload = record_type(env["record_type"], where=where).parse_payload(data, where=where)
        yield index, parse_time(env["time"], where=where), str(env["party"]), payload


def accountancy_records(ledger: Ledger) -> list[Logged]:
    """Every accountancy report in the log, in log order (corrections included)."""
    out: list[Logged] = []
    for index, time, party, payload in _payloads(ledger, ACCOUNTANCY_TYPES):
        assert isinstance(payload, Report)
        out.append(Logged(index, time, party, payload))
    return out


def inspection_records(ledger: Ledger) -> tuple[dict[int, LoggedPlan], list[LoggedInspection]]:
    """Inspection plans by log index, and inspection reports in log order."""
    plans: dict[int, LoggedPlan] = {}
    reports: list[LoggedInspection] = []
    for index, time, party, payload in _payloads(ledger, INSPECTION_TYPES):
        if isinstance(payload, InspectionPlanBody):
            plans[index] = LoggedPlan(index, time, party, payload)
        elif isinstance(payload, InspectionReportBody):
            reports.append(LoggedInspection(index, time, party, payload))
    return plans, reports
