"""A node's ciphertexts: fetched with the entries, opened only to check them.

`ciphertexts(source, batch)` gives the `sealed_openings` rows of a batch of
verified entries, stored with them in one transaction (`store.following`):
for each confidential entry, the ciphertexts its submitter sealed, read from
`sealed/<leaf hash hex>` beside the tiles (`log.tiles`); a log without that
file holds no ciphertext of the entry (an opening it keeps in plaintext, as
before sealing), and the node then holds its commitment only. An
`opening.share` entry carries its ciphertext itself.

`check_openings` then opens, with the node party's private encryption keys,
every ciphertext sealed to them that the sync brought, and checks each
opening against its entry's commitment (`log.sealing.open_sealed`). One that
does not open is the submitter's (or the sharer's) doing, which the log
cannot check: it is reported, entry by entry, and the sync stands. Nothing
opened is kept: a reader decrypts again on demand (`sources.reading`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from accordwatch.errors import InputError, NotFoundError, VerificationError
from accordwatch.log.envelope import Envelope
from accordwatch.log.hpke import EncryptionKey
from accordwatch.log.registry import Registry
from accordwatch.log.sealing import SEALED_BY_SUBMITTER, OpeningShare, open_sealed
from accordwatch.log.tiles import read_sealed_file, sealed_path
from accordwatch.sources.reading import encryption_key_ids, private_keys
from accordwatch.sources.remote_log import TileSource
from accordwatch.store.following import CiphertextRow, VerifiedEntry
from accordwatch.store.log_reader import LogReader
from accordwatch.store.sealed import sealed_to_keys_since

#: ciphertext files read at once
FETCHING = 8


def ciphertexts(source: TileSource, batch: Sequence[VerifiedEntry]) -> list[CiphertextRow]:
    """The `sealed_openings` rows of a batch: its confidential entries' ciphertexts, fetched,
    and those its `opening.share` entries carry."""
    rows: list[CiphertextRow] = []
    confidential = [item for item in batch if item.envelope.commitment is not None]
    if confidential:
        with ThreadPoolExecutor(max_workers=FETCHING, thread_name_prefix="accordwatch-sealed") as p:
            for found in p.map(lambda item: _fetch(source, item), confidential):
                rows.extend(found)
    for item in batch:
        if isinstance(item.payload, OpeningShare):
            share = item.payload.sealed(where=f"log entry {item.index}")
            rows.append(
                (item.payload.entry, share.key_id, share.party, share.ciphertext, item.index)
            )
    return rows


def _fetch(source: TileSource, item: VerifiedEntry) -> list[CiphertextRow]:
    path = sealed_path(item.leaf_hash)
    try:
        data = source.get(path)
    except NotFoundError:
        return []  # no ciphertext at the log: the node holds the commitment only
    where = source.where(path)
    try:
        entry, sealed = read_sealed_file(data, where=where)
    except InputError as exc:
        raise VerificationError(exc.message, where=where) from None
    if entry != item.index:
        raise VerificationError(
            f"the ciphertext file names entry {entry}, not entry {item.index} whose leaf "
            "hash addresses it",
            where=where,
        )
    return [(item.index, s.key_id, s.party, s.ciphertext, SEALED_BY_SUBMITTER) for s in sealed]


@dataclass
class Checked:
    """What the node's party opened of what a sync brought."""

    party: str
    #: False: the party has no private encryption key file on the node
    has_keys: bool
    opened: set[int] = field(default_factory=set)
    #: one line per entry whose ciphertext to the party does not open or match
    refused: list[str] = field(default_factory=list)


def check_openings(
    log: LogReader,
    registry: Registry,
    party: str,
    keys_dir: Path,
    load: Callable[[Path], EncryptionKey],
    start: int,
) -> Checked:
    """Open every ciphertext to `party`'s keys stored from entry `start` on, and check it."""
    keys = {k.key_id: k for k in private_keys(keys_dir, registry, party, load)}
    done = Checked(party, bool(keys))
    if not keys:
        return done
    held = sealed_to_keys_since(log, encryption_key_ids(registry, party), start)
    for index, raw, sealed in held:
        where = f"log entry {index}"
        envelope = Envelope.from_bytes(raw, where=where)
        assert envelope.commitment is not None  # the log stores ciphertexts of these only
        problem: tuple[str, VerificationError] | None = None
        for each in sealed:
            key = keys.get(each.key_id)
            if key is None:
                continue  # a key whose private half this node does not hold
            try:
                open_sealed(each, key, envelope.log, envelope.commitment, where=where)
            except VerificationError as exc:
                problem = problem or (each.key_id, exc)
                continue
            done.opened.add(index)
            break
        else:
            if problem is not None:
                key_id, refusal = problem
                done.refused.append(
                    f"entry {index}: the opening sealed to {party}'s key {key_id} does not "
                    f"open: {refusal.message}"
                )
    return done
