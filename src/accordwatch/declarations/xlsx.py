"""Declarations as spreadsheets: the template, export, and import with every problem placed.

`write_workbook` writes a workbook in the layout of `declaration_sheets`: an
`instructions` sheet, the `declaration` header sheet, and one sheet per
section with its column names, drop-down lists for the columns that take a
fixed set of values, and (when a declaration is given) its entries. Without a
declaration it is the template to fill in. A declaration is its declarant's
text, opened by the other parties: a value that a spreadsheet program could
take for a formula (`sheets.formula_like`) is written as a text cell, and the
file is readable by its owner only.

`read_workbook` streams a workbook row by row (large files stay out of
memory, and a progress callback is told how far it got), builds the
declaration document, and reports every problem, whether in the workbook's
shape (a missing sheet, an unknown column) or in the values, by sheet, row and
column. It returns the declaration with the function that names a field
path's sheet, row and column, so later checks place their problems the same way.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from accordwatch.declarations.base import FieldPath, Problem, Program
from accordwatch.declarations.reading import (
    Declaration,
    DeclarationError,
    Locate,
    parse_declaration,
)
from accordwatch.declarations.sheets import (
    HEADER,
    HEADER_SHEET,
    INSTRUCTIONS_SHEET,
    SHEETS,
    Column,
    Sheet,
    entry_row,
    formula_like,
    from_cell,
    row_entry,
    to_cell,
)
from accordwatch.errors import InputError
from accordwatch.private_files import open_private_binary

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 2000
_BOLD = Font(bold=True)


# -- writing ------------------------------------------------------------------------------


def _bold_row(ws: WriteOnlyWorksheet, values: Sequence[str]) -> list[Any]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value=value)
        cell.font = _BOLD
        cells.append(cell)
    return cells


def _text(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """`value` as a cell: text that looks like a formula stays text (see `formula_like`)."""
    if not formula_like(value):
        return value
    cell = WriteOnlyCell(ws, value=value)
    # openpyxl takes a string starting with "=" for a formula: say it is a string,
    # and mark it so that a spreadsheet program keeps it text when it is edited.
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _row(ws: WriteOnlyWorksheet, values: Sequence[Any]) -> list[Any]:
    return [_text(ws, value) for value in values]


def _instructions(wb: Workbook, program: Program, sheets: Sequence[Sheet]) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 90
    ws.append(_bold_row(ws, [f"Data declaration of a {program} program"]))
    for line in (
        "Fill in the 'declaration' sheet, then one row per entry in each section's sheet.",
        "Keep row 1 of each sheet (the column names). A sheet left with row 1 only declares "
        "that section empty; do not delete a sheet.",
        "Masses are exact decimals: grams for plutonium, U-233 and enriched uranium, "
        "kilograms for natural and depleted uranium and thorium.",
        "Dates are YYYY-MM-DD. Lists are comma-separated in one cell.",
        "Check the file with: accordwatch declaration import FILE.xlsx",
        "",
    ):
        ws.append([line])
    ws.append(_bold_row(ws, ["sheet / column", "required", "kind", "meaning and allowed values"]))
    for name, text, columns in (
        (HEADER_SHEET, "One header field per row: name in column A, value in column B.", HEADER),
        *((s.name, s.help, s.columns) for s in sheets),
    ):
        ws.append(_bold_row(ws, [name, "", "", text]))
        for column in columns:
            allowed = f" Allowed: {', '.join(column.choices)}." if column.choices else ""
            ws.append(
                _row(
                    ws,
                    [
                        f"  {column.header}",
                        "yes" if column.required else "",
                        column.kind,
                        f"{column.help}{allowed}".strip(),
                    ],
                )
            )


def _validation(ws: WriteOnlyWorksheet, column: Column, cells: str) -> None:
    if not column.choices:
        return
    formula = '"' + ",".join(column.choices) + '"'
    if len(formula) > 255:  # Excel's limit for a list written in the rule itself
        return
    rule = DataValidation(type="list", formula1=formula, allow_blank=True)
    rule.error = f"{column.header} must be one of: {', '.join(column.choices)}"
    # Write-only sheets keep their rules here at run time; the type stubs omit it.
    ws.data_validations.append(rule)  # type: ignore[attr-defined]
    rule.add(cells)


def write_workbook(path: Path, program: Program, document: dict[str, Any] | None = None) -> int:
    """Write the template (or a declaration) as a workbook; returns the rows of entries written."""
    sheets = SHEETS[program]
    wb = Workbook(write_only=True)
    _instructions(wb, program, sheets)
    head = wb.create_sheet(HEADER_SHEET)
    for letter, width in (("A", 18), ("B", 50), ("C", 70)):
        head.column_dimensions[letter].width = width
    head.append(_bold_row(head, ["field", "value", "meaning"]))
    values = document or {"program": program.value}
    for row, column in enumerate(HEADER, start=2):
        _validation(head, column, f"B{row}")
        value = to_cell(column.kind, values.get(column.header))
        cell = _text(head, value) if formula_like(value) else WriteOnlyCell(head, value=value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        head.append([column.header, cell, column.help])
    written = 0
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        ws.freeze_panes = "A2"
        for n, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(n)
            ws.column_dimensions[letter].width = max(12, len(column.header) + 4)
            _validation(ws, column, f"{letter}2:{letter}1048576")
        ws.append(_bold_row(ws, [c.header for c in sheet.columns]))
        for entry in (document or {}).get(sheet.name, []):
            ws.append(_row(ws, entry_row(sheet, entry)))
            written += 1
    try:
        with open_private_binary(path) as fh:
            wb.save(fh)
    except OSError as exc:
        raise InputError(f"cannot write workbook: {exc.strerror}", where=str(path)) from exc
    return written


# -- reading ------------------------------------------------------------------------------


class _Places:
    """Where each entry and field came from, to name a problem's sheet, row and column."""

    def __init__(self) -> None:
        self.header_rows: dict[str, int] = {}
        self.rows: dict[str, list[int]] = {}
        self.columns: dict[str, list[tuple[Column, str]]] = {}

    def __call__(self, path: FieldPath) -> str:
        if not path:
            return ""
        head = path[0]
        if not isinstance(head, str) or head not in self.rows:
            field_row = self.header_rows.get(str(head))
            cell = f" row {field_row} column B" if field_row else ""
            return f"sheet '{HEADER_SHEET}'{cell} ({head})"
        if len(path) == 1 or not isinstance(path[1], int):
            return f"sheet '{head}'"
        index = path[1]
        rows = self.rows[head]
        at: int | str = rows[index] if 0 <= index < len(rows) else "?"
        rest = path[2:]
        for column, letter in self.columns.get(head, []):
            n = min(len(rest), len(column.path))
            if rest and tuple(rest[:n]) == column.path[:n]:
                return f"sheet '{head}' row {at} column {letter} ({column.header})"
        return f"sheet '{head}' row {at}"


