"""The dashboard's declarations page: every declaration in the log, its versions and diffs.

Everyone sees that each declaration was filed (entry, time, party, whether
it is confidential, and for a confidential one whether the log holds it
sealed to its readers' keys, and to which, or still in plaintext). A visitor
allowed to read one (its declarant, an inspectorate: `declaration_access`,
by their sign-in cookie or bearer token) also sees what it is, which earlier
declaration it corrects or updates, its version, and, for each readable pair
of a declaration and the one it corrects or updates, the diff that
`accordwatch declaration diff --json` prints. Each escrowed declaration is
shown as a map of its parts: which are revealed, when, by which entry and
whether the reveal verified, with its findings and draws
(`sources.escrow_status`). `?index=N` shows one declaration: its header, its
totals recomputed from its lines, and its first entries of each section. The
page is computed once per signed checkpoint, query and reader
(`service.view_cache`): what one reader may read is never kept for another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic_core import to_jsonable_python

from accordwatch.catalog import CATALOG
from accordwatch.declarations.diff import declaration_totals, diff_declarations, section_entries
from accordwatch.declarations.history import Filed
from accordwatch.log.access import Reader, allowed_readers, may_read
from accordwatch.log.confidential import ConfidentialEntry
from accordwatch.service.api.deps import MAX_INDEX, ReaderDep, Service, ServiceDep
from accordwatch.service.web.page_models import DeclarationsPage
from accordwatch.service.web.page_tables import DECLARATIONS
from accordwatch.service.web.rendering import render_page
from accordwatch.service.web.table_csv import TableName, page_table_csv
from accordwatch.sources.confidential import views_at
from accordwatch.sources.declarations import (
    LoggedDeclaration,
    find_declaration,
    logged_declarations,
    readable,
)
from accordwatch.sources.snapshot import Snapshot
from accordwatch.timeutil import format_time

#: entries shown of each section of one declaration (the whole is at /api/declarations/N)
MAX_ENTRIES = 50
#: changed entries listed per diff (the counts and totals always cover every entry)
MAX_CHANGES = 500

Index = Annotated[
    int | None, Query(ge=0, le=MAX_INDEX, description="Log index of a declaration to show")
]


def _time(item: LoggedDeclaration) -> str:
    return format_time(item.time)


def _links(filed: list[Filed]) -> dict[int, tuple[str, int]]:
    """Entry -> (`corrects` or `updates`, the entry of the earlier declaration it names)."""
    out: dict[int, tuple[str, int]] = {}
    latest: dict[tuple[str, str], int] = {}
    for f in sorted(filed, key=lambda f: f.index):
        d = f.declaration
        for kind, ref in (("corrects", d.supersedes), ("updates", d.updates)):
            earlier = latest.get((f.party, ref)) if ref is not None else None
            if earlier is not None:
                out[f.index] = (kind, earlier)
                break
        latest[(f.party, d.id)] = f.index
    return out


def _versions(filed: list[Filed], links: dict[int, tuple[str, int]]) -> dict[int, int]:
    """Entry -> its version: 1, or one more than the declaration it corrects."""
    out: dict[int, int] = {}
    for f in sorted(filed, key=lambda f: f.index):
        kind, earlier = links.get(f.index, ("", -1))
        out[f.index] = out.get(earlier, 0) + 1 if kind == "corrects" else 1
    return out


def _row(
    item: LoggedDeclaration,
    links: dict[int, tuple[str, int]],
    replaced_by: dict[int, int],
    versions: dict[int, int],
    by_index: dict[int, LoggedDeclaration],
    secret: dict[int, ConfidentialEntry],
) -> dict[str, Any]:
    held = secret.get(item.index)
    row: dict[str, Any] = {
        "index": item.index,
        "time": _time(item),
        "party": item.party,
        "confidential": item.confidential,
        "readable": item.declaration is not None,
        "readers": allowed_readers(CATALOG, "declaration", item.party)
        if item.confidential
        else "anyone",
        # what the log holds of it: sealed (to whom) or in plaintext
        "opening_held": held.held.value if held is not None else None,
        "sealed_to": held.sealed_words() if held is not None else None,
    }
    d = item.declaration
    if d is None:
        row["unreadable"] = item.unreadable
        return row
    kind, earlier = links.get(item.index, ("", -1))
    named = by_index[earlier].declaration if earlier >= 0 else None
    row.update(
        {
            "id": d.id,
            "program": str(d.program),
            "as_of": d.as_of.isoformat(),
            "corrects": None,
            "updates": None,
            "version": versions[item.index],
            "superseded_by": replaced_by.get(item.index),
        }
    )
    for field, ref in (("corrects", d.supersedes), ("updates", d.updates)):
        if ref is not None:
            found = named is not None and kind == field and named.id == ref
            # the entry it names, when the reader can see that one too
            row[field] = {"id": ref, "index": earlier if found else None}
    return row


def _diff(before: Filed, after: Filed, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"before_index": before.index, "after_index": after.index, "kind": kind}
    try:
        result = diff_declarations(before.declaration, after.declaration)
    except ValueError as exc:
        out["error"] = str(exc)
        return out
    diff = result.to_json()
    kinds = {"added": 0, "removed": 0, "changed": 0}
    for change in result.changes:
        kinds[change.kind] += 1
    out["counts"] = {**kinds, "totals changed": len(result.changed_totals())}
    out["changes_total"] = len(diff["changes"])
    diff["changes"] = diff["changes"][:MAX_CHANGES]
    out["diff"] = diff
    return out


def _entry(entry: Any) -> dict[str, Any]:
    value: dict[str, Any] = to_jsonable_python(entry, exclude_none=True)
    return value


def _content(item: LoggedDeclaration, reader: Reader | None) -> dict[str, Any]:
    """One declaration: header, totals, and the first entries of each section."""
    out: dict[str, Any] = {
        "index": item.index,
        "party": item.party,
        "time": _time(item),
        "confidential": item.confidential,
        "readable": item.declaration is not None,
        "full": f"/api/declarations/{item.index}",
    }
    d = item.declaration
    if d is None:
        out["unreadable"] = (
            "content confidential: readable by "
            + allowed_readers(CATALOG, "declaration", item.party)
            if item.confidential
            and (reader is None or not may_read(CATALOG, "declaration", reader, item.party))
            else item.unreadable
        )
        return out
    out["header"] = {
        k: str(v) for k, v in d.model_dump(mode="json").items() if isinstance(v, (str, int, bool))
    }
    out["totals"] = [
        {"name": name, "value": str(value), "unit": unit}
        for name, value, unit in declaration_totals(d)
    ]
    sections = []
    for name, entries in section_entries(d):
        shown = [_entry(e) for e in entries[:MAX_ENTRIES]]
        columns = list(dict.fromkeys(k for e in shown for k in e))
        sections.append({"name": name, "count": len(entries), "columns": columns, "entries": shown})
    out["sections"] = sections
    return out


def declarations_page(svc: Service, reader: Reader | None, index: int | None) -> dict[str, Any]:
    """Every declaration, readable pairs' diffs, and one declaration's content if asked."""
    log = svc.snapshot()
    today = svc.clock().astimezone(UTC).date()
    return svc.views.view(
        log, "declarations", (index, today), reader, _declarations(reader, index, today)
    )


def escrow_summaries(log: Snapshot, reader: Reader | None, today: date) -> list[dict[str, Any]]:
    """Each escrow as the reader sees it, with the draws of its accord's drawn steps."""
    from accordwatch.sources.escrow_status import escrow_view

    return escrow_view(log, today, reader).summaries()


