"""How listings leave the command line: `--format`, `-o FILE`, and tables that fit.

Every command that lists or reports takes the same options, declared once
here: `--format text|json|csv` (`Format`), or `text|json|csv|xlsx`
(`SheetFormat`) where the result is one to open in a spreadsheet; `-o/--output
FILE` (`OutputFile`) writes it to a file (xlsx only goes to a file); `--json`
(`JsonAlias`) is the former spelling of `--format json`, kept hidden.
`chosen_format` checks them together, and `deliver` writes the result.

`print_sheet` draws a table for the terminal. Ids, dates and figures are
never shortened: other columns wrap, and when even that cannot fit the width
(the terminal's, or `COLUMNS` when the output is a pipe), each row becomes a
block of `name  value` lines.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.cells import cell_len

from accordwatch.cli.context import console, plain, print_json, shown
from accordwatch.errors import InputError
from accordwatch.private_files import write_private_bytes

if TYPE_CHECKING:
    from rich.text import Text

    from accordwatch.reports.exports import Column, Sheet

TEXT_FORMATS = ("text", "json", "csv")
SHEET_FORMATS = (*TEXT_FORMATS, "xlsx")

Format = Annotated[str, typer.Option("--format", help="text, json or csv", metavar="text|json|csv")]
SheetFormat = Annotated[
    str,
    typer.Option(
        "--format",
        help="text, json, csv, or xlsx (with -o FILE)",
        metavar="text|json|csv|xlsx",
    ),
]
JsonAlias = Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json")]
OutputFile = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the json, csv or xlsx to this file"),
]

# Output to a pipe with no COLUMNS: wide enough for a log entry's row
PIPE_WIDTH = 160
# The narrowest a wrapping column may become before rows turn into blocks
MIN_WRAP = 10


@dataclass(frozen=True)
class Chosen:
    """The format asked for, and the file to write it to (None: standard output)."""

    format: str
    output: Path | None = None

    @property
    def text(self) -> bool:
        return self.format == "text"


def chosen_format(
    fmt: str, as_json: bool = False, output: Path | None = None, *, xlsx: bool = False
) -> Chosen:
    """Check `--format` (with `--json` and `-o`) once for every command."""
    allowed = SHEET_FORMATS if xlsx else TEXT_FORMATS
    # "table" was this option's former word for text
    value = "json" if as_json else "text" if fmt == "table" else fmt
    if value not in allowed:
        raise InputError(f"--format must be one of {', '.join(allowed)}, not {fmt!r}")
    if value == "xlsx" and output is None:
        raise InputError("--format xlsx writes a file: give it with -o FILE")
    if value == "text" and output is not None:
        raise InputError("-o FILE takes --format json, csv or xlsx; text is for the terminal")
    return Chosen(value, output)


def deliver(
    chosen: Chosen,
    *,
    json: Callable[[], Any],
    sheets: Callable[[], Sequence[Sheet]],
    text: Callable[[], None],
) -> None:
    """Write the result in the chosen format: CSV holds the first sheet, XLSX them all."""
    from accordwatch.reports.exports import to_csv, to_xlsx

    if chosen.format == "text":
        text()
        return
    if chosen.format == "json":
        if chosen.output is None:
            print_json(json())
            return
        import json as json_module

        data = (json_module.dumps(json(), indent=2, ensure_ascii=False) + "\n").encode()
    elif chosen.format == "csv":
        written = to_csv(sheets()[0])
        if chosen.output is None:
            typer.echo(written, nl=False)
            return
        data = written.encode("utf-8")
    else:
        data = to_xlsx(sheets())
    assert chosen.output is not None
    try:
        write_private_bytes(chosen.output, data)
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror}", where=str(chosen.output)) from exc
    print(f"wrote {chosen.format} to {chosen.output}", file=sys.stderr)


def output_width() -> int:
    """The width to draw for: `COLUMNS` if set, else the terminal's, else `PIPE_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return PIPE_WIDTH


def _natural(column: Column, cells: Iterable[str], *, wrap_heading: bool) -> tuple[int, int]:
    """(widest cell or heading, widest single word) of a column, in terminal cells.

    With `wrap_heading`, the heading of an id, date or figure column may wrap,
    down to its longest word.
    """
    from accordwatch.reports.exports import Kind

    lines = [line for cell in cells for line in cell.splitlines()]
    wraps = wrap_heading and column.kind != Kind.TEXT
    head = column.heading.split() if wraps else [column.heading]
    widest = max(cell_len(line) for line in [*lines, *head])
    longest_word = max(
        (cell_len(w) for line in [*lines, column.heading] for w in line.split()), default=0
    )
    return widest, longest_word


def _share(natural: list[int], floors: list[int], budget: int) -> list[int] | None:
    """Widths of wrapping columns within `budget`: the widest shrink first, none below its floor."""
    if sum(floors) > budget:
        return None
    if sum(natural) <= budget:
        return natural
    # the highest level L at which min(natural, max(L, floor)) still fits
    low, high = 0, max(natural)
    while low < high:
        level = (low + high + 1) // 2
        if sum(min(n, max(level, f)) for n, f in zip(natural, floors, strict=True)) <= budget:
            low = level
        else:
            high = level - 1
    return [min(n, max(low, f)) for n, f in zip(natural, floors, strict=True)]


