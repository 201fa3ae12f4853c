"""The pages of the accord and its log: overview, road map, compliance, log explorer.

Every page `/X` renders the same dictionary that `/X.json` returns for the
same query, so what a person reads and what a program reads never differ.
Each answer is computed once per signed checkpoint and query
(`service.view_cache`): the JSON twins and the charts, and the pages for
visitors who are not signed in (`cached_pages`); they share the evaluations
they are made from.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from accordwatch.compliance.report import Report, build_report
from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS
from accordwatch.compliance.responses import Response as ViolationResponse
from accordwatch.errors import AccordwatchError, NotFoundError
from accordwatch.log.fork import ForkEvidence
from accordwatch.reports.charts.compliance_chart import draw_compliance
from accordwatch.reports.charts.roadmap_chart import draw_roadmap
from accordwatch.service.api.deps import MAX_INDEX, Service, ServiceDep
from accordwatch.service.api.log import get_entry, log_info, prove_inclusion
from accordwatch.service.api.status import AsOf, as_of_day, evaluation_at, status_at
from accordwatch.service.web.cached_pages import public_page
from accordwatch.service.web.rendering import render_page
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot

Index = Annotated[
    int | None, Query(ge=0, le=MAX_INDEX, description="Log index of the entry to check")
]


def _fork_json(evidence: ForkEvidence) -> dict[str, Any]:
    try:
        description = evidence.verify()
    except AccordwatchError as exc:
        description = f"not a proof of a fork: {exc.message}"
    return {
        "found_at": evidence.found_at,
        "found_by": evidence.found_by,
        "description": description,
        "evidence": evidence.to_json(),
    }


def overview(svc: Service, log: Snapshot, day: date) -> dict[str, Any]:
    status = status_at(svc, log, day).to_json()
    violations = evaluation_at(svc, log, day).evaluation.violations()
    return {
        "as_of": day.isoformat(),
        "log": log_info(svc, log.checkpoint),
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
        # proofs that the log signed two histories: shown to every visitor
        "forks": [_fork_json(e) for e in svc.ledger.forks()],
        "violations": {
            "total": len(violations),
            "certain": sum(v.certain for v in violations),
            "latest": [v.to_json() for v in violations[-5:]],
        },
    }


def roadmap_page(svc: Service, log: Snapshot, day: date) -> dict[str, Any]:
    from accordwatch.roadmap.history import STATE_MEANINGS

    meanings = {str(state): meaning for state, meaning in STATE_MEANINGS.items()}
    return {**status_at(svc, log, day).to_json(), "status_meanings": meanings}


def explorer(svc: Service, index: int | None) -> dict[str, Any]:
    # one entry and its proof: cheaper to read again than to keep per index
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
    # against a checkpoint shown on the page, so the two always agree: the latest
    # witnessed one when it holds the entry (its cosignatures are checked in the
    # browser), else the latest signed one
    size = info["size"]
    witnessed = info["witnessed_checkpoint"]
    if witnessed is not None:
        witnessed_size = svc.ledger.opened(witnessed).size
        if witnessed_size > index:
            size = witnessed_size
    out["receipt"] = prove_inclusion(index, svc, size)
    return out


def compliance_page(svc: Service, log: Snapshot, day: date) -> dict[str, Any]:
    """Violations by year with the responses they drew, as `compliance report --by event`."""
    return _compliance(svc, log, day)[0].to_json()


def _compliance(svc: Service, log: Snapshot, day: date) -> tuple[Report, list[ViolationResponse]]:
    found = evaluation_at(svc, log, day)
    report = build_report(
        found.evaluation,
        found.responses,
        unit="event",
        year=None,
        window=DEFAULT_WINDOW_DAYS,
        superseded=found.superseded,
    )
    return report, found.responses


def _page(
    view: Callable[[Service, Snapshot, date], dict[str, Any]], svc: Service, day: date
) -> Callable[[Snapshot], dict[str, Any]]:
    """`view` of a snapshot as of `day`, in the form the cache computes it."""
    return lambda log: view(svc, log, day)


def _svg(paths: list[Path]) -> bytes:
    return next(p for p in paths if p.suffix == ".svg").read_bytes()


def _roadmap_chart(svc: Service, day: date) -> Callable[[Snapshot], bytes]:
    def draw(log: Snapshot) -> bytes:
        status = status_at(svc, log, day)
        if status.in_force is None:
            raise NotFoundError(f"no accord is in force as of {day}: no chart")
        with tempfile.TemporaryDirectory() as tmp:
            return _svg(draw_roadmap(roadmap_records(log), status, Path(tmp)))

    return draw


def _compliance_chart(svc: Service, day: date) -> Callable[[Snapshot], bytes]:
    def draw(log: Snapshot) -> bytes:
        report, responses = _compliance(svc, log, day)
        if not report.by_year:
            raise NotFoundError(f"no violations as of {day}: no chart")
        with tempfile.TemporaryDirectory() as tmp:
            return _svg(draw_compliance(report, responses, Path(tmp)))

    return draw


def _image(svg: bytes) -> Response:
    return Response(svg, media_type="image/svg+xml")


def install(app: FastAPI) -> None:
    """Add the overview, road map, compliance and explorer pages and their JSON twins."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        return public_page(request, svc, "overview.html", (day,), _page(overview, svc, day))

    @app.get(
        "/overview.json",
        tags=["dashboard"],
        summary="The overview page's data",
        response_model=dict[str, Any],
    )
    def overview_json(svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        return svc.views.json(svc.snapshot(), "overview", (day,), None, _page(overview, svc, day))

    @app.get("/roadmap", response_class=HTMLResponse, include_in_schema=False)
    def roadmap_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        return public_page(request, svc, "roadmap.html", (day,), _page(roadmap_page, svc, day))

    @app.get(
        "/roadmap.json",
        tags=["dashboard"],
        summary="The road map page's data",
        response_model=dict[str, Any],
    )
    def roadmap_json(svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        log = svc.snapshot()
        return svc.views.json(log, "roadmap", (day,), None, _page(roadmap_page, svc, day))

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
        return _image(svc.views.view(log, "roadmap.svg", (day,), None, _roadmap_chart(svc, day)))

    @app.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
    def compliance_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        compute = _page(compliance_page, svc, day)
        return public_page(request, svc, "compliance.html", (day,), compute)

    @app.get(
        "/compliance.json",
        tags=["dashboard"],
        summary="The compliance page's data",
        response_model=dict[str, Any],
    )
    def compliance_json(svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        log = svc.snapshot()
        return svc.views.json(log, "compliance", (day,), None, _page(compliance_page, svc, day))

    @app.get(
        "/compliance.svg",
        tags=["dashboard"],
        summary="Violations by year and their responses (SVG)",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}}},
    )
    def compliance_svg(svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        log = svc.snapshot()
        chart = _compliance_chart(svc, day)
        return _image(svc.views.view(log, "compliance.svg", (day,), None, chart))

    @app.get("/explorer", response_class=HTMLResponse, include_in_schema=False)
    def explorer_html(request: Request, svc: ServiceDep, index: Index = None) -> HTMLResponse:
        return render_page(request, "explorer.html", explorer(svc, index))

    @app.get("/explorer.json", tags=["dashboard"], summary="An entry with its inclusion proof")
    def explorer_json(svc: ServiceDep, index: Index = None) -> dict[str, Any]:
        return explorer(svc, index)
