"""The `csv` events format: one event per row, in accordwatch's own columns.

Columns `source` (a short id), `id` (the row's key in that source), `type`,
`date` (YYYY-MM-DD, or YYYY-MM / YYYY when known only to the month or year)
are required; `actor`, `occurrence` (rows sharing it are one event; default:
same source, date and site), `count` (default 1), `source_name`, `source_url`
and any event attribute (`site`, `missile_class`, `distance_km`, ...) may
follow. Empty cells are unknown.
"""

from __future__ import annotations

from accordwatch.compliance.event_rows import (
    Parsed,
    ParsedRow,
    Problem,
    RowError,
    base_name,
    build_payload,
    check_header,
    number,
    read_csv,
    source_name,
    typed_attribute,
)
from accordwatch.compliance.events import ATTRIBUTES
from accordwatch.errors import InputError

_CSV_REQUIRED = ("source", "id", "type", "date")
_CSV_OPTIONAL = ("actor", "occurrence", "count", "source_name", "source_url")


def parse_csv(data: bytes, *, file: str, actor: str | None) -> Parsed:
    header, rows = read_csv(data, file)
    check_header(header, (*_CSV_REQUIRED, *_CSV_OPTIONAL, *ATTRIBUTES), _CSV_REQUIRED, file, "csv")
    if "actor" not in header and actor is None:
        raise InputError("no actor column: add one or give --actor", where=f"{file}:1")
    out = Parsed()
    for line, cells in rows:
        if len(cells) != len(header):
            out.problems.append(
                Problem(f"{file}:{line}", f"{len(cells)} cells, the header has {len(header)}")
            )
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            count = number(row.get("count", ""), "count") or 1
            if not isinstance(count, int):
                raise RowError("count", f"count {row['count']!r} is not a whole number")
            sid = source_name(row["source"].strip(), "source")
            source = {
                "id": sid,
                "name": row.get("source_name", "").strip() or sid,
                "url": row.get("source_url", "").strip(),
            }
            attrs = {
                k: typed_attribute(k, v, k) for k, v in row.items() if k in ATTRIBUTES and v.strip()
            }
            key = row["id"].strip()
            if not key:
                raise RowError("id", "the row has no id")
            payload = build_payload(
                source=source,
                file=base_name(file),
                row_key=key,
                line=line,
                content=row,
                type_name=row["type"].strip(),
                date_text=row["date"].strip(),
                actor=(row.get("actor", "").strip() or actor or ""),
                attributes=attrs,
                occurrence=row.get("occurrence", "").strip() or None,
                count=count,
            )
        except RowError as exc:
            column = header.index(exc.column) + 1 if exc.column in header else 0
            at = f"{file}:{line}:{column}" if column else f"{file}:{line}"
            out.problems.append(Problem(at, f"column {exc.column}: {exc}"))
            continue
        out.rows.append(ParsedRow(f"{file}:{line}", payload))
    return out
