"""Reading and sealing confidential openings with parties' encryption keys.

A party reads a confidential entry by opening the ciphertext sealed to its
own encryption key (`SealedReader`), with its private key from its key file;
a submitter seals an opening to every reader's current key (`recipients`,
`seal_submission`); `seal_stored` converts the plaintext openings a
workspace made before sealing holds; `share_payload` seals an opening a
party can read to a further reader, for a logged `opening.share` entry.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from accordwatch.catalog import CATALOG
from accordwatch.errors import AuthorityError, InputError, NotFoundError, VerificationError
from accordwatch.log.access import Reader, open_record
from accordwatch.log.envelope import Envelope, Opening, Submission
from accordwatch.log.hpke import EncryptionKey
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.registry import Registry
from accordwatch.log.roles import Role
from accordwatch.log.sealed_opening import SealedOpening
from accordwatch.log.sealing import (
    OpeningShare,
    Recipient,
    current_recipient,
    open_sealed,
    reader_keys,
    seal_opening,
)
from accordwatch.store import sealed as store
from accordwatch.store.log_reader import LogReader


def encryption_key_ids(registry: Registry, party: str) -> list[str]:
    """Every encryption key the party registered (revoked ones still open old ciphertexts)."""
    return [k.key_id for k in registry.keys_of(party) if k.purpose is KeyPurpose.ENCRYPTION]


def private_keys(
    keys_dir: Path, registry: Registry, party: str, load: Callable[[Path], EncryptionKey]
) -> list[EncryptionKey]:
    """The party's private encryption keys whose files are in `keys_dir`, read by `load`."""
    out = []
    for key_id in encryption_key_ids(registry, party):
        path = keys_dir / party / f"{key_id}.key"
        if path.is_file():
            out.append(load(path))
    return out


def recipients(
    registry: Registry, record_type: str, submitter: str, named: Iterable[str] = ()
) -> tuple[list[Recipient], list[str]]:
    """The readers' current encryption keys, and the readers that have none."""
    return reader_keys(CATALOG, registry, record_type, submitter, named)


def seal_submission(
    registry: Registry, submission: Submission, named: Iterable[str] = ()
) -> Submission:
    """A confidential submission with its opening sealed to every reader instead.

    Left as it is (the opening in plaintext, as before sealing) when a reader
    has no encryption key registered: it could not read a sealed one.
    """
    env, opening = submission.envelope, submission.opening
    if opening is None or env.commitment is None:
        return submission
    keys, missing = recipients(registry, env.record_type, env.party, named)
    if missing:
        return submission
    sealed = seal_opening(opening, env.log, env.commitment, keys)
    return replace(submission, opening=None, sealed=tuple(sealed))


