"""The accord as data: parties, phases and the steps of the road map.

An accord file is YAML (schema: `accordwatch accord schema`). Each step says
who acts, by when, what must be *verified* before it may be taken
(`requires`: this is how reciprocity is written) and how it is itself
verified. Deadlines are a date, `end of phase`, or relative to another step
(`90d after declare-nuclear verified`).

An accord may also list `obligations`: what a party must not do while the
accord is in force (a freeze on nuclear tests, on launches), written as the
obligations files of `compliance_obligations` are, with the accord itself as
the instrument. When such an obligation starts to bind (`effective`) is
`entry into force`, a date, `deadline of STEP`, `STEP reported` or `STEP
verified`; `accord_obligations` resolves it against the log.

A step's `kind` is one of the built-in `StepKind`s or a kind the file
declares under `kinds`, as a refinement of a built-in one (`sanctions-lift`,
`of: concession`). A kind may be marked `reversible: false` (a sanctions
lift, a peace declaration, a dismantlement): `accord assess` looks for
irreversible concessions given before the inspected party's irreversible
steps. `delays` gives, for `accord assess`'s Monte Carlo, how late steps may
be taken, per party or kind.

And it may list `consequences` (`consequence_terms`): what a party does when
a step is overdue, an obligation is broken or a verification fails, the
concessions held back meanwhile and what clears them.

This module is pure: parsing text into `Accord` and the canonical form that
parties sign. Locating problems in the file is `accord_check`; evaluating
status against the log is `roadmap`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from accordwatch.compliance.obligations import ObligationTerms
from accordwatch.compliance.rules import parse_rule
from accordwatch.log.canonical import canonical_json
from accordwatch.log.records import NAME_PATTERN
from accordwatch.roadmap.consequence_terms import Consequence

Id = Annotated[str, Field(pattern=NAME_PATTERN)]


class StepKind(StrEnum):
    DECLARE = "declare"
    FREEZE = "freeze"
    GRANT_ACCESS = "grant access"
    DISABLE = "disable"
    DISMANTLE = "dismantle"
    REMOVE = "remove"
    TRANSFER = "transfer"
    CONCESSION = "concession"
    OTHER = "other"


class VerificationMethod(StrEnum):
    INSPECTORATE = "inspectorate"  # an inspectorate verifies on the ground
    DECLARATION_ACCEPTED = "declaration accepted"  # a declaration found complete and correct
    ACKNOWLEDGMENT = "acknowledgment"  # the receiving party acknowledges (concessions)


class AccordRole(StrEnum):
    INSPECTED = "inspected"  # the state whose programs are verified
    COUNTERPART = "counterpart"  # a state that gives concessions
    INSPECTORATE = "inspectorate"
    GUARANTOR = "guarantor"


_RELATIVE = re.compile(r"^(\d+)d after ([a-z0-9][a-z0-9._-]*) (verified|reported)$")


@dataclass(frozen=True)
class FixedDeadline:
    on: date


@dataclass(frozen=True)
class PhaseEndDeadline:
    pass


@dataclass(frozen=True)
class RelativeDeadline:
    days: int
    step: str
    event: Literal["verified", "reported"]


Deadline = FixedDeadline | PhaseEndDeadline | RelativeDeadline


def parse_deadline(value: object) -> Deadline:
    """A deadline from its file form; raises ValueError with the accepted forms."""
    if isinstance(value, date):
        return FixedDeadline(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        if text == "end of phase":
            return PhaseEndDeadline()
        match = _RELATIVE.match(text)
        if match:
            event: Literal["verified", "reported"] = (
                "verified" if match.group(3) == "verified" else "reported"
            )
            return RelativeDeadline(int(match.group(1)), match.group(2), event)
        try:
            return FixedDeadline(date.fromisoformat(text))
        except ValueError:
            pass
    raise ValueError(
        f"deadline {value!r} must be a date (YYYY-MM-DD), 'end of phase', "
        "or 'Nd after STEP verified|reported'"
    )


_STEP_START = re.compile(
    r"^(?:deadline of ([a-z0-9][a-z0-9._-]*)|([a-z0-9][a-z0-9._-]*) (reported|verified))$"
)


@dataclass(frozen=True)
class EntryIntoForceStart:
    """Binds from the day the accord entered into force."""


@dataclass(frozen=True)
class FixedStart:
    on: date


@dataclass(frozen=True)
class StepStart:
    """Binds from a step's deadline, or the day it was (first) reported or verified."""

    step: str
    event: Literal["deadline", "reported", "verified"]


