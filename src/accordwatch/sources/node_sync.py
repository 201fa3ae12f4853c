"""`node sync`: bring a node's copy of the log up to the log's latest witnessed checkpoint.

1. Read the log's checkpoint: it must verify with the log's key and carry its
   policy's quorum of cosignatures (with no policy, the log's signature only).
2. Read the level-0 hash tiles (the leaf hashes) from what the node holds to
   the new size, and extend the node's tree with them: they must lead to the
   root of the checkpoint the node verified last and then to the new root.
   Then every leaf hash the node is about to store is proven by the new
   checkpoint, and the new checkpoint is consistent with the old one.
3. If they do not, tell a changed tile from a fork: rebuild the whole tree
   from the tiles. If it does not lead to the new root the tiles are wrong
   (refused); if it does, the log signed a tree whose past differs from the
   checkpoint the node holds, and the two checkpoints with the consistency
   proof the tiles give are the fork's evidence (`log.fork`).
4. Keep the new checkpoint as the one verified, then read the entry bundles,
   check each entry's leaf hash against the proven one and the entry as the
   audit does (canonical form, signature, the signer's authority against the
   registry replayed to its position), and store them in batches: an
   interrupted sync keeps what it committed and a rerun continues from there;
   with each batch, the ciphertexts of its confidential entries' openings
   (`sources.node_openings`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from accordwatch.catalog import CATALOG
from accordwatch.errors import AccordwatchError, InputError, VerificationError
from accordwatch.log.audit import AuditEntry, check_entry
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import Envelope
from accordwatch.log.fork import ForkEvidence, find_fork
from accordwatch.log.keys import verify_signatures
from accordwatch.log.merkle import CompactRange, MemoryTree, leaf_hash
from accordwatch.log.note import Verifier
from accordwatch.log.policy import Policy
from accordwatch.log.registry import Registry
from accordwatch.log.tiles import (
    LARGE_ENTRIES,
    TILE_WIDTH,
    Tile,
    read_bundle,
    read_tile,
)
from accordwatch.log.witnessed import witness_check
from accordwatch.sources.node_openings import ciphertexts
from accordwatch.sources.remote_log import NodeConfig, TileSource
from accordwatch.store.following import StoredHead, VerifiedEntry, store_batch, store_checkpoint
from accordwatch.store.following import stored_head as read_head
from accordwatch.store.ledger import Ledger

BATCH = 4096
#: bundles read, parsed and signature-checked ahead, each on a thread of its own
AHEAD = 4
#: from this many entries to store, signatures are checked in other processes (`_checkers`)
PROCESSES_FROM = 8192


class ForkFoundError(VerificationError):
    """The log signed a checkpoint not consistent with the one the node holds."""

    def __init__(self, evidence: ForkEvidence, path: Path) -> None:
        self.evidence = evidence
        self.path = path
        super().__init__(f"the log forked: {evidence.verify()}; evidence written to {path}")


@dataclass(frozen=True)
class Synced:
    before: int
    size: int
    #: how the checkpoint was trusted: its witnesses, or the log's key alone
    trust: str
    confidential_unopened: int


def verified_checkpoint(note: str, key: Verifier, policy: Policy | None) -> tuple[Checkpoint, str]:
    """The checkpoint, checked with the log's key and the policy's quorum; how it was trusted."""
    if policy is None:
        cp = Checkpoint.open(note, key)
        return cp, "signed by the log's key (no witness policy: cosignatures not checked)"
    found = witness_check(note, policy, key)
    if not found.quorum_met:
        raise VerificationError(
            f"the log's checkpoint of size {found.checkpoint.size} is {found.summary()}: "
            "the node accepts witnessed checkpoints only"
        )
    return found.checkpoint, found.summary()


def level0_tiles(start: int, end: int, size: int) -> Iterator[Tile]:
    """The level-0 tiles of a tree of `size` that hold leaves `start`..`end - 1`."""
    for index in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        yield Tile(0, index, width)


def sync(
    ledger: Ledger,
    config: NodeConfig,
    home: Path,
    *,
    now: Callable[[], datetime],
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> Synced:
    """Verify and store what the log added since the node's last sync (module docstring)."""
    source = TileSource(config.log)
    key = Verifier.parse(config.log_key)
    policy = Policy.parse(config.policy, where="the node's policy") if config.policy else None
    raw = source.get("checkpoint")
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the checkpoint is not UTF-8", where=source.where("checkpoint")) from None
    try:
        cp, trust = verified_checkpoint(note, key, policy)
    except VerificationError as exc:
        raise VerificationError(exc.message, where=source.where("checkpoint")) from None
    held_note = config.checkpoint
    held = Checkpoint.open(held_note, key) if held_note else None
    head = read_head(ledger.engine, ledger.url)
    stored = head.compact.size
    before = stored

    if held is not None and cp.size <= held.size:
        # nothing new: the same tree, or an older checkpoint (a cache) of the same one
        if cp.size == held.size and cp.root != held.root:
            _fork(key, held_note or "", note, (), None, home, now)
        if cp.size < held.size and cp.size <= stored and ledger.root(cp.size) != cp.root:
            _, back = ledger.prove_consistency(cp.size, held.size)
            _fork(key, note, held_note or "", tuple(back), ledger.root(cp.size), home, now)
        if stored >= held.size:
            return Synced(before, stored, trust, 0)
        # an interrupted sync: finish it, up to the checkpoint it verified
        note, cp = held_note or "", held

    # 2. the leaf hashes from the node's size to the new one, proven by both roots
    tiles: dict[int, list[bytes]] = {}

    def leaves(start: int, end: int) -> list[bytes]:
        out: list[bytes] = []
        for tile in level0_tiles(start, end, cp.size):
            if tile.index not in tiles:
                tiles[tile.index] = _tile(source, tile)
            first = tile.index * TILE_WIDTH
            out.extend(tiles[tile.index][max(0, start - first) : end - first])
        return out

    fresh = leaves(stored, cp.size)
    grown = CompactRange(head.compact.size, head.compact.edge[:])
    if held is None:
        held_ok = True
    elif held.size <= stored:
        held_ok = ledger.root(held.size) == held.root
    else:
        held_ok = False  # checked when the tree reaches its size
    for leaf in fresh:
        grown.append(leaf)
        if held is not None and grown.size == held.size:
            held_ok = grown.root() == held.root
    if not (held_ok and grown.root() == cp.root):
        # 3. a changed tile, or a fork
        tree = MemoryTree(leaves(0, cp.size))
        if tree.root() != cp.root:
            raise VerificationError(
                f"the hash tiles do not lead to the root of the log's checkpoint of size "
                f"{cp.size}: a tile was changed or replaced",
                where=source.where("tile/0/"),
            )
        if held is not None and held_note and tree.root(held.size) != held.root:
            proof = tuple(tree.consistency_proof(held.size, cp.size))
            _fork(key, held_note, note, proof, tree.root(held.size), home, now)
        raise VerificationError(
            f"the node's stored tree (size {stored}) is not the log's: run accordwatch "
            "log audit on the node",
            where=str(home),
        )

    # 4. the new checkpoint is the one to hold the log to from now on
    config.checkpoint = note
    config.write(home)
    registry = ledger.registry() if stored else Registry()
    unopened = _store_entries(
        ledger, source, head, registry, key, cp.size, fresh, progress=progress, batch=batch
    )
    store_checkpoint(ledger.engine, ledger.url, cp.size, cp.root, _log_note(note, key), now())
    lines = _cosignature_lines(note, key)
    if lines:
        ledger.add_cosignatures(cp.size, lines)
    return Synced(before, cp.size, trust, unopened)


