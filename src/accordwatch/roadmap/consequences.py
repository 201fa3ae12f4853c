"""The consequences of the accord in force as of a date: triggered, answered, cleared.

`evaluate_consequences(records, status, violations, responses)` is pure: the
road map records of the log, the road map status as of the date (from
`status.evaluate`), the compliance evaluation's violations and the responses
recorded by then. For each consequence of the version in force it says when
it was triggered and by which log entries, the response it prescribes and
whether one was recorded in time, the concessions it held back and when it
was cleared.

When a trigger fires (the terms are in `consequence_terms`):

- `overdue: {step, days}`: on the day the step has been overdue for `days`
  days (deadline + days, and at least the day after the deadline) when it is
  still not reported then; one firing. Its entries: the entry that fixed the
  deadline (the anchor's report or verification for a relative deadline, else
  the signature that brought the accord into force);
- `violation: {obligation}`: on the date of each certain violation of the
  obligation, with the violation's evidence entries; uncertain matches do
  not fire;
- `verification: {step, result}`: on the day each counting result of the
  step with that result counts from, with its entry;
- `any`: each firing of any part; `all`: each firing of a part on a day by
  which every other part has fired (with their latest entries).

Nothing fires before the accord entered into force: an overdue step or a
verification result before then fires on that day; a violation before then
does not fire at all.

Occasions. With `until`, a firing opens an *occasion* that stands until the
first counting verification result of the `until` step saying verified and
dated on or after the firing (the day it counts from is the day it is
cleared); firings while it stands belong to it. Without `until`, each day
with a firing is an occasion of its own, never cleared. An occasion is named
`CONSEQUENCE-ID/DATE` (its first day): a response record names it with
`response record --to`. Its first response is the earliest response naming it
dated on or after that day (`none-decided` does not count); it is
`answered`, `late`, `unanswered` or `open` as a violation is
(`compliance.responses.answer_state`), with the consequence's `within_days`
as the window. "Without response" counts `late` and `unanswered`.

While an occasion stands, the concessions it `suspends` are held back: a
concession whose first report counts from a day in [first day, cleared day)
is a `concession while suspended` finding, with the report's entry and the
entries that triggered the occasion.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from accordwatch.compliance.responses import (
    FirstResponse,
    Response,
    answer_state,
    first_responses,
    responses_as_of,
)
from accordwatch.compliance.violations import Violation
from accordwatch.errors import InputError, NotFoundError
from accordwatch.roadmap.accord import Accord, RelativeDeadline
from accordwatch.roadmap.consequence_terms import (
    AllTrigger,
    AnyTrigger,
    Consequence,
    Overdue,
    Trigger,
    VerificationIs,
    ViolationOf,
    leaves,
)
from accordwatch.roadmap.counting_records import CountingRecords
from accordwatch.roadmap.findings import Finding, FindingKind, ordered
from accordwatch.roadmap.history import (
    RoadmapRecord,
    claimed_and_logged,
    gather_versions,
    in_force,
)
from accordwatch.roadmap.status import Status, StepStatus

FORMAT = "accordwatch.consequences/1"
#: how a response names an occasion: the consequence id, a slash, the day it was triggered
OCCASION_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*/\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Firing:
    """A trigger fired on `day`, because of `why`, resting on log `entries`."""

    day: date
    entries: tuple[int, ...]
    why: str


@dataclass(frozen=True, slots=True)
class Occasion:
    """One time a consequence was triggered, as of the date."""

    id: str  # CONSEQUENCE-ID/DATE
    triggered_on: date
    why: str
    entries: tuple[int, ...]  # the entries that triggered it, ascending
    respond_by: date
    state: str  # answered, late, unanswered or open
    response: FirstResponse | None
    cleared_on: date | None
    cleared_by: int | None  # the verification result's entry
    suspended: tuple[str, ...]  # the concessions it holds back (while it stands)

    @property
    def standing(self) -> bool:
        return self.cleared_on is None

    @property
    def on(self) -> date:
        """The day its response window opens (as a violation's date does)."""
        return self.triggered_on


@dataclass(frozen=True, slots=True)
class ConsequenceStatus:
    id: str
    party: str
    text: str
    respond_kind: str
    within_days: int
    suspends: tuple[str, ...]
    until: str | None
    occasions: tuple[Occasion, ...]

    @property
    def standing(self) -> bool:
        return any(o.standing for o in self.occasions)


@dataclass(frozen=True, slots=True)
class Consequences:
    """The consequences of the accord in force as of `as_of` (none when none is in force)."""

    as_of: date
    accord_id: str | None
    items: tuple[ConsequenceStatus, ...]
    findings: tuple[Finding, ...]

    @property
    def occasions(self) -> list[Occasion]:
        return [o for c in self.items for o in c.occasions]

    @property
    def totals(self) -> dict[str, int]:
        states = [o.state for o in self.occasions]
        late, unanswered = states.count("late"), states.count("unanswered")
        return {
            "consequences": len(self.items),
            "triggered": len(states),
            "standing": sum(1 for o in self.occasions if o.standing),
            "answered": states.count("answered"),
            "late": late,
            "unanswered": unanswered,
            "open": states.count("open"),
            "without_response_within_window": late + unanswered,
            "concessions_while_suspended": len(self.findings),
        }

    def occasion(self, occasion_id: str) -> Occasion | None:
        return next((o for o in self.occasions if o.id == occasion_id), None)

    def to_json(self) -> dict[str, Any]:
        return _json(self)


def evaluate_consequences(
    records: Sequence[RoadmapRecord],
    status: Status,
    violations: Sequence[Violation] = (),
    responses: Sequence[Response] = (),
) -> Consequences:
    """The consequences of the version in force of `status`'s accord, as of `status.as_of`."""
    as_of = status.as_of
    if status.accord_id is None or status.in_force is None:
        return Consequences(as_of, status.accord_id, (), ())
    current = in_force(gather_versions(records, status.accord_id, as_of), as_of)
    assert current is not None  # the status says a version is in force
    accord = current.accord
    if not accord.consequences:
        return Consequences(as_of, accord.id, (), ())
    ledgers = CountingRecords(records, status)
    steps = {s.id: s for s in status.steps}
    context = _Context(accord, status, steps, ledgers, _by_obligation(violations))
    items = tuple(context.consequence(c) for c in accord.consequences)
    occasions = [o for item in items for o in item.occasions]
    known = responses_as_of(responses, as_of)  # recorded, and dated, by then
    answers = first_responses(occasions, _answering(known, occasions))
    items = tuple(
        replace(
            item,
            occasions=tuple(
                _answered(o, answers.get(o.id), as_of, item.within_days) for o in item.occasions
            ),
        )
        for item in items
    )
    findings = [
        f
        for item in items
        for o in item.occasions
        for step in o.suspended
        if (f := _given_while_suspended(item, o, step, steps, ledgers)) is not None
    ]
    return Consequences(as_of, accord.id, items, ordered(findings))


def with_consequences(status: Status, consequences: Consequences) -> Status:
    """`status` with the findings of its consequences among its own."""
    if not consequences.findings:
        return status
    return replace(status, findings=ordered([*status.findings, *consequences.findings]))


# --- triggers -----------------------------------------------------------------------------


def _by_obligation(violations: Sequence[Violation]) -> dict[str, list[Violation]]:
    out: dict[str, list[Violation]] = {}
    for v in violations:
        if v.certain:
            out.setdefault(v.obligation.id, []).append(v)
    return out


class _Context:
    def __init__(
        self,
        accord: Accord,
        status: Status,
        steps: Mapping[str, StepStatus],
        ledgers: CountingRecords,
        violations: Mapping[str, list[Violation]],
    ) -> None:
        assert status.in_force is not None
        self.accord = accord
        self.as_of = status.as_of
        self.since = status.in_force.since
        self.signed_at = status.in_force.index
        self.steps = steps
        self.ledgers = ledgers
        self.violations = violations
        self.own = {o.id for o in accord.obligations}
        self.anchors = {s.id: s.due for s in accord.steps}
        self.fired: dict[Trigger, list[Firing]] = {}

    def consequence(self, item: Consequence) -> ConsequenceStatus:
        occasions = self._occasions(item, self.fire(item.trigger))
        return ConsequenceStatus(
            id=item.id,
            party=item.party,
            text=item.text,
            respond_kind=item.respond.kind,
            within_days=item.respond.within_days,
            suspends=tuple(item.suspends),
            until=None if item.until is None else item.until.step,
            occasions=tuple(occasions),
        )

    def fire(self, trigger: Trigger) -> list[Firing]:
        """The firings of `trigger` as of the date, in date order."""
        known = self.fired.get(trigger)
        if known is not None:
            return known  # the same trigger in several consequences is worked out once
        if isinstance(trigger, Overdue):
            found = self._overdue(trigger)
        elif isinstance(trigger, ViolationOf):
            found = self._violations(trigger)
        elif isinstance(trigger, VerificationIs):
            found = self._verifications(trigger)
        elif isinstance(trigger, AnyTrigger):
            found = [f for part in trigger.parts for f in self.fire(part)]
        else:
            found = self._all(trigger)
        found.sort(key=lambda f: (f.day, f.entries))
        self.fired[trigger] = found
        return found

    def _day(self, day: date) -> date:
        return max(day, self.since)

    def _overdue(self, trigger: Overdue) -> list[Firing]:
        step = self.steps.get(trigger.step)
        if step is None or step.deadline is None:
            return []
        day = self._day(step.deadline + timedelta(days=max(trigger.days, 1)))
        if day > self.as_of or (step.reported_on is not None and step.reported_on <= day):
            return []
        entry = self.signed_at
        due = self.anchors.get(trigger.step)
        if isinstance(due, RelativeDeadline) and (anchor := self.ledgers.get(due.step)):
            event = anchor.first_verified if due.event == "verified" else anchor.first_report
            if event is not None:
                entry = event.index
        why = (
            f"step {trigger.step} not reported {(day - step.deadline).days} days after its "
            f"deadline {step.deadline.isoformat()}"
        )
        return [Firing(day, (entry,), why)]

    def _violations(self, trigger: ViolationOf) -> list[Firing]:
        name = trigger.obligation
        full = f"{self.accord.id}.{name}" if name in self.own else name
        return [
            Firing(
                v.on,
                tuple(sorted({e.log_index for e in v.evidence})),
                f"violation {v.id} on {v.on.isoformat()}",
            )
            for v in self.violations.get(full, [])
            if self.since <= v.on <= self.as_of  # before entry into force, none counts
        ]

    def _verifications(self, trigger: VerificationIs) -> list[Firing]:
        ledger = self.ledgers.get(trigger.step)
        if ledger is None:
            return []
        word = "verified" if trigger.verified else "found not verified"
        return [
            Firing(
                self._day(r.counts_from),
                (r.index,),
                f"step {trigger.step} {word} {claimed_and_logged(r)}",
            )
            for r in ledger.results
            if r.verified == trigger.verified
        ]

    def _all(self, trigger: AllTrigger) -> list[Firing]:
        parts = [self.fire(p) for p in trigger.parts]  # each in date order
        if not parts or any(not p for p in parts):
            return []
        days = [[f.day for f in part] for part in parts]
        out: list[Firing] = []
        for i, part in enumerate(parts):
            for firing in part:
                # the latest firing of every other part by that day, if each has one
                latest = [
                    parts[j][at - 1]
                    for j in range(len(parts))
                    if j != i and (at := bisect_right(days[j], firing.day))
                ]
                if len(latest) < len(parts) - 1:
                    continue
                together = [firing, *latest]
                out.append(
                    Firing(
                        firing.day,
                        tuple(sorted({e for f in together for e in f.entries})),
                        "; ".join(f.why for f in together),
                    )
                )
        return out

    def _occasions(self, item: Consequence, firings: list[Firing]) -> list[Occasion]:
        groups: list[list[Firing]] = []
        cleared: list[tuple[date, int] | None] = []
        for firing in firings:
            if groups and (
                firing.day == groups[-1][0].day
                or (item.until is not None and _stands(cleared[-1], firing.day))
            ):
                groups[-1].append(firing)
                continue
            groups.append([firing])
            cleared.append(
                None if item.until is None else self._clearing(item.until.step, firing.day)
            )
        return [
            self._occasion(item, group, clearing)
            for group, clearing in zip(groups, cleared, strict=True)
        ]

    def _clearing(self, step: str, start: date) -> tuple[date, int] | None:
        """The first result saying `step` is verified dated on or after `start`."""
        if step not in self.ledgers.steps:
            return None
        days, verified = self.ledgers.verified(step)
        at = bisect_left(days, start)
        return None if at == len(days) else (verified[at].counts_from, verified[at].index)

    def _occasion(
        self, item: Consequence, group: list[Firing], clearing: tuple[date, int] | None
    ) -> Occasion:
        start = group[0].day
        first_day = [f for f in group if f.day == start]
        return Occasion(
            id=f"{item.id}/{start.isoformat()}",
            triggered_on=start,
            why="; ".join(dict.fromkeys(f.why for f in first_day)),
            entries=tuple(sorted({e for f in first_day for e in f.entries})),
            respond_by=start + timedelta(days=item.respond.within_days),
            state="open",
            response=None,
            cleared_on=None if clearing is None else clearing[0],
            cleared_by=None if clearing is None else clearing[1],
            suspended=tuple(item.suspends),
        )


def _stands(clearing: tuple[date, int] | None, day: date) -> bool:
    return clearing is None or day < clearing[0]


# --- responses and findings ---------------------------------------------------------------


def _answering(responses: Sequence[Response], occasions: Sequence[Occasion]) -> list[Response]:
    ids = {o.id for o in occasions}
    return [r for r in responses if any(t in ids for t in r.to)]


def _answered(
    occasion: Occasion, first: FirstResponse | None, as_of: date, window: int
) -> Occasion:
    state = answer_state(occasion.triggered_on, first, as_of, window)
    return replace(occasion, state=state, response=first)


def _given_while_suspended(
    item: ConsequenceStatus,
    occasion: Occasion,
    step_id: str,
    steps: Mapping[str, StepStatus],
    ledgers: CountingRecords,
) -> Finding | None:
    ledger = ledgers.get(step_id)
    step = steps.get(step_id)
    report = None if ledger is None else ledger.first_report
    if report is None or step is None:
        return None
    day = report.counts_from
    if day < occasion.triggered_on or (
        occasion.cleared_on is not None and day >= occasion.cleared_on
    ):
        return None
    held = (
        f"until {item.until} is verified"
        if item.until is not None and occasion.cleared_on is None
        else f"until {occasion.cleared_on.isoformat()}"
        if occasion.cleared_on is not None
        else "with no end"
    )
    return Finding(
        kind=FindingKind.CONCESSION_WHILE_SUSPENDED,
        date=day,
        message=f"{step.party} reported concession {step_id} {claimed_and_logged(report)} while "
        f"consequence {occasion.id} held it back ({occasion.why}; held {held})",
        step=step_id,
        party=step.party,
        indices=tuple(sorted({report.index, *occasion.entries})),
    )


# --- JSON ---------------------------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _json(found: Consequences) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "as_of": found.as_of.isoformat(),
        "accord_id": found.accord_id,
        "totals": found.totals,
        "consequences": [
            {
                "id": c.id,
                "party": c.party,
                "text": c.text,
                "respond": {"kind": c.respond_kind, "within_days": c.within_days},
                "suspends": list(c.suspends),
                "until": c.until,
                "standing": c.standing,
                "occasions": [
                    {
                        "id": o.id,
                        "triggered_on": _iso(o.triggered_on),
                        "why": o.why,
                        "entries": list(o.entries),
                        "respond_by": _iso(o.respond_by),
                        "state": o.state,
                        "response": None if o.response is None else o.response.to_json(),
                        "cleared_on": _iso(o.cleared_on),
                        "cleared_by": o.cleared_by,
                        "standing": o.standing,
                        "suspended": list(o.suspended),
                    }
                    for o in c.occasions
                ],
            }
            for c in found.items
        ],
        "findings": [f.to_json() for f in found.findings],
    }


