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

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, WrapMode
from PIL import Image

from accordwatch.reports.status import (
    ESCROW_COLUMNS,
    ReportData,
    _entries,
    _evidence,
    escrow_line,
    escrow_notes,
    escrow_rows,
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


def _table(doc: _Document, rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    doc.set_font(_SANS, size=8.5)
    doc.set_text_color(*_TEXT)
    doc.set_draw_color(*_RULE)
    headings = FontFace(emphasis="BOLD", fill_color=_HEADING_FILL)
    with doc.table(
        col_widths=tuple(widths),
        text_align="LEFT",
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=headings,
        line_height=4.2,
        padding=(1.0, 1.5),
        wrapmode=WrapMode.WORD,
        width=doc.epw,
    ) as table:
        for row in rows:
            table.row([str(cell) for cell in row])
    doc.ln(2)


def _roadmap(doc: _Document, data: ReportData) -> None:
    rm = data.roadmap
    _heading(doc, "Road map", 2)
    head = rm.get("in_force")
    if head is None:
        _paragraph(doc, f"No accord is in force as of {data.as_of}.")
        return
    _paragraph(
        doc,
        f" is in force since {head['since']} (signatures complete at #{head['index']}).",
        bold=head["title"],
    )
    counts: dict[str, int] = rm["counts"]
    _table(doc, [list(counts), [str(n) for n in counts.values()]], [1] * len(counts))
    parties = [["party", "role", "on time", "late", "overdue", "outstanding", "next deadlines"]]
    for p in rm["parties"]:
        nxt = "; ".join(f"{d['step']} ({d['deadline']})" for d in p["next_deadlines"])
        parties.append(
            [
                p["name"],
                p["role"],
                str(p["on_time"]),
                str(p["late"]),
                str(p["overdue"]),
                str(p["outstanding"]),
                nxt or "none",
            ]
        )
    _table(doc, parties, [30, 19, 11, 9, 15, 24, 42])
    _heading(doc, "Findings", 3)
    findings: list[dict[str, Any]] = rm["findings"]
    _bullets(
        doc,
        [
            f"{f['date']} — {f['kind']}: {f['message']} (entries {_entries(f['indices'])})"
            for f in findings
        ]
        or ["None."],
    )
    _heading(doc, "Steps", 3)
    steps = [["step", "party", "status", "deadline", "entries"]]
    for s in rm["steps"]:
        indices = s["report_indices"] + s["verification_indices"]
        steps.append([s["id"], s["party"], s["status"], s["deadline"] or "", _entries(indices)])
    _table(doc, steps, [38, 10, 14, 14, 24])


def _escrows(doc: _Document, data: ReportData) -> None:
    if not data.escrows:
        return
    _heading(doc, "Escrowed declarations", 2)
    for e in data.escrows:
        _paragraph(doc, escrow_line(e))
        _table(doc, [ESCROW_COLUMNS, *escrow_rows(e)], [40, 12, 30, 22, 14])
        notes = escrow_notes(e)
        if notes:
            _bullets(doc, notes)


def _compliance(doc: _Document, data: ReportData) -> None:
    co = data.compliance
    totals = co["totals"]
    _heading(doc, "Compliance", 2)
    _paragraph(
        doc,
        f"{totals['violations']} violation(s) counted per {co['counted_per']} "
        f"({totals['uncertain']} uncertain), {totals['answered']} answered, "
        f"{totals['unanswered']} unanswered; {totals['without_response_within_window']} "
        f"without a response within {co['window_days']} days.",
    )
    rows: list[dict[str, Any]] = co["by_year"]["rows"]
    if not rows:
        return
    header = ["year", "violations", "uncertain", "answered", "unanswered"]
    _table(doc, [header, *([str(r[k]) for k in header] for r in rows)], [1] * len(header))
    _heading(doc, "Violations", 3)
    _bullets(
        doc,
        [
            f"{e['date']} {e['occurrence']}: {e['status']} of {', '.join(e['instruments'])}; "
            f"response: {e['response_state']} (evidence {_entries(_evidence(e))})"
            for e in co["events"]
        ],
    )


def _charts(doc: _Document, data: ReportData, folder: Path) -> None:
    for chart in data.charts:
        path = folder / chart.png
        with Image.open(path) as image:
            pixels_wide, pixels_high = image.size
        height = min(doc.epw * pixels_high / pixels_wide, doc.eph - 12)
        width = height * pixels_wide / pixels_high
        if doc.get_y() + height + 10 > doc.page_break_trigger:
            doc.add_page()
        _heading(doc, chart.title, 3)
        doc.image(str(path), x=doc.l_margin + (doc.epw - width) / 2, w=width, h=height)
        doc.ln(3)


def _checkpoint(doc: _Document, data: ReportData) -> None:
    lines = data.checkpoint.rstrip("\n").split("\n")
    if doc.get_y() + 40 + 4 * len(lines) > doc.page_break_trigger:
        doc.add_page()
    _heading(doc, "The checkpoint this report was computed from", 2)
    _paragraph(
        doc,
        "The signed note below is the log's checkpoint, line by line as signed; the report's "
        "figures were read from the entries it covers. Check the note with the log key.",
        size=9,
    )
    # the largest size (at most 8 pt) at which the longest line fits the page, so no line wraps
    doc.set_font(_MONO, size=8)
    longest = max(doc.get_string_width(line) for line in [*lines, data.log_key])
    size = max(5.0, min(8.0, 8.0 * (doc.epw - 4) / max(longest, 1.0)))
    doc.set_font(_MONO, size=size)
    doc.set_fill_color(*_CODE_FILL)
    doc.set_text_color(*_TEXT)
    doc.multi_cell(
        0,
        size * 0.5,
        "\n".join(lines),
        fill=True,
        padding=2,
        align="L",
        wrapmode=WrapMode.CHAR,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(3)
    doc.set_font(_SANS, "B", 9)
    doc.cell(0, 5, "Log key", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(_MONO, size=size)
    doc.multi_cell(
        0,
        size * 0.5,
        data.log_key,
        align="L",
        wrapmode=WrapMode.CHAR,
        new_x="LMARGIN",
        new_y="NEXT",
    )


def pdf(data: ReportData, folder: Path, created: datetime) -> bytes:
    """The report as PDF bytes; `folder` holds the chart PNGs named in `data.charts`.

    `created` is stamped into the document's metadata, so the same inputs give the same bytes.
    """
    doc = _Document(data)
    doc.set_creation_date(created)
    title = f"Compliance and status report as of {data.as_of}"
    doc.set_title(title)
    doc.set_subject(f"Log {data.origin}, checkpoint at tree size {data.size}")
    doc.set_creator("accordwatch")
    doc.add_page()
    _heading(doc, title, 1)
    _paragraph(doc, data.dates_line())
    _paragraph(
        doc,
        f"Log {data.origin}, computed from its signed checkpoint at tree size {data.size} "
        "(printed at the end). Entry numbers (#n) are log indices: “accordwatch log get n” "
        "shows the entry and “accordwatch log prove n” its inclusion proof.",
    )
    _roadmap(doc, data)
    _escrows(doc, data)
    _compliance(doc, data)
    _charts(doc, data, folder)
    _checkpoint(doc, data)
    return bytes(doc.output())
