"""`/api/declarations`: declarations in the log, their content only for readers allowed it.

Everyone sees that a declaration was filed (entry, time, party); the
declaration itself only a bearer whose party submitted it or whose role may
read declarations (an inspectorate), as `declaration_access` decides.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from accordwatch.declarations.reading import document
from accordwatch.errors import NotFoundError
from accordwatch.service.api import models
from accordwatch.service.api.deps import ReaderDep, ServiceDep
from accordwatch.service.api.listing import CSV_RESPONSE, PagingDep, page_of, page_response
from accordwatch.service.api.log import Index
from accordwatch.sources.declarations import LoggedDeclaration, logged_declarations
from accordwatch.timeutil import format_time

router = APIRouter(prefix="/api/declarations", tags=["declarations"])


def _json(d: LoggedDeclaration) -> dict[str, Any]:
    return {
        "index": d.index,
        "time": format_time(d.time),
        "party": d.party,
        "confidential": d.confidential,
        "readable": d.declaration is not None,
        "declaration": document(d.declaration) if d.declaration else None,
        "unreadable": d.unreadable or None,
    }


@router.get(
    "",
    operation_id="listDeclarations",
    summary="Every declaration, opened where the bearer may read it",
    response_model=models.DeclarationPage,
    responses=CSV_RESPONSE,
)
def list_declarations(
    request: Request, svc: ServiceDep, reader: ReaderDep, paging: PagingDep
) -> Response:
    """The declarations in the log, in log order: that each was filed, by whom and when, for
    everyone; its content for its declarant and the roles that may read declarations."""
    chosen, following = page_of(logged_declarations(svc.snapshot(), reader), paging)
    return page_response(request, paging, [_json(d) for d in chosen], following)


@router.get(
    "/{index}",
    operation_id="getDeclaration",
    summary="One declaration by log index",
    response_model=models.LoggedDeclaration,
)
def get_declaration(index: Index, svc: ServiceDep, reader: ReaderDep) -> dict[str, Any]:
    """The declaration logged at `index`, opened if the bearer may read it."""
    for d in logged_declarations(svc.snapshot(), reader):
        if d.index == index:
            return _json(d)
    raise NotFoundError(f"log entry {index} is not a declaration")