@dataclass(frozen=True)
class SealedReader(Reader):
    """A party reading with its private encryption keys."""

    log: LogReader = field(compare=False)
    keys: tuple[EncryptionKey, ...] = field(compare=False)
    _found: dict[str, dict[bytes, list[SealedOpening]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def unseal(self, envelope: Envelope, where: str) -> Opening | None:
        if not self.keys or envelope.commitment is None:
            return None
        if "held" not in self._found:
            self._found["held"] = store.sealed_to_keys(self.log, [k.key_id for k in self.keys])
        candidates = self._found["held"].get(envelope.leaf_hash, [])
        keys = {k.key_id: k for k in self.keys}
        refused: VerificationError | None = None
        for sealed in candidates:
            try:
                return open_sealed(
                    sealed, keys[sealed.key_id], envelope.log, envelope.commitment, where=where
                )
            except VerificationError as exc:
                # a share is anyone's entry: one that does not open leaves the others
                refused = refused or exc
        if refused is not None:
            raise refused
        return None


def reader_with_keys(
    log: LogReader,
    registry: Registry,
    party: str,
    keys_dir: Path,
    load: Callable[[Path], EncryptionKey] = EncryptionKey.read,
) -> SealedReader:
    """The reader `party` stands for, holding its private encryption keys from `keys_dir`."""
    record = registry.parties.get(party)
    if record is None:
        raise NotFoundError(f"unknown party {party!r}")
    keys = tuple(private_keys(keys_dir, registry, party, load))
    return SealedReader(party, Role(record.role), log, keys)


@dataclass(frozen=True)
class SealReport:
    sealed: int
    ciphertexts: int


def seal_stored(log: LogReader, registry: Registry) -> SealReport:
    """Encrypt every plaintext opening to its readers and delete the plaintext.

    Refuses, with nothing changed, when a reader has no encryption key: the
    opening could not be sealed to it. The SQLite file is then compacted so
    that no deleted plaintext remains in it or in its write-ahead log.
    """
    held = store.plaintext_openings(log)
    plan: dict[int, list[SealedOpening]] = {}
    for idx, envelope, opening in held:
        where = f"log entry {idx}"
        assert envelope.commitment is not None
        if opening.commitment() != envelope.commitment:
            raise InputError("the stored opening does not match its commitment", where=where)
        keys, missing = recipients(registry, envelope.record_type, envelope.party)
        if missing:
            raise NotFoundError(
                f"no encryption key registered for {', '.join(missing)}, a reader of this "
                f"{envelope.record_type}: register one (accordwatch key new --purpose "
                "encryption) and run this again",
                where=where,
            )
        plan[idx] = seal_opening(opening, envelope.log, envelope.commitment, keys)
    if plan:
        store.replace_plaintext(log, plan)
    store.compact(log)
    return SealReport(len(plan), sum(len(v) for v in plan.values()))


def share_payload(
    log: LogReader,
    registry: Registry,
    reader: Reader,
    index: int,
    envelope: Envelope,
    opening: Opening | None,
    to_party: str,
) -> OpeningShare:
    """An `opening.share` payload sealing entry `index`'s opening to `to_party`'s key.

    `reader` (the sharer) must be able to read the entry itself.
    """
    where = f"log entry {index}"
    if envelope.commitment is None:
        raise InputError("the entry is public: there is nothing to share", where=where)
    if to_party not in registry.parties:
        raise NotFoundError(f"unknown party {to_party!r}")
    recipient = current_recipient(registry, to_party)
    if recipient is None:
        raise NotFoundError(
            f"party {to_party!r} has no encryption key registered: it could not open a share"
        )
    if recipient.key_id in store.submitter_sealed_keys(log, index):
        raise InputError(
            f"its submitter sealed the opening to {to_party}'s key {recipient.key_id} already",
            where=where,
        )
    try:
        open_record(CATALOG, envelope, opening, reader, where=where)
    except (AuthorityError, NotFoundError) as exc:
        raise AuthorityError(
            f"{reader.party} cannot read this entry, so it cannot share it: {exc.message}",
            where=where,
        ) from None
    # open_record checked that the reader may read it: the opening it read
    held = reader.unseal(envelope, where) or opening
    assert held is not None
    (sealed,) = seal_opening(held, envelope.log, envelope.commitment, [recipient])
    return OpeningShare(
        entry=index,
        commitment=envelope.commitment,
        party=to_party,
        key_id=recipient.key_id,
        ciphertext=base64.b64encode(sealed.ciphertext).decode(),
    )


def plaintext_sealable(
    log: LogReader, registry: Registry, indices: Iterable[int]
) -> tuple[list[int], list[int]]:
    """Of the entries whose openings are in plaintext: those every reader could open sealed
    (a failure: `openings seal` would seal them), and those with a reader without a key."""
    sealable: list[int] = []
    waiting: list[int] = []
    for idx in indices:
        envelope = Envelope.from_bytes(log.entry(idx).envelope, where=f"log entry {idx}")
        _, missing = recipients(registry, envelope.record_type, envelope.party)
        (waiting if missing else sealable).append(idx)
    return sealable, waiting
