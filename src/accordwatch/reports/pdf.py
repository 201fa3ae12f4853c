"""The printable compliance and status report as a PDF document.

Renders the same report model as `status_report` (road map status, compliance
report, the signed checkpoint and the log key) with the charts embedded as PNG
images, so the PDF can be checked against the log the same way as the HTML:
every finding, step and violation names the log entries it rests on, and the
checkpoint note is printed character for character as signed.

The text is set in DejaVu Sans and DejaVu Sans Mono from the font files that
matplotlib (already needed for the charts) carries in its own package data:
the checkpoint's signature lines begin with an em dash, which the PDF core
fonts cannot show, and a substitute would no longer be the signed text. Pure
apart from reading the chart PNGs and those fonts: the caller passes the
creation time and writes the bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, WrapMode
from PIL import Image

from accordwatch.reports.report_data import Chart, ReportData
from accordwatch.reports.report_model import (
    Block,
    Bullets,
    Figure,
    Paragraph,
    Section,
    Table,
    build,
)

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_SANS, _MONO = "DejaVuSans", "DejaVuSansMono"
_TEXT = (29, 35, 41)
_MUTED = (90, 98, 106)
_RULE = (214, 219, 224)
_HEADING_FILL = (238, 241, 244)
_CODE_FILL = (244, 246, 248)


class _Document(FPDF):
    """A4 pages with a footer that names the report, the log and the page."""

    def __init__(self, data: ReportData) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.data = data
        self.add_font(_SANS, "", str(_FONTS / "DejaVuSans.ttf"))
        self.add_font(_SANS, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font(_MONO, "", str(_FONTS / "DejaVuSansMono.ttf"))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_SANS, size=7.5)
        self.set_text_color(*_MUTED)
        left = (
            f"Report as of {self.data.as_of} · log {self.data.origin} · "
            f"checkpoint at tree size {self.data.size}"
        )
        self.cell(self.epw * 0.8, 5, left, align="L")
        self.cell(self.epw * 0.2, 5, f"page {self.page_no()} of {{nb}}", align="R")


def _heading(doc: _Document, text: str, level: int) -> None:
    size = {1: 17.0, 2: 13.5, 3: 11.0}[level]
    if level > 1:
        doc.ln(3)
    # keep a heading with at least a few lines of what follows it
    if doc.get_y() + size * 2.2 > doc.page_break_trigger:
        doc.add_page()
    doc.set_font(_SANS, "B", size)
    doc.set_text_color(*_TEXT)
    doc.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    doc.ln(1.5)


def _paragraph(doc: _Document, text: str, *, size: float = 9.5, bold: str = "") -> None:
    """A paragraph of `text`, after `bold` set in bold."""
    doc.set_font(_SANS, size=size)
    doc.set_text_color(*_TEXT)
    if bold:
        doc.set_font(_SANS, "B", size)
        doc.write(size * 0.5, bold)
        doc.set_font(_SANS, size=size)
    doc.write(size * 0.5, text)
    doc.ln(size * 0.5)
    doc.ln(1.5)


def _bullets(doc: _Document, items: Sequence[str]) -> None:
    doc.set_font(_SANS, size=9)
    doc.set_text_color(*_TEXT)
    for item in items:
        doc.set_x(doc.l_margin + 2)
        doc.cell(4, 4.5, "•")
        doc.multi_cell(0, 4.5, item, align="L", new_x="LMARGIN", new_y="NEXT")
        doc.ln(0.8)
    doc.ln(1)


def _column_widths(
    doc: _Document, rows: Sequence[Sequence[str]], widths: Sequence[float], size: float = 8.5
) -> list[float]:
    """Widths in mm from the relative `widths`, each wide enough for its longest word.

    Ids, dates and figures have no spaces: a column narrower than its longest
    word would break one across lines. Columns with room to spare give it up to
    those that need it; only when the words cannot all fit does one break.
    """
    doc.set_font(_SANS, "B", size)  # the widest face a cell is set in (the headings)
    needed = [
        max(doc.get_string_width(word) for row in rows for word in str(row[j]).split() or [""])
        + 2 * _PADDING
        + 0.5
        for j in range(len(widths))
    ]
    total = sum(widths)
    share = [doc.epw * w / total for w in widths]
    final = [max(s, n) for s, n in zip(share, needed, strict=True)]
    excess = sum(final) - doc.epw
    spare = sum(f - n for f, n in zip(final, needed, strict=True))
    if excess > 0 and spare > 0:
        cut = min(1.0, excess / spare)
        final = [f - (f - n) * cut for f, n in zip(final, needed, strict=True)]
    return final


_PADDING = 1.5


def _table(doc: _Document, rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    # A table whose longest words do not fit side by side is set smaller, down to 6.5 pt,
    # before any of them breaks.
    size = 8.5
    columns = _column_widths(doc, rows, widths, size)
    while sum(columns) > doc.epw + 0.01 and size > 6.5:
        size -= 0.5
        columns = _column_widths(doc, rows, widths, size)
    doc.set_font(_SANS, size=size)
    doc.set_text_color(*_TEXT)
    doc.set_draw_color(*_RULE)
    headings = FontFace(emphasis="BOLD", fill_color=_HEADING_FILL)
    with doc.table(
        col_widths=tuple(columns),
        text_align="LEFT",
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=headings,
        line_height=size * 0.5,
        padding=(1.0, _PADDING),
        wrapmode=WrapMode.WORD,
        width=min(doc.epw, sum(columns)),
    ) as table:
        for row in rows:
            table.row([str(cell) for cell in row])
    doc.ln(2)


def _figure(doc: _Document, chart: Chart, folder: Path, *, own_page: bool) -> None:
    """A chart; on a page of its own, turned to its shape, when it is the section's subject."""
    path = folder / chart.png
    with Image.open(path) as image:
        pixels_wide, pixels_high = image.size
    if own_page:
        doc.add_page(orientation="landscape" if pixels_wide > pixels_high else "portrait")
        _heading(doc, chart.title, 2)
    room = doc.page_break_trigger - doc.get_y() - 4
    height = min(doc.epw * pixels_high / pixels_wide, room if own_page else doc.eph - 12)
    width = height * pixels_wide / pixels_high
    if not own_page and doc.get_y() + height + 4 > doc.page_break_trigger:
        doc.add_page()
    doc.image(str(path), x=doc.l_margin + (doc.epw - width) / 2, w=width, h=height)
    doc.ln(3)


