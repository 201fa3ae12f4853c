"""Scripted histories: a file of signatures, reports and verifications, as signed entries.

A scenario (such as the shipped `dprk-history.yaml`) lists who signs an
accord when, then step reports (`report: STEP`) and verification results
(`verify: STEP`, `result: verified|not-verified`) by date. `scenario_submissions`
turns it into envelopes signed by the parties' keys, each timed at noon UTC on
its date, in date order. The log takes an envelope only within its allowed
skew of its own clock, so a scenario is replayed on a clock set to each
event's time (`scenario_time`) as it is appended: the log then tells the
history as it would have been recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from accordwatch.documents import read_yaml
from accordwatch.errors import InputError
from accordwatch.log.envelope import Submission, seal
from accordwatch.log.keys import SigningKey
from accordwatch.roadmap.accord import Accord
from accordwatch.timeutil import parse_date


@dataclass(frozen=True)
class Event:
    on: date
    party: str
    record_type: str
    payload: dict[str, Any]


def scenario_time(day: date) -> datetime:
    """When an event of `day` is signed: noon UTC (the log's clock must read the same)."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def parse_scenario(text: str, accord: Accord, *, source: str = "scenario") -> list[Event]:
    """Events of a scenario file, checked against the accord, in date order."""
    doc = read_yaml(text, source=source, dates="date").data
    if not isinstance(doc, dict) or doc.get("accord") != accord.id:
        raise InputError(f"scenario is not for accord {accord.id!r}", where=source)
    steps = {s.id for s in accord.steps}
    parties = {p.id for p in accord.parties}
    events: list[Event] = []
    signature = {
        "accord_id": accord.id,
        "digest": accord.digest(),
        "accord": accord.model_dump(mode="json"),
    }
    for n, item in enumerate(doc.get("signatures") or []):
        where = f"{source}: signatures[{n}]"
        if item.get("party") not in parties:
            raise InputError(f"unknown party {item.get('party')!r}", where=where)
        events.append(
            Event(
                parse_date(item.get("date"), where=where),
                item["party"],
                "accord.signature",
                signature,
            )
        )
    for n, item in enumerate(doc.get("events") or []):
        where = f"{source}: events[{n}]"
        if not isinstance(item, dict):
            raise InputError("an event is a mapping", where=where)
        day = parse_date(item.get("date"), where=where)
        party = item.get("as")
        if party not in parties:
            raise InputError(f"unknown party {party!r}", where=where)
        step = item.get("report") or item.get("verify")
        if step not in steps:
            raise InputError(f"unknown step {step!r}", where=where)
        if "report" in item:
            payload = {
                "accord_id": accord.id,
                "step": step,
                "on": day.isoformat(),
                "note": str(item.get("note", "")),
            }
            events.append(Event(day, party, "step.report", payload))
        else:
            result = item.get("result")
            if result not in ("verified", "not-verified"):
                raise InputError("result must be verified or not-verified", where=where)
            payload = {
                "accord_id": accord.id,
                "step": step,
                "on": day.isoformat(),
                "result": result,
                "finding": str(item.get("finding", "")),
            }
            events.append(Event(day, party, "step.verification", payload))
    return sorted(events, key=lambda e: e.on)  # stable: same-day events keep file order


def scenario_submissions(
    events: list[Event], keys: dict[str, SigningKey], origin: str
) -> list[Submission]:
    """Sign every event with its party's key, timed at noon UTC on its date."""
    return [
        seal(
            log=origin,
            record_type=e.record_type,
            party=e.party,
            key=keys[e.party],
            time=scenario_time(e.on),
            payload=e.payload,
        )
        for e in events
    ]
