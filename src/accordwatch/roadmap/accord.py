"""The accord as data: parties, phases and the steps of the road map.

An accord file is YAML (schema: `accordwatch accord schema`). Each step says
who acts, by when, what must be *verified* before it may be taken
(`requires`: this is how reciprocity is written) and how it is itself
verified. Deadlines are a date, `end of phase`, relative to another step
(`90d after declare-nuclear verified`), or relative to the day the accord
entered into force (`90d after entry into force`); a phase ends on a date or
`Nd after entry into force`. An accord written with relative dates can be
signed on any day: its schedule starts when it is in force.

An accord may also list `obligations`: what a party must not do while the
accord is in force (a freeze on nuclear tests, on launches), written as the
obligations files of `compliance_obligations` are, with the accord itself as
the instrument. When such an obligation starts to bind (`effective`) is
`entry into force`, a date, `deadline of STEP`, `STEP reported` or `STEP
verified`; `accord_obligations` resolves it against the log.

This module is pure: parsing text into `Accord` and the canonical form that
parties sign. Locating problems in the file is `accord_check`; evaluating
status against the log is `roadmap`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
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
)

from accordwatch.compliance.obligations import ObligationTerms
from accordwatch.compliance.rules import parse_rule
from accordwatch.log.canonical import canonical_json
from accordwatch.log.records import NAME_PATTERN

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
_AFTER_FORCE = re.compile(r"^(\d+)d after entry into force$")
DEADLINE_FORMS = (
    "a date (YYYY-MM-DD), 'end of phase', 'Nd after entry into force', "
    "or 'Nd after STEP verified|reported'"
)


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


@dataclass(frozen=True)
class AfterEntryIntoForce:
    """N days after the day the accord (its first version) entered into force."""

    days: int

    def on(self, entered: date) -> date | None:
        """The date, counting from `entered`; None beyond the last representable date."""
        try:
            return entered + timedelta(days=self.days)
        except OverflowError:
            return None


Deadline = FixedDeadline | PhaseEndDeadline | RelativeDeadline | AfterEntryIntoForce
PhaseEnd = date | AfterEntryIntoForce


def _after_force(text: str) -> AfterEntryIntoForce | None:
    match = _AFTER_FORCE.match(text)
    return AfterEntryIntoForce(int(match.group(1))) if match else None


def parse_phase_end(value: object) -> PhaseEnd:
    """A phase's end from its file form; raises ValueError with the accepted forms."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = " ".join(value.split())
        after = _after_force(text)
        if after is not None:
            return after
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(
        f"phase end {value!r} must be a date (YYYY-MM-DD) or 'Nd after entry into force'"
    )


def parse_deadline(value: object) -> Deadline:
    """A deadline from its file form; raises ValueError with the accepted forms."""
    if isinstance(value, date):
        return FixedDeadline(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        if text == "end of phase":
            return PhaseEndDeadline()
        after = _after_force(text)
        if after is not None:
            return after
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
    raise ValueError(f"deadline {value!r} must be {DEADLINE_FORMS}")


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
    ends: str | date = Field(
        description="the phase's end, YYYY-MM-DD or 'Nd after entry into force'; "
        "'end of phase' deadlines fall here"
    )

    @field_validator("ends")
    @classmethod
    def _ends_form(cls, value: str | date) -> str | date:
        parse_phase_end(value)
        return value

    def end_on(self, entered: date | None) -> date | None:
        """The phase's end date, for an accord that entered into force on `entered`."""
        end = parse_phase_end(self.ends)
        if isinstance(end, date):
            return end
        return None if entered is None else end.on(entered)


class Verification(Model):
    method: VerificationMethod
    by: Id = Field(description="the party whose word verifies the step")
    within_days: int | None = Field(
        default=None, ge=1, description="how long a reported step may wait for verification"
    )


class Step(Model):
    id: Id
    title: str = Field(min_length=1)
    phase: Id
    party: Id = Field(description="the acting party")
    kind: StepKind
    deadline: str | date = Field(
        description="YYYY-MM-DD, 'end of phase', 'Nd after entry into force', "
        "or 'Nd after STEP verified|reported'"
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

    @model_serializer(mode="wrap")
    def _without_empty_obligations(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # An accord without obligations keeps the canonical form (and digest) it had
        # before accords could carry them, so versions signed then still match.
        data: dict[str, Any] = handler(self)
        if not self.obligations:
            data.pop("obligations", None)
        return data

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

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