def _rows(ws: Any) -> Iterator[tuple[Any, ...]]:
    yield from ws.iter_rows(values_only=True)


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _header(wb: Any, places: _Places, problems: list[Problem]) -> dict[str, Any]:
    fields = {c.header: c for c in HEADER}
    document: dict[str, Any] = {}
    for row, values in enumerate(_rows(wb[HEADER_SHEET]), start=1):
        if row == 1 or _blank(values[:2]):
            continue
        name = str(values[0]).strip() if values[0] is not None else ""
        column = fields.get(name)
        if column is None:
            problems.append(
                Problem(
                    "schema",
                    "unknown field",
                    (),
                    f"sheet '{HEADER_SHEET}' row {row} column A: unknown field {name!r} "
                    f"(fields: {', '.join(fields)})",
                )
            )
            continue
        places.header_rows[name] = row
        value = from_cell(column.kind, values[1] if len(values) > 1 else None)
        if value is not None:
            document[name] = value
    return document


def _section(
    ws: Any, sheet: Sheet, places: _Places, problems: list[Problem], tick: Callable[[], None]
) -> list[dict[str, Any]]:
    by_header = {c.header: c for c in sheet.columns}
    rows = _rows(ws)
    first = next(rows, ())
    layout: list[tuple[int, Column]] = []
    for n, name in enumerate(first):
        if name is None or not str(name).strip():
            continue
        letter = get_column_letter(n + 1)
        column = by_header.get(str(name).strip())
        if column is None:
            problems.append(
                Problem(
                    "schema",
                    "unknown column",
                    (),
                    f"sheet '{sheet.name}' row 1 column {letter}: unknown column {name!r} "
                    f"(columns: {', '.join(by_header)})",
                )
            )
            continue
        layout.append((n, column))
    places.columns[sheet.name] = [(c, get_column_letter(n + 1)) for n, c in layout]
    present = {c.header for _, c in layout}
    for column in sheet.columns:
        if column.required and column.header not in present:
            problems.append(
                Problem(
                    "schema",
                    "missing column",
                    (),
                    f"sheet '{sheet.name}' row 1: required column {column.header!r} is missing",
                )
            )
    entries: list[dict[str, Any]] = []
    numbers: list[int] = []
    named = [n for n, name in enumerate(first) if name is not None and str(name).strip()]
    width = named[-1] + 1 if named else 0
    for row, values in enumerate(rows, start=2):
        tick()
        if _blank(values):
            continue
        cells = [(c, values[n] if n < len(values) else None) for n, c in layout]
        if any(v is not None for v in values[width:]):
            problems.append(
                Problem(
                    "schema",
                    "unnamed column",
                    (),
                    f"sheet '{sheet.name}' row {row}: a value lies right of the named columns",
                )
            )
        entries.append(row_entry(sheet, cells))
        numbers.append(row)
    places.rows[sheet.name] = numbers
    return entries


def read_workbook(path: Path, *, progress: Progress | None = None) -> tuple[Declaration, Locate]:
    """Read a declaration workbook; every problem names its sheet, row and column."""
    where = str(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise InputError("no such file", where=where) from exc
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"not a readable .xlsx workbook ({exc})", where=where) from exc
    places = _Places()
    problems: list[Problem] = []
    try:
        if HEADER_SHEET not in wb.sheetnames:
            raise InputError(f"the workbook has no '{HEADER_SHEET}' sheet", where=where)
        document = _header(wb, places, problems)
        try:
            program = Program(str(document.get("program")))
        except ValueError:
            raise InputError(
                f"sheet '{HEADER_SHEET}': program must be nuclear or missile", where=where
            ) from None
        sheets = SHEETS[program]
        total = sum(wb[s.name].max_row or 0 for s in sheets if s.name in wb.sheetnames)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None and done % _PROGRESS_EVERY == 0:
                progress(done, total)

        for sheet in sheets:
            if sheet.name not in wb.sheetnames:
                problems.append(
                    Problem(
                        "schema",
                        "missing sheet",
                        (),
                        f"sheet '{sheet.name}' is missing (a section with nothing to declare "
                        "keeps its sheet with the column names only)",
                    )
                )
                continue
            document[sheet.name] = _section(wb[sheet.name], sheet, places, problems, tick)
        if progress is not None:
            progress(total, total)
    finally:
        wb.close()
    try:
        declaration = parse_declaration(document, where=where)
    except DeclarationError as exc:
        problems.extend(exc.problems)
        raise DeclarationError(problems, where=where, locate=places) from None
    if problems:
        raise DeclarationError(problems, where=where, locate=places)
    return declaration, places
