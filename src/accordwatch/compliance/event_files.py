"""Reading event files into event payloads: the `csv` format, and what all formats share.

Every format turns each row into the payload of an `event` log entry
(`accordwatch.log.records.EventRecord`), keeping the source row verbatim with its
digest, or into a problem naming the file, line and column. Structural faults
(an unknown column, a missing one, an unknown format) stop the whole file; row
faults are collected, so that the caller imports nothing, or with
`--skip-bad-rows` the rest, listing what was skipped.

`csv`: one event per row. Columns `source` (a short id), `id` (the row's key
in that source), `type`, `date` (YYYY-MM-DD, or YYYY-MM / YYYY when known only
to the month or year) are required; `actor`, `occurrence` (rows sharing it are
one event; default: same source, date and site), `count` (default 1),
`source_name`, `source_url` and any event attribute (`site`, `missile_class`,
`distance_km`, ...) may follow. Empty cells are unknown.

The `cns` layout is in `events_cns`, the `json` format in `events_json`.
`plan_import` decides, against what the log holds, which rows are new, which
correct an earlier version and which are already there. Pure.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from accordwatch.compliance.events import (
    ATTRIBUTES,
    AttributeKind,
    content_digest,
    event_field_problem,
)
from accordwatch.errors import InputError

FORMATS = ("cns", "csv", "json")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_CSV_REQUIRED = ("source", "id", "type", "date")
_CSV_OPTIONAL = ("actor", "occurrence", "count", "source_name", "source_url")


class RowError(ValueError):
    """A fault in one row; `column` names the column or field."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    where: str
    payload: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.payload["event_id"])

    @property
    def source_id(self) -> str:
        return str(self.payload["source"]["id"])

    @property
    def digest(self) -> str:
        return str(self.payload["source"]["digest"])


@dataclass
class Parsed:
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_date_text(text: str, column: str = "date") -> tuple[date, str]:
    """A date and its precision: `2019-05-04` (day), `1984-09` (month), `1984` (year)."""
    m = _DATE.match(text.strip())
    if not m:
        raise RowError(column, f"date {text!r} is not YYYY-MM-DD (or YYYY-MM, YYYY)")
    year, month, day = m.groups()
    try:
        on = date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise RowError(column, f"date {text!r} is not a calendar date ({exc})") from None
    return on, "day" if day else "month" if month else "year"


def source_name(value: str, column: str) -> str:
    if not _NAME.match(value):
        raise RowError(column, f"{value!r} must be a short id: lower-case letters, digits, . _ -")
    return value


def build_payload(
    *,
    source: Mapping[str, str],
    file: str,
    row_key: str,
    line: int,
    content: Mapping[str, Any],
    type_name: str,
    date_text: str,
    actor: str,
    attributes: dict[str, Any],
    occurrence: str | None = None,
    count: int = 1,
) -> dict[str, Any]:
    """The payload of an event entry, checked; raises `RowError` naming the column."""
    on, precision = parse_date_text(date_text)
    problem = event_field_problem(type_name, attributes)
    if problem:
        raise RowError(*problem)
    if not _NAME.match(actor):
        raise RowError("actor", f"actor {actor!r} must be a party name (lower-case id)")
    if count < 1:
        raise RowError("count", f"count must be at least 1, not {count}")
    sid = source["id"]
    if occurrence is None:
        site = attributes.get("site")
        occurrence = f"{date_text}:{site}" if site else f"row-{row_key}"
    return {
        "event_id": f"{sid}:{row_key}",
        "type": type_name,
        "on": on.isoformat(),
        "precision": precision,
        "occurrence": f"{sid}:{occurrence}",
        "actor": actor,
        "count": count,
        "attributes": {k: v for k, v in attributes.items() if v is not None},
        "source": {
            **{k: v for k, v in source.items() if v},
            "file": file,
            "row": row_key,
            "line": line,
            "content": dict(content),
            "digest": content_digest(content),
        },
    }


