"""Tables as CSV and XLSX, with one encoding for each kind of value.

Every listing the command line, the API or the dashboard lets an analyst take
away is a `Sheet`: named columns, each of a `kind`, and rows of plain values.
`to_csv` and `to_xlsx` write it; `cell_value` is the one place that says how a
value is written outside the program, the same as the API and the receipts:

- hashes (bytes) in standard base64 (`encode_hash`);
- times in RFC 3339, UTC, with `Z` (`encode_time`, the log's own form);
- dates in ISO 8601 (`2019-10-05`);
- lists joined with "; ";
- numbers as numbers, booleans as `true`/`false`, nothing (and a number
  that is not finite: an undefined statistic) as an empty cell.

A column's kind also tells the terminal how to show it: `id`, `date` and
`figure` cells are never shortened, `text` cells may wrap.

Text that comes from records (what parties and observers wrote) may begin
with `=`, `+`, `-` or `@`, which a spreadsheet would run as a formula: the
XLSX cell is always typed as text, and the CSV cell is written with a leading
apostrophe (the convention spreadsheets read as "text follows").
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from accordwatch.declarations.sheets import formula_like
from accordwatch.log.encoding import encode_base64
from accordwatch.timeutil import format_time

#: a cell as a sheet holds it, before it is written
Cell = str | int | float | bool | Decimal | date | datetime | bytes | Sequence[Any] | None


class Kind(StrEnum):
    ID = "id"  # an identifier (entry index, violation id, item code): never cut
    DATE = "date"  # a date or a time: never cut
    FIGURE = "figure"  # a number: never cut
    TEXT = "text"  # words: may wrap


@dataclass(frozen=True)
class Column:
    key: str  # the rows' key, and the CSV header
    title: str = ""  # the terminal's heading [default: the key]
    kind: Kind = Kind.TEXT

    @property
    def heading(self) -> str:
        return self.title or self.key


@dataclass
class Sheet:
    """One table: its name (the XLSX sheet's), columns and rows."""

    name: str
    columns: Sequence[Column]
    rows: list[Mapping[str, Any]] = field(default_factory=list)  # values: `Cell`s

    def add(self, **values: Cell) -> None:
        self.rows.append(values)

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON objects, each value in its written form (lists stay lists)."""
        return [{c.key: json_value(row.get(c.key)) for c in self.columns} for row in self.rows]


def encode_hash(raw: bytes) -> str:
    """A hash or other binary value as everything outside writes it: standard base64."""
    return encode_base64(raw)


def encode_time(moment: datetime) -> str:
    """A time as everything outside writes it: RFC 3339, UTC, `Z` (`2020-01-01T09:00:00.000Z`)."""
    return format_time(moment)


def cell_value(value: Cell) -> str | int | float | None:
    """`value` in its one written form: text, a number, or None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return None  # an undefined statistic: an empty cell, as JSON's null
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        # exact decimals (masses) keep their digits as text
        return str(value)
    if isinstance(value, datetime):
        return encode_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return encode_hash(value)
    if isinstance(value, str):
        return value
    return "; ".join(str(cell_value(v) or "") for v in value)


def json_value(value: Cell) -> Any:
    """`value` for JSON: as `cell_value` writes it, but a list stays a list."""
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return cell_value(value)


def cell_text(value: Cell) -> str:
    """`value` as one line of text (a CSV cell, a terminal cell)."""
    written = cell_value(value)
    return "" if written is None else str(written)


def _csv_cell(value: Cell) -> str:
    text = cell_text(value)
    if isinstance(value, str) and formula_like(text):
        return "'" + text
    return text


def to_csv(sheet: Sheet) -> str:
    """The sheet as CSV (RFC 4180: a header row, CRLF line ends, quotes where needed)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.key for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_cell(row.get(c.key)) for c in sheet.columns])
    return out.getvalue()


def _sheet_title(name: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook
    title = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    base, n = title, 2
    while title in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def to_xlsx(sheets: Iterable[Sheet]) -> bytes:
    """The sheets as one XLSX workbook: a header row each, text typed as text."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.name, taken))
        for col, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=col, value=column.key)
            cell.font = bold
        for r, row in enumerate(sheet.rows, start=2):
            for col, column in enumerate(sheet.columns, start=1):
                value = cell_value(row.get(column.key))
                cell = ws.cell(row=r, column=col)
                if isinstance(value, str):
                    # XML cannot hold most control characters; record text may
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.value = value
                if isinstance(value, str):
                    # openpyxl reads "=..." as a formula and "#N/A" as an error: text it is
                    cell.data_type = TYPE_STRING
                    if formula_like(value):
                        # and marked as text for whoever edits the cell, as declarations are
                        cell.quotePrefix = True
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
