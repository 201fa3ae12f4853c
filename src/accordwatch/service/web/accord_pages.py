"""The pages of the accord: overview, road map and compliance, with their JSON twins and CSVs.

Every page `/X` renders the same dictionary that `/X.json` returns for the
same query, so what a person reads and what a program reads never differ;
`/X.csv?table=NAME` gives one of its tables. Each answer is computed once per
signed checkpoint and query (`service.view_cache`): the JSON twins and the
charts, and the road map and compliance pages for visitors who are not
signed in (`cached_pages`); they share the evaluations they are made from.
The overview's evaluations are kept the same way, but its page is put
together on each request, as the log's health (how old the witnessed
checkpoint is, the last audit) changes without the log.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from accordwatch.errors import NotFoundError
from accordwatch.log.access import Reader
from accordwatch.reports.charts.compliance_chart import draw_compliance
from accordwatch.reports.charts.roadmap_chart import draw_roadmap
from accordwatch.service.api.deps import ReaderDep, Service, ServiceDep, json_response
from accordwatch.service.api.status import AsOf, as_of_day, roadmap_json, status_at
from accordwatch.service.web.cached_pages import public_page
from accordwatch.service.web.compliance_data import compliance_json, compliance_report
from accordwatch.service.web.overview_page import health, overview
from accordwatch.service.web.page_models import CompliancePage, OverviewPage, RoadmapPage
from accordwatch.service.web.page_tables import COMPLIANCE, OVERVIEW, ROADMAP
from accordwatch.service.web.rendering import render_page
from accordwatch.service.web.table_csv import TableName, page_table_csv
from accordwatch.service.web.visitor import page_reader
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot


def roadmap_page(svc: Service, log: Snapshot, day: date) -> dict[str, Any]:
    from accordwatch.roadmap.history import STATE_MEANINGS

    meanings = {str(state): meaning for state, meaning in STATE_MEANINGS.items()}
    return {**roadmap_json(svc, log, day), "status_meanings": meanings}


def compliance_page(svc: Service, log: Snapshot, day: date) -> dict[str, Any]:
    """Violations by year with the responses they drew, as `compliance report --by event`."""
    return compliance_json(compliance_report(svc, log, day)[0])


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
        report, responses = compliance_report(svc, log, day)
        if not report.by_year:
            raise NotFoundError(f"no violations as of {day}: no chart")
        with tempfile.TemporaryDirectory() as tmp:
            return _svg(draw_compliance(report, responses, Path(tmp)))

    return draw


def _image(svg: bytes) -> Response:
    return Response(svg, media_type="image/svg+xml")


def install(app: FastAPI) -> None:
    """Add the overview, road map, compliance and explorer pages and their JSON twins."""

    def overview_data(svc: Service, day: date, reader: Reader | None) -> dict[str, Any]:
        # the evaluations once per checkpoint; the log's health (ages, the last audit) now
        log = svc.snapshot()

        def compute(log: Snapshot) -> dict[str, Any]:
            return overview(svc, log, day, reader)

        return {**svc.views.view(log, "overview", (day,), reader, compute), **health(svc, log)}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> Response:
        data = overview_data(svc, as_of_day(svc, as_of), page_reader(request))
        return render_page(request, "overview.html", data)

    @app.get(
        "/overview.json",
        tags=["dashboard"],
        summary="The overview page's data",
        response_model=OverviewPage,
    )
    def overview_json(svc: ServiceDep, reader: ReaderDep, as_of: AsOf = None) -> Response:
        return json_response(overview_data(svc, as_of_day(svc, as_of), reader))

    @app.get("/roadmap", response_class=HTMLResponse, include_in_schema=False)
    def roadmap_html(request: Request, svc: ServiceDep, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        return public_page(request, svc, "roadmap.html", (day,), _page(roadmap_page, svc, day))

    @app.get(
        "/roadmap.json",
        tags=["dashboard"],
        summary="The road map page's data",
        response_model=RoadmapPage,
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
        response_model=CompliancePage,
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

    @app.get(
        "/overview.csv",
        tags=["dashboard"],
        summary="A table of the overview page as CSV",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def overview_csv(
        svc: ServiceDep, reader: ReaderDep, table: TableName, as_of: AsOf = None
    ) -> Response:
        data = overview_data(svc, as_of_day(svc, as_of), reader)
        return page_table_csv("overview", OVERVIEW, table, data)

    @app.get(
        "/roadmap.csv",
        tags=["dashboard"],
        summary="A table of the road map page as CSV",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def roadmap_csv(svc: ServiceDep, table: TableName, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        log = svc.snapshot()
        data = svc.views.view(log, "roadmap", (day,), None, _page(roadmap_page, svc, day))
        return page_table_csv("roadmap", ROADMAP, table, data)

    @app.get(
        "/compliance.csv",
        tags=["dashboard"],
        summary="A table of the compliance page as CSV",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def compliance_csv(svc: ServiceDep, table: TableName, as_of: AsOf = None) -> Response:
        day = as_of_day(svc, as_of)
        log = svc.snapshot()
        data = svc.views.view(log, "compliance", (day,), None, _page(compliance_page, svc, day))
        return page_table_csv("compliance", COMPLIANCE, table, data)