def _code(doc: _Document, text: str, extra: Sequence[str] = ()) -> None:
    """Text as signed, at the largest size (at most 8 pt) at which no line wraps."""
    lines = text.split("\n")
    doc.set_font(_MONO, size=8)
    longest = max(doc.get_string_width(line) for line in [*lines, *extra])
    size = max(5.0, min(8.0, 8.0 * (doc.epw - 4) / max(longest, 1.0)))
    doc.set_font(_MONO, size=size)
    doc.set_fill_color(*_CODE_FILL)
    doc.set_text_color(*_TEXT)
    doc.multi_cell(
        0,
        size * 0.5,
        text,
        fill=True,
        padding=2,
        align="L",
        wrapmode=WrapMode.CHAR,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(3)


def _block(doc: _Document, block: Block, folder: Path, section: Section) -> None:
    if isinstance(block, Paragraph):
        # code spans read as quoted in print
        _paragraph(doc, re.sub(r"`([^`]*)`", "“\\1”", block.text), bold=block.bold)
    elif isinstance(block, Table):
        if block.title:
            _paragraph(doc, block.title, size=8.5)
        widths = block.widths or (1.0,) * len(block.columns)
        _table(doc, [block.columns, *block.rows], widths)
    elif isinstance(block, Bullets):
        _bullets(doc, block.items)
    elif isinstance(block, Figure):
        own = section.new_page and len(section.blocks) == 1
        _figure(doc, block.chart, folder, own_page=own)
    else:
        _code(doc, block.text)


def pdf(data: ReportData, folder: Path, created: datetime) -> bytes:
    """The report as PDF bytes; `folder` holds the chart PNGs named in `data.charts`.

    `created` is stamped into the document's metadata, so the same inputs give the same bytes.
    """
    document = build(data)
    doc = _Document(data)
    doc.set_creation_date(created)
    doc.set_title(document.title)
    doc.set_subject(f"Log {data.origin}, checkpoint at tree size {data.size}")
    doc.set_creator("accordwatch")
    doc.add_page()
    _heading(doc, document.title, 1)
    for block in document.intro:
        _block(doc, block, folder, Section(""))
    portrait_after = False
    for section in document.sections:
        figure_page = section.new_page and any(isinstance(b, Figure) for b in section.blocks)
        if figure_page:
            for block in section.blocks:
                _block(doc, block, folder, section)
            portrait_after = True
            continue
        if section.new_page or portrait_after:
            doc.add_page(orientation="portrait")
            portrait_after = False
        _heading(doc, section.title, section.level)
        for block in section.blocks:
            _block(doc, block, folder, section)
        if section.anchor == "summary":
            # the summary stands on its own page
            doc.add_page(orientation="portrait")
    return bytes(doc.output())