def column_widths(
    columns: Sequence[Column], cells: list[list[str]], width: int
) -> list[int] | None:
    """Each column's width in a table `width` cells wide, or None if it cannot fit.

    Ids, dates and figures keep their widest cell. Text columns shrink, widest
    first, keeping their longest word whole if they can, else down to `MIN_WRAP`.
    """
    from accordwatch.reports.exports import Kind

    fixed = [i for i, c in enumerate(columns) if c.kind != Kind.TEXT]
    wrapping = [i for i, c in enumerate(columns) if c.kind == Kind.TEXT]
    # first with headings on one line, then with those of ids, dates and figures wrapped
    for wrap_heading in (False, True):
        sizes = [
            _natural(c, (row[i] for row in cells), wrap_heading=wrap_heading)
            for i, c in enumerate(columns)
        ]
        # two spaces between columns, none at the edges (see `print_sheet`)
        budget = width - 2 * (len(columns) - 1) - sum(sizes[i][0] for i in fixed)
        natural = [sizes[i][0] for i in wrapping]
        for floor in ([sizes[i][1] for i in wrapping], [MIN_WRAP] * len(wrapping)):
            floors = [min(n, f) for n, f in zip(natural, floor, strict=True)]
            shared = _share(natural, floors, budget)
            if shared is not None:
                widths = [size[0] for size in sizes]
                for i, w in zip(wrapping, shared, strict=True):
                    widths[i] = w
                return widths
    return None


def print_sheet(
    sheet: Sheet,
    *,
    title: str | None = None,
    styles: Mapping[str, Callable[[str], str]] | None = None,
    show: Mapping[str, Callable[[Any], str]] | None = None,
    head: str | None = None,
) -> None:
    """Draw `sheet` as a table that fits the width, or as one block per row if none can.

    `show` turns a column's value into its text (default: its written form;
    control characters are removed either way); `styles` gives a Rich style for
    a column's text. Columns empty in every row are left out, and a block
    (`_block`) leaves out its row's empty cells; it starts with the column
    `head` (default: the first), the one that names the row.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from accordwatch.reports.exports import Kind, cell_text

    show = show or {}
    styles = styles or {}
    width = output_width()
    console.width = width
    columns = list(sheet.columns)
    cells = [
        [
            plain(show[c.key](row.get(c.key)) if c.key in show else cell_text(row.get(c.key)))
            for c in columns
        ]
        for row in sheet.rows
    ]

    # a column empty in every row says nothing: leave it out
    kept = [i for i in range(len(columns)) if not cells or any(row[i] for row in cells)]
    columns = [columns[i] for i in kept]
    cells = [[row[i] for i in kept] for row in cells]

    def text_of(i: int, value: str) -> Text:
        key = columns[i].key
        return Text(value, style=styles[key](value) if key in styles else "")

    widths = column_widths(columns, cells, width)
    if widths is not None:
        table = Table(
            title=shown(title) if title else None,
            title_justify="left",
            # a rule under the headings, two spaces between columns and nothing else:
            # the width goes to the cells
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for column, w in zip(columns, widths, strict=True):
            table.add_column(
                column.heading,
                # an id, date or figure column is as wide as its widest cell, so only
                # its heading may wrap
                width=w,
                overflow="fold",
                justify="right" if column.kind == Kind.FIGURE else "left",
            )
        for row in cells:
            table.add_row(*(text_of(i, v) for i, v in enumerate(row)))
        console.print(table)
        return
    if title:
        console.print(f"[bold]{shown(title)}[/]", highlight=False)
    first = next((i for i, c in enumerate(columns) if c.key == head), 0)
    for n, row in enumerate(cells):
        if n:
            console.print()
        for line in _block(columns, row, width, text_of, first):
            console.print(line, overflow="fold", crop=False)


def _block(
    columns: Sequence[Column],
    row: list[str],
    width: int,
    text_of: Callable[[int, str], Text],
    first: int = 0,
) -> list[Text]:
    """One row as a block: its first cell on a line, then `name: value` items filling lines.

    An item never breaks between lines unless it alone is wider than the line
    (then the terminal folds it, whole); a value of several lines gets lines of its own.
    """
    from rich.text import Text

    lines = [Text.assemble(f"{columns[first].heading} ", text_of(first, row[first]), style="bold")]
    indent = "  "
    current = Text(indent)
    for i in range(len(columns)):
        value = row[i]
        if not value or i == first:
            continue
        label = f"{columns[i].heading}: "
        if "\n" in value:
            if current.plain.strip():
                lines.append(current)
            lines.append(Text(indent + label.rstrip()))
            lines += [Text.assemble(indent * 2, text_of(i, part)) for part in value.splitlines()]
            current = Text(indent)
            continue
        item = Text.assemble(label, text_of(i, value))
        gap = "  " if current.plain.strip() else ""
        if current.plain.strip() and cell_len(current.plain + gap + item.plain) > width:
            lines.append(current)
            current, gap = Text(indent), ""
        current.append(gap)
        current.append_text(item)
    if current.plain.strip():
        lines.append(current)
    return lines
