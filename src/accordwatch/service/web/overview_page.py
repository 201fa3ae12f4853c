"""The overview page: one figure from each page that details it, and the log's health.

Each figure is computed by the very function behind the page it links to,
so the two can never disagree: the road map's step counts and findings by
`status_at` (`/roadmap`), the violations by the compliance report counted
per event (`/compliance`: certain events are violations; uncertain ones are
counted apart, never added), the safeguards alarms by `balances_at`
(`/safeguards`, as this visitor may read them). Every figure says what it
counts. The log's health is the latest checkpoint, the latest one its
witnesses cosigned and how old that is, the latest audit
(`accordwatch log audit`) and what it found, and how many confidential
entries the log holds sealed to their readers and how many in plaintext.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from accordwatch.errors import AccordwatchError
from accordwatch.log.access import Reader
from accordwatch.log.fork import ForkEvidence
from accordwatch.service.api.deps import Service
from accordwatch.service.api.log import log_info
from accordwatch.service.api.status import consequences_at, status_at
from accordwatch.service.api.verification import balances_at
from accordwatch.service.web.compliance_data import compliance_report, evidence_indices
from accordwatch.sources.confidential import held_counts
from accordwatch.sources.snapshot import Snapshot
from accordwatch.store.audit_record import read_audit_record
from accordwatch.timeutil import format_time

#: how many of the latest violating events the overview lists
LATEST = 5
#: the statistics whose alarms the safeguards page shows, with their labels there
ALARMS = {
    "muf": "MUF > k \u03c3",
    "cumuf": "CUMUF > k \u03c3",
    "sitmuf": "SITMUF > k",
    "page": "Page > h",
}


def _fork_json(evidence: ForkEvidence) -> dict[str, Any]:
    try:
        description = evidence.verify()
    except AccordwatchError as exc:
        description = f"not a proof of a fork: {exc.message}"
    return {
        "found_at": evidence.found_at,
        "found_by": evidence.found_by,
        "description": description,
        "evidence": evidence.to_json(),
    }


def age(since: datetime, now: datetime) -> str:
    """How long ago `since` was, in the largest whole unit (`3 days`, `5 hours`, `now`)."""
    seconds = int((now - since).total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= length:
            n = seconds // length
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


def log_health(svc: Service, log: Snapshot) -> dict[str, Any]:
    """The latest checkpoint, the latest witnessed one and its age, and the latest audit."""
    ledger = svc.ledger
    now = svc.clock()
    size = ledger.opened(log.checkpoint).size
    policy = svc.policies.get(ledger)
    witnessed = ledger.latest_witnessed(policy) if policy is not None else None
    out: dict[str, Any] = {
        "size": size,
        "policy": policy is not None,
        "witnessed_size": None,
        "witnessed_at": None,
        "witnessed_age": None,
        "not_yet_witnessed": None,
        "witnessed": None,
        "now": format_time(now),
        "audit": None,
        "audit_age": None,
    }
    if witnessed is not None:
        found = witnessed[1]
        out["witnessed"] = found.summary()
        out["witnessed_size"] = found.checkpoint.size
        out["not_yet_witnessed"] = max(size - found.checkpoint.size, 0)
        when = found.witnessed_time
        if when is not None:
            out["witnessed_at"] = format_time(when)
            out["witnessed_age"] = age(when, now)
    # the operator's view of confidential entries: how many are sealed, how many not yet
    out["confidential"] = held_counts(ledger)
    record = read_audit_record(svc.workspace.home)
    if record is not None:
        out["audit"] = record.to_json()
        out["audit_age"] = age(record.audited_at, now)
    return out


def health(svc: Service, log: Snapshot) -> dict[str, Any]:
    """The part of the overview that changes without the log: ages and the last audit."""
    return {"health": log_health(svc, log)}


def _deadline_note(party: dict[str, Any]) -> str:
    """What to say of a party with no deadline ahead (its `next_deadlines` is empty)."""
    outstanding, overdue = party["outstanding"], party["overdue"]
    if outstanding == 0:
        return "no step outstanding"
    if overdue == outstanding:
        return f"every deadline has passed: {overdue} step(s) overdue"
    unknown = outstanding - overdue
    return f"no deadline known yet for {unknown} step(s) (set by steps still to come)" + (
        f"; {overdue} overdue" if overdue else ""
    )


def _safeguards(svc: Service, log: Snapshot, reader: Reader | None) -> dict[str, Any]:
    data = balances_at(svc, log, reader)
    alarms = [
        {
            "mba": b["mba"],
            "material": b["material"],
            "statistic": name,
            "label": label,
            "balances": b["alarms"][name]["balances"],
            # the day each alarming balance period ends, as the page and its chart name it
            "ends": [b["periods"][n - 1]["end"] for n in b["alarms"][name]["balances"]],
        }
        for b in data["balances"]
        for name, label in ALARMS.items()
        if b["alarms"][name]["balances"]
    ]
    return {
        "counted_per": "statistic of a balance area",
        "areas_alarmed": len({(a["mba"], a["material"]) for a in alarms}),
        "reports": len(data["records"]),
        "withheld": data["withheld"],
        "balances_shown": len(data["balances"]),
        "unavailable": len(data["unavailable"]),
        "alarms": alarms,
        "findings": sum(len(b["findings"]) for b in data["balances"]),
        "link": "/safeguards",
    }


def overview(svc: Service, log: Snapshot, day: date, reader: Reader | None) -> dict[str, Any]:
    """The overview as of `day`, from the checkpoint of `log`, as `reader` may read it."""
    status = status_at(svc, log, day).to_json()
    report = compliance_report(svc, log, day)[0]
    certain = [e for e in report.events if e.certain]
    query = f"?as_of={day.isoformat()}"
    parties = []
    for p in status["parties"]:
        party = {k: p[k] for k in ("id", "name", "role", "overdue", "outstanding")}
        party["next_deadlines"] = p["next_deadlines"]
        party["deadline_note"] = None if p["next_deadlines"] else _deadline_note(p)
        parties.append(party)
    return {
        "as_of": day.isoformat(),
        "log": log_info(svc, log.checkpoint),
        "accord": status["in_force"],
        "accord_id": status["accord_id"],
        "roadmap": {
            "counted_per": "step",
            "steps": len(status["steps"]),
            "counts": status["counts"],
            "findings": len(status["findings"]),
            "link": "/roadmap" + query,
        },
        # kept under their former names for programs that read them
        "counts": status["counts"],
        "parties": parties,
        "findings": status["findings"],
        "consequences": consequences_at(svc, log, day).totals,
        # proofs that the log signed two histories: shown to every visitor
        "forks": [_fork_json(e) for e in svc.ledger.forks()],
        "violations": {
            "counted_per": report.unit,
            "violations": report.totals.violations,
            "uncertain": report.totals.uncertain,
            **report.states,
            "link": "/compliance" + query,
            "latest": [
                {
                    "date": e.on.isoformat(),
                    "occurrence": e.occurrence,
                    "instruments": e.instruments,
                    "missiles": e.missiles,
                    "response_state": e.state,
                    "evidence": evidence_indices(e),
                }
                for e in reversed(certain[-LATEST:])
            ],
        },
        "safeguards": _safeguards(svc, log, reader),
    }
