"""The report as one document model, which the Markdown, HTML and PDF writers all render.

`build(data)` turns what the report read from the log (`status.ReportData`)
into sections of blocks: paragraphs, tables, bullet lists, figures and the
signed checkpoint as code. Every writer walks the same sections in the same
order, so the three formats hold the same text; a writer decides only how a
block looks (a figure gets a page of its own in the PDF, and is inlined as SVG
in HTML). The first section is a summary that fits one page: the accord in
force, what is overdue on each side, the violations and whether they were
answered, the safeguards alarms and the checkpoint.

Record text (an event's occurrence, a finding's message) is written by parties:
the model keeps it as plain text and each writer escapes it for its format.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accordwatch.reports.report_data import Chart, ReportData


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: str = ""
    """Set in bold before `text` (a title, a name)."""


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    #: relative column widths for the PDF (equal when empty)
    widths: tuple[float, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Figure:
    chart: Chart


@dataclass(frozen=True)
class Code:
    text: str


Block = Paragraph | Table | Bullets | Figure | Code


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2
    #: start on a new page in print (the timeline, the checkpoint)
    new_page: bool = False
    anchor: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    intro: list[Block]
    sections: list[Section]


def entries(indices: Sequence[int]) -> str:
    """Log indices as `#3, #7`, each once, in order."""
    unique = sorted(set(indices))
    return ", ".join(f"#{i}" for i in unique) if unique else "none logged"


def evidence(event: dict[str, Any]) -> list[int]:
    """The log entries a violation rests on, each once."""
    return sorted(
        {
            int(e["log_index"])
            for v in event.get("violations", [])
            for e in v.get("evidence", [])
            if e.get("log_index") is not None
        }
    )


def instruments(ids: Sequence[str]) -> str:
    """Resolution and accord ids, the long list of a launch shortened to its ends and count.

    A ballistic launch breaches every resolution since 1718 (2006): naming ten
    of them on every line says nothing the count and the ends do not.
    """
    names = [i.removeprefix("unsc-") for i in ids]
    resolutions = [n for n in names if n.isdigit()]
    others = [n for n in names if not n.isdigit()]
    parts = []
    if len(resolutions) > 3:
        parts.append(f"{len(resolutions)} resolutions ({resolutions[0]} to {resolutions[-1]})")
    elif resolutions:
        word = "resolution" if len(resolutions) == 1 else "resolutions"
        parts.append(f"{word} {', '.join(resolutions)}")
    parts += others
    return ", ".join(parts)


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def build(data: ReportData) -> Document:
    """The report's sections, summary first, from what it read."""
    title = f"Compliance and status report as of {data.as_of}"
    intro: list[Block] = [
        Paragraph(data.dates_line()),
        Paragraph(
            f"Log {data.origin}, computed from its signed checkpoint at tree size {data.size} "
            "(printed at the end). Entry numbers (#n) are log indices: "
            "`accordwatch log get n` shows the entry and `accordwatch log prove n` its "
            "inclusion proof."
        ),
    ]
    if data.reading_as:
        intro.append(
            Paragraph(
                f"Read as {data.reading_as}: confidential records are included where "
                f"{data.reading_as} may read them."
            )
        )
    else:
        intro.append(
            Paragraph(
                "Read without a party: confidential records count as filed, and their figures "
                "are left out (`accordwatch report --as PARTY` reads as a party)."
            )
        )
    sections = [_summary(data), *_roadmap(data), *_compliance(data)]
    sections += [
        Section(c.title, [Figure(c)], level=3)
        for c in data.charts
        if c.kind not in ("roadmap", "compliance")
    ]
    sections += [_declarations(data), *_escrows(data), _safeguards(data)]
    sections += [_checkpoint(data)]
    return Document(title, intro, sections)


