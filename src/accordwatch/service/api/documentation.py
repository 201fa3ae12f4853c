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

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

JSON = "application/json"
_REF = "#/components/schemas/"


def operation_id(route: APIRoute) -> str:
    """The camelCase operationId of a route that does not name its own: its handler's name."""
    first, *rest = route.name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def model_example(model: object) -> Any | None:
    """The example a response model's configuration carries (None: it has none)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return examples[0] if isinstance(examples, list) and examples else None


def add_examples(schema: dict[str, Any], models: Iterable[type[BaseModel]]) -> None:
    """Give each model among the components, and each operation's JSON answer, its example.

    Taken from the models themselves: FastAPI's schema drops the members of
    an example that are null, which the models require.
    """
    components = schema.get("components", {}).get("schemas", {})
    examples = {m.__name__: model_example(m) for m in models}
    for name, found in examples.items():
        if name in components and found is not None:
            components[name]["examples"] = [found]
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            media = operation.get("responses", {}).get("200", {}).get("content", {}).get(JSON)
            ref = media.get("schema", {}).get("$ref", "") if media is not None else ""
            found = examples.get(ref.removeprefix(_REF)) if ref.startswith(_REF) else None
            if media is not None and found is not None:
                media["example"] = found


def install(app: FastAPI, *modules: ModuleType) -> None:
    """Add the examples of the models in `modules` to the schema `app.openapi()` builds."""
    models = [
        m
        for module in modules
        for m in vars(module).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == module.__name__
    ]
    generate: Callable[[], dict[str, Any]] = app.openapi
    done = False

    def openapi() -> dict[str, Any]:
        nonlocal done
        schema = generate()
        if not done:
            add_examples(schema, models)
            done = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
