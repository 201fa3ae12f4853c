"""The access log: one line per request, and one per confidential payload read.

Each request is logged by `api.guard` in the common log format,

    127.0.0.1 - 3f2a9c81d0e4 [06/Dec/2025:10:08:01 +0000] "GET /api/log/entries/7 HTTP/1.1" 200 912

where the third field (the "user") is the id of the bearer token or sign-in
cookie the request presented, whether or not it was valid or needed
(`accordwatch token list` shows the same id), `-` without one. The token
itself is never logged: its id is the first bytes of its SHA-256, as the
database keeps it. The request line is logged as the
client sent it, with control characters, quotes and backslashes escaped, so
that no request can forge a line.

Every confidential payload handed to a token's reader is logged too, on the
child logger `accordwatch.access.reads`, naming the entry, its record type and
submitter, the reader and the token id. `accordwatch serve` sends both to
standard error or to `--access-log FILE`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import cookie_parser
from starlette.types import Scope

from accordwatch.log.envelope import Envelope
from accordwatch.service.tokens import token_hash, token_id, well_formed
from accordwatch.sources.reading import SealedReader

ACCESS = logging.getLogger("accordwatch.access")
READS = logging.getLogger("accordwatch.access.reads")

#: the sign-in cookie's name, as `api.deps.COOKIE` (which imports this module) sets it
_COOKIE = "accordwatch_token"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')


def _escaped(text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def clf_time(at: datetime) -> str:
    """`[10/Oct/2000:13:55:36 +0000]`, in UTC, with English month names whatever the locale."""
    at = at.astimezone(UTC)
    return f"[{at.day:02d}/{_MONTHS[at.month - 1]}/{at.year}:{at:%H:%M:%S} +0000]"


def request_line(scope: Scope) -> str:
    """The request line as the client sent it (the raw, still percent-encoded path)."""
    raw = scope.get("raw_path")
    target = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    query = scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    version = scope.get("http_version", "1.1")
    return _escaped(f"{scope.get('method', '-')} {target} HTTP/{version}")


def presented_token_id(scope: Scope) -> str | None:
    """The id of the token a request presents (the Authorization header's, else the cookie's).

    Only a well-formed token has one: anything else in those places is no token.
    """
    token = None
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, rest = value.decode("latin-1").strip().partition(" ")
            token = rest.strip() if scheme.lower() == "bearer" else None
            break
        if key == b"cookie" and token is None:
            token = cookie_parser(value.decode("latin-1")).get(_COOKIE)
    if token is None or not well_formed(token.strip()):
        return None
    return token_id(token_hash(token.strip()))


def access_line(scope: Scope, status: int, size: int, at: datetime, token_id: str | None) -> str:
    """The common log format line of one request, answered with `status` and `size` bytes."""
    client = scope.get("client")
    host = _escaped(str(client[0])) if client else "-"
    user = _escaped(token_id) if token_id else "-"
    length = str(size) if size else "-"
    return f'{host} - {user} {clf_time(at)} "{request_line(scope)}" {status} {length}'


@dataclass(frozen=True)
class TokenReader(SealedReader):
    """A reader known by a bearer token: every confidential payload it is handed is logged.

    It opens what is sealed to its party with the party's private encryption
    keys held in the served workspace, if any.
    """

    token_id: str = ""

    def opened(self, envelope: Envelope, where: str) -> None:
        READS.info(
            "%s confidential read: %s (%s by %s) by %s (%s) with token %s",
            clf_time(datetime.now(UTC)),
            _escaped(where),
            envelope.record_type,
            envelope.party,
            self.party,
            self.role.value,
            self.token_id,
        )


def logging_config(access_log: str | None, level: str) -> dict[str, Any]:
    """The logging configuration of `accordwatch serve` (for `logging.config.dictConfig`).

    The access log (requests and confidential reads, always on) goes to the
    file `access_log` or, without one, to standard error; the server's own
    messages (accordwatch's and uvicorn's, from `level` up) go to standard error.
    """
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    access: dict[str, Any] = (
        {"class": "logging.FileHandler", "filename": access_log, "encoding": "utf-8"}
        if access_log
        else dict(stderr)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "access": {"format": "%(message)s"},
            "server": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "access": {**access, "formatter": "access"},
            "server": {**stderr, "formatter": "server"},
        },
        "loggers": {
            ACCESS.name: {"handlers": ["access"], "level": "INFO", "propagate": False},
            "accordwatch": {"handlers": ["server"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["server"], "level": level.upper(), "propagate": False},
        },
    }
