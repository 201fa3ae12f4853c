"""The road map's records as the log holds them, and what they amount to as of a date.

This is the shared ground of `roadmap` (status as of one date) and
`roadmap_timeline` (a sweep over many dates): the record types, the date from
which each record counts, which accord version is in force, which records
count for which step, and one step's own state (`StepLedger`). Both callers
go through the same code, so a timeline can never disagree with `evaluate`.
The rules themselves are written out in the docstring of `roadmap`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from accordwatch.roadmap.accord import (
    Accord,
    AccordRole,
    FixedDeadline,
    PhaseEndDeadline,
    StepKind,
)


def _utc_day(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"record time {moment!r} must be timezone-aware")
    return moment.astimezone(UTC).date()


def _dated_counts_from(logged_at: datetime, on: date) -> date:
    """When a record about a day counts: the later of the UTC day of `logged_at` and `on`.

    A record cannot count before the log knew it, nor before the day it speaks of:
    `on` is the party's claim about the world, the log's time is the log's own.
    """
    if isinstance(on, datetime):
        raise TypeError(f"`on` must be a date, not a datetime ({on!r})")
    return max(_utc_day(logged_at), on)


def claimed_and_logged(record: Report | VerificationResult) -> str:
    """`on 2021-02-01`, or, when the log knew it later than the day it claims,
    `on 2021-02-01 (party's claim), logged 2021-03-04`."""
    if record.counts_from == record.on:
        return f"on {record.on.isoformat()}"
    return f"on {record.on.isoformat()} (party's claim), logged {record.counts_from.isoformat()}"


@dataclass(frozen=True, slots=True)
class Signature:
    """A party signed an exact accord version; `accord.digest()` names the version."""

    index: int
    logged_at: datetime  # the log's time (`recorded_at`): the signature takes effect then
    party: str
    accord: Accord
    #: the UTC day of `logged_at`: the signature counts as of that day
    counts_from: date = field(init=False, repr=False, compare=False)
    digest: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts_from", _utc_day(self.logged_at))
        object.__setattr__(self, "digest", self.accord.digest())


@dataclass(frozen=True, slots=True)
class Report:
    """The acting party says it took a step on `on` (its claim); the log knew it at `logged_at`.

    It counts, and dates the step's report, from `counts_from`: a report logged
    after its deadline is late whatever day it claims.
    """

    index: int
    logged_at: datetime  # the log's time (`recorded_at`)
    party: str
    accord_id: str
    step: str
    on: date
    note: str = ""
    #: the day the report counts from (`_dated_counts_from`)
    counts_from: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts_from", _dated_counts_from(self.logged_at, self.on))


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The verifying party's word on a step, given on `on` (its claim); dated by `counts_from`."""

    index: int
    logged_at: datetime  # the log's time (`recorded_at`)
    party: str
    accord_id: str
    step: str
    on: date
    verified: bool
    finding: str = ""
    #: the day the result counts from (`_dated_counts_from`)
    counts_from: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts_from", _dated_counts_from(self.logged_at, self.on))


RoadmapRecord = Signature | Report | VerificationResult


class StepState(StrEnum):
    """A step's status as of a date (see `classify`)."""

    VERIFIED = "verified"
    DISPUTED = "disputed"
    REPORTED = "reported"
    OVERDUE = "overdue"
    DUE = "due"
    NOT_YET_DUE = "not yet due"


STATES: tuple[StepState, ...] = tuple(StepState)


# --- accord versions and entry into force -------------------------------------------------


@dataclass
class Version:
    """One accord version (digest) and the signatures gathered for it."""

    digest: str
    accord: Accord
    first_index: int
    #: each party's first signature of this version, earliest (log time, index)
    signed: dict[str, Signature]
    #: signatures by parties this version does not list (ignored)
    strangers: list[Signature]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.accord.parties if p.id not in self.signed)

    @property
    def completion(self) -> Signature | None:
        """The signature that completed the set (all parties signed), if it is complete."""
        if self.missing:
            return None
        return max(self.signed.values(), key=lambda s: (s.logged_at, s.index))


def gather_versions(records: Iterable[RoadmapRecord], accord_id: str, until: date) -> list[Version]:
    """The versions of `accord_id` signed as of `until`, in order of first signature."""
    versions: dict[str, Version] = {}
    for record in records:
        if not isinstance(record, Signature) or record.accord.id != accord_id:
            continue
        if record.counts_from > until:
            continue
        version = versions.get(record.digest)
        if version is None:
            version = versions[record.digest] = Version(
                record.digest, record.accord, record.index, {}, []
            )
        version.first_index = min(version.first_index, record.index)
        if all(p.id != record.party for p in version.accord.parties):
            version.strangers.append(record)
            continue
        known = version.signed.get(record.party)
        if known is None or (record.logged_at, record.index) < (known.logged_at, known.index):
            version.signed[record.party] = record
    return sorted(versions.values(), key=lambda v: v.first_index)


