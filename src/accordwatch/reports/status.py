"""The printable compliance and status report, as Markdown or HTML.

A report is built from the road map status (`roadmap.Status.to_json`), the
compliance report (`compliance_report.Report.to_json`) and the signed
checkpoint of the log they were read from, which is printed in full with the
log's key so a reader can check the report against the log: every finding,
step and violation names the log entries it rests on. Pure: the caller reads
the log, draws the charts and writes the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def markdown(data: ReportData) -> str:
    rm, co = data.roadmap, data.compliance
    out = [
        f"# Compliance and status report as of {data.as_of}",
        "",
        f"Log `{data.origin}`, computed from its signed checkpoint at tree size {data.size}. "
        "Entry numbers (#n) are log indices: `accordwatch log get n` shows the entry and "
        "`accordwatch log prove n` its inclusion proof.",
        "",
        "## Road map",
        "",
    ]
    head = rm.get("in_force")
    if head is None:
        out += [f"No accord is in force as of {data.as_of}.", ""]
    else:
        out += [
            f"**{head['title']}** is in force since {head['since']} (signatures complete at "
            f"#{head['index']}).",
            "",
            "| status | steps |",
            "|---|---|",
            *(f"| {k} | {n} |" for k, n in rm["counts"].items()),
            "",
            "| party | role | on time | late | overdue | outstanding | next deadlines |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in rm["parties"]:
            nxt = "; ".join(f"{d['step']} ({d['deadline']})" for d in p["next_deadlines"])
            out.append(
                f"| {p['name']} | {p['role']} | {p['on_time']} | {p['late']} | {p['overdue']} "
                f"| {p['outstanding']} | {nxt or 'none'} |"
            )
        out += ["", "### Findings", ""]
        out += [
            f"- {f['date']} — {f['kind']}: {f['message']} (entries {_entries(f['indices'])})"
            for f in rm["findings"]
        ] or ["None."]
        out += ["", "### Steps", "", "| step | party | status | deadline | entries |"]
        out += ["|---|---|---|---|---|"]
        for s in rm["steps"]:
            indices = s["report_indices"] + s["verification_indices"]
            out.append(
                f"| {s['id']} | {s['party']} | {s['status']} | {s['deadline'] or ''} "
                f"| {_entries(indices)} |"
            )
        out.append("")
    totals = co["totals"]
    out += [
        "## Compliance",
        "",
        f"{totals['violations']} violation(s) counted per {co['counted_per']} "
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
            f"| {g['key']} | {g['label']} | {'yes' if g['binding'] else 'no'} "
            f"| {g['violations']} | {g['uncertain']} |"
            for g in co["by_instrument"]["rows"]
        ]
        out += ["", "### Violations", ""]
        out += [
            f"- {e['date']} {e['occurrence']}: {e['status']} of "
            f"{', '.join(e['instruments'])}; response: {e['response_state']} "
            f"(evidence {_entries(_evidence(e))})"
            for e in co["events"]
        ]
        out.append("")
    for chart in data.charts:
        out += [f"![{chart.title}]({chart.png})", ""]
    out += [
        "## The checkpoint this report was computed from",
        "",
        "```",
        data.checkpoint.rstrip("\n"),
        "```",
        "",
        f"Log key: `{data.log_key}`",
        "",
    ]
    return "\n".join(out)


def html(data: ReportData) -> str:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"])
    )
    env.filters["entries"] = _entries
    env.filters["evidence"] = _evidence
    template = env.get_template("report.html")
    # inline charts: drop the XML prolog and DOCTYPE, which may not appear inside HTML
    charts = [{"title": c.title, "svg": c.svg[c.svg.find("<svg") :]} for c in data.charts]
    return template.render(data=data, charts=charts)
