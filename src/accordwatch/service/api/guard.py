"""The outermost layer of the service: the host check, security headers and the access log.

It wraps the whole application, FastAPI's error handling and the hot reads
(`api.hot_reads`) included, so that every answer passes through it:

- A request whose `Host` is not one of the names the server was told to
  answer (`accordwatch serve --allowed-host`) gets a 400 problem and
  nothing else: a page of another site whose name resolves to this server
  (DNS rebinding) cannot read it as a page of its own.
- Every answer carries `Content-Security-Policy` (scripts, styles and
  everything else only from this server, no framing), `X-Content-Type-Options:
  nosniff`, `Referrer-Policy: no-referrer` and `X-Frame-Options: DENY`; every
  answer but the static files, `Cache-Control: no-store`, because pages and
  JSON show what the token or cookie that asked may read. An SVG chart gets
  a policy of its own (no scripts at all, its inline styles allowed) for when
  it is opened as a document.
- Every request is logged in the common log format (`api.access_log`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accordwatch.service.api.access_log import ACCESS, access_line, presented_token_id
from accordwatch.service.api.problems import problem

#: pages, JSON and problems: nothing from elsewhere, no inline script or style, no framing.
#: `data:` images are Swagger UI's icons (in its stylesheet); nothing else uses them.
POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: an SVG chart opened on its own: matplotlib styles it inline, and it runs no script
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
#: paths whose answers are the same for everyone and may be cached
STATIC_PREFIXES = ("/static/", "/api/docs/assets/")

_ALWAYS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)


def host_name(header: str) -> str:
    """The name in a `Host` header, without its port, lower-case (`[::1]:8000` -> `::1`)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name, _, _port = header.partition(":")
    return name.rstrip(".")


def normalised_hosts(names: Iterable[str]) -> frozenset[str]:
    """Allowed host names as `host_name` gives them (a port or brackets given are dropped)."""
    return frozenset(host_name(n) for n in names if n.strip())


class Guard:
    """ASGI middleware around the whole application (see the module's docstring)."""

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str] | None = None) -> None:
        self.app = app
        #: None: any host (an application built for tests or embedding); else these names only
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = datetime.now(UTC)
        path: str = scope["path"]
        static = path.startswith(STATIC_PREFIXES)
        outcome = {"status": 500, "size": 0}

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                _secure(MutableHeaders(scope=message), static=static)
            elif message["type"] == "http.response.body":
                outcome["size"] += len(message.get("body", b""))
            await send(message)

        try:
            if self._host_allowed(scope):
                await self.app(scope, receive, send_guarded)
            else:
                refused = problem(400, "this server does not answer for that host name", path)
                await refused(scope, receive, send_guarded)
        finally:
            if ACCESS.isEnabledFor(logging.INFO):
                token = presented_token_id(scope)
                line = access_line(scope, outcome["status"], outcome["size"], received, token)
                ACCESS.info(line)

    def _host_allowed(self, scope: Scope) -> bool:
        if self.allowed_hosts is None:
            return True
        for key, value in scope["headers"]:
            if key == b"host":
                return host_name(value.decode("latin-1")) in self.allowed_hosts
        return False


def _secure(headers: MutableHeaders, *, static: bool) -> None:
    svg = headers.get("content-type", "").startswith("image/svg+xml")
    headers.setdefault("content-security-policy", SVG_POLICY if svg else POLICY)
    for name, value in _ALWAYS:
        headers.setdefault(name, value)
    if not static:
        headers.setdefault("cache-control", "no-store")
