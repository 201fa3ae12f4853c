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
from accordwatch.errors import AccordwatchError, NotFoundError, VerificationError
from accordwatch.log.access import Reader, open_record
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.encoding import decode_base64, encode_base64
from accordwatch.log.records import Payload
from accordwatch.safeguards.accountancy import Logged, Report
from accordwatch.safeguards.inspection import InspectionPlanBody, InspectionReportBody
from accordwatch.safeguards.inspection import LoggedInspection as LoggedInspection
from accordwatch.safeguards.sampling import (
    draw,
    nonce_digest,
    seed_from_checkpoint,
    seed_from_nonce,
)
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


@dataclass(frozen=True)
class DrawBasis:
    """The checkpoint a draw is seeded with."""

    #: the checkpoint note as the log signed it (cosignatures, which may be added
    #: later, only decide which checkpoint it is; they are not hashed)
    note: str
    size: int
    #: how it was witnessed, or None when no witness policy is in force for the log
    witnessed: str | None

    def describe(self) -> str:
        if self.witnessed is None:
            return (
                f"checkpoint of size {self.size}, signed by the log "
                "(no witness policy in force: the first signed checkpoint after the plan)"
            )
        return f"witnessed checkpoint of size {self.size}, {self.witnessed}"


@dataclass(frozen=True)
class Draw:
    """A plan's draw: the checkpoint, the seed and the items chosen."""

    basis: DrawBasis
    seed: bytes
    chosen: dict[str, list[str]]
    #: the nonce (None for a plan logged without one) and the report that revealed it
    nonce: bytes | None = None
    revealed_by: int | None = None


def _signed(ledger: Ledger, size: int, index: int) -> str:
    note = ledger.checkpoint_at(size)
    checkpoint = Checkpoint.open(note, ledger.signer.verifier)
    if checkpoint.size <= index:
        raise VerificationError(
            f"checkpoint of size {checkpoint.size} does not cover entry {index}"
        )
    return note


def draw_basis(ledger: Ledger, index: int, size: int | None = None) -> DrawBasis:
    """The checkpoint of the draw of the plan at `index` (or the one of `size`, checked).

    Under the log's witness policy: the first witnessed checkpoint after the
    plan; a log with no policy in force: the first checkpoint it signed after it.
    """
    from accordwatch.sources.witnessing import log_policy

    policy = log_policy(ledger)
    if size is None:
        if policy is None:
            note = ledger.checkpoint_covering(index)
            size = Checkpoint.open(note, ledger.signer.verifier).size
        else:
            found = ledger.witnessed_covering(index, policy)
            if found is None:
                raise NotFoundError(
                    f"no witnessed checkpoint covers plan entry {index} yet: the draw waits "
                    "for the witnesses to cosign one (`accordwatch log cosign`)"
                )
            size = found[1].checkpoint.size
    note = _signed(ledger, size, index)
    if policy is None:
        return DrawBasis(note, size, None)
    witnessed = ledger.witnessed(ledger.cosigned_note(size), policy)
    return DrawBasis(note, size, witnessed.summary())


def revealed(plan_entry: int, reports: Iterable[LoggedInspection]) -> LoggedInspection | None:
    """The first report of the plan that reveals its nonce."""
    return next(
        (r for r in reports if r.report.plan_entry == plan_entry and r.report.draw is not None),
        None,
    )


def check_nonce(logged: LoggedPlan, nonce: bytes, *, where: str) -> None:
    """A nonce must be the one the plan committed to."""
    committed = logged.plan.nonce_sha256
    if committed is None or encode_base64(nonce_digest(nonce)) != committed:
        raise VerificationError(
            f"the nonce is not the one plan entry {logged.index} committed to", where=where
        )


def selection(
    ledger: Ledger,
    logged: LoggedPlan,
    reports: Iterable[LoggedInspection] = (),
    nonce: bytes | None = None,
) -> Draw:
    """A plan's draw: from the nonce its report revealed, else from `nonce` (its holder's).

    A plan that commits to a nonce cannot be drawn by anyone without it: until
    the report reveals it, only the inspectorate that holds it can.
    """
    plan = logged.plan
    index = logged.index
    if plan.nonce_sha256 is None:
        basis = draw_basis(ledger, index)
        seed = seed_from_checkpoint(basis.note)
        return Draw(basis, seed, _chosen(plan, seed))
    report = revealed(index, reports)
    if report is not None:
        assert report.report.draw is not None
        where = f"inspection report at log entry {report.index}"
        nonce = decode_base64(report.report.draw.nonce, "draw nonce", where=where)
        check_nonce(logged, nonce, where=where)
        basis = draw_basis(ledger, index, report.report.draw.checkpoint)
        seed = seed_from_nonce(nonce, basis.note)
        return Draw(basis, seed, _chosen(plan, seed), nonce, report.index)
    if nonce is None:
        raise NotFoundError(
            f"the draw of plan entry {index} cannot be computed yet: it needs the plan's "
            "secret nonce, which only the inspectorate holds until its inspection report "
            "reveals it"
        )
    check_nonce(logged, nonce, where="the inspectorate's nonce")
    basis = draw_basis(ledger, index)
    seed = seed_from_nonce(nonce, basis.note)
    return Draw(basis, seed, _chosen(plan, seed), nonce)


def _chosen(plan: InspectionPlanBody, seed: bytes) -> dict[str, list[str]]:
    return {s.name: draw(seed, s.name, s.item_ids, s.sample_size) for s in plan.strata}


def selection_json(logged: LoggedPlan, drawn: Draw) -> dict[str, Any]:
    """A plan's draw as `inspection draw --format json` prints it."""
    return {
        "plan_entry": logged.index,
        "mba": logged.plan.mba,
        "plan_id": logged.plan.plan_id,
        "nonce_sha256": logged.plan.nonce_sha256,
        "revealed_by": drawn.revealed_by,
        "checkpoint": drawn.basis.note,
        "checkpoint_size": drawn.basis.size,
        "witnessed": drawn.basis.witnessed,
        "seed": encode_base64(drawn.seed),
        "selected": drawn.chosen,
    }
