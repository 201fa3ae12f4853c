"""Errors as RFC 9457 problem details, in one shape for every failure.

Every error body is `{"type", "title", "status", "detail", "instance"}`
with media type `application/problem+json`: an `AccordwatchError` gives its
one-line diagnostic and its `http_status`; request validation, unknown
routes and wrong methods are mapped to the same shape, and anything else is
a 500 whose detail says nothing of the internals. The OpenAPI schema declares
these problems on every operation that can give them.

A failure of the server's own storage (503) tells the client only that the
database is unavailable: the database's URL (user, host, database name), its
file path and the driver's message are the operator's, and go to the
server's log (`shown`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from accordwatch.errors import AccordwatchError
from accordwatch.validation_messages import describe

#: all a client is told of a failure of the server's storage
UNAVAILABLE = "the database is unavailable"

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://accordwatch.example/problems/"

log = logging.getLogger("accordwatch.service.api")

#: the problem type per status, named after the error classes that produce it
KINDS: dict[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    500: "internal-error",
    503: "storage-unavailable",
}

#: the OpenAPI schema of a problem, referenced by every route's error responses
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


#: what each problem an operation may answer with means, as its OpenAPI description says
_MEANINGS: dict[int, str] = {
    401: "The bearer token is malformed, unknown, expired or revoked",
    404: "No such resource",
    422: "A parameter or the body is invalid",
    503: "The storage cannot be reached",
}


#: the schema's name among the components, which every problem response refers to
PROBLEM_COMPONENT = "Problem"


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response whose body is a problem."""
    schema = {"$ref": f"#/components/schemas/{PROBLEM_COMPONENT}"}
    return {"description": description, "content": {MEDIA_TYPE: {"schema": schema}}}


def _document(operation: dict[str, Any]) -> None:
    """Declare in one operation of the schema the problems every route of its kind can give.

    Any route may find the storage unreachable (503); one with parameters or a
    body may find them invalid (422, in place of FastAPI's own validation
    body, which this module replaces) or naming nothing (404: an unknown
    index, party or accord); one that reads a bearer token may refuse it (401),
    and says that the token is optional (an empty security requirement beside
    the bearer's: without a token, a request reads public data). Statuses a
    route declares itself are kept.
    """
    parameters = operation.get("parameters", [])
    statuses = [503]
    if parameters or "requestBody" in operation:
        statuses.append(422)
    if parameters:
        statuses.append(404)
    if operation.get("security"):
        statuses.append(401)
        # the token is optional: without one, a request reads as nobody (public data)
        if {} not in operation["security"]:
            operation["security"].append({})
    responses = operation.setdefault("responses", {})
    validation = responses.get("422", {}).get("content", {})
    if "application/json" in validation:  # FastAPI's HTTPValidationError, never sent
        del responses["422"]
    for status in statuses:
        responses.setdefault(str(status), problem_response(_MEANINGS[status]))


def _documented(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for item in schema.get("paths", {}).values():
                for operation in item.values():
                    _document(operation)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            components[PROBLEM_COMPONENT] = {
                **PROBLEM_SCHEMA,
                "title": PROBLEM_COMPONENT,
                "description": "An RFC 9457 problem: what failed, in one line (`detail`)",
            }
            app.openapi_schema = schema  # built once, as FastAPI does
        return app.openapi_schema

    return openapi


def problem(status: int, detail: str, instance: str) -> JSONResponse:
    kind = KINDS.get(status, "error")
    body = {
        "type": TYPE_BASE + kind,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": " ".join(detail.split()),
        "instance": instance,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def shown(exc: AccordwatchError, context: str, text: str | None = None) -> str:
    """What a client is told of `exc`: `text` (by default its one-line diagnostic).

    A failure on the server's side (5xx: the storage) is logged, with
    `context` (the request's path), and the client reads only `UNAVAILABLE`.
    """
    if exc.http_status >= 500:
        log.error("%s: %s", context, exc.diagnostic())
        return UNAVAILABLE
    return exc.diagnostic() if text is None else text


def error_problem(exc: AccordwatchError, instance: str) -> JSONResponse:
    """The problem document a client gets for `exc` on the resource `instance`."""
    return problem(exc.http_status, shown(exc, instance), instance)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        parts.append(describe(err))
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem, and document them."""
    app.openapi = _documented(app)  # type: ignore[method-assign]

    @app.exception_handler(AccordwatchError)
    async def _accordwatch(request: Request, exc: AccordwatchError) -> JSONResponse:
        return error_problem(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, _validation_detail(exc), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such resource: {request.url.path}"
        response = problem(exc.status_code, detail, request.url.path)
        # a 405's Allow header (RFC 9110: it must list the methods the resource has)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "the server failed to handle this request", request.url.path)
