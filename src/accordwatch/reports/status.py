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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

FORMATS = ("html", "md")
_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Chart:
    title: str
    png: str  # file name, next to the report
    svg: str  # the SVG document text, for inlining in HTML


@dataclass(frozen=True)
class ReportData:
    as_of: str
    origin: str
    log_key: str
    checkpoint: str
    size: int
    roadmap: dict[str, Any]
    compliance: dict[str, Any]
    charts: list[Chart] = field(default_factory=list)
    #: the log's day the report reads the log as of ("" when not said)
    known_at: str = ""
    simulated_clock: bool = False
    #: escrowed declarations (`sources.escrow_status.EscrowView.summaries`)
    escrows: list[dict[str, Any]] = field(default_factory=list)

    def dates_line(self) -> str:
        """Both dates and the clock: `As of 2021-03-01 (world); log as known at ... (log time).`"""
        text = f"As of {self.as_of} (day in the world)"
        if self.known_at:
            text += f"; the log as known at {self.known_at} (log time)"
        if self.simulated_clock:
            text += "; simulated clock"
        return text + "."


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


def _entries(indices: list[int]) -> str:
    return ", ".join(f"#{i}" for i in indices) if indices else "none logged"


def _evidence(event: dict[str, Any]) -> list[int]:
    return sorted(
        {
            int(e["log_index"])
            for v in event.get("violations", [])
            for e in v.get("evidence", [])
            if e.get("log_index") is not None
        }
    )


def escrow_line(escrow: dict[str, Any]) -> str:
    """One escrow in a sentence: whose, for which step, how much of it is revealed."""
    return (
        f"Escrow {escrow['escrow_id']} of {escrow['party']} (declaration "
        f"{escrow['declaration_id']}, step {escrow['step'] or 'none'}, version "
        f"{escrow['version']}) at #{escrow['index']}, partitioned by {escrow['partition_by']}: "
        f"{escrow['revealed']} of {len(escrow['parts'])} parts revealed, {escrow['verified']} "
        f"verified; root {escrow['root'][:16]}..."
    )


ESCROW_COLUMNS = ["part", "items", "revealed", "check", "findings"]


def escrow_rows(escrow: dict[str, Any]) -> list[list[str]]:
    """Its parts, one row each: name, committed count, the reveal's entry and date, its check."""
    rows = []
    for p in escrow["parts"]:
        r = p["revealed"]
        when = f"#{r['index']} on {r['time'][:10]}" if r else "sealed"
        rows.append(
            [p["name"], str(p["count"]), when, r["status"] if r else "", str(p["findings"])]
        )
    return rows


def escrow_notes(escrow: dict[str, Any]) -> list[str]:
    """Its findings, late additions and draws, one line each."""
    out = [
        f"{f['date']} — {f['kind']}: {f['message']} (entries {_entries(f['indices'])})"
        for f in escrow["findings"]
    ]
    out += [f"late addition: {a['message']}" for a in escrow["late_additions"]]
    hidden = escrow.get("unreadable_reveals") or []
    if hidden:
        entries = ", ".join(f"#{r['index']} ({r['time'][:10]})" for r in hidden)
        out.append(f"confidential reveals, readable by the inspectorate: {entries}")
    for d in escrow["draws"]:
        part = f"drew part {d['part']}" if d["part"] else d["state"]
        seed = f", seed {d['seed'][:16]}..." if d["seed"] else ""
        cp = d["checkpoint"]
        at = f" with checkpoint {cp['size']}" if cp else ""
        out.append(f"draw of step {d['step']}: {part}{at}{seed}")
    return out


