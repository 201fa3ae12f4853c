"""What route handlers share: the workspace's ledger, the clock and the reader's grant.

A request reads as a party when it presents a token: in the `Authorization:
Bearer` header (programs), or in the dashboard's sign-in cookie (browsers,
see `web.signin`). The header wins. The cookie is honoured on safe methods
(GET, HEAD) only: a browser sends it along with requests that other sites
make it send, so nothing that changes state may be authorised by it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator

from accordwatch.errors import SignatureError
from accordwatch.log.access import Reader
from accordwatch.log.hpke import EncryptionKey
from accordwatch.service.api.access_log import TokenReader
from accordwatch.service.committer import Committer
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import Grant
from accordwatch.service.view_cache import ViewCache
from accordwatch.sources.reading import encryption_key_ids, private_keys
from accordwatch.sources.snapshot import Snapshot
from accordwatch.sources.witnessing import PolicyCache
from accordwatch.store.ledger import Ledger
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace


@dataclass
class Service:
    """One per application (per worker process): the ledger and token store it serves."""

    workspace: Workspace
    ledger: Ledger
    tokens: TokenStore
    #: "today" for the views: the workspace's clock (simulated, if it runs on one)
    clock: Callable[[], datetime]
    committer: Committer
    #: the witness policy in force for this log, kept until the log grows
    policies: PolicyCache = field(default_factory=PolicyCache)
    #: views computed at the latest checkpoint (`view_cache`)
    views: ViewCache = field(default_factory=ViewCache)
    #: what bearer tokens' lifetimes are checked against: the real clock, never a simulated one
    token_clock: Callable[[], datetime] = utc_now

    #: each party's private encryption keys held in the workspace, by its registered key ids
    encryption_keys: dict[tuple[str, tuple[str, ...]], tuple[EncryptionKey, ...]] = field(
        default_factory=dict
    )

    def reader(self, grant: Grant) -> TokenReader:
        """The reader a token's grant stands for, with its party's encryption keys held here."""
        registry = self.ledger.registry()
        held = (grant.party, tuple(encryption_key_ids(registry, grant.party)))
        keys = self.encryption_keys.get(held)
        if keys is None:
            keys = tuple(private_keys(self.workspace.keys_dir, registry, grant.party, _load_key))
            self.encryption_keys[held] = keys
        return TokenReader(grant.party, grant.role, self.ledger, keys, token_id=grant.token_id)

    def snapshot(self) -> Snapshot:
        """The log as the default checkpoint states it: what one request's view reads."""
        return Snapshot.default(self.ledger)


def _load_key(path: Path) -> EncryptionKey:
    """A key file the server can read: unencrypted, or with ACCORDWATCH_PASSPHRASE."""
    return EncryptionKey.read(path, os.environ.get("ACCORDWATCH_PASSPHRASE") or None)


def service_of(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


async def service(request: Request) -> Service:
    # a coroutine, so that FastAPI resolves it on the event loop, not in a thread
    return service_of(request)


bearer = HTTPBearer(
    auto_error=False,
    description="A token from `accordwatch token issue`: reads confidential payloads as its party",
)


#: the dashboard's sign-in cookie: the token itself, HttpOnly and SameSite=Strict
COOKIE = "accordwatch_token"
#: methods on which the cookie is honoured: those that change nothing
SAFE_METHODS = frozenset({"GET", "HEAD"})


def grant_of(svc: Service, token: str) -> Grant:
    """The grant of a presented token, refused (401) if malformed, unknown, expired or revoked."""
    grant = svc.tokens.find(token.strip())
    grant.check(svc.token_clock())
    return grant


def request_grant(request: Request, token: str) -> Grant:
    """`grant_of` for a request's token, looked up once per request.

    A dashboard page asks twice (for the header and for what it may show).
    """
    held = getattr(request.state, "grant", None)
    if held is not None and held[0] == token:
        found: Grant = held[1]
        return found
    grant = grant_of(service_of(request), token)
    request.state.grant = (token, grant)
    return grant


def reader_of(request: Request) -> Reader | None:
    """The party a request reads as: none without a token, else the token's party and role.

    The token comes from `Authorization: Bearer <token>`, or on GET and HEAD
    from the dashboard's sign-in cookie; a header that is not a bearer token
    is refused rather than ignored.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SignatureError("the Authorization header must be 'Bearer <token>'")
    elif request.method in SAFE_METHODS and COOKIE in request.cookies:
        token = request.cookies[COOKIE]
    else:
        return None
    grant = request_grant(request, token)
    return service_of(request).reader(grant)


async def reader(
    request: Request,
    # declares the bearer scheme in the OpenAPI schema; `reader_of` reads the header
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Reader | None:
    return reader_of(request)


ServiceDep = Annotated[Service, Depends(service)]


def json_response(data: Any) -> Response:
    """`data` as the JSON FastAPI would write, without its validation pass.

    For the hot reads (`api.hot_reads`) and receipts: their payloads are built
    by the project's own code, so re-checking them against `dict[str, Any]` on
    every request only costs time.
    """
    body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode(), media_type="application/json")


#: the largest log index or tree size a request may name (indices are 48-bit in the store)
MAX_INDEX = (1 << 48) - 1


def ascii_digits(value: object) -> object:
    """Let only ASCII digits through to be read as an index or size.

    `int()` reads `٤٩` (Arabic-Indic digits) and every other Unicode digit as
    49, and Pydantic `+49`, `4_9`, ` 49` and `49.0`; an index has one spelling,
    the same on every path that reads it (`api.hot_reads` matches `[0-9]`).
    """
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be written in the ASCII digits 0-9 only, without sign or spaces")
    return value


#: the validator of index and size parameters: `Annotated[int, Path(...), AsciiDigits]`
AsciiDigits = BeforeValidator(ascii_digits)
ReaderDep = Annotated[Reader | None, Depends(reader)]
