"""How every list endpoint answers: a page of items, a limit, a `next` link, JSON or CSV.

A list endpoint takes `Paging` (the query parameters `start`, `limit` and
`format`) and answers with `page_response`: the body is an object holding
`items` (at most `limit` of them), `limit`, and `next`, the path and query
of the following page (null on the last one), also sent as an RFC 8288
`Link: <...>; rel="next"` header. Beside them sits whatever context the
listing has (the date and checkpoint a view was computed for, say).

Asked for CSV (`?format=csv`, or `Accept: text/csv` preferred to JSON), the
same page is a `text/csv` table, one row per item: nested objects become
dotted columns (`checkpoint.size`), lists of plain values are joined with
spaces and lists of objects are written as JSON; the `next` link is then in
the `Link` header only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response

from accordwatch.declarations.sheets import formula_like
from accordwatch.service.api.deps import MAX_INDEX, json_response

#: the most items one page may hold, and how many a page holds unless asked
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

CSV_MEDIA_TYPE = "text/csv"

Format = Literal["json", "csv"]


@dataclass(frozen=True)
class Paging:
    """Where a page starts, how long it is, and how the client asked for it."""

    start: int
    limit: int
    csv: bool


def paging(
    request: Request,
    start: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_INDEX,
            description="Where the page starts: its first item's position (for log entries, "
            "a log index); the `next` link sets it",
        ),
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="The most items the page holds")
    ] = DEFAULT_LIMIT,
    format: Annotated[
        Format | None,
        Query(description="`csv` for a CSV table [default: as the Accept header asks, else JSON]"),
    ] = None,
) -> Paging:
    wants_csv = format == "csv" or (format is None and prefers_csv(request.headers.get("accept")))
    return Paging(start, limit, wants_csv)


PagingDep = Annotated[Paging, Depends(paging)]


def prefers_csv(accept: str | None) -> bool:
    """Whether an Accept header ranks `text/csv` above JSON (RFC 9110 quality values)."""
    if not accept:
        return False
    ranks: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[media.lower()] = max(quality, ranks.get(media.lower(), 0.0))
    as_csv = ranks.get(CSV_MEDIA_TYPE, ranks.get("text/*", 0.0))
    as_json = max(
        ranks.get("application/json", 0.0), ranks.get("application/*", 0.0), ranks.get("*/*", 0.0)
    )
    return as_csv > 0 and as_csv > as_json


def next_link(request: Request, start: int | None, **pinned: int | str) -> str | None:
    """The path and query of the page at `start` (None: there is none), with `pinned` set."""
    if start is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "start"]
    query = [(k, v) for k, v in query if k not in pinned]
    query += [(k, str(v)) for k, v in pinned.items()]
    query.append(("start", str(start)))
    params = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query)
    return f"{request.url.path}?{params}"


def _quote(text: str) -> str:
    return quote(text, safe="")


def page_of(items: Sequence[Any], paging: Paging) -> tuple[list[Any], int | None]:
    """The slice of `items` the page shows, and where the next page starts (None: last)."""
    end = paging.start + paging.limit
    following = end if end < len(items) else None
    return list(items[paging.start : end]), following


def page_response(
    request: Request,
    paging: Paging,
    items: Sequence[Mapping[str, Any]],
    following: int | None,
    context: Mapping[str, Any] | None = None,
    **pinned: int | str,
) -> Response:
    """The page as JSON (`context`, `items`, `limit`, `next`) or as CSV, with its Link header."""
    link = next_link(request, following, **pinned)
    if paging.csv:
        response = Response(csv_table(items), media_type=CSV_MEDIA_TYPE)
    else:
        body = {**(context or {}), "items": list(items), "limit": paging.limit, "next": link}
        response = json_response(body)
    if link is not None:
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response


def csv_table(items: Sequence[Mapping[str, Any]]) -> str:
    """Items as a CSV table (RFC 4180, CRLF line ends): a column per flattened field."""
    rows = [_flat(item) for item in items]
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _flat(value: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            flat.update(_flat(item, name + "."))
        else:
            flat[name] = _cell(item)
    return flat


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        if all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
            return _inert(" ".join(str(v) for v in value))
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _inert(str(value))


def _inert(text: str) -> str:
    """Text a spreadsheet shows as text: a leading `'` before what it would run as a formula.

    The log's payloads are what its parties wrote; a cell of theirs that
    begins `=HYPERLINK(...)` must not become a formula in an analyst's
    spreadsheet (CSV injection). Numbers are written as numbers.
    """
    if formula_like(text):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


#: the OpenAPI responses of a list endpoint beside its JSON model: the CSV table
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV_MEDIA_TYPE: {
                "schema": {"type": "string", "description": "The page's items, one row each"}
            }
        },
        "headers": {
            "Link": {
                "description": 'The next page, as `<path?query>; rel="next"` (absent on the last)',
                "schema": {"type": "string"},
            }
        },
    }
}
