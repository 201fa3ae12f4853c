"""`/api/verification`: material balances and inspections, figures only for readers allowed them.

Everyone sees that accountancy reports and inspection records were filed
(entry, time, party, record type). Their content, and every figure computed
from it, only a bearer whose party submitted the record or whose role may
read that record type (an inspectorate), as `declaration_access` decides:
the balances and comparisons here are computed from the records this reader
may read and nothing else (`accountancy_source.verification_records`), and
say how many records were withheld from them. The shapes are those of
`accountancy balance --format json` (one per balance area and material) and
`inspection compare --format json` / `inspection draw --format json`.
Both are computed once per signed checkpoint and reader (`service.view_cache`):
what one reader may read is never kept for another.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from accordwatch.errors import AccordwatchError, NotFoundError
from accordwatch.log.access import Reader
from accordwatch.safeguards.accountancy import Reports, effective
from accordwatch.safeguards.declared_items import from_listing
from accordwatch.safeguards.inspection import compare_inspection
from accordwatch.safeguards.measurement import MethodTable, load_package_table
from accordwatch.service.api import view_models
from accordwatch.service.api.deps import ReaderDep, Service, ServiceDep, json_response
from accordwatch.service.api.listing import CSV_RESPONSE, PagingDep, page_of, page_response
from accordwatch.service.api.log import Index
from accordwatch.service.api.problems import problem_response, shown
from accordwatch.sources.safeguards import (
    ACCOUNTANCY_TYPES,
    INSPECTION_TYPES,
    LoggedInspection,
    Records,
    selection,
    selection_json,
    verification_records,
)
from accordwatch.sources.snapshot import Snapshot
from accordwatch.sources.verification import balances_of
from accordwatch.store.ledger import Ledger

router = APIRouter(prefix="/api/verification", tags=["verification"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem_response("Unknown, expired, revoked or malformed bearer token"),
    422: problem_response("Malformed request"),
}


def _reader_json(reader: Reader | None) -> dict[str, str] | None:
    return None if reader is None else {"party": reader.party, "role": str(reader.role)}


def _withheld_note(count: int) -> str:
    return f" ({count} accountancy report(s) are confidential to this reader)" if count else ""


def balances(log: Snapshot, reader: Reader | None) -> dict[str, Any]:
    """Every balance area's balances computed from the reports this reader may read."""
    records = verification_records(log, reader)
    withheld = records.withheld(ACCOUNTANCY_TYPES)
    results, unavailable = balances_of(records)
    found = [{**r.to_json(), "thresholds": r.evaluation.thresholds()} for r in results]
    return {
        "reader": _reader_json(reader),
        "records": [f.to_json() for f in records.filed if f.record_type in ACCOUNTANCY_TYPES],
        "withheld": withheld,
        "balances": found,
        "unavailable": unavailable,
    }


def _compared(
    ledger: Ledger,
    records: Records,
    state: Reports,
    logged: LoggedInspection,
    table: MethodTable,
) -> dict[str, Any]:
    """The comparison of a readable report with its plan, or why there is none."""
    report = logged.report
    plan = records.plans.get(report.plan_entry)
    if plan is None:
        return {
            "comparison": None,
            "unavailable": f"plan entry {report.plan_entry} is not an inspection plan "
            "this reader may read",
        }
    withheld = records.withheld(ACCOUNTANCY_TYPES)
    try:
        items, source = from_listing(state, plan.plan.mba, report.date)
        chosen = selection(ledger, plan, records.inspections).chosen
        inspected = compare_inspection(
            plan.index,
            plan.plan,
            logged.index,
            report,
            items,
            source,
            selected=chosen,
            table=table,
        )
    except AccordwatchError as exc:
        unavailable = shown(exc, "inspection") + _withheld_note(withheld)
        return {"comparison": None, "unavailable": unavailable}
    return {"comparison": inspected.to_json(), "unavailable": None}