def completion_key(version: Version) -> tuple[datetime, int] | None:
    done = version.completion
    return None if done is None else (done.logged_at, done.index)


def schedule(versions: Sequence[Version]) -> list[tuple[date, Version]]:
    """Complete versions with the day each comes into force, in order of completion.

    As of a date, the version in force is the last in this list whose day has come:
    a later completion (an amendment signed by all) supersedes an earlier one.
    """
    complete = [(key, v) for v in versions if (key := completion_key(v)) is not None]
    complete.sort(key=lambda kv: kv[0])
    return [(key[0].astimezone(UTC).date(), v) for key, v in complete]


def in_force(versions: Sequence[Version], as_of: date) -> Version | None:
    current = None
    for day, version in schedule(versions):
        if day <= as_of:
            current = version
    return current


def accord_ids(records: Iterable[RoadmapRecord], until: date) -> list[str]:
    """The accords signed in `records` as of `until`, sorted."""
    return sorted(
        {r.accord.id for r in records if isinstance(r, Signature) and r.counts_from <= until}
    )


# --- which records count for which step ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ignored:
    record: Report | VerificationResult
    reason: str


@dataclass
class StepRecords:
    """The reports and verification results that count for one step (log order)."""

    reports: list[Report] = field(default_factory=list)
    results: list[VerificationResult] = field(default_factory=list)


def sort_records(
    records: Iterable[RoadmapRecord], accord: Accord, until: date
) -> tuple[dict[str, StepRecords], list[Ignored]]:
    """Split the reports and results of `accord` that count by `until` among its steps.

    A report counts only when made by the step's acting party, a result only when
    given by the step's verifying party; the rest come back as `Ignored`.
    """
    steps = {s.id: s for s in accord.steps}
    by_step = {s.id: StepRecords() for s in accord.steps}
    ignored: list[Ignored] = []
    for record in records:
        if isinstance(record, Signature) or record.accord_id != accord.id:
            continue
        if record.counts_from > until:
            continue
        step = steps.get(record.step)
        what = "report" if isinstance(record, Report) else "verification result"
        if step is None:
            ignored.append(Ignored(record, f"{what} of {record.step!r}, not a step of the accord"))
        elif isinstance(record, Report):
            if record.party == step.party:
                by_step[step.id].reports.append(record)
            else:
                ignored.append(
                    Ignored(
                        record,
                        f"report by {record.party} who does not act for step {step.id} "
                        f"(acting party: {step.party})",
                    )
                )
        elif record.party == step.verification.by:
            by_step[step.id].results.append(record)
        else:
            ignored.append(
                Ignored(
                    record,
                    f"verification result by {record.party} who does not verify step {step.id} "
                    f"(verifier: {step.verification.by})",
                )
            )
    return by_step, ignored


def ledgers_of(by_step: dict[str, StepRecords]) -> dict[str, StepLedger]:
    """Each step's ledger of the records `sort_records` found counting for it."""
    ledgers: dict[str, StepLedger] = {}
    for step, gathered in by_step.items():
        ledger = StepLedger()
        for report in gathered.reports:
            ledger.add_report(report)
        for result in gathered.results:
            ledger.add_result(result)
        ledgers[step] = ledger
    return ledgers


# --- one step's own state -----------------------------------------------------------------


class OwnState(NamedTuple):
    """What a step's own records say as of a date."""

    reported_on: date | None  # the earliest report date (by `counts_from`)
    latest: bool | None  # the latest counting verification result, None if none
    result_on: date | None  # its date
    verified_on: date | None  # the earliest verified=True result (anchors deadlines)


NOTHING = OwnState(None, None, None, None)