def _summary(data: ReportData) -> Section:
    rm, co = data.roadmap, data.compliance
    items: list[str] = []
    head = rm.get("in_force")
    if head is None:
        items.append(f"Accord in force: none as of {data.as_of}.")
    else:
        items.append(f"Accord in force: {head['title']}, since {head['since']} (#{head['index']}).")
        overdue: dict[str, list[str]] = {}
        for step in rm["steps"]:
            if step["status"] == "overdue":
                overdue.setdefault(step["party"], []).append(step["id"])
        for party in rm["parties"]:
            late = overdue.get(party["id"], [])
            if late:
                items.append(
                    f"Overdue, {party['name']}: {_n(len(late), 'step')} ({', '.join(late)})."
                )
            else:
                items.append(f"Overdue, {party['name']}: nothing.")
    totals = co["totals"]
    items.append(
        f"Violations of binding obligations: {_n(totals['violations'], co['counted_per'])} "
        f"({totals['uncertain']} uncertain, counted apart); {totals['answered']} answered, "
        f"{totals['unanswered']} unanswered, {totals['without_response_within_window']} "
        f"without a response within {co['window_days']} days."
    )
    held = (rm.get("consequences") or {}).get("totals")
    if held and held["consequences"]:
        items.append(
            f"Consequences of the accord: {held['triggered']} triggered, {held['standing']} "
            f"standing, {held['without_response_within_window']} without a response within "
            f"their window; {held['concessions_while_suspended']} concession(s) given while "
            "suspended."
        )
    items += _alarm_lines(data)
    items.append(f"Checkpoint: tree size {data.size}; {data.witnessed or 'witnesses not checked'}.")
    return Section("Summary", [Bullets(items)], anchor="summary")


def _alarm_lines(data: ReportData) -> list[str]:
    sg = data.safeguards
    if sg is None:
        return []
    lines = []
    for balance in sg["balances"]:
        alarms = balance["alarms"]
        first = {name: info["first"] for name, info in alarms.items() if info["first"]}
        where = f"MBA {balance['mba']} ({balance['material']})"
        if first:
            tests = ", ".join(f"{name} from balance {b}" for name, b in first.items())
            lines.append(f"Safeguards alarm, {where}: {tests}.")
        else:
            lines.append(f"Safeguards, {where}: no alarm.")
    if not sg["balances"]:
        lines.append("Safeguards: no material balance this reader may read.")
    if sg["withheld"]:
        lines.append(
            f"Safeguards: {_n(sg['withheld'], 'accountancy report')} confidential to this reader."
        )
    return lines


def _roadmap(data: ReportData) -> list[Section]:
    rm = data.roadmap
    head = rm.get("in_force")
    if head is None:
        return [Section("Road map", [Paragraph(f"No accord is in force as of {data.as_of}.")])]
    blocks: list[Block] = [
        Paragraph(
            f" is in force since {head['since']} (signatures complete at #{head['index']}).",
            bold=head["title"],
        ),
        Table(
            tuple(rm["counts"]),
            [tuple(str(n) for n in rm["counts"].values())],
            title="Steps by status",
        ),
    ]
    parties = [
        (
            p["name"],
            p["role"],
            str(p["on_time"]),
            str(p["late"]),
            str(p["overdue"]),
            str(p["outstanding"]),
            "; ".join(f"{d['step']} ({d['deadline']})" for d in p["next_deadlines"])
            or "no deadline ahead",
        )
        for p in rm["parties"]
    ]
    blocks.append(
        Table(
            ("party", "role", "on time", "late", "overdue", "outstanding", "next deadlines"),
            parties,
            (30, 19, 11, 9, 15, 24, 42),
        )
    )
    findings = Section(
        "Findings",
        [
            Bullets(
                [
                    f"{f['date']} — {f['kind']}: {f['message']} (entries {entries(f['indices'])})"
                    for f in rm["findings"]
                ]
                or ["None."]
            )
        ],
        level=3,
    )
    steps = Section(
        "Steps",
        [
            Table(
                ("step", "party", "status", "deadline", "entries"),
                [
                    (
                        s["id"],
                        s["party"],
                        s["status"],
                        s["deadline"] or "",
                        entries(s["report_indices"] + s["verification_indices"]),
                    )
                    for s in rm["steps"]
                ],
                (38, 10, 14, 14, 24),
            )
        ],
        level=3,
    )
    out = [Section("Road map", blocks, anchor="roadmap"), findings]
    out += _consequences(rm.get("consequences"))
    out.append(steps)
    timeline = [c for c in data.charts if c.kind == "roadmap"]
    if timeline:
        out.append(Section(timeline[0].title, [Figure(timeline[0])], new_page=True))
    return out


