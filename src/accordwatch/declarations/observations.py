"""Observations: a site seen by national technical means or in open sources.

A party or an inspectorate logs what it observed (a site: its name, category
and location), where, when, by which means, and the SHA-256 of its evidence
file (an image, a report). The file itself stays with the observer; its
digest in the log fixes which file it was. Against an escrow, an observation
of a site in a part already revealed that the reveal does not hold is an
undeclared item (`escrow_findings`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from accordwatch.declarations.base import Location
from accordwatch.log.records import Name, Payload, RecordType
from accordwatch.log.roles import Role
from accordwatch.roadmap.records import Evidence

METHODS = ("national-technical-means", "open-source")
Method = Literal["national-technical-means", "open-source"]


class ObservedSite(Payload):
    """The site as the observer identifies it; `id` only if it knows the declared one."""

    id: Name | None = None
    name: str = Field(min_length=1, max_length=300)
    category: str = Field(min_length=1, max_length=100, description="e.g. enrichment, reactor")
    location: Location


class ObservationRecord(Payload):
    """Who observed what, where, when and by which means, with its evidence file's digest."""

    observation_id: Name
    observer: str = Field(min_length=1, max_length=300, description="who observed")
    method: Method
    observed_on: date
    program: Literal["nuclear", "missile"] = Field(description="the program the site belongs to")
    site: ObservedSite
    what: str = Field(default="", max_length=10_000, description="what was observed")
    evidence: list[Evidence] = Field(min_length=1, description="the evidence files' SHA-256")
    accord_id: Name | None = None


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "observation",
        ObservationRecord,
        frozenset({Role.PARTY, Role.INSPECTORATE}),
        "a site observed by national technical means or in open sources, with its evidence",
    ),
)
