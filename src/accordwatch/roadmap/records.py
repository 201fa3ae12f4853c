"""The road map's record types: accord signatures, witness policies, step reports and
step verifications."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from accordwatch.errors import InputError
from accordwatch.log.policy import Policy
from accordwatch.log.records import Name, Payload, RecordType
from accordwatch.log.roles import Role
from accordwatch.roadmap.accord import Accord
from accordwatch.validation_messages import first_problem

ACCORD_ROLES = frozenset({Role.DECLARANT, Role.PARTY, Role.INSPECTORATE})


class AccordSignature(Payload):
    """A party's signature of one exact version of an accord (the whole text travels with it)."""

    accord_id: Name
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the canonical accord")
    accord: dict[str, Any] = Field(description="the accord, as parsed from its file")

    @model_validator(mode="after")
    def _digest_matches(self) -> AccordSignature:
        try:
            parsed = Accord.model_validate(self.accord)
        except ValidationError as exc:
            raise ValueError(f"the signed accord is invalid: {first_problem(exc)}") from None
        if parsed.id != self.accord_id:
            raise ValueError(f"accord_id {self.accord_id!r} is not the accord's id {parsed.id!r}")
        if parsed.digest() != self.digest:
            raise ValueError("digest does not match the canonical form of the accord")
        return self

    def signer_problem(self, signer: str) -> str | None:
        listed = {p.get("id") for p in self.accord.get("parties", [])}
        if signer not in listed:
            return f"party {signer!r} is not a party to accord {self.accord_id!r}"
        return None


class AccordPolicy(Payload):
    """A party's signature of one witness policy text (C2SP tlog-policy) for an accord.

    The policy says which witnesses must cosign the log's checkpoints before
    the parties trust them; it is in force once every party of the accord
    version in force signed the same text (`roadmap.witness_policy`).
    """

    accord_id: Name
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the policy text")
    policy: str = Field(min_length=1, max_length=500_000, description="the policy file's text")

    @model_validator(mode="after")
    def _policy_parses(self) -> AccordPolicy:
        try:
            parsed = Policy.parse(self.policy)
        except InputError as exc:
            raise ValueError(f"the signed policy is invalid: {exc.message}") from None
        if parsed.digest != self.digest:
            raise ValueError("digest is not the SHA-256 of the policy text")
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


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType("accord.signature", AccordSignature, ACCORD_ROLES, "sign a version of an accord"),
    RecordType(
        "accord.policy",
        AccordPolicy,
        ACCORD_ROLES,
        "sign the witness policy of an accord (in force once every party signed it)",
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
)