def number(text: str, column: str) -> int | float | None:
    """A number cell: empty is unknown; integral values stay integers."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowError(column, f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise RowError(column, f"{text!r} is not a finite number")
    return int(value) if value.is_integer() else value


def typed_attribute(name: str, raw: Any, column: str) -> Any:
    kind = ATTRIBUTES[name]
    if raw is None or raw == "":
        return None
    if kind is AttributeKind.NUMBER:
        if isinstance(raw, str):
            return number(raw, column)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise RowError(column, f"{raw!r} is not a number")
        return int(raw) if float(raw).is_integer() else raw
    if not isinstance(raw, str):
        raise RowError(column, f"{raw!r} is not text")
    return raw.strip() or None


def read_csv(data: bytes, file: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and rows (with their first line number) of a CSV file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=file) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError("the file is empty", where=file)
        rows: list[tuple[int, list[str]]] = []
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", where=f"{file}:{reader.line_num}") from None
    return [h.strip() for h in header], rows


def check_header(
    header: list[str], allowed: Iterable[str], required: Iterable[str], file: str, layout: str
) -> None:
    known = set(allowed)
    for i, name in enumerate(header, start=1):
        if name not in known:
            raise InputError(
                f"unknown column {name!r} for the {layout} format", where=f"{file}:1:{i}"
            )
        if header.index(name) != i - 1:
            raise InputError(f"column {name!r} appears twice", where=f"{file}:1:{i}")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} for the {layout} format", where=f"{file}:1"
        )


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


def base_name(file: str) -> str:
    return file.replace("\\", "/").rsplit("/", 1)[-1]


def _unique(parsed: Parsed) -> Parsed:
    """A row key used twice in one file is a fault of the second row."""
    seen: dict[str, str] = {}
    kept: list[ParsedRow] = []
    for row in parsed.rows:
        first = seen.get(row.event_id)
        if first is not None:
            parsed.problems.append(
                Problem(row.where, f"row {row.event_id} appears twice (first at {first})")
            )
            continue
        seen[row.event_id] = row.where
        kept.append(row)
    parsed.rows = kept
    return parsed


def parse_events(data: bytes, *, file: str, fmt: str, actor: str | None = None) -> Parsed:
    """Parse an events file of format `cns`, `csv` or `json`."""
    if fmt == "cns":
        from accordwatch.compliance.event_cns import parse_cns

        return _unique(parse_cns(data, file=file, actor=actor or "dprk"))
    if fmt == "csv":
        return _unique(parse_csv(data, file=file, actor=actor))
    if fmt == "json":
        from accordwatch.compliance.event_json import parse_json_events

        return _unique(parse_json_events(data, file=file, actor=actor))
    raise InputError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})", where="--format")


def checked(parsed: Parsed) -> Parsed:
    """Check every row against the `event` record schema; a row that fails becomes a problem."""
    from accordwatch.compliance.records import EVENT

    event_type = EVENT
    out = Parsed(problems=list(parsed.problems))
    for row in parsed.rows:
        try:
            event_type.parse_payload(row.payload, where=row.where)
        except InputError as exc:
            out.problems.append(Problem(row.where, exc.message))
            continue
        out.rows.append(row)
    return out


@dataclass(frozen=True)
class KnownRow:
    """An event row the log already holds."""

    index: int
    event_id: str
    source_id: str
    digest: str


@dataclass
class ImportPlan:
    new: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return self.new + self.corrections


def plan_import(rows: Iterable[ParsedRow], known: Iterable[KnownRow]) -> ImportPlan:
    """New rows, corrections (same row key, new content) and rows already in the log."""
    logged = sorted(known, key=lambda k: k.index)
    held = {(k.source_id, k.digest) for k in logged}
    latest: dict[str, int] = {}
    for k in logged:
        latest[k.event_id] = k.index
    plan = ImportPlan()
    for row in rows:
        if (row.source_id, row.digest) in held:
            plan.unchanged += 1
        elif row.event_id in latest:
            plan.corrections.append({**row.payload, "supersedes": latest[row.event_id]})
        else:
            plan.new.append(row.payload)
    return plan
