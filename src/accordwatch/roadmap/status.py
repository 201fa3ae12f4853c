"""Road map status as of a date: a pure evaluation of the log's road map records.

`evaluate(records, as_of)` takes the signatures, step reports and verification
results of the log (in log order) and says, for the accord version in force,
where every step stands, who kept which deadline, what went wrong, and whether
concessions ran ahead of verified progress. No clock, no database, no I/O: the
same records and date always give the same `Status`. `timeline` (in
`roadmap_timeline`) computes the daily counts and balance for a chart in one sweep.

The rules
---------

As of a date. A record counts as of the UTC day of its log time (the log's
clock when it was appended, never the signer's claim), and a report or
verification result not before the date it is about (`on`, the party's claim
about the world): a report dated after the as-of date does not count yet, nor
does one logged later. Records logged after the as-of day never change the
status as of that day. A report or result is dated by the later of the two
(`counts_from`): a step reported after its deadline is late whatever day its
report claims, and the claim is shown beside the day the log knew it.

In force. A version of an accord (its `digest()`) is in force from the UTC day
on which the last of the parties it lists signed that same version. The version
evaluated is the one whose set of signatures was completed last (an amendment
is a newer version signed by all; ties go to the later log entry; signing an
older version again does not revive it, since each party's earliest signature
of a version counts). Before any version is in force the status lists only the
signatures gathered per version (who signed, who is missing) and findings about
them. Signatures by a party a version does not list are ignored and reported
as findings. Reports and results carry over an amendment by step id, and are
counted even when made before entry into force. Without `accord_id`, the one
accord signed as of the date is evaluated.

What counts for a step. Only reports by the step's acting party and only
verification results by its `verification.by` party count; other records of the
accord are ignored and listed as findings, as are records naming no step of the
version in force. A step is reported from its earliest report date. A
verification result counts when dated on or after that report date; one dated
earlier (or with no report yet) is listed as an ignored record, until a report
dated on or before it arrives. Repeated reports are kept (their indices are
listed); the earliest sets the report date. The latest
counting result, by date and then log index, decides; so a step verified and
later found not verified is disputed, and verified again when a later result
says so.

Status of a step, as of the date, in this order:

- `verified` / `disputed`: reported, and the latest counting result says
  verified / not verified;
- `reported`: reported, no counting result yet;
- `overdue`: not reported and the deadline has passed (as of > deadline);
- `open`: not reported, the deadline has not passed (or is not set yet: a
  relative deadline whose anchor has not happened), and every step it
  `requires` is verified: it may be taken now (there is no look-ahead horizon:
  `next_deadlines` per party says what comes first);
- `waiting for prerequisites`: not reported, the deadline has not passed, and
  a step it `requires` is not verified yet.

Deadlines: a date; `end of phase` is the phase's end date; `Nd after X
reported` is X's (earliest) report date plus N days; `Nd after X verified` is
the date X was first verified plus N days (a later dispute does not stop that
clock). Unknown until the anchor happens (`deadline` is None). `days_late` is
as of - deadline for an overdue step, report date - deadline (at least 0) for a
reported one, 0 otherwise.

Per party: its steps reported on time, late, outstanding (not reported; of
which overdue), verified and disputed; the steps awaiting its verification;
and the nearest deadlines (up to 3) of its outstanding steps, today or later.

Findings, each with the log indices it rests on:

- `premature concession` / `premature step`: a concession / any other step
  was reported on a day when not every step it `requires` was verified (the
  latest result by that day said so); the missing verifications are named;
- `unverified too long`: a reported step got no verification result either
  way within `verification.within_days` (else the accord's
  `verification_window_days`) days of its report; charged to the verifier;
- `missed deadline`: a step of either side not reported by its deadline,
  whether still outstanding or reported late ("reported N days late");
- `ignored record`: a record that does not count (wrong party, unknown step,
  a result before the report, a signature by a non-party).

Balance (`roadmap_balance`): day by day, the weight of the inspected party's
steps verified as of that day against the weight of concessions granted
(concession steps reported by their acting party, from the report date), as
points where either changes, and the periods where concessions ran ahead.
The history is the one the log tells as of the as-of date (records dated by
`on`), so its last point is the balance as of that date. Weights and the steps
counted are those of the version in force.

`Status.to_json()` is the `accordwatch status --format json` document
(`"format": "accordwatch.roadmap-status/1"`): dates as ISO strings, statuses
and kinds as their names, lists in accord order (findings by date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.balance import (
    AheadPeriod,
    BalancePoint,
    Change,
    Scale,
    ahead_periods,
    points,
    verified_changes,
)
from accordwatch.roadmap.findings import (
    Finding,
    FindingKind,
    before_report,
    ignored,
    missed,
    ordered,
    premature,
    stranger,
    unverified,
)
from accordwatch.roadmap.history import (
    STATES,
    OwnState,
    Plan,
    Report,
    RoadmapRecord,
    Signature,
    StepLedger,
    StepState,
    VerificationResult,
    Version,
    accord_ids,
    classify,
    deadline,
    gather_versions,
    in_force,
    ledgers_of,
    plans,
    schedule,
    sort_records,
)
from accordwatch.roadmap.timeline import Timeline, TimelinePoint, timeline

__all__ = [
    "STATES",
    "AheadPeriod",
    "BalancePoint",
    "Finding",
    "FindingKind",
    "InForce",
    "NextDeadline",
    "PartyStatus",
    "Report",
    "RoadmapRecord",
    "Signature",
    "SignedBy",
    "Status",
    "StepState",
    "StepStatus",
    "Timeline",
    "TimelinePoint",
    "VerificationResult",
    "VersionSignatures",
    "evaluate",
    "timeline",
]

FORMAT = "accordwatch.roadmap-status/1"
NEXT_DEADLINES = 3


@dataclass(frozen=True, slots=True)
class SignedBy:
    party: str
    on: date
    index: int


@dataclass(frozen=True, slots=True)
class VersionSignatures:
    """One accord version and its signatures as of the date."""

    digest: str
    title: str
    state: str  # "in force", "superseded" (complete, later replaced) or "pending"
    complete_on: date | None
    signed: tuple[SignedBy, ...]  # each party's first signature, in the version's party order
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InForce:
    digest: str
    title: str
    since: date
    index: int  # the signature that completed the set
    #: the day the accord first entered into force (any version): relative dates count from it
    entered: date


@dataclass(frozen=True, slots=True)
class StepStatus:
    id: str
    title: str
    party: str
    verifier: str
    kind: str
    phase: str
    status: StepState
    deadline: date | None
    reported_on: date | None
    verified_on: date | None  # first verified (anchors relative deadlines)
    result_on: date | None  # the latest counting verification result, which decides
    days_late: int
    waiting_for: tuple[str, ...]  # required steps not verified as of the date
    report_indices: tuple[int, ...]
    verification_indices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NextDeadline:
    step: str
    deadline: date


@dataclass(frozen=True, slots=True)
class PartyStatus:
    id: str
    name: str
    role: str
    steps: int
    on_time: int
    late: int
    outstanding: int
    overdue: int
    verified: int
    disputed: int
    awaiting_verification: int  # reported steps of any party waiting for this party's word
    next_deadlines: tuple[NextDeadline, ...]


@dataclass(frozen=True, slots=True)
class Status:
    """The road map as of the end of `as_of` (UTC)."""

    as_of: date
    accord_id: str | None
    in_force: InForce | None
    signatures: tuple[VersionSignatures, ...]
    steps: tuple[StepStatus, ...]
    parties: tuple[PartyStatus, ...]
    findings: tuple[Finding, ...]
    balance: tuple[BalancePoint, ...]
    ahead: tuple[AheadPeriod, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Number of steps per status, every status present, in `STATES` order."""
        counts = {str(s): 0 for s in STATES}
        for step in self.steps:
            counts[str(step.status)] += 1
        return counts

    def step(self, step_id: str) -> StepStatus:
        return next(s for s in self.steps if s.id == step_id)

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-able dict (dates as ISO strings): `accordwatch status --format json`."""
        return _status_json(self)


# --- evaluation ---------------------------------------------------------------------------


def evaluate(records: Sequence[RoadmapRecord], as_of: date, accord_id: str | None = None) -> Status:
    """The road map status as of the end of `as_of` (UTC) from records in log order.

    Without `accord_id`, the one accord signed in the records as of the date is
    evaluated; with several, `accord_id` is required (ValueError).
    """
    if accord_id is None:
        ids = accord_ids(records, as_of)
        if len(ids) > 1:
            raise ValueError(f"records hold several accords ({', '.join(ids)}): name one")
        accord_id = ids[0] if ids else None
    if accord_id is None:
        return Status(as_of, None, None, (), (), (), (), (), ())
    versions = gather_versions(records, accord_id, as_of)
    current = in_force(versions, as_of)
    findings = [stranger(s) for v in versions for s in v.strangers]
    signatures = tuple(_signatures(v, current) for v in versions)
    if current is None:
        return Status(as_of, accord_id, None, signatures, (), (), ordered(findings), (), ())
    done = current.completion
    assert done is not None
    # deadlines counted from entry into force count from the first version's, not an amendment's
    entered = schedule(versions)[0][0]
    head = InForce(current.digest, current.accord.title, done.counts_from, done.index, entered)
    evaluation = _Evaluation(records, current.accord, as_of, entered)
    findings += evaluation.findings()
    balance = evaluation.balance()
    return Status(
        as_of=as_of,
        accord_id=accord_id,
        in_force=head,
        signatures=signatures,
        steps=evaluation.steps,
        parties=evaluation.parties(),
        findings=ordered(findings),
        balance=balance,
        ahead=ahead_periods(balance),
    )


class _Evaluation:
    """The version in force against its records, as of one date."""

    def __init__(
        self, records: Sequence[RoadmapRecord], accord: Accord, as_of: date, entered: date
    ) -> None:
        self.accord = accord
        self.as_of = as_of
        self.plans = plans(accord, entered)
        self.steps_by_id = {s.id: s for s in accord.steps}
        by_step, self.ignored = sort_records(records, accord, as_of)
        self.ledgers: dict[str, StepLedger] = ledgers_of(by_step)
        self.own: dict[str, OwnState] = {k: v.state() for k, v in self.ledgers.items()}
        self.steps = tuple(self._step(plan) for plan in self.plans)

    def _deadline(self, plan: Plan) -> date | None:
        return deadline(plan, None if plan.anchor is None else self.own.get(plan.anchor))

    def _step(self, plan: Plan) -> StepStatus:
        own = self.own[plan.id]
        due = self._deadline(plan)
        waiting = tuple(
            r for r in plan.requires if r not in self.own or self.own[r].latest is not True
        )
        status = classify(own, due, not waiting, self.as_of)
        late = 0
        if due is not None:
            if status == StepState.OVERDUE:
                late = (self.as_of - due).days
            elif own.reported_on is not None:
                late = max(0, (own.reported_on - due).days)
        step = self.steps_by_id[plan.id]
        ledger = self.ledgers[plan.id]
        return StepStatus(
            id=plan.id,
            title=step.title,
            party=plan.party,
            verifier=plan.verifier,
            kind=str(step.kind),
            phase=step.phase,
            status=status,
            deadline=due,
            reported_on=own.reported_on,
            verified_on=own.verified_on,
            result_on=own.result_on,
            days_late=late,
            waiting_for=waiting,
            report_indices=tuple(sorted(r.index for r in ledger.reports)),
            verification_indices=tuple(sorted(r.index for r in ledger.results)),
        )

    # --- per party

    def parties(self) -> tuple[PartyStatus, ...]:
        out = []
        for party in self.accord.parties:
            mine = [s for s in self.steps if s.party == party.id]
            reported = [s for s in mine if s.reported_on is not None]
            outstanding = [s for s in mine if s.reported_on is None]
            upcoming = sorted(
                (s.deadline, i, s.id)
                for i, s in enumerate(outstanding)
                if s.deadline is not None and s.deadline >= self.as_of
            )
            out.append(
                PartyStatus(
                    id=party.id,
                    name=party.name,
                    role=str(party.role),
                    steps=len(mine),
                    on_time=sum(1 for s in reported if s.days_late == 0),
                    late=sum(1 for s in reported if s.days_late > 0),
                    outstanding=len(outstanding),
                    overdue=sum(1 for s in outstanding if s.status == StepState.OVERDUE),
                    verified=sum(1 for s in mine if s.status == StepState.VERIFIED),
                    disputed=sum(1 for s in mine if s.status == StepState.DISPUTED),
                    awaiting_verification=sum(
                        1
                        for s in self.steps
                        if s.verifier == party.id and s.status == StepState.REPORTED
                    ),
                    next_deadlines=tuple(
                        NextDeadline(step, day) for day, _, step in upcoming[:NEXT_DEADLINES]
                    ),
                )
            )
        return tuple(out)

    # --- findings

    def findings(self) -> list[Finding]:
        out: list[Finding | None] = [ignored(i) for i in self.ignored]
        for plan, step in zip(self.plans, self.steps, strict=True):
            ledger = self.ledgers[plan.id]
            out.extend(before_report(r, ledger) for r in ledger.pending)
            if ledger.first_report is not None and plan.requires:
                out.append(premature(plan, ledger.first_report, self.ledgers))
            out.append(missed(plan, step.deadline, step.days_late, step.waiting_for, self.ledgers))
            out.append(unverified(plan, ledger, self.as_of))
        return [f for f in out if f is not None]

    # --- balance

    def balance(self) -> tuple[BalancePoint, ...]:
        changes: list[Change] = []
        scale = Scale.of(p.weight for p in self.plans)
        for plan in self.plans:
            ledger = self.ledgers[plan.id]
            weight = scale.units(plan.weight)
            if plan.inspected:
                days, values = ledger.history()
                changes.extend(verified_changes(days, values, weight))
            if plan.concession and ledger.first_report is not None:
                changes.append((ledger.first_report.counts_from, 0, weight))
        return points(changes, self.as_of, scale)


def _signatures(version: Version, current: Version | None) -> VersionSignatures:
    done = version.completion
    # the version in force is the one completed last: any other complete one came before it
    state = "in force" if version is current else "pending" if done is None else "superseded"
    signed = tuple(
        SignedBy(p.id, version.signed[p.id].counts_from, version.signed[p.id].index)
        for p in version.accord.parties
        if p.id in version.signed
    )
    return VersionSignatures(
        digest=version.digest,
        title=version.accord.title,
        state=state,
        complete_on=None if done is None else done.counts_from,
        signed=signed,
        missing=version.missing,
    )


# --- JSON ---------------------------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _status_json(status: Status) -> dict[str, Any]:
    head = status.in_force
    return {
        "format": FORMAT,
        "as_of": status.as_of.isoformat(),
        "accord_id": status.accord_id,
        "in_force": None
        if head is None
        else {
            "digest": head.digest,
            "title": head.title,
            "since": _iso(head.since),
            "index": head.index,
            "entered": _iso(head.entered),
        },
        "signatures": [
            {
                "digest": v.digest,
                "title": v.title,
                "state": v.state,
                "complete_on": _iso(v.complete_on),
                "signed": [
                    {"party": s.party, "on": _iso(s.on), "index": s.index} for s in v.signed
                ],
                "missing": list(v.missing),
            }
            for v in status.signatures
        ],
        "counts": status.counts,
        "steps": [
            {
                "id": s.id,
                "title": s.title,
                "party": s.party,
                "verifier": s.verifier,
                "kind": s.kind,
                "phase": s.phase,
                "status": str(s.status),
                "deadline": _iso(s.deadline),
                "reported_on": _iso(s.reported_on),
                "verified_on": _iso(s.verified_on),
                "result_on": _iso(s.result_on),
                "days_late": s.days_late,
                "waiting_for": list(s.waiting_for),
                "report_indices": list(s.report_indices),
                "verification_indices": list(s.verification_indices),
            }
            for s in status.steps
        ],
        "parties": [
            {
                "id": p.id,
                "name": p.name,
                "role": p.role,
                "steps": p.steps,
                "on_time": p.on_time,
                "late": p.late,
                "outstanding": p.outstanding,
                "overdue": p.overdue,
                "verified": p.verified,
                "disputed": p.disputed,
                "awaiting_verification": p.awaiting_verification,
                "next_deadlines": [
                    {"step": d.step, "deadline": _iso(d.deadline)} for d in p.next_deadlines
                ],
            }
            for p in status.parties
        ],
        "findings": [f.to_json() for f in status.findings],
        "balance": {
            "points": [
                {
                    "date": _iso(b.date),
                    "verified_weight": b.verified_weight,
                    "concession_weight": b.concession_weight,
                }
                for b in status.balance
            ],
            "ahead": [{"start": _iso(a.start), "end": _iso(a.end)} for a in status.ahead],
        },
    }
