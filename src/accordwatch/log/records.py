"""Record types: what may be logged, by whom, and the payload each carries.

A record type names a pydantic payload model and the roles allowed to submit
it. The check (`accordwatch.log.check`) consults this table before anything is
stored; capabilities built on the ledger add their record types here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from accordwatch.errors import InputError
from accordwatch.safeguards import accountancy, inspection

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"

Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case identifier")]
KeyId = Annotated[str, Field(pattern=KEY_ID_PATTERN, description="16 hex digits")]


class Role(StrEnum):
    """What a party is in the accord, which decides what it may submit."""

    REGISTRAR = "registrar"  # operates the log: registers parties and keys
    DECLARANT = "declarant"  # the inspected state: declarations, step reports
    INSPECTORATE = "inspectorate"  # verifies: inspections, verification results
    PARTY = "party"  # another state party: step reports, concessions, responses
    OBSERVER = "observer"  # reports observed events (a research centre, a monitor)


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def acting_party(self) -> str | None:
        """The party the payload speaks for, which must then be its signer (None: any)."""
        return None


class Genesis(Payload):
    """Entry 0: the log's identity and the registrar who admits everyone else."""

    origin: str = Field(min_length=1, max_length=200)
    log_key: str = Field(description="the log's checkpoint verifier key, signed-note form")
    registrar: Name
    registrar_public_key: str = Field(description="base64 Ed25519 public key")


class PartyRegistration(Payload):
    name: Name
    role: Role
    display_name: str = Field(default="", max_length=200)


class KeyRegistration(Payload):
    party: Name
    key_id: KeyId
    public_key: str = Field(description="base64 Ed25519 public key (32 bytes)")
    replaces: KeyId | None = Field(
        default=None, description="a key of the same party that this one rotates out"
    )


class KeyRevocation(Payload):
    party: Name
    key_id: KeyId
    reason: str = Field(default="", max_length=500)


class Statement(Payload):
    """A signed public statement: a note of record that any party may make."""

    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=100_000)
    refers_to: list[int] = Field(default_factory=list, description="log indices referred to")


class AccordSignature(Payload):
    """A party's signature of one exact version of an accord (the whole text travels with it)."""

    accord_id: Name
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the canonical accord")
    accord: dict[str, Any] = Field(description="the accord, as parsed from its file")

    @model_validator(mode="after")
    def _digest_matches(self) -> AccordSignature:
        from accordwatch.roadmap.accord import Accord

        try:
            parsed = Accord.model_validate(self.accord)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"the signed accord is invalid at {loc}: {first['msg']}") from None
        if parsed.id != self.accord_id:
            raise ValueError(f"accord_id {self.accord_id!r} is not the accord's id {parsed.id!r}")
        if parsed.digest() != self.digest:
            raise ValueError("digest does not match the canonical form of the accord")
        return self


class Evidence(Payload):
    name: str = Field(min_length=1, max_length=300)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class StepReport(Payload):
    """The acting party says a step of the road map is done."""

    accord_id: Name
    step: Name
    on: date
    note: str = Field(default="", max_length=10_000)
    evidence: list[Evidence] = Field(default_factory=list)


class StepVerification(Payload):
    """The verifying side's word on a step: verified or not, with its finding."""

    accord_id: Name
    step: Name
    on: date
    result: Literal["verified", "not-verified"]
    finding: str = Field(default="", max_length=10_000)


class DeclarationRecord(Payload):
    """A data declaration of a nuclear or missile program (schema: `accordwatch.declarations.reading`)."""

    declaration: dict[str, Any]

    @model_validator(mode="after")
    def _consistent(self) -> DeclarationRecord:
        from accordwatch.declarations.check import checked
        from accordwatch.declarations.reading import DeclarationError

        try:
            checked(self.declaration)
        except DeclarationError as exc:
            raise ValueError(exc.message) from None
        return self

    def acting_party(self) -> str | None:
        return str(self.declaration["party"])


class EventSourceRow(Payload):
    """The source row an event comes from, kept verbatim with its SHA-256 digest."""

    id: Name = Field(description="short id of the source, e.g. cns")
    name: str = Field(min_length=1, max_length=300)
    url: str = Field(default="", max_length=500)
    file: str = Field(min_length=1, max_length=300)
    row: str = Field(min_length=1, max_length=200, description="the row's key in the source")
    line: int = Field(ge=0, description="line (CSV) or position (JSON) in the file")
    content: dict[str, Any]
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of canonical content")


class EventRecord(Payload):
    """An observed event (a launch, a nuclear test, an observation): `accordwatch.compliance.events`."""

    event_id: str = Field(min_length=1, max_length=300, description="<source>:<row key>")
    type: str
    on: date
    precision: Literal["day", "month", "year"] = "day"
    occurrence: str = Field(min_length=1, max_length=300, description="rows of one event")
    actor: Name
    count: int = Field(default=1, ge=1)
    attributes: dict[str, str | int | float | None] = Field(default_factory=dict)
    source: EventSourceRow
    supersedes: int | None = Field(default=None, ge=0, description="log index it corrects")

    @model_validator(mode="after")
    def _consistent(self) -> EventRecord:
        from accordwatch.compliance.events import check_event_fields, content_digest

        problem = check_event_fields(self.type, self.attributes)
        if problem:
            raise ValueError(problem)
        if content_digest(self.source.content) != self.source.digest:
            raise ValueError("source.digest does not match the source row's content")
        return self


