"""Query parameters an operation does not take are refused, not ignored.

An answer computed without a filter the client believes it applied is
wrong without saying so (`/api/compliance/violations?year=2019` listing
every year). So every API operation runs `strict_query` first: a parameter
the operation does not declare, or a single-valued one given twice (one of
the two would be ignored), is a 422 problem naming the parameter, with the
ones the operation takes and the nearest name.
"""

from __future__ import annotations

import difflib
from collections import Counter

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from accordwatch.errors import InputError

#: the attribute a route keeps its query parameters in, once they are known
_DECLARED = "_accordwatch_query_parameters"


def _query_parameters(dependant: Dependant) -> tuple[frozenset[str], frozenset[str]]:
    names: set[str] = set()
    repeatable: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            names.add(field.alias)
            if getattr(field.field_info.annotation, "__origin__", None) in (list, tuple, set):
                repeatable.add(field.alias)
        pending.extend(current.dependencies)
    return frozenset(names), frozenset(repeatable)


def declared_query(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameters `route` takes, and which of them may be given more than once."""
    found: tuple[frozenset[str], frozenset[str]] | None = getattr(route, _DECLARED, None)
    if found is None:
        found = _query_parameters(route.dependant)
        setattr(route, _DECLARED, found)
    return found


async def strict_query(request: Request) -> None:
    """Refuse (422) a query parameter the operation does not take, or one given twice."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    names, repeatable = declared_query(route)
    counts = Counter(k for k, _ in request.query_params.multi_items())
    for name, count in counts.items():
        if name not in names:
            raise InputError(_unknown(name, names))
        if count > 1 and name not in repeatable:
            raise InputError(f"query parameter {name!r} is given {count} times; it takes one value")


def _unknown(name: str, names: frozenset[str]) -> str:
    text = f"unknown query parameter {name!r}"
    near = difflib.get_close_matches(name, sorted(names), n=1)
    if near:
        text += f" (did you mean {near[0]!r}?)"
    takes = ", ".join(sorted(names))
    return f"{text}; this operation takes {takes or 'none'}"
