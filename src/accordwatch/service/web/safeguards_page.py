"""The dashboard's safeguards page: material balances with their alarms, and inspections.

`/safeguards` renders what `/safeguards.json` returns: the balances and the
inspection records of `/api/verification` as the visitor may read them (by
the sign-in cookie or a bearer token). Everyone sees that accountancy reports
and inspection records were filed; the figures only the submitting party and
an inspectorate, as `declaration_access` decides, and the page says so, and
how to get access, to anyone else. `/safeguards.svg?mba=...` draws one
balance area's MUF and CUMUF within their alarm bands, SITMUF and Page's
statistic against their thresholds, every alarming balance in red. The page
and the chart are computed once per signed checkpoint and reader
(`service.view_cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from accordwatch.catalog import CATALOG
from accordwatch.errors import NotFoundError
from accordwatch.log.access import Reader, allowed_readers
from accordwatch.log.records import NAME_PATTERN
from accordwatch.reports.charts.balance_chart import balance_svg
from accordwatch.safeguards.accountancy import effective, mbas
from accordwatch.safeguards.accountancy_balance import evaluate_balance
from accordwatch.safeguards.material_balance import Settings
from accordwatch.safeguards.materials import Material
from accordwatch.safeguards.measurement import load_package_table
from accordwatch.service.api.deps import ReaderDep, Service, ServiceDep
from accordwatch.service.api.log import log_info
from accordwatch.service.api.verification import balances_at, inspections_at
from accordwatch.service.web.page_models import SafeguardsPage
from accordwatch.service.web.page_tables import SAFEGUARDS
from accordwatch.service.web.rendering import render_page
from accordwatch.service.web.table_csv import TableName, page_table_csv
from accordwatch.sources.safeguards import verification_records
from accordwatch.sources.snapshot import Snapshot

Mba = Annotated[str, Query(pattern=NAME_PATTERN, description="Material balance area")]
KINDS = {"accountancy": "accountancy reports", "inspection": "inspection records"}
MaterialQuery = Annotated[
    Material | None, Query(description="Material [default: the only one of the area]")
]


def safeguards_page(svc: Service, reader: Reader | None) -> dict[str, Any]:
    """The balances and inspections this visitor may read, and the rest as public facts."""
    return svc.views.view(svc.snapshot(), "safeguards", (), reader, _safeguards(svc, reader))


def _safeguards(svc: Service, reader: Reader | None) -> Callable[[Snapshot], dict[str, Any]]:
    def compute(log: Snapshot) -> dict[str, Any]:
        balance_data = balances_at(svc, log, reader)
        inspection_data = inspections_at(svc, log, reader)
        withheld = [
            r for r in balance_data["records"] + inspection_data["records"] if not r["readable"]
        ]
        return {
            "log": log_info(svc, log.checkpoint),
            "reading_as": None if reader is None else {"party": reader.party, "role": reader.role},
            # who may read what this visitor may not, in words, per kind of record
            "readers": [
                {"records": kind, "readers": who}
                for kind, who in sorted(
                    {
                        (
                            KINDS[r["record_type"].split(".")[0]],
                            allowed_readers(CATALOG, r["record_type"], r["party"]),
                        )
                        for r in withheld
                    }
                )
            ],
            "balances": balance_data,
            "inspections": inspection_data,
        }

    return compute


def balance_chart(
    svc: Service, reader: Reader | None, mba: str, material: Material | None
) -> bytes:
    """The picture of one balance area's balances, from the reports the reader may read."""

    def draw(log: Snapshot) -> bytes:
        records = verification_records(log, reader)
        state = effective(records.accountancy)
        if mba not in mbas(state.in_force()):
            who = "without a token" if reader is None else f"as {reader.party}"
            raise NotFoundError(f"no accountancy report of MBA {mba} is readable {who}")
        result = evaluate_balance(
            state, mba, table=load_package_table(), settings=Settings(), material=material
        )
        balance = result.balance
        title = f"Material balance: MBA {mba}, {balance.material.value}"
        periods = list(zip(balance.boundaries, balance.boundaries[1:], strict=False))
        return balance_svg(result.evaluation, unit=balance.data.unit, title=title, periods=periods)

    return svc.views.view(svc.snapshot(), "safeguards.svg", (mba, material), reader, draw)


def install(app: FastAPI) -> None:
    @app.get("/safeguards", response_class=HTMLResponse, include_in_schema=False)
    def safeguards_html(request: Request, svc: ServiceDep, reader: ReaderDep) -> HTMLResponse:
        return render_page(request, "safeguards.html", safeguards_page(svc, reader))

    @app.get(
        "/safeguards.json",
        tags=["dashboard"],
        summary="The safeguards page's data",
        response_model=SafeguardsPage,
    )
    def safeguards_json(svc: ServiceDep, reader: ReaderDep) -> Response:
        return svc.views.json(svc.snapshot(), "safeguards", (), reader, _safeguards(svc, reader))

    @app.get(
        "/safeguards.svg",
        tags=["dashboard"],
        summary="One balance area's balances against their alarm thresholds (SVG)",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}}},
    )
    def safeguards_svg(
        svc: ServiceDep, reader: ReaderDep, mba: Mba, material: MaterialQuery = None
    ) -> Response:
        svg = balance_chart(svc, reader, mba, material)
        return Response(svg, media_type="image/svg+xml")

    @app.get(
        "/safeguards.csv",
        tags=["dashboard"],
        summary="A table of the safeguards page as CSV",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def safeguards_csv(svc: ServiceDep, reader: ReaderDep, table: TableName) -> Response:
        return page_table_csv("safeguards", SAFEGUARDS, table, safeguards_page(svc, reader))