def markdown(data: ReportData) -> str:
    rm, co = data.roadmap, data.compliance
    out = [
        f"# Compliance and status report as of {md(data.as_of)}",
        "",
        md(data.dates_line()),
        "",
        f"Log {_code(data.origin)}, computed from its signed checkpoint at tree size "
        f"{data.size}. Entry numbers (#n) are log indices: `accordwatch log get n` shows the "
        "entry and `accordwatch log prove n` its inclusion proof.",
        "",
        "## Road map",
        "",
    ]
    head = rm.get("in_force")
    if head is None:
        out += [f"No accord is in force as of {md(data.as_of)}.", ""]
    else:
        out += [
            f"**{md(head['title'])}** is in force since {md(head['since'])} (signatures "
            f"complete at #{md(head['index'])}).",
            "",
            "| status | steps |",
            "|---|---|",
            *(f"| {md(k)} | {md(n)} |" for k, n in rm["counts"].items()),
            "",
            "| party | role | on time | late | overdue | outstanding | next deadlines |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in rm["parties"]:
            nxt = "; ".join(f"{md(d['step'])} ({md(d['deadline'])})" for d in p["next_deadlines"])
            out.append(
                f"| {md(p['name'])} | {md(p['role'])} | {md(p['on_time'])} | {md(p['late'])} "
                f"| {md(p['overdue'])} | {md(p['outstanding'])} | {nxt or 'none'} |"
            )
        out += ["", "### Findings", ""]
        out += [
            f"- {md(f['date'])} — {md(f['kind'])}: {md(f['message'])} "
            f"(entries {_entries(f['indices'])})"
            for f in rm["findings"]
        ] or ["None."]
        out += ["", "### Steps", "", "| step | party | status | deadline | entries |"]
        out += ["|---|---|---|---|---|"]
        for s in rm["steps"]:
            indices = s["report_indices"] + s["verification_indices"]
            out.append(
                f"| {md(s['id'])} | {md(s['party'])} | {md(s['status'])} "
                f"| {md(s['deadline'] or '')} | {_entries(indices)} |"
            )
        out.append("")
    if data.escrows:
        out += ["## Escrowed declarations", ""]
        for e in data.escrows:
            out += [md(escrow_line(e)), "", "| " + " | ".join(ESCROW_COLUMNS) + " |"]
            out += ["|" + "---|" * len(ESCROW_COLUMNS)]
            out += ["| " + " | ".join(md(c) for c in row) + " |" for row in escrow_rows(e)]
            out += ["", *(f"- {md(n)}" for n in escrow_notes(e)), ""]
    totals = co["totals"]
    out += [
        "## Compliance",
        "",
        f"{totals['violations']} violation(s) counted per {md(co['counted_per'])} "
        f"({totals['uncertain']} uncertain), {totals['answered']} answered, "
        f"{totals['unanswered']} unanswered; {totals['without_response_within_window']} without "
        f"a response within {co['window_days']} days.",
        "",
    ]
    if co["by_year"]["rows"]:
        out += [
            "| year | violations | uncertain | answered | unanswered |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {r['year']} | {r['violations']} | {r['uncertain']} | {r['answered']} "
            f"| {r['unanswered']} |"
            for r in co["by_year"]["rows"]
        ]
        out += [
            "",
            "### By instrument",
            "",
            "Resolutions, and the accords in force with obligations of their own; a "
            "non-binding instrument's matches are not violations.",
            "",
            "| instrument | title | binding | matches | uncertain |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {md(g['key'])} | {md(g['label'])} | {'yes' if g['binding'] else 'no'} "
            f"| {g['violations']} | {g['uncertain']} |"
            for g in co["by_instrument"]["rows"]
        ]
        out += ["", "### Violations", ""]
        out += [
            f"- {md(e['date'])} {md(e['occurrence'])}: {md(e['status'])} of "
            f"{', '.join(md(i) for i in e['instruments'])}; response: "
            f"{md(e['response_state'])} (evidence {_entries(_evidence(e))})"
            for e in co["events"]
        ]
        out.append("")
    for chart in data.charts:
        # the file name holds the accord's id: a link destination, percent-encoded
        out += [f"![{md(chart.title)}]({quote(chart.png)})", ""]
    out += [
        "## The checkpoint this report was computed from",
        "",
        *_fenced(data.checkpoint.rstrip("\n")),
        "",
        f"Log key: {_code(data.log_key)}",
        "",
    ]
    return "\n".join(out)


def html(data: ReportData) -> str:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"])
    )
    env.filters["entries"] = _entries
    env.filters["evidence"] = _evidence
    env.filters["escrow_line"] = escrow_line
    env.filters["escrow_rows"] = escrow_rows
    env.filters["escrow_notes"] = escrow_notes
    template = env.get_template("report.html")
    # inline charts: drop the XML prolog and DOCTYPE, which may not appear inside HTML
    charts = [{"title": c.title, "svg": c.svg[c.svg.find("<svg") :]} for c in data.charts]
    return template.render(data=data, charts=charts)
