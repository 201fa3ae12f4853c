"""Auditing a log: recompute everything and name the first thing that is wrong.

Works the same on the database and on an exported log file. Every entry is
re-read from its stored bytes: it must be canonical JSON, its leaf hash must
match, its signature and its signer's authority must hold against the
registry replayed up to that entry, and a confidential entry's opening (when
the reader has it) must match its commitment. A confidential entry read
without its opening (an export) is checked for everything that does not need
the payload: its log, record type, signer, key, signature and role. Copies of
envelope members a store keeps beside the envelope must equal the envelope's.
The tree is rebuilt from the leaves; the genesis entry must name the log key
the checkpoints are checked with, every signed checkpoint must verify with
that key and match the rebuilt root at its size (so no two checkpoints can be
inconsistent), and in the database every stored Merkle node must equal the
recomputed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.log.check import Limits, check_submission
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import Envelope, Opening, Submission
from accordwatch.log.merkle import CompactRange, leaf_hash, node_hash
from accordwatch.log.note import Verifier
from accordwatch.log.records import Catalog, Payload
from accordwatch.log.registry import Registry

# Audit replays history: envelope times are checked against the log clock on
# entry, not against today's clock.
_NO_CLOCK = Limits(max_entry_bytes=1 << 62, max_clock_skew=timedelta(days=365_000))


#: The envelope members a store may copy into columns of its own, by column name.
COPIED_MEMBERS: dict[str, Callable[[Envelope], str | datetime]] = {
    "record_type": lambda env: env.record_type,
    "party": lambda env: env.party,
    "key_id": lambda env: env.key_id,
    "signed_at": lambda env: env.time,
}


@dataclass(frozen=True)
class AuditEntry:
    index: int
    envelope: bytes
    stored_leaf_hash: bytes | None = None
    opening: Opening | None = None
    #: copies of envelope members stored beside it, by `COPIED_MEMBERS` column name
    columns: Mapping[str, object] | None = None
    #: `envelope` already parsed (`Envelope.from_bytes`), by a reader that parses ahead
    parsed: Envelope | None = None
    #: whether the store holds the opening sealed to its readers (`log.sealing`)
    sealed: bool = False


@dataclass(frozen=True)
class CheckedEntry:
    """An entry that passed `check_entry`; `payload` None: checked without its opening."""

    leaf_hash: bytes
    envelope: Envelope
    payload: Payload | None


@dataclass
class AuditReport:
    size: int = 0
    checkpoints: int = 0
    nodes: int = 0
    confidential_unopened: int = 0
    #: confidential entries whose openings are sealed to their readers
    confidential_sealed: int = 0
    #: the entries whose openings the store holds in plaintext
    plaintext_openings: list[int] = field(default_factory=list)
    root: bytes = b""
    #: the right edge of the tree (`CompactRange.to_bytes`), as a store keeps it for appends
    edge: bytes = b""
    #: the size of the last signed checkpoint verified: the entries it vouches for
    covered: int = 0
    #: what was checked of the database's own structure (None: not a database)
    storage_integrity: str | None = None
    levels: list[list[bytes]] = field(default_factory=list)
    registry: Registry = field(default_factory=Registry)


def audit(
    entries: Iterable[AuditEntry],
    checkpoints: Iterable[tuple[int, str]],
    verifier: Verifier,
    *,
    catalog: Catalog,
    keep_levels: bool = False,
    openings_required: bool = False,
    progress: Callable[[int], None] | None = None,
) -> AuditReport:
    """Audit a log given its entries in order and its checkpoints in size order.

    `catalog` holds the record types the log accepts; every entry is checked again.
    With `openings_required` (a database, whose views read every opening), a
    confidential entry with neither its opening nor its opening sealed to its
    readers fails the audit; otherwise (an export) it is checked as far as it
    can be without its payload, as is a sealed one.
    """
    report = AuditReport()
    registry = Registry()
    compact = CompactRange()
    leaves: list[bytes] = []
    pending = iter(sorted(checkpoints))
    next_cp = next(pending, None)
    last_good = 0
    for expected, item in enumerate(entries):
        if item.index != expected:
            raise VerificationError(
                f"log has a gap: entry {expected} is missing", where=f"entry {item.index}"
            )
        checked = check_entry(
            item, registry, verifier, catalog=catalog, openings_required=openings_required
        )
        h = checked.leaf_hash
        if checked.envelope.confidential and item.opening is not None:
            report.plaintext_openings.append(item.index)
        if checked.payload is None and checked.envelope.confidential:
            report.confidential_sealed += item.sealed
            report.confidential_unopened += 1
        compact.append(h)
        if keep_levels:
            leaves.append(h)
        while next_cp is not None and next_cp[0] <= compact.size:
            size, note = next_cp
            _check_checkpoint(note, size, compact, verifier, last_good)
            report.checkpoints += 1
            last_good = size
            next_cp = next(pending, None)
        if progress is not None:
            progress(compact.size)
    if next_cp is not None:
        raise VerificationError(
            f"checkpoint of size {next_cp[0]} is beyond the end of the log (size {compact.size})"
        )
    report.size = compact.size
    report.root = compact.root()
    report.edge = compact.to_bytes()
    report.covered = last_good
    report.registry = registry
    if keep_levels:
        report.levels = tree_levels(leaves)
    return report


def check_entry(
    item: AuditEntry,
    registry: Registry,
    verifier: Verifier,
    *,
    catalog: Catalog,
    openings_required: bool = False,
) -> CheckedEntry:
    """Check one entry as the audit does, against `registry` as of its position.

    Applies the entry to `registry` when it changes it.
    """
    where = f"entry {item.index}"
    try:
        env = (
            item.parsed
            if item.parsed is not None
            else Envelope.from_bytes(item.envelope, where=where)
        )
    except AccordwatchError as exc:
        raise VerificationError(
            f"stored envelope is unreadable: {exc.message}", where=where
        ) from exc
    if env.canonical != item.envelope:
        raise VerificationError("stored envelope is not in canonical form", where=where)
    h = leaf_hash(item.envelope)
    if item.stored_leaf_hash is not None and item.stored_leaf_hash != h:
        raise VerificationError(
            "envelope bytes do not match the stored leaf hash (changed payload?)", where=where
        )
    if item.columns is not None:
        _check_columns(env, item.columns, where)
    submission = Submission(env, item.opening)
    if env.confidential and item.opening is None:
        if openings_required and not item.sealed:
            raise VerificationError(
                "confidential entry has no stored opening (deleted?)", where=where
            )
        _check_unopened(env, registry, catalog, where)
        return CheckedEntry(h, env, None)
    try:
        accepted = check_submission(
            submission,
            registry,
            catalog=catalog,
            now=env.time,
            limits=_NO_CLOCK,
            where=where,
        )
    except AccordwatchError as exc:
        raise VerificationError(exc.message, where=where) from exc
    if accepted.payload is not None:
        registry.apply(item.index, accepted.payload)
    if item.index == 0 and registry.log_key != verifier.text():
        raise VerificationError(
            f"the log's genesis names log key {registry.log_key}, not the key "
            f"{verifier.text()} its checkpoints are checked with",
            where=where,
        )
    return CheckedEntry(h, env, accepted.payload)


def _check_columns(env: Envelope, columns: Mapping[str, object], where: str) -> None:
    """Stored copies of envelope members must be what the envelope says."""
    for name, stored in columns.items():
        expected = COPIED_MEMBERS[name](env)
        if stored != expected:
            shown = expected.isoformat() if isinstance(expected, datetime) else expected
            kept = stored.isoformat() if isinstance(stored, datetime) else stored
            raise VerificationError(
                f"stored {name} {kept!r} is not the envelope's {shown!r}", where=where
            )


def _check_unopened(env: Envelope, registry: Registry, catalog: Catalog, where: str) -> None:
    """A confidential entry read without its opening: all that needs no payload.

    The same as the check of a submission up to its payload: the log, the
    record type and whether it may be confidential, the signer's key and
    signature, and whether the signer's role may submit that record type. A
    type its submitter may also file as the owner of what it names (a key's own
    revocation) needs the payload to tell, so it is not refused for the role.
    """
    try:
        rtype = catalog.get(env.record_type, where=where)
    except AccordwatchError as exc:
        raise VerificationError(exc.message, where=where) from exc
    if env.schema_version != 1:
        raise VerificationError(
            f"{env.record_type} schema_version {env.schema_version} is not supported (1)",
            where=where,
        )
    if not rtype.may_be_confidential:
        raise VerificationError(f"{env.record_type} records cannot be confidential", where=where)
    if registry.origin is None:
        raise VerificationError("the log has no genesis entry before this one", where=where)
    if env.log != registry.origin:
        raise VerificationError(
            f"envelope is for log {env.log!r}, this log is {registry.origin!r}", where=where
        )
    party = registry.parties.get(env.party)
    if party is None:
        raise VerificationError(f"unknown party {env.party!r}", where=where)
    key = registry.keys.get(env.key_id)
    if key is None or key.party != env.party:
        raise VerificationError(f"unknown key {env.key_id} for party {env.party!r}", where=where)
    if key.revoked_at is not None:
        raise VerificationError(
            f"key {env.key_id} of party {env.party!r} was revoked at log entry {key.revoked_at}",
            where=where,
        )
    try:
        env.verify_signature(key.public_key, where=where)
    except AccordwatchError as exc:
        raise VerificationError(exc.message, where=where) from exc
    if party.role not in rtype.roles and not rtype.allows_owner:
        allowed = ", ".join(sorted(rtype.roles))
        raise VerificationError(
            f"party {env.party!r} ({party.role}) may not submit {env.record_type} "
            f"(allowed: {allowed})",
            where=where,
        )


def _check_checkpoint(
    note: str, size: int, compact: CompactRange, verifier: Verifier, last_good: int
) -> None:
    where = f"checkpoint at size {size}"
    try:
        cp = Checkpoint.open(note, verifier)
    except AccordwatchError as exc:
        raise VerificationError(exc.message, where=where) from exc
    if cp.size != size:
        raise VerificationError(f"note says size {cp.size}", where=where)
    if cp.root != compact.root():
        raise VerificationError(
            f"signed root does not match the log: an entry in {last_good}..{size - 1} was "
            "changed, or this checkpoint is inconsistent with an earlier one",
            where=where,
        )


def tree_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash, level by level, from the leaf hashes."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def compare_nodes(levels: list[list[bytes]], stored: Iterator[tuple[int, int, bytes]]) -> int:
    """Check stored (level, index, hash) nodes against the recomputed ones; return the count."""
    count = 0
    expected_total = sum(len(level) for level in levels)
    for level, index, h in stored:
        if level >= len(levels) or index >= len(levels[level]):
            raise VerificationError(f"stored Merkle node ({level}, {index}) is beyond the log")
        if levels[level][index] != h:
            first, last = index << level, ((index + 1) << level) - 1
            raise VerificationError(
                f"stored Merkle node ({level}, {index}) is wrong: it covers entries {first}..{last}"
            )
        count += 1
    if count != expected_total:
        raise VerificationError(f"{expected_total - count} Merkle node(s) are missing")
    return count
