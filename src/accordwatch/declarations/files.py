"""Reading a declaration file of any format: a spreadsheet, or a YAML or JSON document.

The formats' readers (`declarations.xlsx`, `declarations.reading`) share the
parsing and its problems; this module only chooses between them, so neither
has to know the other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from accordwatch.declarations.reading import Declaration, Locate, read_document_file


def read_declaration_file(
    path: Path, *, progress: Callable[[int, int], None] | None = None
) -> tuple[Declaration, Locate]:
    """Read a YAML, JSON or XLSX declaration file; problems name the file and their place.

    Returns the declaration and the function that names a field path's place
    in the file (sheet, row and column for a spreadsheet). `progress` is told
    of the rows read from a spreadsheet.
    """
    if path.suffix.lower() == ".xlsx":
        # openpyxl is slow to import and only spreadsheets need it.
        from accordwatch.declarations.xlsx import read_workbook

        return read_workbook(path, progress=progress)
    return read_document_file(path)