def _store_entries(
    ledger: Ledger,
    source: TileSource,
    head: StoredHead,
    registry: Registry,
    key: Verifier,
    size: int,
    proven: list[bytes],
    *,
    progress: Callable[[int, int], None] | None,
    batch: int,
) -> int:
    start = head.compact.size
    pending: list[VerifiedEntry] = []
    unopened = 0
    bundles = [Tile(None, t.index, t.width) for t in level0_tiles(start, size, size)]
    # Bundles are read, parsed and their signatures checked ahead, on other threads
    # (and, for a long sync, other processes), while this one checks and stores the one before.
    with (
        _checkers(size - start) as checker,
        ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="accordwatch-node") as pool,
        _earlier_objects_frozen(),
    ):
        ahead: deque[Future[_Bundle]] = deque()
        upcoming = iter(bundles)

        def read_ahead() -> None:
            following = next(upcoming, None)
            if following is not None:
                signers = {k: r.public_key for k, r in registry.keys.items()}
                ahead.append(pool.submit(_read_bundle, source, following, signers, checker))

        for _ in range(AHEAD):
            read_ahead()
        for bundle in bundles:
            found, parsed = ahead.popleft().result()
            read_ahead()
            first = bundle.index * TILE_WIDTH
            path = source.where(bundle.path(LARGE_ENTRIES))
            for offset in range(max(0, start - first), bundle.width):
                index = first + offset
                envelope = found[offset]
                if leaf_hash(envelope) != proven[index - start]:
                    raise VerificationError(
                        f"entry {index} does not match its leaf hash in the tile the "
                        "checkpoint proves: the bundle was changed",
                        where=path,
                    )
                item = AuditEntry(index, envelope, parsed=parsed[offset])
                checked = check_entry(item, registry, key, catalog=CATALOG)
                unopened += checked.payload is None
                pending.append(
                    VerifiedEntry(index, checked.leaf_hash, checked.envelope, checked.payload)
                )
            if len(pending) >= batch or first + bundle.width >= size:
                store_batch(ledger, head, pending, ciphertexts(source, pending))
                pending = []
                if progress is not None:
                    progress(head.compact.size, size)
    return unopened