def _declarations(
    reader: Reader | None, index: int | None, today: date
) -> Callable[[Snapshot], dict[str, Any]]:
    def compute(log: Snapshot) -> dict[str, Any]:
        logged = logged_declarations(log, reader)
        by_index = {item.index: item for item in logged}
        filed = readable(logged)
        links = _links(filed)
        versions = _versions(filed, links)
        replaced_by = {earlier: later for later, (k, earlier) in links.items() if k == "corrects"}
        filed_at = {f.index: f for f in filed}
        secret = views_at(log.ledger, [i.index for i in logged if i.confidential])
        out: dict[str, Any] = {
            "reading_as": None if reader is None else {"party": reader.party, "role": reader.role},
            "declarations": [
                _row(i, links, replaced_by, versions, by_index, secret) for i in logged
            ],
            "hidden": sum(1 for i in logged if i.declaration is None),
            "diffs": [
                _diff(filed_at[earlier], filed_at[later], kind)
                for later, (kind, earlier) in sorted(links.items())
            ],
            "limits": {"entries_per_section": MAX_ENTRIES, "changes_per_diff": MAX_CHANGES},
            "selected": None,
            "escrows": escrow_summaries(log, reader, today),
        }
        if index is not None:
            out["selected"] = _content(find_declaration(logged, str(index)), reader)
        return out

    return compute


def install(app: FastAPI) -> None:
    @app.get("/declarations", response_class=HTMLResponse, include_in_schema=False)
    def declarations_html(
        request: Request, svc: ServiceDep, reader: ReaderDep, index: Index = None
    ) -> HTMLResponse:
        return render_page(request, "declarations.html", declarations_page(svc, reader, index))

    @app.get(
        "/declarations.json",
        tags=["dashboard"],
        summary="The declarations page's data",
        response_model=DeclarationsPage,
    )
    def declarations_json(svc: ServiceDep, reader: ReaderDep, index: Index = None) -> Response:
        log = svc.snapshot()
        today = svc.clock().astimezone(UTC).date()
        return svc.views.json(
            log, "declarations", (index, today), reader, _declarations(reader, index, today)
        )

    @app.get(
        "/declarations.csv",
        tags=["dashboard"],
        summary="The declarations page's table as CSV",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def declarations_csv(svc: ServiceDep, reader: ReaderDep, table: TableName) -> Response:
        data = declarations_page(svc, reader, None)
        return page_table_csv("declarations", DECLARATIONS, table, data)