def needs_violations(records: Sequence[RoadmapRecord], status: Status) -> bool:
    """Whether the accord in force has a violation trigger (so compliance must be evaluated)."""
    if status.accord_id is None or status.in_force is None:
        return False
    current = in_force(gather_versions(records, status.accord_id, status.as_of), status.as_of)
    return current is not None and any(
        isinstance(leaf, ViolationOf)
        for c in current.accord.consequences
        for leaf in leaves(c.trigger)
    )


def status_json(status: Status, consequences: Consequences) -> dict[str, Any]:
    """`status --format json`: the road map status with its consequences and their findings."""
    return {
        **with_consequences(status, consequences).to_json(),
        "consequences": consequences.to_json(),
    }


def resolve_occasions(targets: Sequence[str], found: Sequence[Consequences], on: date) -> list[str]:
    """The occasions a response names (`CONSEQUENCE-ID/DATE`), checked to be triggered by now.

    Raises if one was not triggered (as of the evaluations in `found`) or the
    response is dated before it.
    """
    occasions = {o.id: o for each in found for o in each.occasions}
    chosen: list[str] = []
    for target in targets:
        occasion = occasions.get(target)
        if occasion is None:
            raise NotFoundError(
                f"no triggered consequence {target!r} (see accordwatch status)", where="--to"
            )
        if on < occasion.triggered_on:
            raise InputError(
                f"the response is dated {on}, before the consequence {target} was triggered "
                f"({occasion.triggered_on})",
                where="--on",
            )
        if target not in chosen:
            chosen.append(target)
    return chosen


def is_occasion_id(target: str) -> bool:
    """Whether `target` names a consequence's occasion (`ID/YYYY-MM-DD`), not a violation."""
    return OCCASION_ID.match(target) is not None