#: a bundle's entries, and each parsed (None: left for `check_entry` to name the problem)
_Bundle = tuple[list[bytes], list[Envelope | None]]


@contextmanager
def _checkers(entries: int) -> Iterator[Executor | None]:
    """Processes to check the signatures of a sync of `entries` in, or None for a short one.

    Checking an Ed25519 signature is about half the work of a sync. libsodium
    does it without the interpreter's lock, but a thread needs the lock back
    after every signature, and waits for it while this process's main thread
    checks and stores: in other processes the checks run while it does. They
    cost a fraction of a second to start, more than a short sync takes.
    """
    if entries < PROCESSES_FROM:
        yield None
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as processes:
        yield processes


@contextmanager
def _earlier_objects_frozen() -> Iterator[None]:
    """Leave the objects the process held before the sync out of the collector's passes.

    A sync makes a dozen objects per entry, whose number sets off the
    collector's full passes, and each pass walks every object the process
    holds (the modules, SQLAlchemy's and pydantic's structures): a tenth of a
    long sync. Objects made during the sync are collected as ever. A process
    that froze objects of its own keeps them frozen, and nothing more is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _read_bundle(
    source: TileSource, bundle: Tile, signers: dict[str, bytes], checker: Executor | None
) -> _Bundle:
    """A bundle's entries, parsed, each signature checked with the key of its id if known.

    The signatures are checked in `checker`'s processes when there is one.
    What does not parse or verify here is left to `check_entry`, which names it.
    """
    path = bundle.path(LARGE_ENTRIES)
    data = source.get(path)
    try:
        found = read_bundle(data, large=True)
    except ValueError as exc:
        raise VerificationError(str(exc), where=source.where(path)) from None
    if len(found) != bundle.width:
        raise VerificationError(
            f"the bundle holds {len(found)} entries, not {bundle.width}",
            where=source.where(path),
        )
    parsed: list[Envelope | None] = []
    signed: list[tuple[Envelope, bytes]] = []
    for raw in found:
        try:
            env = Envelope.from_bytes(raw)
        except AccordwatchError:
            parsed.append(None)
            continue
        public = signers.get(env.key_id)
        if public is not None:
            signed.append((env, public))
        parsed.append(env)
    valid: list[bool] | None = None
    if checker is not None:
        checks = [env.signature_check(public) for env, public in signed]
        with suppress(BrokenProcessPool):  # the processes did not start: checked here instead
            valid = checker.submit(verify_signatures, checks).result()
    if valid is None:
        for env, public in signed:
            with suppress(AccordwatchError):
                env.verify_signature(public)  # remembered by the envelope when it holds
    else:
        for (env, public), holds in zip(signed, valid, strict=True):
            if holds:
                env.remember_verified(public)
    return found, parsed


def _tile(source: TileSource, tile: Tile) -> list[bytes]:
    path = tile.path()
    data = source.get(path)
    try:
        return read_tile(data, tile)
    except ValueError as exc:
        raise VerificationError(str(exc), where=source.where(path)) from None


def _split(note: str, key: Verifier) -> tuple[str, list[str]]:
    """The note with the log's own signature only, and the other signature lines."""
    body, _, signatures = note.partition("\n\n")
    own: list[str] = []
    others: list[str] = []
    for line in signatures.splitlines():
        (own if line.startswith(f"\u2014 {key.name} ") else others).append(line)
    return body + "\n\n" + "".join(f"{line}\n" for line in own), others


def _log_note(note: str, key: Verifier) -> str:
    return _split(note, key)[0]


def _cosignature_lines(note: str, key: Verifier) -> list[str]:
    return _split(note, key)[1]


def _fork(
    key: Verifier,
    first: str,
    second: str,
    proof: tuple[bytes, ...],
    implied: bytes | None,
    home: Path,
    now: Callable[[], datetime],
) -> None:
    """Write the evidence beside the node's database and stop."""
    found_at = now().strftime("%Y-%m-%dT%H:%M:%SZ")
    evidence = find_fork(
        key,
        _log_note(first, key),
        _log_note(second, key),
        proof,
        implied_root=implied,
        found_by=f"node at {home}",
        found_at=found_at,
    )
    if evidence is None:
        raise VerificationError(
            "the log's checkpoint is not consistent with the one this node holds, but the "
            "tiles give no proof of it"
        )
    sizes = sorted({Checkpoint.open(first, key).size, Checkpoint.open(second, key).size})
    path = home / f"fork-evidence-{'-'.join(map(str, sizes))}.json"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(evidence.text(), "utf-8")
    temporary.replace(path)
    raise ForkFoundError(evidence, path)
