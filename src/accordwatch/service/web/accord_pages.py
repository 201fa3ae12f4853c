"""The pages of the accord and its log: overview, road map, compliance, log explorer.

Every page `/X` renders the same dictionary that `/X.json` returns for the
same query, so what a person reads and what a program reads never differ.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from accordwatch.compliance.report import Report, build_report
from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS
from accordwatch.compliance.responses import Response as ViolationResponse
from accordwatch.errors import NotFoundError
from accordwatch.reports.charts.compliance_chart import draw_compliance
from accordwatch.reports.charts.roadmap_chart import draw_roadmap
from accordwatch.service.api.deps import MAX_INDEX, Service, ServiceDep
from accordwatch.service.api.log import get_entry, log_info, prove_inclusion
from accordwatch.service.api.status import AsOf, as_of_day, roadmap_status
from accordwatch.service.web.rendering import render_page
from accordwatch.sources.compliance import evaluate_log
from accordwatch.sources.roadmap import roadmap_records

Index = Annotated[
    int | None, Query(ge=0, le=MAX_INDEX, description="Log index of the entry to check")
]


def overview(svc: Service, as_of: str | None) -> dict[str, Any]:
    day = as_of_day(svc, as_of)
    log = svc.snapshot()
    status = roadmap_status(log, day).to_json()
    violations = evaluate_log(log, day).evaluation.violations()
    return {
        "as_of": day.isoformat(),
        "log": log_info(svc),
        "accord": status["in_force"],
        "accord_id": status["accord_id"],
        "counts": status["counts"],
        "parties": [
            {
                "id": p["id"],
                "name": p["name"],
                "role": p["role"],
                "overdue": p["overdue"],
                "outstanding": p["outstanding"],
                "next_deadlines": p["next_deadlines"],
            }
            for p in status["parties"]
        ],
        "findings": status["findings"],
        "violations": {
            "total": len(violations),
            "certain": sum(v.certain for v in violations),
            "latest": [v.to_json() for v in violations[-5:]],
        },
    }


def roadmap_page(svc: Service, as_of: str | None) -> dict[str, Any]:
    day = as_of_day(svc, as_of)
    return roadmap_status(svc.snapshot(), day).to_json()


def explorer(svc: Service, index: int | None) -> dict[str, Any]:
    info = log_info(svc)
    out: dict[str, Any] = {"log": info, "index": index, "entry": None, "receipt": None}
    if index is None:
        return out
    entry = get_entry(index, svc, None)
    out["entry"] = {
        k: entry[k]
        for k in ("index", "signed_at", "record_type", "party", "leaf_hash", "confidential")
    }
    out["entry"]["canonical"] = entry["canonical"]
    # against the checkpoint shown on the page, so the two always agree
    out["receipt"] = prove_inclusion(index, svc, info["size"])
    return out


def compliance_page(svc: Service, as_of: str | None) -> dict[str, Any]:
    """Violations by year with the responses they drew, as `compliance report --by event`."""
    day = as_of_day(svc, as_of)
    report, _ = _compliance(svc, day)
    return report.to_json()


def _compliance(svc: Service, day: date) -> tuple[Report, list[ViolationResponse]]:
    found = evaluate_log(svc.snapshot(), day)
    report = build_report(
        found.evaluation,
        found.responses,
        unit="event",
        year=None,
        window=DEFAULT_WINDOW_DAYS,
        superseded=found.superseded,
    )
    return report, found.responses


def _svg(paths: list[Path]) -> Response:
    svg = next(p for p in paths if p.suffix == ".svg").read_bytes()
    return Response(svg, media_type="image/svg+xml")


def install(app: FastAPI) -> None:
    """Add the overview, road map, compliance and explorer pages and their JSON twins."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> HTMLResponse:
        return render_page(request, "overview.html", overview(svc, as_of))

    @app.get("/overview.json", tags=["dashboard"], summary="The overview page's data")
    def overview_json(svc: ServiceDep, as_of: AsOf = None) -> dict[str, Any]:
        return overview(svc, as_of)

    @app.get("/roadmap", response_class=HTMLResponse, include_in_schema=False)
    def roadmap_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> HTMLResponse:
        return render_page(request, "roadmap.html", roadmap_page(svc, as_of))

    @app.get("/roadmap.json", tags=["dashboard"], summary="The road map page's data")
    def roadmap_json(svc: ServiceDep, as_of: AsOf = None) -> dict[str, Any]:
        return roadmap_page(svc, as_of)

    @app.get(
        "/roadmap.svg",
        tags=["dashboard"],
        summary="The road map timeline chart (SVG)",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}}},
    )
    def roadmap_svg(svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        log = svc.snapshot()
        records = roadmap_records(log)
        status = roadmap_status(log, day)
        if status.in_force is None:
            raise NotFoundError(f"no accord is in force as of {day}: no chart")
        with tempfile.TemporaryDirectory() as tmp:
            return _svg(draw_roadmap(records, status, Path(tmp)))

    @app.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
    def compliance_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> HTMLResponse:
        return render_page(request, "compliance.html", compliance_page(svc, as_of))

    @app.get("/compliance.json", tags=["dashboard"], summary="The compliance page's data")
    def compliance_json(svc: ServiceDep, as_of: AsOf = None) -> dict[str, Any]:
        return compliance_page(svc, as_of)

    @app.get(
        "/compliance.svg",
        tags=["dashboard"],
        summary="Violations by year and their responses (SVG)",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}}},
    )
    def compliance_svg(svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        report, responses = _compliance(svc, day)
        if not report.by_year:
            raise NotFoundError(f"no violations as of {day}: no chart")
        with tempfile.TemporaryDirectory() as tmp:
            return _svg(draw_compliance(report, responses, Path(tmp)))

    @app.get("/explorer", response_class=HTMLResponse, include_in_schema=False)
    def explorer_html(request: Request, svc: ServiceDep, index: Index = None) -> HTMLResponse:
        return render_page(request, "explorer.html", explorer(svc, index))

    @app.get("/explorer.json", tags=["dashboard"], summary="An entry with its inclusion proof")
    def explorer_json(svc: ServiceDep, index: Index = None) -> dict[str, Any]:
        return explorer(svc, index)
