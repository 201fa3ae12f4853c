"""A draft's weaknesses, found before it is signed.

`assess` reads a checked draft (an accord file without errors) and returns
an `Assessment`: every weakness, each with the steps it concerns, its place
in the file (line and column, as `accord_check` gives them) and a short
explanation; the largest exposure of the schedule; and the Monte Carlo of
delays (`monte_carlo`). It is a pure function of the draft, the delays and
the seed.

The weaknesses (`Code`), errors first:

- a concession that requires no verified step of the inspected party: it is
  given for promises (error);
- a concession whose required steps are verified only by acknowledgment,
  none by the inspectorate (error);
- an irreversible concession (its kind is marked `reversible: false`) that
  rests on no irreversible step of the inspected party (error), or that is
  given before some of them (warning);
- the largest exposure: if every party acts at its deadline and verifiers use
  their whole window, the most concession weight given ahead of verified
  weight (error when there is any);
- a step of the inspected party with no verification on the ground: only a
  party to the deal acknowledges it (warning);
- a step of the inspected party with no deadline of its own: it falls due
  only once another party has acted (warning);
- a declaration of the inspected party that no step requires: what follows
  may be verified without it having been accepted (warning);
- a phase with no declaration: neither it nor any phase before it has a
  declaration of the inspected party, so its steps are verified against no
  declared baseline (warning);
- a deadline with no consequence: no consequence is triggered when the step
  is overdue (warning);
- an obligation with no consequence: no consequence is triggered by its
  violation (warning).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from accordwatch.documents import Document, Pointer
from accordwatch.roadmap.accord import (
    Accord,
    AccordRole,
    Delays,
    RelativeDeadline,
    Step,
    StepKind,
    VerificationMethod,
)
from accordwatch.roadmap.consequence_terms import Overdue, ViolationOf, leaves
from accordwatch.roadmap.monte_carlo import (
    DEFAULT_DELAY,
    MonteCarlo,
    Network,
    Schedule,
    scheduled,
    simulate,
)

Severity = Literal["error", "warning"]

_ON_THE_GROUND = (VerificationMethod.INSPECTORATE, VerificationMethod.DECLARATION_ACCEPTED)


class Code(StrEnum):
    CONCESSION_FOR_PROMISES = "concession for promises"
    CONCESSION_ON_ACKNOWLEDGMENT = "concession on acknowledgment"
    IRREVERSIBLE_CONCESSION_FIRST = "irreversible concession first"
    EXPOSURE = "exposure"
    STEP_WITHOUT_VERIFICATION = "step without verification"
    STEP_WITHOUT_DEADLINE = "step without deadline"
    DECLARATION_NOT_REQUIRED = "declaration not required"
    PHASE_WITHOUT_DECLARATION = "phase without declaration"
    DEADLINE_WITHOUT_CONSEQUENCE = "deadline without consequence"
    OBLIGATION_WITHOUT_CONSEQUENCE = "obligation without consequence"


@dataclass(frozen=True)
class Weakness:
    """One weakness of a draft, at a 1-based line and column of its file."""

    code: Code
    severity: Severity
    #: what it is about (a step, phase or obligation id): with `code`, what `--against` matches
    subject: str
    steps: tuple[str, ...]
    line: int
    column: int
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.code.value, self.subject)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "severity": self.severity,
            "subject": self.subject,
            "steps": list(self.steps),
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class Exposure:
    """The most concession weight ahead of verified weight on the deadline schedule."""

    weight: float
    on: date | None
    #: the concessions given from when concessions went ahead until `on`
    concessions: tuple[str, ...]
    verified_weight: float
    concession_weight: float

    def to_json(self) -> dict[str, Any]:
        return {
            "weight": self.weight,
            "on": self.on.isoformat() if self.on else None,
            "concessions": list(self.concessions),
            "verified_weight": self.verified_weight,
            "concession_weight": self.concession_weight,
        }


@dataclass(frozen=True)
class Assessment:
    source: str
    accord_id: str
    title: str
    weaknesses: tuple[Weakness, ...]
    exposure: Exposure
    monte_carlo: MonteCarlo
    #: the delays in use, described: "party dprk: triangular 0-365d (mode 30)", ...
    delays: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> tuple[Weakness, ...]:
        return tuple(w for w in self.weaknesses if w.severity == "error")

    @property
    def warnings(self) -> tuple[Weakness, ...]:
        return tuple(w for w in self.weaknesses if w.severity == "warning")

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "accord_id": self.accord_id,
            "title": self.title,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "weaknesses": [w.to_json() for w in self.weaknesses],
            "exposure": self.exposure.to_json(),
            "delays": list(self.delays),
            "monte_carlo": self.monte_carlo.to_json(),
        }


class _Finder:
    """Collects the weaknesses of one draft, placed by its document's positions."""

    def __init__(self, accord: Accord, document: Document | None) -> None:
        self.accord = accord
        self.document = document
        self.index = {s.id: i for i, s in enumerate(accord.steps)}
        self.steps = {s.id: s for s in accord.steps}
        self.found: list[Weakness] = []

    def add(
        self,
        code: Code,
        severity: Severity,
        subject: str,
        steps: tuple[str, ...],
        at: Pointer,
        message: str,
    ) -> None:
        found = self.document.position(at) if self.document is not None else None
        line, column = found or (1, 1)
        self.found.append(Weakness(code, severity, subject, steps, line, column, message))

    def step_at(self, step: Step, *rest: str | int) -> Pointer:
        return ("steps", self.index[step.id], *rest)