ResponseKind = Literal[
    "sc-resolution",
    "sc-statement",
    "sanctions-designation",
    "resumed-exercise",
    "diplomatic-protest",
    "other",
    "none-decided",
]


class ResponseRecord(Payload):
    """A response to violations (`accordwatch.compliance.responses`)."""

    to: list[str] = Field(min_length=1, description="violation ids")
    kind: ResponseKind
    on: date
    by: str = Field(default="", max_length=300, description="who responded, if not the signer")
    reference: str = Field(default="", max_length=300)
    note: str = Field(default="", max_length=10_000)


class InventoryChangeReport(accountancy.InventoryChangeBody, Payload):
    """An inventory change report of an MBA (schema: `accordwatch.safeguards.accountancy`)."""


class PhysicalInventoryListing(accountancy.PhysicalInventoryBody, Payload):
    """A physical inventory listing of an MBA, item by item (`accordwatch.safeguards.accountancy`)."""


class MaterialBalanceReport(accountancy.MaterialBalanceBody, Payload):
    """A material balance report of an MBA for one period (`accordwatch.safeguards.accountancy`)."""


class InspectionPlan(inspection.InspectionPlanBody, Payload):
    """Strata, sample sizes and populations of an inspection (`accordwatch.safeguards.inspection`)."""


class InspectionReport(inspection.InspectionReportBody, Payload):
    """What an inspection found, against its plan (`accordwatch.safeguards.inspection`)."""


ANY_ROLE = frozenset(Role)
ACCORD_ROLES = frozenset({Role.DECLARANT, Role.PARTY, Role.INSPECTORATE})
OWNER = "owner"  # for key revocation: the party that owns the key


@dataclass(frozen=True)
class RecordType:
    name: str
    payload: type[Payload]
    roles: frozenset[Role]
    description: str
    allows_owner: bool = False
    #: registrations must stay public: everyone needs them to check signatures
    may_be_confidential: bool = False

    def parse_payload(self, data: Any, *, where: str) -> Payload:
        if not isinstance(data, dict):
            raise InputError(f"{self.name} payload must be a JSON object", where=where)
        try:
            return self.payload.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "payload"
            more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise InputError(
                f"{self.name} payload field {loc}: {first['msg']}{more}", where=where
            ) from exc


RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType("log.genesis", Genesis, frozenset({Role.REGISTRAR}), "the log's first entry"),
        RecordType(
            "party.register", PartyRegistration, frozenset({Role.REGISTRAR}), "admit a party"
        ),
        RecordType(
            "key.register", KeyRegistration, frozenset({Role.REGISTRAR}), "register a party key"
        ),
        RecordType(
            "key.revoke",
            KeyRevocation,
            frozenset({Role.REGISTRAR}),
            "revoke a party key (by the registrar or the key's own party)",
            allows_owner=True,
        ),
        RecordType(
            "statement", Statement, ANY_ROLE, "a signed statement", may_be_confidential=True
        ),
        RecordType(
            "accord.signature", AccordSignature, ACCORD_ROLES, "sign a version of an accord"
        ),
        RecordType(
            "step.report",
            StepReport,
            frozenset({Role.DECLARANT, Role.PARTY}),
            "report a road map step as done",
        ),
        RecordType(
            "step.verification",
            StepVerification,
            ACCORD_ROLES,
            "verify a reported step (or acknowledge a concession received)",
        ),
        RecordType(
            "declaration",
            DeclarationRecord,
            frozenset({Role.DECLARANT}),
            "a data declaration of a nuclear or missile program (confidential by default)",
            may_be_confidential=True,
        ),
        RecordType(
            "event",
            EventRecord,
            frozenset({Role.OBSERVER, Role.INSPECTORATE, Role.PARTY}),
            "an observed event (launch, nuclear test, observation) with its source row",
        ),
        RecordType(
            "response",
            ResponseRecord,
            frozenset({Role.PARTY, Role.OBSERVER, Role.INSPECTORATE}),
            "a response to violations (resolution, statement, sanctions, exercise, protest)",
        ),
        RecordType(
            "accountancy.inventory-change",
            InventoryChangeReport,
            frozenset({Role.DECLARANT}),
            "an inventory change report of a material balance area",
            may_be_confidential=True,
        ),
        RecordType(
            "accountancy.physical-inventory",
            PhysicalInventoryListing,
            frozenset({Role.DECLARANT}),
            "a physical inventory listing of a material balance area",
            may_be_confidential=True,
        ),
        RecordType(
            "accountancy.material-balance",
            MaterialBalanceReport,
            frozenset({Role.DECLARANT}),
            "a material balance report of a material balance area",
            may_be_confidential=True,
        ),
        RecordType(
            "inspection.plan",
            InspectionPlan,
            frozenset({Role.INSPECTORATE}),
            "an inspection plan (strata, sample sizes), fixed before its seeded draw",
            may_be_confidential=True,
        ),
        RecordType(
            "inspection.report",
            InspectionReport,
            frozenset({Role.INSPECTORATE}),
            "the results of an inspection against its plan",
            may_be_confidential=True,
        ),
    )
}


def record_type(name: str, *, where: str) -> RecordType:
    try:
        return RECORD_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(RECORD_TYPES))
        raise InputError(f"unknown record type {name!r} (known: {known})", where=where) from None