Start = EntryIntoForceStart | FixedStart | StepStart


def parse_start(value: object) -> Start:
    """When an accord's obligation starts to bind, from its file form; ValueError if malformed."""
    if isinstance(value, date):
        return FixedStart(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        if text == "entry into force":
            return EntryIntoForceStart()
        match = _STEP_START.match(text)
        if match:
            if match.group(1):
                return StepStart(match.group(1), "deadline")
            event: Literal["reported", "verified"] = (
                "verified" if match.group(3) == "verified" else "reported"
            )
            return StepStart(match.group(2), event)
        try:
            return FixedStart(date.fromisoformat(text))
        except ValueError:
            pass
    raise ValueError(
        f"effective {value!r} must be 'entry into force', a date (YYYY-MM-DD), "
        "'deadline of STEP', or 'STEP reported|verified'"
    )


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(Model):
    id: Id
    name: str = Field(min_length=1)
    role: AccordRole


class Phase(Model):
    id: Id
    title: str = Field(min_length=1)
    ends: date = Field(description="the phase's end; 'end of phase' deadlines fall here")


class Verification(Model):
    method: VerificationMethod
    by: Id = Field(description="the party whose word verifies the step")
    within_days: int | None = Field(
        default=None, ge=1, description="how long a reported step may wait for verification"
    )


class Kind(Model):
    """A kind of step the accord names: a built-in one, or a refinement of one (`of`)."""

    id: Id
    of: StepKind | None = Field(
        default=None,
        description="the built-in kind this one refines; not given for a built-in kind itself",
    )
    reversible: bool = Field(
        default=True, description="false when a step of this kind cannot be taken back"
    )
    description: str = ""

    @model_validator(mode="after")
    def _refines_a_builtin(self) -> Kind:
        builtin = self.id in StepKind.__members__.values()
        if builtin and self.of is not None and self.of != self.id:
            raise ValueError(f"a built-in kind cannot refine {self.of.value!r}")
        if not builtin and self.of is None:
            raise ValueError("not a built-in kind: say which built-in kind it refines with 'of'")
        return self

    @property
    def base(self) -> StepKind:
        return self.of if self.of is not None else StepKind(self.id)


class Delay(Model):
    """How many days after it could be taken a step is taken: exactly one distribution.

    `fixed: D`, `uniform: [LOW, HIGH]`, `triangular: [LOW, MODE, HIGH]` or
    `exponential: MEAN`, in days (drawn, then rounded to whole days).
    """

    fixed: float | None = Field(default=None, ge=0, le=36500)
    uniform: tuple[float, float] | None = None
    triangular: tuple[float, float, float] | None = None
    exponential: float | None = Field(default=None, gt=0, le=36500)

    @model_validator(mode="after")
    def _one_sound_distribution(self) -> Delay:
        given = [
            name
            for name in ("fixed", "uniform", "triangular", "exponential")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a delay is exactly one of fixed: D, uniform: [LOW, HIGH], "
                "triangular: [LOW, MODE, HIGH] or exponential: MEAN (days)"
            )
        bounds = self.uniform or self.triangular
        if bounds is not None:
            if not all(0 <= b <= 36500 for b in bounds):
                raise ValueError("delay bounds must be between 0 and 36500 days")
            if list(bounds) != sorted(bounds) or bounds[0] == bounds[-1]:
                raise ValueError(f"{given[0]} delay {list(bounds)} must rise from LOW to HIGH")
        return self

    def describe(self) -> str:
        if self.fixed is not None:
            return f"fixed {self.fixed:g}d"
        if self.uniform is not None:
            return f"uniform {self.uniform[0]:g}-{self.uniform[1]:g}d"
        if self.triangular is not None:
            low, mode, high = self.triangular
            return f"triangular {low:g}-{high:g}d (mode {mode:g})"
        return f"exponential, mean {self.exponential:g}d"


class Delays(Model):
    """The delays of `accord assess`'s Monte Carlo: a step's kind's, else its party's, else
    the default."""

    default: Delay | None = None
    parties: dict[Id, Delay] = Field(default_factory=dict)
    kinds: dict[Id, Delay] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.default is None and not self.parties and not self.kinds


class Step(Model):
    id: Id
    title: str = Field(min_length=1)
    phase: Id
    party: Id = Field(description="the acting party")
    kind: StepKind | Id = Field(
        union_mode="left_to_right", description="a built-in kind, or one declared under 'kinds'"
    )
    deadline: str | date = Field(
        description="YYYY-MM-DD, 'end of phase', or 'Nd after STEP verified|reported'"
    )
    requires: list[Id] = Field(
        default_factory=list, description="steps that must be verified before this one is taken"
    )
    verification: Verification
    weight: float = Field(default=1.0, ge=0)
    description: str = ""

    @field_validator("deadline")
    @classmethod
    def _deadline_form(cls, value: str | date) -> str | date:
        parse_deadline(value)
        return value

    @property
    def due(self) -> Deadline:
        return parse_deadline(self.deadline)


class AccordObligation(ObligationTerms):
    """An obligation the accord creates: the fields of an obligations file, less `instrument`.

    The instrument is the accord; `effective` says from when it binds (never before
    the accord entered into force).
    """

    effective: str | date = Field(
        default="entry into force",
        description="'entry into force', YYYY-MM-DD, 'deadline of STEP', 'STEP reported|verified'",
    )

    @field_validator("effective")
    @classmethod
    def _effective_form(cls, value: str | date) -> str | date:
        parse_start(value)
        return value

    @field_validator("rule")
    @classmethod
    def _rule_form(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_rule(value)  # a RuleError is a ValueError: it says where in the rule
        return value

    @property
    def start(self) -> Start:
        return parse_start(self.effective)


class EntryIntoForce(Model):
    rule: Literal["all parties sign"] = "all parties sign"
    description: str = ""


class Accord(Model):
    id: Id
    title: str = Field(min_length=1)
    illustrative: bool = Field(
        default=False, description="true when figures and dates are examples, not agreed terms"
    )
    note: str = ""
    parties: list[Party] = Field(min_length=2)
    entry_into_force: EntryIntoForce = EntryIntoForce()
    definitions: dict[str, list[str]] = Field(
        default_factory=dict, description="named lists: site categories, programs, ..."
    )
    verification_window_days: int = Field(
        default=90, ge=1, description="default wait for verification of a reported step"
    )
    phases: list[Phase] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    obligations: list[AccordObligation] = Field(
        default_factory=list,
        description="what parties must not do while the accord is in force (obligations rules)",
    )
    kinds: list[Kind] = Field(
        default_factory=list,
        description="kinds of step the file names or refines, and whether they are reversible",
    )
    delays: Delays = Field(
        default_factory=Delays,
        description="how late steps may be taken, per party or kind (for accord assess)",
    )
    consequences: list[Consequence] = Field(
        default_factory=list,
        description="what a party does when a deadline is missed or an obligation broken",
    )

    @model_serializer(mode="wrap")
    def _without_empty_obligations(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # An accord without obligations (kinds, delays, consequences) keeps the canonical
        # form (and digest) it had before accords could carry them, so versions signed
        # then still match.
        data: dict[str, Any] = handler(self)
        if not self.obligations:
            data.pop("obligations", None)
        if not self.kinds:
            data.pop("kinds", None)
        if self.delays.empty:
            data.pop("delays", None)
        if not self.consequences:
            data.pop("consequences", None)
        return data

    def kind(self, step: Step) -> Kind | None:
        """The declared kind of `step`, if the file declares it under `kinds`."""
        return next((k for k in self.kinds if k.id == step.kind), None)

    def base_kind(self, step: Step) -> StepKind:
        """The built-in kind of `step` (a declared kind's `of`; OTHER if undeclared)."""
        if isinstance(step.kind, StepKind):
            return step.kind
        declared = self.kind(step)
        return declared.base if declared is not None else StepKind.OTHER

    def reversible(self, step: Step) -> bool:
        declared = self.kind(step)
        return declared.reversible if declared is not None else True

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def consequence(self, consequence_id: str) -> Consequence:
        return next(c for c in self.consequences if c.id == consequence_id)

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    def canonical(self) -> bytes:
        """The bytes the parties sign: RFC 8785 over the parsed accord."""
        return canonical_json(self.model_dump(mode="json"))

    def digest(self) -> str:
        """Identifies this exact version: hex SHA-256 of the canonical form."""
        return hashlib.sha256(self.canonical()).hexdigest()


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of accord files."""
    schema = Accord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "accordwatch accord file"
    return schema
