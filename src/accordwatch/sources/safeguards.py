"""Accountancy reports and inspection records, read back from the log for the pure modules.

Confidential entries (the default for these record types) are read from their
openings, which the database keeps beside the public log. `accountancy_records`
and `inspection_records` give the operator's view (every opening, for the
commands run on the workspace itself); `verification_records` gives one
reader's view, for whatever serves readers: every entry's public facts, and
the content only of the entries `declaration_access` lets that reader open,
each checked against the commitment signed in the log. Whatever is computed
from that view rests on nothing the reader may not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accordwatch.catalog import CATALOG, record_type
from accordwatch.errors import AccordwatchError, NotFoundError
from accordwatch.log.access import Reader, open_record
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.encoding import encode_base64
from accordwatch.log.records import Payload
from accordwatch.safeguards.accountancy import Logged, Report
from accordwatch.safeguards.inspection import InspectionPlanBody, InspectionReportBody
from accordwatch.safeguards.sampling import draw, seed_from_checkpoint
from accordwatch.sources.payloads import LoggedPayload
from accordwatch.sources.snapshot import Snapshot
from accordwatch.store.ledger import Ledger
from accordwatch.timeutil import format_time

ACCOUNTANCY_TYPES = (
    "accountancy.inventory-change",
    "accountancy.physical-inventory",
    "accountancy.material-balance",
)
INSPECTION_TYPES = ("inspection.plan", "inspection.report")


@dataclass(frozen=True)
class LoggedPlan:
    index: int
    time: datetime
    party: str
    plan: InspectionPlanBody


@dataclass(frozen=True)
class LoggedInspection:
    index: int
    time: datetime
    party: str
    report: InspectionReportBody


@dataclass(frozen=True)
class Filed:
    """What anyone may know of an entry: that it exists, when, by whom, of which type."""

    index: int
    time: datetime
    party: str
    record_type: str
    confidential: bool
    #: why the reader may not read its content ("" when it may)
    unreadable: str = ""

    @property
    def readable(self) -> bool:
        return not self.unreadable

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "time": format_time(self.time),
            "party": self.party,
            "record_type": self.record_type,
            "confidential": self.confidential,
            "readable": self.readable,
            "unreadable": self.unreadable or None,
        }


@dataclass
class Records:
    """The accountancy and inspection entries as one reader sees them."""

    filed: list[Filed] = field(default_factory=list)
    accountancy: list[Logged] = field(default_factory=list)
    plans: dict[int, LoggedPlan] = field(default_factory=dict)
    inspections: list[LoggedInspection] = field(default_factory=list)

    def add(self, entry: LoggedPayload) -> None:
        payload = entry.payload
        if isinstance(payload, InspectionPlanBody):
            self.plans[entry.index] = LoggedPlan(entry.index, entry.logged_at, entry.party, payload)
        elif isinstance(payload, InspectionReportBody):
            self.inspections.append(
                LoggedInspection(entry.index, entry.logged_at, entry.party, payload)
            )
        else:
            assert isinstance(payload, Report)
            self.accountancy.append(Logged(entry.index, entry.logged_at, entry.party, payload))

    def withheld(self, types: Iterable[str]) -> int:
        """How many entries of `types` the reader may not read."""
        wanted = set(types)
        return sum(1 for f in self.filed if f.record_type in wanted and not f.readable)


def _collect(entries: Iterable[LoggedPayload]) -> Records:
    out = Records()
    for entry in entries:
        out.add(entry)
    return out


def accountancy_records(log: Snapshot) -> list[Logged]:
    """Every accountancy report in the log, in log order (corrections included)."""
    return _collect(log.payloads(ACCOUNTANCY_TYPES)).accountancy


def inspection_records(log: Snapshot) -> tuple[dict[int, LoggedPlan], list[LoggedInspection]]:
    """Inspection plans by log index, and inspection reports in log order."""
    found = _collect(log.payloads(INSPECTION_TYPES))
    return found.plans, found.inspections


def verification_records(log: Snapshot, reader: Reader | None) -> Records:
    """Every accountancy and inspection entry, opened where `reader` may read it.

    An entry the reader may not open (or whose stored content does not match
    its commitment) is listed among `filed` with the reason, and nothing of
    its content goes further.
    """
    out = Records()
    for index, envelope, opening, logged_at in log.rows(ACCOUNTANCY_TYPES + INSPECTION_TYPES):
        where = f"log entry {index}"
        unreadable = ""
        payload: Payload | None = None
        try:
            data = open_record(CATALOG, envelope, opening, reader, where=where)
            payload = record_type(envelope.record_type, where=where).parse_payload(
                data, where=where
            )
        except AccordwatchError as exc:
            unreadable = exc.message
        out.filed.append(
            Filed(
                index,
                logged_at,
                envelope.party,
                envelope.record_type,
                envelope.confidential,
                unreadable,
            )
        )
        if payload is not None:
            out.add(LoggedPayload(index, envelope.time, logged_at, envelope.party, payload))
    return out


def selection(ledger: Ledger, logged: LoggedPlan) -> tuple[str, dict[str, list[str]]]:
    """The checkpoint that first covered the plan (signature checked) and the items drawn."""
    note = ledger.checkpoint_covering(logged.index)
    checkpoint = Checkpoint.open(note, ledger.signer.verifier)
    if checkpoint.size <= logged.index:
        raise NotFoundError(f"no checkpoint covers plan entry {logged.index} yet")
    seed = seed_from_checkpoint(note)
    chosen = {s.name: draw(seed, s.name, s.item_ids, s.sample_size) for s in logged.plan.strata}
    return note, chosen


def selection_json(logged: LoggedPlan, note: str, chosen: dict[str, list[str]]) -> dict[str, Any]:
    """A plan's draw as `inspection draw --format json` prints it."""
    return {
        "plan_entry": logged.index,
        "mba": logged.plan.mba,
        "plan_id": logged.plan.plan_id,
        "checkpoint": note,
        "seed": encode_base64(seed_from_checkpoint(note)),
        "selected": chosen,
    }
