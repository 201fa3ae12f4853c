"""What the nuclear and missile declarations share: header, locations, identifiers, problems.

A declaration is one party's complete statement about one program as of one
date. Its header says who declares, as of when, which accord step it fulfils,
and whether it corrects (`supersedes`) or brings up to date (`updates`) an
earlier declaration. Every problem found in a declaration, by the schema or by
a check, is a `Problem` with the field path where it lies; a spreadsheet
import maps that path to sheet, row and column (`declaration_xlsx`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from accordwatch.log.records import NAME_PATTERN

UID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"

Name = Annotated[
    str, Field(pattern=NAME_PATTERN, description="lower-case identifier (a-z, 0-9, . _ -)")
]
Uid = Annotated[
    str,
    Field(
        pattern=UID_PATTERN,
        description="unique identifier of one item for its whole life (letters, digits, . _ / -)",
    ),
]
Text = Annotated[str, Field(max_length=2000)]
Mass = Annotated[Decimal, Field(ge=0, description="an exact decimal mass, in the line's unit")]
Count = Annotated[int, Field(ge=0)]

#: a field path inside a declaration, e.g. ("missiles", 12, "location")
FieldPath = tuple[str | int, ...]


class Program(StrEnum):
    NUCLEAR = "nuclear"
    MISSILE = "missile"


class SiteStatus(StrEnum):
    OPERATING = "operating"
    STANDBY = "standby"
    SHUT_DOWN = "shut down"
    DISABLED = "disabled"
    DISMANTLED = "dismantled"


class Model(BaseModel):
    """Every declaration model: unknown fields are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, cache_strings="all")


#: the same rules for the entries a declaration may hold by the million (missiles,
#: inventory lines): a slotted dataclass is several times smaller and faster to
#: build than a model, which matters at a million items
item = pydantic_dataclass(
    frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid", cache_strings="all")
)


def entry_fields(entry: Any) -> dict[str, Any]:
    """The fields of a declaration entry (model or item) by name."""
    if dataclasses.is_dataclass(entry):
        return {f.name: getattr(entry, f.name) for f in dataclasses.fields(entry)}
    return dict(entry.__dict__)


class Location(Model):
    """Where a site is: WGS 84 coordinates in decimal degrees and a place name."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    place: str = Field(default="", max_length=300, description="province, county or landmark")
    region: str | None = Field(
        default=None, max_length=100, description="the region an escrow may be opened by"
    )


class Header(Model):
    """Who declares what, as of when, for which accord step, in place of what."""

    id: Name = Field(description="this declaration's identifier, unique for the declaring party")
    party: Name = Field(description="the declaring party: only it may sign the declaration")
    as_of: date = Field(description="the date the declaration describes")
    accord: Name | None = Field(default=None, description="the accord this declaration serves")
    step: Name | None = Field(default=None, description="the accord step it fulfils")
    supersedes: Name | None = Field(
        default=None,
        description="id of an earlier declaration this one corrects (same program and date)",
    )
    updates: Name | None = Field(
        default=None,
        description="id of an earlier declaration this one brings up to a later date",
    )
    illustrative: bool = Field(
        default=False, description="true when the figures are examples, not declared facts"
    )
    note: str = Field(default="", max_length=20_000)
    sources: list[Text] = Field(
        default_factory=list, description="public sources an illustrative declaration follows"
    )
    declared_empty: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        description=(
            "categories the party declares it has none of (an empty section is declared as "
            "empty, as in Additional Protocol declarations)"
        ),
    )


Severity = Literal["error", "finding"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a declaration, and where it is.

    `check` names the group of rules that found it: `schema`, `internal`,
    `over time`, `completeness` or `events`. Schema and internal problems are
    errors (a declaration with any is not stored); the others are findings for
    whoever verifies the declaration.
    """

    check: str
    kind: str
    path: FieldPath
    message: str

    @property
    def severity(self) -> Severity:
        return "error" if self.check in ("schema", "internal") else "finding"

    def format(self, locate: Callable[[FieldPath], str] | None = None) -> str:
        where = (locate or path_text)(self.path)
        return f"{where}: {self.message}" if where else self.message

    def to_json(self, locate: Callable[[FieldPath], str] | None = None) -> dict[str, Any]:
        return {
            "check": self.check,
            "kind": self.kind,
            "severity": self.severity,
            "where": (locate or path_text)(self.path),
            "message": self.message,
        }


def path_text(path: FieldPath) -> str:
    """`("missiles", 12, "location")` -> `missiles[12].location`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def grams(mass: Decimal, unit: str) -> Decimal:
    """A mass in grams from its value and unit (`g` or `kg`)."""
    return mass * 1000 if unit == "kg" else mass
