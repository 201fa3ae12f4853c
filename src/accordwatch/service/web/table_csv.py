"""The dashboard's tables as CSV: the rows a page shows, in the shared export encoding.

Each table on a page has a CSV link (`/X.csv?table=NAME` with the page's own
query); the rows come from the same data as the page and its JSON twin, and
are written by `reports.exports` (hashes base64, times RFC 3339 UTC, lists
joined with "; "), as every other export is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response

from accordwatch.errors import NotFoundError
from accordwatch.reports.exports import Column, Sheet, to_csv

TableName = Annotated[
    str, Query(max_length=40, pattern=r"^[a-z-]+$", description="Which of the page's tables")
]
#: a table of a page: its columns and how to find its rows in the page's data
Table = tuple[Sequence[str | Column], Callable[[dict[str, Any]], Sequence[Mapping[str, Any]]]]


def csv_response(
    name: str, columns: Sequence[str | Column], rows: Sequence[Mapping[str, Any]], filename: str
) -> Response:
    """`rows` (dicts) under `columns` as a CSV download named `filename`."""
    sheet = Sheet(name, [c if isinstance(c, Column) else Column(c) for c in columns])
    keys = [c.key for c in sheet.columns]
    sheet.rows = [{k: row.get(k) for k in keys} for row in rows]
    return Response(
        to_csv(sheet),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def page_table_csv(
    page: str, tables: Mapping[str, Table], table: str, data: dict[str, Any]
) -> Response:
    """Table `table` of a page's `data` as CSV; 404 naming the page's tables if it has none such."""
    if table not in tables:
        known = ", ".join(sorted(tables))
        raise NotFoundError(f"the {page} page has no table {table!r} (its tables: {known})")
    columns, rows = tables[table]
    suffix = f"-{data['as_of']}" if isinstance(data.get("as_of"), str) else ""
    return csv_response(table, columns, rows(data), f"{page}-{table}{suffix}.csv")
