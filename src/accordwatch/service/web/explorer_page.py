"""The log explorer: the entries page by page, filtered, and one entry with its content and proof.

`/explorer` lists the entries in index order, a page at a time, filtered by
record type, party and the day they were signed (UTC); `?index=N` shows
entry N: who signed it and when, its content (the payload, or for a
confidential entry its commitment, who may read it and the readers' keys its
opening is sealed to, or that the log still holds it in plaintext, and the
payload too if this visitor may), and its inclusion proof, which the browser checks
(`static/verify.js`). Every `#N` on the dashboard links here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from accordwatch.catalog import CATALOG
from accordwatch.errors import InputError
from accordwatch.log.access import Reader, allowed_readers
from accordwatch.service.api.deps import MAX_INDEX, ReaderDep, Service, ServiceDep
from accordwatch.service.api.listing import MAX_LIMIT
from accordwatch.service.api.log import (
    _openings,
    entry_json,
    get_entry,
    log_info,
    prove_inclusion,
)
from accordwatch.service.api.status import date_format
from accordwatch.service.web.page_models import ExplorerPage
from accordwatch.service.web.rendering import render_page
from accordwatch.service.web.table_csv import csv_response
from accordwatch.sources.confidential import confidential_views, entry_confidentiality
from accordwatch.store.database import storage_errors
from accordwatch.store.log_reader import _stored
from accordwatch.store.schema import entries
from accordwatch.timeutil import parse_date

#: entries on one page of the listing
PAGE = 50
#: entries in one CSV of the listing (the API's largest page)
CSV_PAGE = MAX_LIMIT
#: a party's name, or nothing (a form's empty choice)
PARTY_OR_NONE = r"^([a-z0-9][a-z0-9._-]{0,63})?$"

Index = Annotated[
    int | None, Query(ge=0, le=MAX_INDEX, description="Log index of the entry to show and check")
]
Start = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_INDEX,
        description="List entries from this index [default: the page of the entry shown, else 0]",
    ),
]
RecordType = Annotated[
    str | None, Query(max_length=64, pattern=r"^[a-z0-9._-]*$", description="Only this record type")
]
Party = Annotated[
    str | None,
    Query(max_length=64, pattern=PARTY_OR_NONE, description="Only entries signed by this party"),
]
Day = Annotated[
    str | None,
    Query(
        max_length=10,
        description="Only entries signed on or after / before this day (UTC, YYYY-MM-DD)",
        json_schema_extra=date_format,
    ),
]


@dataclass(frozen=True)
class Filters:
    record_type: str | None = None
    party: str | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def of(
        cls, record_type: str | None, party: str | None, since: str | None, until: str | None
    ) -> Filters:
        first = parse_date(since, where="since") if since else None
        last = parse_date(until, where="until") if until else None
        if first is not None and last is not None and last < first:
            raise InputError(f"until {last} is before since {first}", where="until")
        return cls(record_type or None, party or None, first, last)

    def __bool__(self) -> bool:
        return bool(self.query())

    def query(self) -> dict[str, str]:
        """The filters as query parameters (only those given)."""
        out = {
            "record_type": self.record_type,
            "party": self.party,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in out.items() if v}


def _listing(
    svc: Service, filters: Filters, start: int, reader: Reader | None, page: int = PAGE
) -> dict[str, Any]:
    """One page of entries from `start` on that pass the filters, and where the next begins."""
    ledger = svc.ledger
    size = ledger.size()
    query = select(entries).where(entries.c.idx >= start, entries.c.idx < size)
    if filters.record_type:
        query = query.where(entries.c.record_type == filters.record_type)
    if filters.party:
        query = query.where(entries.c.party == filters.party)
    if filters.since:
        query = query.where(entries.c.signed_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        after = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        query = query.where(entries.c.signed_at < after)
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        rows = conn.execute(query.order_by(entries.c.idx).limit(page + 1)).all()
        types = sorted(conn.execute(select(entries.c.record_type).distinct()).scalars())
        parties = sorted(conn.execute(select(entries.c.party).distinct()).scalars())
    found = [_stored(r) for r in rows]
    more = len(found) > page
    found = found[:page]
    held = _openings(ledger, [e.index for e in found if b'"commitment"' in e.envelope])
    secret = confidential_views(ledger, found)
    listed = []
    for e in found:
        item = entry_json(e, held.get(e.index), reader, secret.get(e.index))
        item.pop("payload")
        item["readers"] = allowed_readers(CATALOG, e.record_type, e.party)
        listed.append(item)
    base = filters.query()
    return {
        "filters": base,
        "start": start,
        "page_size": page,
        "entries": listed,
        "next": f"/explorer?{urlencode({**base, 'start': found[-1].index + 1})}" if more else None,
        "first": f"/explorer?{urlencode(base)}" if start else None,
        "record_types": types,
        "parties": parties,
    }


def explorer(
    svc: Service,
    index: int | None,
    reader: Reader | None = None,
    filters: Filters | None = None,
    start: int | None = None,
) -> dict[str, Any]:
    """The listing, and entry `index` with its content and proof if one is asked for."""
    info = log_info(svc)
    out: dict[str, Any] = {"log": info, "index": index, "entry": None, "receipt": None}
    if start is None:
        # the page of the listing that holds the entry shown, else the first
        start = 0 if index is None or filters else index - index % PAGE
    out["listing"] = _listing(svc, filters or Filters(), start, reader)
    if index is None:
        return out
    entry = get_entry(index, svc, reader)
    shown = {
        k: entry[k]
        for k in (
            "index",
            "signed_at",
            "record_type",
            "party",
            "leaf_hash",
            "confidential",
            "commitment",
            "opening_held",
            "sealed_to",
            "readable",
            "payload",
        )
    }
    shown["readers"] = allowed_readers(CATALOG, entry["record_type"], entry["party"])
    secret = entry_confidentiality(svc.ledger, svc.ledger.entry(index))
    shown["confidentiality"] = secret.describe() if secret is not None else None
    shown["sealed_words"] = secret.sealed_words() if secret is not None else None
    shown["canonical"] = entry["canonical"]
    out["entry"] = shown
    # against a checkpoint shown on the page, so the two always agree: the latest
    # witnessed one when it holds the entry (its cosignatures are checked in the
    # browser), else the latest signed one
    size = info["size"]
    witnessed = info["witnessed_checkpoint"]
    if witnessed is not None:
        witnessed_size = svc.ledger.opened(witnessed).size
        if witnessed_size > index:
            size = witnessed_size
    out["receipt"] = prove_inclusion(index, svc, size)
    return out


ENTRY_COLUMNS = (
    "index",
    "signed_at",
    "record_type",
    "party",
    "confidential",
    "opening_held",
    "readers",
    "leaf_hash",
)


def install(app: FastAPI) -> None:
    """Add the log explorer, its JSON twin and its CSV listing."""

    @app.get("/explorer", response_class=HTMLResponse, include_in_schema=False)
    def explorer_html(
        request: Request,
        svc: ServiceDep,
        reader: ReaderDep,
        index: Index = None,
        start: Start = None,
        record_type: RecordType = None,
        party: Party = None,
        since: Day = None,
        until: Day = None,
    ) -> HTMLResponse:
        filters = Filters.of(record_type, party, since, until)
        return render_page(request, "explorer.html", explorer(svc, index, reader, filters, start))

    @app.get(
        "/explorer.json",
        tags=["dashboard"],
        summary="A page of entries, and an entry with its content and inclusion proof",
        response_model=ExplorerPage,
    )
    def explorer_json(
        svc: ServiceDep,
        reader: ReaderDep,
        index: Index = None,
        start: Start = None,
        record_type: RecordType = None,
        party: Party = None,
        since: Day = None,
        until: Day = None,
    ) -> dict[str, Any]:
        filters = Filters.of(record_type, party, since, until)
        return explorer(svc, index, reader, filters, start)

    @app.get(
        "/explorer.csv",
        tags=["dashboard"],
        summary="The explorer's listing as CSV: up to 1000 entries from `start`",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def explorer_csv(
        svc: ServiceDep,
        reader: ReaderDep,
        start: Start = None,
        record_type: RecordType = None,
        party: Party = None,
        since: Day = None,
        until: Day = None,
    ) -> Response:
        filters = Filters.of(record_type, party, since, until)
        listing = _listing(svc, filters, start or 0, reader, CSV_PAGE)
        return csv_response("entries", ENTRY_COLUMNS, listing["entries"], "log-entries.csv")