def assess(
    accord: Accord,
    document: Document | None,
    *,
    source: str,
    runs: int,
    seed: int,
    delays: Delays | None = None,
    delays_from: str | None = None,
) -> Assessment:
    """The assessment of a checked draft; `delays` replaces the draft's own when given."""
    network = Network.of(accord)
    schedule = scheduled(network)
    finder = _Finder(accord, document)
    for check in CHECKS:
        check(finder, schedule)
    exposure = largest_exposure(network, schedule)
    if exposure.weight > 0:
        first = accord.step(exposure.concessions[0]) if exposure.concessions else None
        finder.add(
            Code.EXPOSURE,
            "error",
            "schedule",
            exposure.concessions,
            finder.step_at(first) if first is not None else ("steps",),
            f"if every party acts at its deadline, concessions run {exposure.weight:g} ahead "
            f"of verified steps on {exposure.on} (concessions {exposure.concession_weight:g}, "
            f"verified {exposure.verified_weight:g})",
        )
    chosen = delays if delays is not None else accord.delays
    origin = delays_from if delays is not None else ("draft" if not accord.delays.empty else None)
    monte_carlo = simulate(network, chosen, runs=runs, seed=seed, delays_from=origin or "default")
    # errors first, then each code's findings together, in file order
    order = {"error": 0, "warning": 1}
    codes = list(Code)
    weaknesses = sorted(
        finder.found, key=lambda w: (order[w.severity], codes.index(w.code), w.line, w.column)
    )
    return Assessment(
        source=source,
        accord_id=accord.id,
        title=accord.title,
        weaknesses=tuple(weaknesses),
        exposure=exposure,
        monte_carlo=monte_carlo,
        delays=tuple(_describe_delays(chosen)),
    )


def _describe_delays(delays: Delays) -> Iterator[str]:
    for kind, delay in delays.kinds.items():
        yield f"kind {kind}: {delay.describe()}"
    for party, delay in delays.parties.items():
        yield f"party {party}: {delay.describe()}"
    yield f"other steps: {(delays.default or DEFAULT_DELAY).describe()}"


def _inspected(accord: Accord) -> set[str]:
    return {p.id for p in accord.parties if p.role is AccordRole.INSPECTED}


def _concessions(accord: Accord) -> Iterator[Step]:
    return (s for s in accord.steps if accord.base_kind(s) is StepKind.CONCESSION)


