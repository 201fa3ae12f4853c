"""`/api/parties`: the parties in the log, their roles and keys (public)."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter

from accordwatch.errors import NotFoundError
from accordwatch.log.registry import PartyRecord, Registry
from accordwatch.service.api.deps import ServiceDep

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


@router.get("", summary="Every party with its role and keys, in registration order")
def list_parties(svc: ServiceDep) -> list[dict[str, Any]]:
    registry = svc.ledger.registry()
    ordered = sorted(registry.parties.values(), key=lambda p: p.registered_at)
    return [party_json(p, registry) for p in ordered]


@router.get("/{name}", summary="One party with its role and keys")
def get_party(name: str, svc: ServiceDep) -> dict[str, Any]:
    registry = svc.ledger.registry()
    record = registry.parties.get(name)
    if record is None:
        raise NotFoundError(f"unknown party {name!r}")
    return party_json(record, registry)