class StepLedger:
    """One step's counting records, fed in any order; the state depends only on the set.

    A verification result counts once the step is reported and the result is dated on
    or after the (earliest) report; until then it waits in `pending`. Every record is
    dated by its `counts_from` (the later of its claimed day and the day the log knew
    it), never by its claim alone.
    """

    __slots__ = (
        "_history",
        "first_report",
        "first_verified",
        "latest",
        "pending",
        "reports",
        "results",
    )

    def __init__(self) -> None:
        self.reports: list[Report] = []
        self.results: list[VerificationResult] = []
        self.pending: list[VerificationResult] = []
        self.first_report: Report | None = None
        self.latest: VerificationResult | None = None
        self.first_verified: VerificationResult | None = None
        self._history: tuple[list[date], list[bool]] | None = None

    def add(self, record: Report | VerificationResult) -> None:
        if isinstance(record, Report):
            self.add_report(record)
        else:
            self.add_result(record)

    def add_report(self, report: Report) -> None:
        self.reports.append(report)
        first = self.first_report
        if first is None or (report.counts_from, report.index) < (first.counts_from, first.index):
            self.first_report = report
            if self.pending:
                waiting = self.pending
                self.pending = []
                for result in waiting:
                    self.add_result(result)

    def add_result(self, result: VerificationResult) -> None:
        first = self.first_report
        on = result.counts_from
        if first is None or on < first.counts_from:
            self.pending.append(result)
            return
        self.results.append(result)
        self._history = None
        latest = self.latest
        if (
            latest is None
            or on > latest.counts_from
            or (on == latest.counts_from and result.index > latest.index)
        ):
            self.latest = result
        if result.verified:
            known = self.first_verified
            if (
                known is None
                or on < known.counts_from
                or (on == known.counts_from and result.index < known.index)
            ):
                self.first_verified = result

    def state(self) -> OwnState:
        if self.first_report is None:
            return NOTHING
        latest = self.latest
        first = self.first_verified
        return OwnState(
            self.first_report.counts_from,
            None if latest is None else latest.verified,
            None if latest is None else latest.counts_from,
            None if first is None else first.counts_from,
        )

    def history(self) -> tuple[list[date], list[bool]]:
        """The verification value at the end of each day with a counting result, by date."""
        if self._history is not None:
            return self._history
        days: list[date] = []
        values: list[bool] = []
        for result in sorted(self.results, key=lambda r: (r.counts_from, r.index)):
            if days and days[-1] == result.counts_from:
                values[-1] = result.verified
            else:
                days.append(result.counts_from)
                values.append(result.verified)
        self._history = (days, values)
        return self._history


def value_at(history: tuple[list[date], list[bool]], day: date) -> bool | None:
    """The verification value as of `day` from a `StepLedger.history()`."""
    days, values = history
    at = bisect_right(days, day)
    return values[at - 1] if at else None


# --- the steps of the version in force, compiled for evaluation ---------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """A step of the version in force with its rules resolved once."""

    position: int
    id: str
    party: str
    verifier: str
    fixed: date | None  # a fixed or end-of-phase deadline (None: relative or unknown phase)
    anchor: str | None  # relative deadline: the anchor step
    anchor_verified: bool  # relative to the anchor's verification (else its report)
    offset: timedelta
    requires: tuple[str, ...]
    window: int  # days a reported step may wait for verification
    inspected: bool  # acted by an inspected party: its verified weight counts in the balance
    concession: bool
    weight: float


def plans(accord: Accord) -> list[Plan]:
    phases = {p.id: p.ends for p in accord.phases}
    inspected = {p.id for p in accord.parties if p.role == AccordRole.INSPECTED}
    out: list[Plan] = []
    for position, step in enumerate(accord.steps):
        due = step.due
        fixed: date | None = None
        anchor: str | None = None
        anchor_verified = False
        offset = timedelta(0)
        if isinstance(due, FixedDeadline):
            fixed = due.on
        elif isinstance(due, PhaseEndDeadline):
            fixed = phases.get(step.phase)
        else:
            anchor, anchor_verified, offset = due.step, due.event == "verified", timedelta(due.days)
        out.append(
            Plan(
                position=position,
                id=step.id,
                party=step.party,
                verifier=step.verification.by,
                fixed=fixed,
                anchor=anchor,
                anchor_verified=anchor_verified,
                offset=offset,
                requires=tuple(step.requires),
                window=step.verification.within_days or accord.verification_window_days,
                inspected=step.party in inspected,
                concession=accord.base_kind(step) is StepKind.CONCESSION,
                weight=step.weight,
            )
        )
    return out


def deadline(plan: Plan, anchor: OwnState | None) -> date | None:
    """The step's deadline, given its anchor's state (relative deadlines only)."""
    if plan.anchor is None:
        return plan.fixed
    if anchor is None:
        return None
    event = anchor.verified_on if plan.anchor_verified else anchor.reported_on
    return None if event is None else event + plan.offset


def classify(own: OwnState, due: date | None, actionable: bool, as_of: date) -> StepState:
    """A step's status as of `as_of` from its own state, its deadline and its prerequisites."""
    if own.reported_on is not None:
        if own.latest is None:
            return StepState.REPORTED
        return StepState.VERIFIED if own.latest else StepState.DISPUTED
    if due is not None:
        if as_of > due:
            return StepState.OVERDUE
        if actionable:
            return StepState.DUE
    return StepState.NOT_YET_DUE
