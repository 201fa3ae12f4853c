"""The `json` events format.

    {"source": {"id": ..., "name": ..., "url": ...}, "actor": "dprk", "note": "...",
     "events": [{"id": ..., "type": ..., "date": ..., "actor"?: ..., "occurrence"?: ...,
                 "count"?: ..., "source"?: {...}, "attributes": {...}}]}

A bare list of events is accepted when each names its source. An event's
`source` overrides the file's. Faults are named by the event's position and
field (`events[3].date`); the whole event object is kept as the source row.
"""

from __future__ import annotations

import json
from typing import Any

from accordwatch.compliance.event_rows import (
    Parsed,
    ParsedRow,
    Problem,
    RowError,
    base_name,
    build_payload,
    source_name,
    typed_attribute,
)
from accordwatch.compliance.events import ATTRIBUTES
from accordwatch.errors import InputError

_JSON_EVENT_KEYS = {"id", "type", "date", "actor", "occurrence", "count", "source", "attributes"}


def parse_json_events(data: bytes, *, file: str, actor: str | None) -> Parsed:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"malformed JSON: {exc}", where=file) from None
    top_source: dict[str, Any] | None = None
    if isinstance(doc, dict):
        extra = set(doc) - {"source", "actor", "events", "note"}
        if extra:
            raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=file)
        top_source = doc.get("source")
        actor = doc.get("actor", actor)
        events = doc.get("events")
    else:
        events = doc
    if not isinstance(events, list):
        raise InputError("expected a list of events (or an object with 'events')", where=file)
    out = Parsed()
    for i, item in enumerate(events):
        at = f"{file}: events[{i}]"
        try:
            if not isinstance(item, dict):
                raise RowError("", "an event must be an object")
            extra = set(item) - _JSON_EVENT_KEYS
            if extra:
                raise RowError(sorted(extra)[0], "unknown field")
            source = _json_source(item.get("source", top_source))
            attrs_raw = item.get("attributes", {})
            if not isinstance(attrs_raw, dict):
                raise RowError("attributes", "must be an object")
            attrs = {}
            for k, v in attrs_raw.items():
                if k not in ATTRIBUTES:
                    raise RowError(f"attributes.{k}", f"no event type has attribute {k!r}")
                attrs[k] = typed_attribute(k, v, f"attributes.{k}")
            count = item.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool):
                raise RowError("count", f"count {count!r} is not a whole number")
            for key in ("id", "type", "date"):
                if not isinstance(item.get(key), str) or not item[key].strip():
                    raise RowError(key, "required, as a non-empty string")
            payload = build_payload(
                source=source,
                file=base_name(file),
                row_key=item["id"].strip(),
                line=i + 1,
                content=item,
                type_name=item["type"],
                date_text=item["date"],
                actor=str(item.get("actor") or actor or ""),
                attributes=attrs,
                occurrence=item.get("occurrence"),
                count=count,
            )
        except RowError as exc:
            column = f".{exc.column}" if exc.column else ""
            out.problems.append(Problem(f"{at}{column}", str(exc)))
            continue
        out.rows.append(ParsedRow(at, payload))
    return out


def _json_source(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise RowError("source", "needs a source object with an id (here or at the top)")
    extra = set(value) - {"id", "name", "url"}
    if extra:
        raise RowError("source", f"unknown source member(s) {', '.join(sorted(extra))}")
    sid = source_name(value["id"], "source.id")
    return {"id": sid, "name": str(value.get("name") or sid), "url": str(value.get("url") or "")}
