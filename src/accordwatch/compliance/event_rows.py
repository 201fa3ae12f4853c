"""What every events format shares: rows into event payloads, and faults placed in the file.

Every format (`event_csv`, `event_cns`, `event_json`) turns each row into the
payload of an `event` log entry (`accordwatch.log.records.EventRecord`),
keeping the source row verbatim with its digest, or into a problem naming the
file, line and column. A fault in one row is a `RowError` naming its column,
which the format turns into a `Problem`; faults in the file's layout are
raised as `InputError`s. Pure.
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
from accordwatch.log.records import valid_name

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


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
    if not valid_name(value):
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
    if not valid_name(actor):
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


def base_name(file: str) -> str:
    return file.replace("\\", "/").rsplit("/", 1)[-1]
