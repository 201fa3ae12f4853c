"""What route handlers share: the workspace's ledger, the clock and the bearer's grant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accordwatch.declaration_access import Reader
from accordwatch.errors import SignatureError
from accordwatch.store.ledger import Ledger
from accordwatch.store.token_store import TokenStore
from accordwatch.workspace import Workspace


@dataclass
class Service:
    """One per application (per worker process): the ledger and token store it serves."""

    workspace: Workspace
    ledger: Ledger
    tokens: TokenStore
    clock: Callable[[], datetime]


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


bearer = HTTPBearer(
    auto_error=False,
    description="A token from `accordwatch token issue`: reads confidential payloads as its party",
)


def reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Reader | None:
    """The party a request reads as: none without a token, else the token's party and role."""
    if credentials is None:
        if "authorization" in request.headers:
            raise SignatureError("the Authorization header must be 'Bearer <token>'")
        return None
    svc = service(request)
    grant = svc.tokens.find(credentials.credentials.strip())
    grant.check(svc.clock())
    return Reader(grant.party, grant.role)


ServiceDep = Annotated[Service, Depends(service)]

#: the largest log index or tree size a request may name (indices are 48-bit in the store)
MAX_INDEX = (1 << 48) - 1
ReaderDep = Annotated[Reader | None, Depends(reader)]
