"""Consequences written into an accord: what a party does when another misses a deadline.

An accord file may list `consequences`. Each names the party that must act
(`party`), what sets it off (`when`), the response it prescribes and how soon
(`respond`), the concessions held back while it stands (`suspends`), what
clears it (`until`) and its text:

    consequences:
      - id: resume-exercises
        party: usa
        when:
          overdue: {step: declare-nuclear, days: 30}
        respond: {kind: resume-exercises, within_days: 30}
        suspends: [usa-sanctions-relief-2]
        until: {step: declare-nuclear, verified: true}
        text: The United States resumes the combined exercises it suspended.

A trigger (`when`) is data, never code, as an obligation's rule is:

- `overdue: {step: S, days: N}`: step S is still not reported N days after its
  deadline;
- `violation: {obligation: O}`: a certain violation of obligation O, one of
  the accord's own (`ACCORD.ID`, or its bare id) or of a shipped Security
  Council resolution (`unsc-1718-nuclear-test`);
- `verification: {step: S, result: verified|not-verified}`: the verifier of S
  gives that result;
- `any: [...]` / `all: [...]`: any one of the triggers, or all of them (each
  has happened by then).

This module holds the file's shape (pydantic models, as `accord` does) and
`parse_trigger`, which turns a `when` mapping into trigger values and says
where in it a mistake is (`when.any[1].overdue.days`). Checking what the
names refer to is `accord_consequences`; evaluation against the log is
`consequences`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accordwatch.log.records import NAME_PATTERN

Id = Annotated[str, Field(pattern=NAME_PATTERN)]

TRIGGER_KINDS = ("overdue", "violation", "verification")
COMBINATIONS = ("any", "all")
RESULTS = ("verified", "not-verified")


class TriggerError(ValueError):
    """A malformed trigger; `path` says where in it (`when.any[1].overdue.days`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Overdue:
    """Step `step` not reported `days` days after its deadline."""

    step: str
    days: int


@dataclass(frozen=True, slots=True)
class ViolationOf:
    """A certain violation of `obligation` (as written in the file)."""

    obligation: str


@dataclass(frozen=True, slots=True)
class VerificationIs:
    """The verifier of `step` gives the result `verified` (True) or `not-verified` (False)."""

    step: str
    verified: bool


@dataclass(frozen=True, slots=True)
class AnyTrigger:
    parts: tuple[Trigger, ...]


@dataclass(frozen=True, slots=True)
class AllTrigger:
    parts: tuple[Trigger, ...]


Trigger = Overdue | ViolationOf | VerificationIs | AnyTrigger | AllTrigger


def _fields(value: Any, path: str, wanted: dict[str, type]) -> dict[str, Any]:
    if not isinstance(value, dict):
        names = ", ".join(wanted)
        raise TriggerError(path, f"must be a mapping with {names}")
    for key in value:
        if key not in wanted:
            raise TriggerError(f"{path}.{key}", f"unknown field (expected {', '.join(wanted)})")
    for key, kind in wanted.items():
        if key not in value:
            raise TriggerError(path, f"missing field {key!r}")
        item = value[key]
        if kind is int and (isinstance(item, bool) or not isinstance(item, int)):
            raise TriggerError(f"{path}.{key}", f"must be a whole number of days, got {item!r}")
        if kind is str and not isinstance(item, str):
            raise TriggerError(f"{path}.{key}", f"must be text, got {item!r}")
    return value


def _name(value: str, path: str) -> str:
    if not re.match(NAME_PATTERN, value):
        raise TriggerError(path, f"must be a lower-case id, got {value!r}")
    return value


def parse_trigger(value: Any, path: str = "when") -> Trigger:
    """The trigger a `when` mapping writes; `TriggerError` naming where it is malformed."""
    if not isinstance(value, dict) or len(value) != 1:
        raise TriggerError(
            path,
            "must be a mapping with exactly one of "
            + ", ".join(TRIGGER_KINDS + COMBINATIONS)
            + (f", got {', '.join(map(str, value))}" if isinstance(value, dict) and value else ""),
        )
    ((kind, body),) = value.items()
    here = f"{path}.{kind}"
    if kind == "overdue":
        fields = _fields(body, here, {"step": str, "days": int})
        if fields["days"] < 0:
            raise TriggerError(f"{here}.days", f"must be 0 or more, got {fields['days']}")
        return Overdue(_name(fields["step"], f"{here}.step"), fields["days"])
    if kind == "violation":
        fields = _fields(body, here, {"obligation": str})
        return ViolationOf(_name(fields["obligation"], f"{here}.obligation"))
    if kind == "verification":
        fields = _fields(body, here, {"step": str, "result": str})
        if fields["result"] not in RESULTS:
            raise TriggerError(
                f"{here}.result", f"must be verified or not-verified, got {fields['result']!r}"
            )
        return VerificationIs(_name(fields["step"], f"{here}.step"), fields["result"] == "verified")
    if kind in COMBINATIONS:
        if not isinstance(body, list):
            raise TriggerError(here, "must be a list of triggers")
        parts = tuple(parse_trigger(part, f"{here}[{i}]") for i, part in enumerate(body))
        return AnyTrigger(parts) if kind == "any" else AllTrigger(parts)
    raise TriggerError(
        f"{path}.{kind}",
        f"unknown trigger {kind!r} (expected one of {', '.join(TRIGGER_KINDS + COMBINATIONS)})",
    )


def leaves(trigger: Trigger) -> list[Overdue | ViolationOf | VerificationIs]:
    """The single triggers of `trigger`, in file order."""
    if isinstance(trigger, AnyTrigger | AllTrigger):
        return [leaf for part in trigger.parts for leaf in leaves(part)]
    return [trigger]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Respond(_Model):
    kind: Id = Field(description="the response prescribed, e.g. resume-exercises")
    within_days: int = Field(ge=1, description="days after the trigger the response must come")


class Until(_Model):
    step: Id = Field(description="the step whose verification clears the consequence")
    verified: Literal[True] = Field(
        default=True, description="cleared by a verification result on or after the trigger"
    )


class Consequence(_Model):
    id: Id
    party: Id = Field(description="the party that must act")
    when: dict[str, Any] = Field(
        description="one trigger (overdue, violation, verification) or any:/all: of them"
    )
    respond: Respond
    suspends: list[Id] = Field(
        default_factory=list, description="concession steps held back while it stands"
    )
    until: Until | None = Field(default=None, description="what clears the consequence")
    text: str = Field(min_length=1)

    @field_validator("when")
    @classmethod
    def _trigger_form(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_trigger(value)  # a TriggerError is a ValueError: it says where in the trigger
        return value

    @property
    def trigger(self) -> Trigger:
        return parse_trigger(self.when)
