"""Record types: what may be logged, by whom, and the payload each carries.

A record type names a pydantic payload model and the roles allowed to submit
it. The log's own record types (its genesis, parties, keys and statements)
are here; each domain declares its own beside its model, and
`accordwatch.catalog` puts them all in one `Catalog`, which the check
(`accordwatch.log.check`), the ledger and the audit are handed. A payload
type that the check must ask something of its signer says so through
`Payload.signer_problem`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accordwatch.errors import InputError
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.roles import Role
from accordwatch.validation_messages import ID_PATTERN, first_problem

NAME_PATTERN = ID_PATTERN
_NAME = re.compile(NAME_PATTERN)
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"

Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case identifier")]
KeyId = Annotated[str, Field(pattern=KEY_ID_PATTERN, description="16 hex digits")]


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def acting_party(self) -> str | None:
        """The party the payload speaks for, which must then be its signer (None: any)."""
        return None

    def signer_problem(self, signer: str) -> str | None:
        """Why `signer` may not submit this payload, beyond its role (None: it may)."""
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
    public_key: str = Field(
        description="base64 public key: Ed25519 (32 bytes) for signing, "
        "ML-KEM-768 + X25519 (1216 bytes) for encryption"
    )
    replaces: KeyId | None = Field(
        default=None, description="a key of the same party that this one rotates out"
    )
    purpose: KeyPurpose = KeyPurpose.SIGNING


class KeyRotation(KeyRegistration):
    """A party replaces one of its own keys, without the registrar.

    Signed by the party itself: a signing key by that very key, an encryption
    key by one of the party's active signing keys. Its state changes as a
    registration with `replaces` does.
    """

    replaces: KeyId = Field(description="the party's active key that this one rotates out")

    def acting_party(self) -> str | None:
        return self.party


class KeyRevocation(Payload):
    party: Name
    key_id: KeyId
    reason: str = Field(default="", max_length=500)


class PartyRevocation(Payload):
    """The end of a party: its keys are revoked and it may submit nothing more.

    Its earlier entries stay valid: revocation follows log order, as a key's does.
    """

    name: Name
    reason: str = Field(min_length=1, max_length=500)


class Statement(Payload):
    """A signed public statement: a note of record that any party may make."""

    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=100_000)
    refers_to: list[int] = Field(default_factory=list, description="log indices referred to")


ANY_ROLE = frozenset(Role)


@dataclass(frozen=True)
class RecordType:
    name: str
    payload: type[Payload]
    roles: frozenset[Role]
    description: str
    allows_owner: bool = False
    #: registrations must stay public: everyone needs them to check signatures
    may_be_confidential: bool = False
    #: roles that may read a confidential record's content, besides the party that submitted it
    readers: frozenset[Role] = frozenset()

    def parse_payload(self, data: Any, *, where: str) -> Payload:
        if not isinstance(data, dict):
            raise InputError(f"{self.name} payload must be a JSON object", where=where)
        try:
            return self.payload.model_validate(data)
        except ValidationError as exc:
            problem = first_problem(exc, known=self.payload.model_fields)
            raise InputError(f"{self.name} payload: {problem}", where=where) from exc


LOG_RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType("log.genesis", Genesis, frozenset({Role.REGISTRAR}), "the log's first entry"),
    RecordType("party.register", PartyRegistration, frozenset({Role.REGISTRAR}), "admit a party"),
    RecordType(
        "key.register", KeyRegistration, frozenset({Role.REGISTRAR}), "register a party key"
    ),
    RecordType(
        "key.rotate",
        KeyRotation,
        ANY_ROLE,
        "a party replaces its own key, signed by its current key",
    ),
    RecordType(
        "key.revoke",
        KeyRevocation,
        frozenset({Role.REGISTRAR}),
        "revoke a party key (by the registrar or the key's own party)",
        allows_owner=True,
    ),
    RecordType(
        "party.revoke",
        PartyRevocation,
        frozenset({Role.REGISTRAR}),
        "end a party: its keys are revoked, its later submissions refused",
    ),
    RecordType("statement", Statement, ANY_ROLE, "a signed statement", may_be_confidential=True),
)


class Catalog:
    """Every record type one log accepts, by name.

    The log knows no domain: whoever opens a log hands it the catalog of the
    record types it accepts (`accordwatch.catalog.CATALOG` for accordwatch's).
    """

    def __init__(self, types: Iterable[RecordType]) -> None:
        self._types: dict[str, RecordType] = {}
        for rt in types:
            if rt.name in self._types:
                raise ValueError(f"record type {rt.name!r} is declared twice")
            self._types[rt.name] = rt

    def get(self, name: str, *, where: str) -> RecordType:
        """The record type called `name`, or an error listing the known ones."""
        try:
            return self._types[name]
        except KeyError:
            known = ", ".join(sorted(self._types))
            raise InputError(
                f"unknown record type {name!r} (known: {known})", where=where
            ) from None

    def readers(self, name: str) -> frozenset[Role]:
        """Roles that may read a confidential `name` record besides its submitter."""
        rt = self._types.get(name)
        return rt.readers if rt is not None else frozenset()

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[RecordType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)