CONSEQUENCE_HEADER = (
    "consequence",
    "party",
    "triggered by",
    "response",
    "holds back",
    "cleared",
    "entries",
)


def consequence_rows(found: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per occasion (or per consequence not triggered), as plain text."""
    rows: list[tuple[str, ...]] = []
    for c in found["consequences"]:
        if not c["occasions"]:
            rows.append((c["id"], c["party"], "not triggered", "", "", "", ""))
        for o in c["occasions"]:
            response = o["response"]
            answer = o["state"]
            if response is not None:
                answer += f" ({response['kind']} on {response['on']}, #{response['log_index']})"
            cleared = f"{o['cleared_on']} (#{o['cleared_by']})" if o["cleared_on"] else "standing"
            rows.append(
                (
                    o["id"],
                    c["party"],
                    o["why"],
                    f"{c['respond']['kind']} by {o['respond_by']}: {answer}",
                    ", ".join(o["suspended"]),
                    cleared,
                    entries(o["entries"]),
                )
            )
    return rows


def _consequences(found: dict[str, Any] | None) -> list[Section]:
    """The accord's consequences: each occasion, its response, what it holds back, its entries."""
    if not found or not found["consequences"]:
        return []
    totals = found["totals"]
    summary = (
        f"{totals['triggered']} triggered, {totals['standing']} standing; "
        f"{totals['without_response_within_window']} without a response within their window; "
        f"{totals['concessions_while_suspended']} concession(s) given while suspended."
    )
    table = Table(CONSEQUENCE_HEADER, consequence_rows(found), (26, 9, 30, 30, 22, 16, 11))
    return [Section("Consequences", [Paragraph(summary), table], level=3)]


def _compliance(data: ReportData) -> list[Section]:
    co = data.compliance
    totals = co["totals"]
    blocks: list[Block] = [
        Paragraph(
            f"{_n(totals['violations'], 'violation')} counted per {co['counted_per']} "
            f"({totals['uncertain']} uncertain), {totals['answered']} answered, "
            f"{totals['unanswered']} unanswered; {totals['without_response_within_window']} "
            f"without a response within {co['window_days']} days."
        )
    ]
    held = (data.roadmap.get("consequences") or {}).get("totals")
    if held and held["consequences"]:
        blocks.append(
            Paragraph(
                f"Consequences of the accord: {held['triggered']} triggered, "
                f"{held['without_response_within_window']} without a response within their "
                "window."
            )
        )
    out = [Section("Compliance", blocks, anchor="compliance")]
    if not co["by_year"]["rows"]:
        return out
    header = ("year", "violations", "uncertain", "answered", "unanswered")
    blocks.append(
        Table(
            header,
            [tuple(str(r[k]) for k in header) for r in co["by_year"]["rows"]],
            title=f"By year, in {co['counted_per']}s",
        )
    )
    blocks.append(
        Table(
            ("instrument", "title", "binding", "matches", "uncertain"),
            [
                (
                    g["key"],
                    g["label"],
                    "yes" if g["binding"] else "no",
                    str(g["violations"]),
                    str(g["uncertain"]),
                )
                for g in co["by_instrument"]["rows"]
            ],
            (18, 50, 10, 10, 12),
            title="By instrument (a non-binding instrument's matches are not violations)",
        )
    )
    out.append(
        Section(
            "Violations",
            [
                Bullets(
                    [
                        f"{e['date']} {e['occurrence']}: {e['status']} of "
                        f"{instruments(e['instruments'])}; response: {e['response_state']} "
                        f"(evidence {entries(evidence(e))})"
                        for e in co["events"]
                    ]
                )
            ],
            level=3,
        )
    )
    chart = [c for c in data.charts if c.kind == "compliance"]
    if chart:
        out.append(Section(chart[0].title, [Figure(chart[0])], level=3))
    return out


def _declarations(data: ReportData) -> Section:
    rows = [
        (
            f"#{d['index']}",
            d["time"],
            d["party"],
            d["access"],
            d["id"] or "-",
            d["program"] or "-",
            d["as_of"] or "-",
            d["problems"],
        )
        for d in data.declarations
    ]
    if not rows:
        return Section("Declarations", [Paragraph("No declaration in the log.")])
    return Section(
        "Declarations",
        [
            Paragraph(
                "Each declaration entry of the log; what a confidential one says only where "
                "this reader may read it, with the problems its own check finds."
            ),
            Table(
                ("entry", "logged", "party", "access", "id", "program", "as of", "check"),
                rows,
                (8, 18, 8, 16, 24, 11, 13, 14),
            ),
        ],
        anchor="declarations",
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


ESCROW_COLUMNS = ("part", "items", "revealed", "check", "findings")


def escrow_rows(escrow: dict[str, Any]) -> list[tuple[str, ...]]:
    """Its parts, one row each: name, committed count, the reveal's entry and date, its check."""
    rows: list[tuple[str, ...]] = []
    for p in escrow["parts"]:
        r = p["revealed"]
        when = f"#{r['index']} on {r['time'][:10]}" if r else "sealed"
        rows.append(
            (p["name"], str(p["count"]), when, r["status"] if r else "", str(p["findings"]))
        )
    return rows


def escrow_notes(escrow: dict[str, Any]) -> list[str]:
    """Its findings, late additions and draws, one line each."""
    out = [
        f"{f['date']} — {f['kind']}: {f['message']} (entries {entries(f['indices'])})"
        for f in escrow["findings"]
    ]
    out += [f"late addition: {a['message']}" for a in escrow["late_additions"]]
    hidden = escrow.get("unreadable_reveals") or []
    if hidden:
        listed = ", ".join(f"#{r['index']} ({r['time'][:10]})" for r in hidden)
        out.append(f"confidential reveals, readable by the inspectorate: {listed}")
    for d in escrow["draws"]:
        part = f"drew part {d['part']}" if d["part"] else d["state"]
        seed = f", seed {d['seed'][:16]}..." if d["seed"] else ""
        cp = d["checkpoint"]
        at = f" with checkpoint {cp['size']}" if cp else ""
        out.append(f"draw of step {d['step']}: {part}{at}{seed}")
    return out


def _escrows(data: ReportData) -> list[Section]:
    """Each escrowed declaration: its parts as committed and revealed, its findings and draws."""
    if not data.escrows:
        return []
    blocks: list[Block] = []
    for escrow in data.escrows:
        blocks.append(Paragraph(escrow_line(escrow)))
        blocks.append(Table(ESCROW_COLUMNS, escrow_rows(escrow), (30, 10, 30, 15, 15)))
        notes = escrow_notes(escrow)
        if notes:
            blocks.append(Bullets(notes))
    return [Section("Escrowed declarations", blocks, anchor="escrows")]


def _safeguards(data: ReportData) -> Section:
    sg = data.safeguards
    if sg is None:
        return Section("Safeguards", [Paragraph("No accountancy report in the log.")])
    blocks: list[Block] = []
    rows = []
    for balance in sg["balances"]:
        alarms = balance["alarms"]
        rows.append(
            (
                balance["mba"],
                balance["material"],
                str(len(balance["muf"])),
                *(
                    str(alarms[name]["first"]) if alarms[name]["first"] else "none"
                    for name in ("muf", "cumuf", "sitmuf", "page")
                ),
            )
        )
    if rows:
        blocks.append(
            Table(
                ("MBA", "material", "balances", "MUF", "CUMUF", "SITMUF", "Page"),
                rows,
                title="First alarm of each test, by balance number",
            )
        )
    for item in sg["unavailable"]:
        blocks.append(Paragraph(f"MBA {item['mba']} ({item['material']}): {item['detail']}"))
    if sg["withheld"]:
        blocks.append(
            Paragraph(
                f"{_n(sg['withheld'], 'accountancy report')} confidential to this reader "
                "left out; the submitting party and the inspectorate read them."
            )
        )
    if not blocks:
        blocks.append(Paragraph("No material balance this reader may read."))
    return Section("Safeguards", blocks, anchor="safeguards")


def _checkpoint(data: ReportData) -> Section:
    return Section(
        "The checkpoint this report was computed from",
        [
            Paragraph(
                "The signed note below is the log's checkpoint, line by line as signed, with "
                "the witnesses' cosignatures; the report's figures were read from the entries "
                "it covers. Check the note with the log key."
            ),
            Code(data.checkpoint.rstrip("\n")),
            Paragraph("", bold="Log key"),
            Code(data.log_key),
        ],
        new_page=True,
        anchor="checkpoint",
    )
