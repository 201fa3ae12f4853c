"""What the OpenAPI schema says of each operation beyond FastAPI's defaults.

Every operation's `operationId` is camelCase and stable: the API's routes
name theirs (`getLogEntry`), and any other takes the name of its handler
(`overview_json` gives `overviewJson`), never FastAPI's default, which
spells out the path and method and changes with them. Every answer's model
carries an example (`api.models`, `api.view_models`); it is copied to the
operation's JSON response, where documentation tools and clients'
generators look for it, so that each operation shows one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

JSON = "application/json"
_REF = "#/components/schemas/"


def operation_id(route: APIRoute) -> str:
    """The camelCase operationId of a route that does not name its own: its handler's name."""
    first, *rest = route.name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any | None:
    ref = schema.get("$ref", "")
    if ref.startswith(_REF):
        schema = components.get(ref.removeprefix(_REF), {})
    examples = schema.get("examples")
    return examples[0] if examples else None


def add_examples(schema: dict[str, Any]) -> None:
    """Give each operation's successful JSON answer its model's example."""
    components = schema.get("components", {}).get("schemas", {})
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get(JSON)
                if not status.startswith("2") or media is None or "example" in media:
                    continue
                found = _example(media.get("schema", {}), components)
                if found is not None:
                    media["example"] = found


def install(app: FastAPI) -> None:
    """Add the examples to the schema `app.openapi()` builds (once, as FastAPI does)."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    done = False

    def openapi() -> dict[str, Any]:
        nonlocal done
        schema = generate()
        if not done:
            add_examples(schema)
            done = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
