"""Who a dashboard visitor reads as: the grant of the token in their sign-in cookie.

A browser signs in by posting a token (`web.signin`); the token is kept in
an HttpOnly, SameSite=Strict cookie and checked on every request with the
same function the API uses (`api.deps.request_grant`). The page header shows the
result; a cookie whose token no longer works reads as nobody here, with the
reason, so that a page without confidential content still renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request, Response

from accordwatch.errors import AccordwatchError
from accordwatch.log.access import Reader
from accordwatch.service.api.deps import COOKIE, reader_of, request_grant, service_of
from accordwatch.service.api.problems import shown
from accordwatch.service.tokens import Grant
from accordwatch.timeutil import format_time


@dataclass(frozen=True)
class Visitor:
    """The cookie's grant, if it holds a working token, and else why not (empty: no cookie)."""

    grant: Grant | None
    problem: str = ""

    def to_json(self) -> dict[str, str] | None:
        if self.grant is None:
            return None
        return {
            "party": self.grant.party,
            "role": self.grant.role.value,
            "token_id": self.grant.token_id,
            "expires_at": format_time(self.grant.expires_at),
        }


def signed_in(request: Request) -> Visitor:
    """The visitor as the sign-in cookie names them (the Authorization header is the API's)."""
    token = request.cookies.get(COOKIE)
    if token is None:
        return Visitor(None)
    try:
        return Visitor(request_grant(request, token))
    except AccordwatchError as exc:
        return Visitor(None, shown(exc, request.url.path, exc.message))


def page_reader(request: Request) -> Reader | None:
    """Whom a page that reads for its visitor reads as: the bearer token, else the cookie's.

    A cookie whose token no longer works reads as nobody: such a page still renders,
    and its header offers to sign in again (`signed_in`).
    """
    if "authorization" in request.headers:
        return reader_of(request)
    grant = signed_in(request).grant
    if grant is None:
        return None
    return service_of(request).reader(grant)


def set_cookie(response: Response, request: Request, token: str, expires: datetime) -> None:
    """Keep the token in the browser until it expires."""
    response.set_cookie(
        COOKIE,
        token,
        # in UTC itself: a database may hand back an equal time in another zone object
        expires=expires.astimezone(UTC),
        path="/",
        # Secure only over https: on plain http (127.0.0.1) the browser would never send it back.
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )
