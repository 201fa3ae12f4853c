"""The tables of each dashboard page, for its CSV links: columns and rows from the page's data.

A page's data is the dictionary its template renders and its JSON twin
returns; each table here reads its rows from that dictionary, so the CSV
holds what the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accordwatch.reports.exports import Column, Kind
from accordwatch.service.web.table_csv import Table

Row = dict[str, Any]


def _id(key: str) -> Column:
    return Column(key, kind=Kind.ID)


def _date(key: str) -> Column:
    return Column(key, kind=Kind.DATE)


def _figure(key: str) -> Column:
    return Column(key, kind=Kind.FIGURE)


FINDINGS: Table = (
    [Column("kind"), _date("date"), _id("step"), _id("party"), Column("message"), _id("indices")],
    lambda data: list(data["findings"]),
)


def _deadlines(data: Row) -> list[Row]:
    return [
        {
            **{k: p[k] for k in ("id", "name", "role", "overdue", "outstanding")},
            "next_deadlines": [f"{d['step']} ({d['deadline']})" for d in p["next_deadlines"]],
            "note": p["deadline_note"],
        }
        for p in data["parties"]
    ]


OVERVIEW: Mapping[str, Table] = {
    "deadlines": (
        [
            _id("id"),
            Column("name"),
            Column("role"),
            _figure("overdue"),
            _figure("outstanding"),
            Column("next_deadlines"),
            Column("note"),
        ],
        _deadlines,
    ),
    "latest-violations": (
        [
            _date("date"),
            _id("occurrence"),
            Column("instruments"),
            _figure("missiles"),
            Column("response_state"),
            _id("evidence"),
        ],
        lambda data: list(data["violations"]["latest"]),
    ),
    "findings": FINDINGS,
}


def _occasions(data: Row) -> list[Row]:
    """One row per time a consequence of the accord was triggered."""
    found = data.get("consequences") or {"consequences": []}
    return [
        {
            "id": o["id"],
            "party": c["party"],
            "triggered_on": o["triggered_on"],
            "why": o["why"],
            "respond": c["respond"]["kind"],
            "respond_by": o["respond_by"],
            "state": o["state"],
            "response_entry": o["response"]["log_index"] if o["response"] else None,
            "suspended": o["suspended"],
            "cleared_on": o["cleared_on"],
            "entries": o["entries"],
        }
        for c in found["consequences"]
        for o in c["occasions"]
    ]


ROADMAP: Mapping[str, Table] = {
    "consequences": (
        [
            _id("id"),
            _id("party"),
            _date("triggered_on"),
            Column("why"),
            Column("respond"),
            _date("respond_by"),
            Column("state"),
            _id("response_entry"),
            _id("suspended"),
            _date("cleared_on"),
            _id("entries"),
        ],
        _occasions,
    ),
    "steps": (
        [
            _id("id"),
            Column("title"),
            _id("party"),
            Column("phase"),
            Column("status"),
            _date("deadline"),
            _date("reported_on"),
            _date("verified_on"),
            _figure("days_late"),
            _id("report_indices"),
            _id("verification_indices"),
        ],
        lambda data: list(data["steps"]),
    ),
    "balance": (
        [_date("date"), _figure("verified_weight"), _figure("concession_weight")],
        lambda data: list(data["balance"]["points"]) if data.get("balance") else [],
    ),
    "findings": FINDINGS,
}


def _events(data: Row) -> list[Row]:
    return [{**e, "violations": [v["id"] for v in e["violations"]]} for e in data["events"]]


COMPLIANCE: Mapping[str, Table] = {
    "events": (
        [
            _date("date"),
            _id("occurrence"),
            Column("status"),
            _figure("missiles"),
            Column("types"),
            Column("instruments"),
            Column("response_state"),
            _id("evidence_entries"),
            _id("violations"),
        ],
        _events,
    ),
    "by-year": (
        [
            _figure("year"),
            _figure("violations"),
            _figure("uncertain"),
            _figure("answered"),
            _figure("late"),
            _figure("unanswered"),
            _figure("open"),
        ],
        lambda data: list(data["by_year"]["rows"]),
    ),
    "by-instrument": (
        [
            _id("key"),
            Column("label"),
            Column("binding"),
            _figure("violations"),
            _figure("uncertain"),
        ],
        lambda data: list(data["by_instrument"]["rows"]),
    ),
}


def _periods(data: Row) -> list[Row]:
    rows = []
    for b in data["balances"]["balances"]:
        for i, p in enumerate(b["periods"]):
            rows.append(
                {
                    "mba": b["mba"],
                    "material": b["material"],
                    "unit": b["unit"],
                    "balance": i + 1,
                    "start": p["start"],
                    "end": p["end"],
                    "muf": b["muf"][i],
                    "sigma_muf": b["sigma_muf"][i],
                    "muf_alarm_above": b["thresholds"]["muf"][i],
                    "cumuf": b["cumuf"][i],
                    "cumuf_alarm_above": b["thresholds"]["cumuf"][i],
                    "sitmuf": b["sitmuf"][i],
                    "page": b["page"][i],
                    "entries": p["entries"],
                }
            )
    return rows


SAFEGUARDS: Mapping[str, Table] = {
    "balances": (
        [
            _id("mba"),
            Column("material"),
            Column("unit"),
            _figure("balance"),
            _date("start"),
            _date("end"),
            _figure("muf"),
            _figure("sigma_muf"),
            _figure("muf_alarm_above"),
            _figure("cumuf"),
            _figure("cumuf_alarm_above"),
            _figure("sitmuf"),
            _figure("page"),
            _id("entries"),
        ],
        _periods,
    ),
    "inspections": (
        [
            _id("index"),
            _date("time"),
            _id("party"),
            Column("record_type"),
            Column("confidential"),
            Column("readable"),
        ],
        lambda data: list(data["inspections"]["records"]),
    ),
}

DECLARATIONS: Mapping[str, Table] = {
    "declarations": (
        [
            _id("index"),
            _date("time"),
            _id("party"),
            Column("confidential"),
            Column("opening_held"),
            Column("readable"),
            _id("id"),
            Column("program"),
            _date("as_of"),
            _figure("version"),
            _id("superseded_by"),
            Column("readers"),
        ],
        lambda data: list(data["declarations"]),
    ),
}
