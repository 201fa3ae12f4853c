"""`/api/declarations`: declarations in the log, their content only for readers allowed it.

Everyone sees that a declaration was filed (entry, time, party); the
declaration itself only a bearer whose party submitted it or whose role may
read declarations (an inspectorate), as `declaration_access` decides.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from accordwatch.declarations.reading import document
from accordwatch.errors import NotFoundError
from accordwatch.service.api.deps import ReaderDep, ServiceDep
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


@router.get("", summary="Every declaration, opened where the bearer may read it")
def list_declarations(svc: ServiceDep, reader: ReaderDep) -> list[dict[str, Any]]:
    return [_json(d) for d in logged_declarations(svc.snapshot(), reader)]


@router.get("/{index}", summary="One declaration by log index")
def get_declaration(index: Index, svc: ServiceDep, reader: ReaderDep) -> dict[str, Any]:
    for d in logged_declarations(svc.snapshot(), reader):
        if d.index == index:
            return _json(d)
    raise NotFoundError(f"log entry {index} is not a declaration")