def _support(steps: dict[str, Step], step: Step) -> set[str]:
    """Every step `step` requires, directly or through the steps it requires."""
    seen: set[str] = set()
    pending = list(step.requires)
    while pending:
        ident = pending.pop()
        if ident not in seen:
            seen.add(ident)
            pending.extend(steps[ident].requires)
    return seen


def _names(ids: list[str] | tuple[str, ...]) -> str:
    return ", ".join(ids)


def check_concessions(finder: _Finder, schedule: Schedule) -> None:
    accord = finder.accord
    inspected = _inspected(accord)
    for step in _concessions(accord):
        earned = [r for r in step.requires if finder.steps[r].party in inspected]
        if not earned:
            finder.add(
                Code.CONCESSION_FOR_PROMISES,
                "error",
                step.id,
                (step.id,),
                finder.step_at(step, "requires") if step.requires else finder.step_at(step),
                f"concession {step.id} requires no verified step of the inspected party: "
                "it is given for promises",
            )
            continue
        methods = {finder.steps[r].verification.method for r in earned}
        if not methods & set(_ON_THE_GROUND):
            finder.add(
                Code.CONCESSION_ON_ACKNOWLEDGMENT,
                "error",
                step.id,
                (step.id, *earned),
                finder.step_at(step, "requires"),
                f"concession {step.id} requires only steps verified by acknowledgment "
                f"({_names(earned)}), none by the inspectorate",
            )


def check_irreversible(finder: _Finder, schedule: Schedule) -> None:
    accord = finder.accord
    inspected = _inspected(accord)
    theirs = [s.id for s in accord.steps if s.party in inspected and not accord.reversible(s)]
    for step in _concessions(accord):
        if accord.reversible(step):
            continue
        support = _support(finder.steps, step)
        rests_on = [i for i in theirs if i in support]
        given = schedule.taken[step.id]
        later = [i for i in theirs if i not in support and schedule.verified[i] > given]
        if not rests_on:
            none = "the inspected party takes none" if not theirs else f"not on {_names(theirs)}"
            finder.add(
                Code.IRREVERSIBLE_CONCESSION_FIRST,
                "error",
                step.id,
                (step.id, *theirs),
                finder.step_at(step, "kind"),
                f"concession {step.id} cannot be taken back (kind {step.kind}) but rests on no "
                f"irreversible step of the inspected party ({none})",
            )
        elif later:
            finder.add(
                Code.IRREVERSIBLE_CONCESSION_FIRST,
                "warning",
                step.id,
                (step.id, *later),
                finder.step_at(step, "kind"),
                f"concession {step.id} cannot be taken back (kind {step.kind}) and is due "
                f"{given}, before {len(later)} irreversible step{'s' * (len(later) != 1)} of "
                "the inspected party are verified",
            )


def check_unverified_steps(finder: _Finder, schedule: Schedule) -> None:
    accord = finder.accord
    inspected = _inspected(accord)
    for step in accord.steps:
        if step.party in inspected and step.verification.method not in _ON_THE_GROUND:
            finder.add(
                Code.STEP_WITHOUT_VERIFICATION,
                "warning",
                step.id,
                (step.id,),
                finder.step_at(step, "verification", "method"),
                f"step {step.id} has no verification on the ground: only the "
                f"{step.verification.method} of {step.verification.by}",
            )


def check_deadlines(finder: _Finder, schedule: Schedule) -> None:
    accord = finder.accord
    inspected = _inspected(accord)
    for step in accord.steps:
        if step.party not in inspected:
            continue
        anchor, due = step, step.due
        while isinstance(due, RelativeDeadline):
            anchor = finder.steps[due.step]
            if anchor.party not in inspected:
                finder.add(
                    Code.STEP_WITHOUT_DEADLINE,
                    "warning",
                    step.id,
                    (step.id, anchor.id),
                    finder.step_at(step, "deadline"),
                    f"step {step.id} has no deadline of its own: it falls due only once "
                    f"{anchor.party}'s step {anchor.id} is {due.event}",
                )
                break
            due = anchor.due


