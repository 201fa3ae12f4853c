"""`/api/parties`: the parties in the log, their roles and keys (public)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from accordwatch.errors import NotFoundError
from accordwatch.log.registry import PartyRecord, Registry
from accordwatch.service.api import models
from accordwatch.service.api.deps import ServiceDep
from accordwatch.service.api.listing import CSV_RESPONSE, PagingDep, page_of, page_response

router = APIRouter(prefix="/api/parties", tags=["parties"])


def party_json(record: PartyRecord, registry: Registry) -> dict[str, Any]:
    return {
        "name": record.name,
        "role": str(record.role),
        "display_name": record.display_name,
        "registered_at": record.registered_at,
        "revoked_at": record.revoked_at,
        "revoked_reason": record.reason,
        "keys": [
            {
                "key_id": k.key_id,
                "public_key": base64.b64encode(k.public_key).decode(),
                "registered_at": k.registered_at,
                "active": k.active,
                "revoked_at": k.revoked_at,
                "reason": k.reason,
            }
            for k in sorted(registry.keys_of(record.name), key=lambda k: k.registered_at)
        ],
    }


@router.get(
    "",
    operation_id="listParties",
    summary="Every party with its role and keys, in registration order",
    response_model=models.PartyPage,
    responses=CSV_RESPONSE,
)
def list_parties(request: Request, svc: ServiceDep, paging: PagingDep) -> Response:
    """The parties registered in the log, revoked ones included, with their keys."""
    registry = svc.ledger.registry()
    ordered = sorted(registry.parties.values(), key=lambda p: p.registered_at)
    chosen, following = page_of(ordered, paging)
    items = [party_json(p, registry) for p in chosen]
    return page_response(request, paging, items, following)


@router.get(
    "/{name}",
    operation_id="getParty",
    summary="One party with its role and keys",
    response_model=models.Party,
)
def get_party(
    name: Annotated[str, Path(max_length=64, description="The party's id")], svc: ServiceDep
) -> dict[str, Any]:
    """The party `name`: its role, display name, registration and keys."""
    registry = svc.ledger.registry()
    record = registry.parties.get(name)
    if record is None:
        raise NotFoundError(f"unknown party {name!r}")
    return party_json(record, registry)
