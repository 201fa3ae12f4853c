"""A short path for the hottest reads, ahead of FastAPI's routing.

Entries, inclusion proofs against the latest checkpoint and the latest
checkpoint are what verifiers and log explorers ask for most, and each costs
a few indexed lookups. Under load, FastAPI's routing, dependency resolution
and response handling cost more than those lookups, so requests of exactly
these shapes are answered here, by the functions the FastAPI routes call
(`api.log`), with the same JSON and the same problem documents. Anything
else (another method, a query string, an index that is not a plain number in
range) goes on to FastAPI, which answers or refuses it as the OpenAPI schema
says; the routes there stay the documented interface.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from accordwatch.errors import AccordwatchError
from accordwatch.service.api.deps import MAX_INDEX, json_response, reader_of, service_of
from accordwatch.service.api.log import get_entry, latest_checkpoint, prove_inclusion
from accordwatch.service.api.problems import error_problem

# [0-9], not \d: \d and int() take every Unicode digit, and `٤٩` would be entry 49
_ENTRY = re.compile(r"/api/log/entries/([0-9]{1,15})(/proof)?")
_LATEST = "/api/log/checkpoints/latest"


class HotReads:
    """ASGI middleware: `GET /api/log/entries/{i}`, `.../{i}/proof`, `.../checkpoints/latest`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            path: str = scope["path"]
            entry = _ENTRY.fullmatch(path)
            if (entry and int(entry[1]) <= MAX_INDEX) or path == _LATEST:
                request = Request(scope)
                response: Response
                try:
                    data = _answer(request, entry)
                except AccordwatchError as exc:
                    response = error_problem(exc, path)
                else:
                    response = json_response(data)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _answer(request: Request, entry: re.Match[str] | None) -> dict[str, Any]:
    svc = service_of(request)
    if entry is None:
        return latest_checkpoint(svc)
    index = int(entry[1])
    if entry[2]:
        return prove_inclusion(index, svc, None)
    return get_entry(index, svc, reader_of(request))
