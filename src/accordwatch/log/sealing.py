"""Openings sealed to their readers: a confidential payload only its readers can open.

A confidential entry's public envelope carries a salted commitment; its
opening (salt and payload) is encrypted separately to each reader's current
encryption key with HPKE (`log.hpke`), on the submitter's machine. The log
stores the ciphertexts and cannot open them; anyone may download them.

The HPKE `info` binds the log's origin, the entry's commitment and the
recipient's key id, so that a ciphertext moved to another entry, another
log or another key does not open; the commitment is the associated data as
well. An opened ciphertext must still match the commitment signed in the
log (`open_sealed`): what a reader sees is what was signed.

Who reads (`reader_parties`): the submitter, every party whose role the
record type names as its readers (every inspectorate, for declarations,
accountancy reports and inspections), and the recipients the submitter
names. A reader added later gets a ciphertext of its own by an
`opening.share` entry (`OpeningShare`) from a party that can read it.
Pure: the caller gives the keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import Field

from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.log import hpke
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.encoding import decode_base64
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.hpke import EncryptionKey
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.records import ANY_ROLE, Catalog, Name, Payload, RecordType
from accordwatch.log.registry import Registry
from accordwatch.log.roles import Role
from accordwatch.log.sealed_opening import SealedOpening

INFO_FORMAT = "accordwatch/sealed-opening/v1"
#: where a stored ciphertext comes from when the submitter sealed it (else: the share's entry)
SEALED_BY_SUBMITTER = -1


@dataclass(frozen=True)
class Recipient:
    """A reader's current encryption key: its party, key id and public key bytes."""

    party: str
    key_id: str
    public_key: bytes


class OpeningShare(Payload):
    """An opening sealed to a further reader by a party that can read it."""

    entry: int = Field(ge=0, description="the log index of the confidential entry")
    commitment: str = Field(description="that entry's commitment")
    party: Name = Field(description="the reader it is sealed to")
    key_id: str = Field(min_length=1, max_length=64, description="the reader's encryption key")
    ciphertext: str = Field(description="base64 HPKE ciphertext of the opening")

    def sealed(self, *, where: str) -> SealedOpening:
        data = decode_base64(self.ciphertext, "ciphertext", where=where)
        return SealedOpening(self.party, self.key_id, data)


def sealed_problem(
    catalog: Catalog,
    record_type: str,
    submitter: str,
    sealed: Sequence[SealedOpening],
    registry: Registry,
) -> str | None:
    """Why the log refuses a submission's sealed openings, or None.

    Each must be to the current encryption key of the party it names, and
    every reader the record type requires (the submitter and the roles it
    names) must have one: a submitter may add readers, not leave one out.
    """
    for s in sealed:
        key = registry.current_key(s.party, KeyPurpose.ENCRYPTION)
        if key is None or key.key_id != s.key_id:
            return f"key {s.key_id} is not the current encryption key of party {s.party!r}"
    covered = {s.party for s in sealed}
    required = reader_parties(catalog, record_type, submitter, active_roles(registry))
    missing = [p for p in required if p not in covered]
    if missing:
        return f"the opening is not sealed to {', '.join(missing)}, a reader of {record_type}"
    return None


def share_problem(share: OpeningShare, target: Envelope | None, registry: Registry) -> str | None:
    """Why the log refuses an `opening.share` entry, or None.

    It must name an earlier confidential entry by its commitment, and the
    current encryption key of the party it is sealed to. Whether the
    ciphertext opens only its recipient can tell (`open_sealed`).
    """
    if target is None:
        return f"opening.share names entry {share.entry}, not an earlier entry of this log"
    if target.commitment is None:
        return f"entry {share.entry} is public: it has no opening to share"
    if target.commitment != share.commitment:
        return f"the commitment named is not that of entry {share.entry}"
    key = registry.current_key(share.party, KeyPurpose.ENCRYPTION)
    if key is None or key.key_id != share.key_id:
        return f"key {share.key_id} is not the current encryption key of party {share.party!r}"
    return None


RECORD_TYPES = (
    RecordType(
        "opening.share",
        OpeningShare,
        ANY_ROLE,
        "an opening sealed to a further reader by one that can read it",
    ),
)


def seal_info(origin: str, commitment: str, key_id: str) -> bytes:
    """What the HPKE context is bound to: the log, the entry's commitment, the key."""
    return canonical_json(
        {"format": INFO_FORMAT, "log": origin, "commitment": commitment, "key_id": key_id}
    )


def active_roles(registry: Registry) -> dict[str, Role]:
    """The active parties and their roles, for `reader_parties`."""
    return {name: Role(p.role) for name, p in registry.parties.items() if p.active}


def reader_parties(
    catalog: Catalog,
    record_type: str,
    submitter: str,
    roles: Mapping[str, Role],
    named: Iterable[str] = (),
) -> list[str]:
    """Who reads a confidential `record_type` record: submitter, reader roles, named ones.

    `roles` holds the active parties and their roles.
    """
    readers = catalog.readers(record_type)
    found = {submitter, *named}
    found.update(party for party, role in roles.items() if role in readers)
    return sorted(found)


def current_recipient(registry: Registry, party: str) -> Recipient | None:
    """The party's current encryption key, if it registered one."""
    record = registry.current_key(party, KeyPurpose.ENCRYPTION)
    return None if record is None else Recipient(party, record.key_id, record.public_key)


def reader_keys(
    catalog: Catalog,
    registry: Registry,
    record_type: str,
    submitter: str,
    named: Iterable[str] = (),
) -> tuple[list[Recipient], list[str]]:
    """The current encryption keys of a record's readers (`reader_parties`), and the readers
    that have none."""
    keys, missing = [], []
    roles = active_roles(registry)
    for party in reader_parties(catalog, record_type, submitter, roles, named):
        key = current_recipient(registry, party)
        if key is None:
            missing.append(party)
        else:
            keys.append(key)
    return keys, missing


def seal_opening(
    opening: Opening, origin: str, commitment: str, recipients: Sequence[Recipient]
) -> list[SealedOpening]:
    """The opening encrypted separately to each recipient's key."""
    plaintext = canonical_json(opening.to_json())
    aad = commitment.encode()
    return [
        SealedOpening(
            r.party,
            r.key_id,
            hpke.seal(r.public_key, seal_info(origin, commitment, r.key_id), aad, plaintext),
        )
        for r in recipients
    ]


def open_sealed(
    sealed: SealedOpening, private_key: EncryptionKey, origin: str, commitment: str, *, where: str
) -> Opening:
    """Decrypt a sealed opening with the recipient's private key and check it.

    Refuses a ciphertext that does not decrypt under this key for this log and
    commitment, and an opening that is not the one committed to.
    """
    info = seal_info(origin, commitment, sealed.key_id)
    try:
        plaintext = hpke.open(private_key, info, commitment.encode(), sealed.ciphertext)
    except AccordwatchError as exc:
        raise VerificationError(
            f"the opening sealed to key {sealed.key_id} does not decrypt with that key",
            where=where,
        ) from exc
    opening = Opening.from_json(parse_json(plaintext, where=where), where=where)
    if opening.commitment() != commitment:
        raise VerificationError(
            "the opening sealed to this reader does not match the commitment in the log",
            where=where,
        )
    return opening