def check_declarations(finder: _Finder, schedule: Schedule) -> None:
    accord = finder.accord
    inspected = _inspected(accord)
    declarations = [
        s for s in accord.steps if s.party in inspected and accord.base_kind(s) is StepKind.DECLARE
    ]
    required = {r for s in accord.steps for r in s.requires}
    for step in declarations:
        if step.id not in required:
            finder.add(
                Code.DECLARATION_NOT_REQUIRED,
                "warning",
                step.id,
                (step.id,),
                finder.step_at(step),
                f"declaration {step.id} is required by no step: what follows may be verified "
                "without it having been accepted",
            )
    declared_in = {s.phase for s in declarations}
    for index, phase in enumerate(accord.phases):
        if declared_in & {p.id for p in accord.phases[: index + 1]}:
            break
        steps = tuple(s.id for s in accord.steps if s.phase == phase.id and s.party in inspected)
        finder.add(
            Code.PHASE_WITHOUT_DECLARATION,
            "warning",
            phase.id,
            steps,
            ("phases", index),
            f"phase {phase.id} has no declaration: neither it nor a phase before it has a "
            "declaration of the inspected party to verify its steps against",
        )


def check_consequences(finder: _Finder, schedule: Schedule) -> None:
    accord = finder.accord
    overdue: set[str] = set()
    broken: set[str] = set()
    for consequence in accord.consequences:
        for leaf in leaves(consequence.trigger):
            if isinstance(leaf, Overdue):
                overdue.add(leaf.step)
            elif isinstance(leaf, ViolationOf):
                # an accord's own obligation is named by its bare id or as ACCORD.ID
                broken.add(leaf.obligation.removeprefix(f"{accord.id}."))
    for step in accord.steps:
        if step.id not in overdue:
            finder.add(
                Code.DEADLINE_WITHOUT_CONSEQUENCE,
                "warning",
                step.id,
                (step.id,),
                finder.step_at(step, "deadline"),
                f"no consequence if {step.party}'s step {step.id} is overdue",
            )
    for index, obligation in enumerate(accord.obligations):
        if obligation.id not in broken:
            finder.add(
                Code.OBLIGATION_WITHOUT_CONSEQUENCE,
                "warning",
                obligation.id,
                (),
                ("obligations", index),
                f"no consequence if {obligation.party} breaks obligation {obligation.id}",
            )


CHECKS = (
    check_concessions,
    check_irreversible,
    check_unverified_steps,
    check_deadlines,
    check_declarations,
    check_consequences,
)


def largest_exposure(network: Network, schedule: Schedule) -> Exposure:
    """The most concession weight ahead of verified weight on the deadline schedule."""
    accord = network.accord
    changes: list[tuple[int, int, float, str]] = []
    for i, step in enumerate(accord.steps):
        if network.concession[i]:
            changes.append((schedule.taken[step.id].toordinal(), 1, step.weight, step.id))
        elif network.inspected[i]:
            changes.append((schedule.verified[step.id].toordinal(), 0, -step.weight, step.id))
    changes.sort(key=lambda c: (c[0], c[1]))
    eps = 1e-9 * max(1.0, sum(abs(c[2]) for c in changes))
    balance = conceded = verified = 0.0
    best = Exposure(0.0, None, (), 0.0, 0.0)
    stretch: list[str] = []
    for k, (day, is_concession, weight, ident) in enumerate(changes):
        balance += weight
        if is_concession:
            conceded += weight
            stretch.append(ident)
        else:
            verified -= weight
        end_of_day = k + 1 == len(changes) or changes[k + 1][0] != day
        if not end_of_day:
            continue
        if balance <= eps:
            stretch = []
        elif balance > best.weight + eps:
            best = Exposure(balance, date.fromordinal(day), tuple(stretch), verified, conceded)
    return best