def inspections(log: Snapshot, reader: Reader | None) -> dict[str, Any]:
    """Every inspection record; plans with their draw and reports with their comparison,
    where this reader may read them."""
    records = verification_records(log, reader)
    state = effective(records.accountancy)
    table = load_package_table()
    reports = {r.index: r for r in records.inspections}
    items: list[dict[str, Any]] = []
    for filed in records.filed:
        if filed.record_type not in INSPECTION_TYPES:
            continue
        derived = "selection" if filed.record_type == "inspection.plan" else "comparison"
        item: dict[str, Any] = {**filed.to_json(), "content": None, derived: None}
        item["unavailable"] = None
        if filed.index in records.plans:
            plan = records.plans[filed.index]
            item["content"] = plan.plan.model_dump(mode="json")
            try:
                drawn = selection(log.ledger, plan, records.inspections)
                item["selection"] = selection_json(plan, drawn)
            except AccordwatchError as exc:
                item["unavailable"] = shown(exc, "inspection selection")
        elif filed.index in reports:
            logged = reports[filed.index]
            item["content"] = logged.report.model_dump(mode="json")
            item.update(_compared(log.ledger, records, state, logged, table))
        items.append(item)
    return {
        "reader": _reader_json(reader),
        "records": items,
        "withheld": records.withheld(INSPECTION_TYPES),
        "accountancy_withheld": records.withheld(ACCOUNTANCY_TYPES),
    }


def balances_at(svc: Service, log: Snapshot, reader: Reader | None) -> dict[str, Any]:
    """`balances`, computed once per checkpoint and reader."""
    return svc.views.view(log, "balances", (), reader, lambda log: balances(log, reader))


def inspections_at(svc: Service, log: Snapshot, reader: Reader | None) -> dict[str, Any]:
    """`inspections`, computed once per checkpoint and reader."""
    return svc.views.view(log, "inspections", (), reader, lambda log: inspections(log, reader))


@router.get(
    "/balances",
    operation_id="listBalances",
    summary="Material balances (MUF, sigma, CUMUF, SITMUF, Page, alarms) the bearer may read",
    responses={**ERRORS, **CSV_RESPONSE},
    response_model=view_models.BalancePage,
)
def list_balances(
    request: Request, svc: ServiceDep, reader: ReaderDep, paging: PagingDep
) -> Response:
    """Per balance area and material, the sequence of material balances built from the
    accountancy reports this reader may read, with MUF, its sigma, CUMUF, SITMUF, Page's
    test, their alarms and the diversion each balance detects
    (`accordwatch accountancy balance --format json`)."""
    found = balances_at(svc, svc.snapshot(), reader)
    chosen, following = page_of(found["balances"], paging)
    context = {k: v for k, v in found.items() if k != "balances"}
    return page_response(request, paging, chosen, following, context)


@router.get(
    "/inspections",
    operation_id="listInspections",
    summary="Inspection plans and reports, with their discrepancies where the bearer may read",
    responses={**ERRORS, **CSV_RESPONSE},
    response_model=view_models.InspectionPage,
)
def list_inspections(
    request: Request, svc: ServiceDep, reader: ReaderDep, paging: PagingDep
) -> Response:
    """Every inspection plan and report filed, in log order; where this reader may read them,
    a plan's content with its draw and a report's with its comparison against the declared
    items (`accordwatch inspection compare --format json`)."""
    found = inspections_at(svc, svc.snapshot(), reader)
    chosen, following = page_of(found["records"], paging)
    context = {k: v for k, v in found.items() if k != "records"}
    return page_response(request, paging, chosen, following, context)


@router.get(
    "/inspections/{index}",
    operation_id="getInspection",
    summary="One inspection plan or report by log index",
    responses={**ERRORS, 404: problem_response("Not an inspection record")},
    response_model=view_models.Inspection,
)
def get_inspection(index: Index, svc: ServiceDep, reader: ReaderDep) -> Response:
    """The inspection plan or report logged at `index`, with its draw or comparison where
    this reader may read it."""
    for item in inspections_at(svc, svc.snapshot(), reader)["records"]:
        if item["index"] == index:
            return json_response(item)
    raise NotFoundError(f"log entry {index} is not an inspection plan or report")
