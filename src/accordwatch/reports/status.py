"""The printable compliance and status report, as Markdown or HTML.

A report is built from the road map status (`roadmap.Status.to_json`), the
compliance report (`compliance_report.Report.to_json`) and the signed
checkpoint of the log they were read from, which is printed in full with the
log's key so a reader can check the report against the log: every finding,
step and violation names the log entries it rests on. Pure: the caller reads
the log, draws the charts and writes the files.

Record text (an event's occurrence, an accord's title, a finding's message)
is written by parties, observers among them: in Markdown every piece of it is
escaped (`md`), so it reads as written and adds no tag, link, image or
heading; in HTML the template escapes it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from accordwatch.reports.report_data import ReportData
from accordwatch.reports.report_model import (
    Block,
    Bullets,
    Figure,
    Paragraph,
    Table,
    build,
)

FORMATS = ("html", "md")
_TEMPLATES = Path(__file__).resolve().parent / "templates"


# Line breaks and other control characters, which would let text start a
# block of its own (a heading, a list, a table row) or break a table's row.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Characters with an inline meaning in CommonMark or GitHub Markdown: escapes,
# code, emphasis, links and images, raw HTML and entities, table cells,
# strikethrough, math; `#` too, so that no text ever reads as a heading.
_INLINE = re.compile(r"([\\`*_\[\]<>&!|~$#])")


def md(value: object) -> str:
    """Record text as Markdown that shows it as written, on one line and inert."""
    return _INLINE.sub(r"\\\1", _CONTROL.sub(" ", str(value)))


def _code(value: object) -> str:
    """A code span holding `value` whatever backticks it contains."""
    text = _CONTROL.sub(" ", str(value))
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    return (
        f"{fence} {text} {fence}"
        if text.startswith("`") or text.endswith("`")
        else (f"{fence}{text}{fence}")
    )


def _fenced(text: str) -> list[str]:
    """A code block holding `text`, fenced by more backticks than any line of it holds."""
    fence = "`" * max(3, max(map(len, re.findall("`+", text)), default=0) + 1)
    return [fence, text, fence]


def _inline(text: str) -> str:
    """Model text as Markdown: `code` spans kept as code, the rest escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(
        _code(part[1:-1])
        if part.startswith("`") and part.endswith("`") and len(part) > 1
        else md(part)
        for part in parts
    )


def _markdown_block(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        bold = f"**{md(block.bold.strip())}**" + (" " if block.bold.endswith(" ") else "")
        return [(bold if block.bold else "") + _inline(block.text), ""]
    if isinstance(block, Table):
        out = [f"*{md(block.title)}*", ""] if block.title else []
        out += [
            "| " + " | ".join(md(c) for c in block.columns) + " |",
            "|" + "---|" * len(block.columns),
        ]
        out += ["| " + " | ".join(md(c) for c in row) + " |" for row in block.rows]
        return [*out, ""]
    if isinstance(block, Bullets):
        return [*(f"- {md(item)}" for item in block.items), ""]
    if isinstance(block, Figure):
        # the file name holds the accord's id: a link destination, percent-encoded
        return [f"![{md(block.chart.title)}]({quote(block.chart.png)})", ""]
    return [*_fenced(block.text), ""]


def markdown(data: ReportData) -> str:
    doc = build(data)
    out = [f"# {md(doc.title)}", ""]
    for block in doc.intro:
        out += _markdown_block(block)
    for section in doc.sections:
        out += [f"{'#' * section.level} {md(section.title)}", ""]
        for block in section.blocks:
            out += _markdown_block(block)
    return "\n".join(out)


def html(data: ReportData) -> str:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"])
    )
    env.filters["inline"] = _html_inline
    env.filters["words"] = _html_words
    template = env.get_template("report.html")
    return template.render(
        doc=build(data),
        data=data,
        kind=lambda block: type(block).__name__.lower(),
        # inline charts: drop the XML prolog and DOCTYPE, which may not appear inside HTML
        svg=lambda chart: chart.svg[chart.svg.find("<svg") :],
    )


def _html_words(text: object) -> Markup:
    """Text whose words never break inside (an id or a date split at a hyphen misleads)."""
    return Markup(" ").join(
        Markup('<span class="w">{}</span>').format(word) for word in str(text).split(" ")
    )


def _html_inline(text: str) -> Markup:
    """Model text as HTML: `code` spans as <code>, the rest escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part[1:-1])
        if part.startswith("`") and part.endswith("`") and len(part) > 1
        else escape(part)
        for part in parts
    )
