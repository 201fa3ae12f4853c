"""The log in the database, appended to (reads and proofs: `accordwatch.store.log_reader`).

An append runs in one write transaction: lock the head, check every
submission against the registry as of its position, assign indices, add the
complete subtrees each leaf finishes, fold registry entries into the
projections, move the head and sign a checkpoint. Either all of a batch is
stored or none of it, and concurrent writers (processes, or workers on
PostgreSQL) queue on the head lock, so indices are unique and gapless. The
lock is held for as few round trips as can be: the registry is read again
only when an entry changed it, the writes go out together (psycopg's pipeline
mode) and receipts are built after the commit.

The hot paths (appending, proofs, receipts, the audit's reads) run a handful
of fixed statements as driver SQL on the DBAPI cursor of the connection
(`statements.Statements`), inside the transaction SQLAlchemy opened: SQLAlchemy Core
costs tens of microseconds per statement, more than the statement itself.
Values are bound with the columns' own SQLAlchemy bind processors, so what is
stored is byte for byte what Core would store. Everything else uses Core.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Engine, insert

from accordwatch.errors import AccordwatchError, InputError, NotFoundError, StorageError
from accordwatch.log.canonical import canonical_json
from accordwatch.log.check import Limits, check_submission
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import Envelope, Submission
from accordwatch.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeId,
    inclusion_plan,
    root_plan,
)
from accordwatch.log.note import NoteSigner
from accordwatch.log.receipt import Receipt
from accordwatch.log.records import (
    Catalog,
    Genesis,
    Payload,
)
from accordwatch.log.registry import REGISTRY_PAYLOADS, Registry
from accordwatch.log.sealing import SEALED_BY_SUBMITTER, OpeningShare, share_problem
from accordwatch.store import projections
from accordwatch.store.database import WRITE, storage_errors
from accordwatch.store.log_reader import (
    CACHE_FROM_KEY,
    INDEX_MASK,
    LogReader,
    aware_utc,
)
from accordwatch.store.schema import log_head
from accordwatch.timeutil import utc_now


@dataclass(frozen=True)
class Appended:
    index: int
    leaf_hash: bytes
    duplicate: bool


@dataclass(frozen=True)
class AppendResult:
    entries: list[Appended]
    size: int
    checkpoint: str


@dataclass
class _Staged:
    """What `_append` leaves for after the commit: caches to update and the receipt."""

    result: AppendResult
    registry: Registry | None = None
    new_nodes: list[tuple[int, bytes]] | None = None
    #: for receipts: the nodes at hand, and the (index, leaf hash) of each entry added
    proof_basis: tuple[dict[NodeId, bytes], list[tuple[int, bytes]]] | None = None
    receipts: dict[int, Receipt] = field(default_factory=dict)


class Ledger(LogReader):
    """The log one database holds: appending, as well as everything `LogReader` reads.

    `catalog` holds the record types this log accepts; `clock` is the log's
    clock, read once per append: an envelope's time must be within the allowed
    skew of it, and the entries are recorded (`recorded_at`) at the later of it
    and the last entry's time, so that the log's time never goes back.
    """

    def __init__(
        self,
        engine: Engine,
        signer: NoteSigner,
        *,
        catalog: Catalog,
        url: str = "",
        limits: Limits = Limits(),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(engine, signer, url=url)
        self.catalog = catalog
        self.limits = limits
        self.clock = clock
        self._registry: tuple[int, Registry] | None = None

    # -- appending -----------------------------------------------------------

    def submit(self, submission: Submission, *, where: str = "submission") -> Receipt:
        """Append one submission in its own transaction and return its receipt.

        A new entry's receipt is built right after the commit from the
        checkpoint just signed and the Merkle nodes at hand (the tree's edge
        before the entry and the nodes it completed), with at most one further
        read; an entry already in the log gets the receipt it was first given.
        """
        return self._receipts(self._write([submission], where=where, want_receipts=True))[0]

    def submit_many(
        self, submissions: Sequence[Submission], *, where: str = "submission"
    ) -> list[Receipt | AccordwatchError]:
        """Append independent submissions together, each with its own outcome.

        For a service taking submissions from many clients at once: those that
        arrive together share one transaction and one signed checkpoint (a
        group commit), which is what lets a log serialised on one head lock
        keep up. One client's bad submission must not fail the others': a
        submission the check refuses is left out, with its error, and the rest
        are appended together as if it had never been sent. A database failure
        is every submission's error.
        """
        refused: dict[int, AccordwatchError] = {}
        try:
            staged = self._write(submissions, where=where, want_receipts=True, refusals=refused)
        except StorageError as exc:
            return [exc] * len(submissions)
        except AccordwatchError:
            # not one submission's fault (none is refused that way): each on its own
            if len(submissions) == 1:
                raise
        else:
            receipts = iter(self._receipts(staged))
            return [refused[n] if n in refused else next(receipts) for n in range(len(submissions))]
        outcomes: list[Receipt | AccordwatchError] = []
        for submission in submissions:
            try:
                outcomes.append(self.submit(submission, where=where))
            except AccordwatchError as exc:
                outcomes.append(exc)
        return outcomes

    def _receipts(self, staged: _Staged) -> list[Receipt]:
        # An entry added by this write has its receipt at hand; one already in
        # the log gets the receipt it was first given.
        out: list[Receipt] = []
        for a in staged.result.entries:
            held = None if a.duplicate else staged.receipts.get(a.index)
            out.append(held if held is not None else self.receipt(a.index))
        return out

    def append(
        self,
        submissions: Sequence[Submission],
        *,
        where: str = "submission",
        timings: dict[str, float] | None = None,
    ) -> AppendResult:
        """Append a batch atomically. A submission already in the log is not added again.

        With `timings`, the seconds spent in each phase are added to it (for
        benchmarks; see bench/README.md): `hash` (leaf hashes), `read` (lock
        the head, find duplicates), `check` (`check_submission` and the
        registry: signatures, authority, payloads), `merkle` (interior hashes),
        `entries` (the rows: nodes, entries, openings, projections, head and
        checkpoint, sent together on PostgreSQL), `checkpoint` (signing it)
        and `commit`.
        """
        return self._write(submissions, where=where, timings=timings).result

    def _write(
        self,
        submissions: Sequence[Submission],
        *,
        where: str,
        timings: dict[str, float] | None = None,
        want_receipts: bool = False,
        refusals: dict[int, AccordwatchError] | None = None,
    ) -> _Staged:
        """Append in one transaction; with `refusals`, leave out what the check refuses.

        Without `refusals` the first refusal is raised and nothing is stored;
        with it, each refused submission's error is put there by its position.
        """
        now = self.clock()
        with storage_errors(self.url):
            try:
                with self.engine.connect().execution_options(**{WRITE: True}) as conn:
                    with conn.begin():
                        staged = self._append(
                            conn, submissions, now, where, timings, want_receipts, refusals
                        )
                        stored_at = perf_counter()
                    if timings is not None:
                        _add(timings, "commit", perf_counter() - stored_at)
            except BaseException:
                self._registry = None  # reload it from the database next time
                raise
        # Committed: now the new state may be cached.
        size = staged.result.size
        self._note_size(size)
        if staged.registry is not None:
            self._registry = (size, staged.registry)
        if staged.new_nodes:
            cache = self._node_cache
            for key, h in staged.new_nodes:
                if key >= CACHE_FROM_KEY:
                    cache[(key >> 48, key & INDEX_MASK)] = h
        if staged.proof_basis is not None:
            at_hand, added = staged.proof_basis
            note = staged.result.checkpoint
            proofs = self._resolve_all(
                None, [inclusion_plan(idx, size) for idx, _ in added], at_hand
            )
            for (idx, leaf), proof in zip(added, proofs, strict=True):
                staged.receipts[idx] = Receipt(idx, size, leaf, proof, note)
        return staged

    def _append(
        self,
        conn: Connection,
        submissions: Sequence[Submission],
        now: datetime,
        where: str,
        timings: dict[str, float] | None,
        want_receipts: bool,
        refusals: dict[int, AccordwatchError] | None = None,
    ) -> _Staged:
        sql = self.sql
        started = perf_counter()
        hashes = [s.envelope.leaf_hash for s in submissions]
        hashed = perf_counter()
        cur = conn.connection.cursor()  # the DBAPI cursor, inside conn's transaction
        # the head (locked) and the entries already in the log, in one round trip
        with sql.batched(cur):
            cur.execute(sql.head)
            known = self._indices_of(conn.connection.cursor(), hashes)
            head = cur.fetchone()
        size = int(head[0]) if head else 0
        last_registry = int(head[2]) if head and head[2] is not None else -1
        if head and head[3] is not None:
            # The log's time never goes back, whatever its clock says: each entry is
            # recorded at the later of the clock and the entry before it.
            last = aware_utc(sql.read_moment(head[3]))
            log_time = max(now, last)
        else:
            log_time = now
        registry = self._load_registry(conn, size, last_registry)
        compact = CompactRange.from_bytes(size, bytes(head[1])) if head else CompactRange()
        read = perf_counter()

        # Check in log order, each against the registry as of its position.
        results: list[Appended] = []
        fresh: list[tuple[int, Submission, bytes]] = []
        registrations: list[tuple[int, Payload]] = []
        # (entry, key id, party, ciphertext, source): openings sealed to their readers
        sealed_rows: list[tuple[int, str, str, bytes, int]] = []
        index = size
        for n, (submission, leaf) in enumerate(zip(submissions, hashes, strict=True)):
            if leaf in known:
                results.append(Appended(known[leaf], leaf, True))
                continue
            # independent submissions are each their own client's: no position in a batch
            here = f"{where} #{n + 1}" if len(submissions) > 1 and refusals is None else where
            if registry.origin is None and submission.envelope.record_type != "log.genesis":
                raise StorageError("the log has no genesis entry yet: run accordwatch init")
            try:
                accepted = check_submission(
                    submission,
                    registry,
                    catalog=self.catalog,
                    now=now,
                    limits=self.limits,
                    where=here,
                )
                if isinstance(accepted.payload, OpeningShare):
                    self._check_share(cur, accepted.payload, registry, index, here)
            except AccordwatchError as exc:
                if refusals is None or isinstance(exc, StorageError):
                    raise
                refusals[n] = exc
                continue
            if isinstance(accepted.payload, REGISTRY_PAYLOADS):
                if not registrations:
                    # The cached registry is shared: change a copy, cached after commit.
                    registry = copy.deepcopy(registry)
                registry.apply(index, accepted.payload)
                registrations.append((index, accepted.payload))
            if isinstance(accepted.payload, OpeningShare):
                share = accepted.payload.sealed(where=here)
                sealed_rows.append(
                    (accepted.payload.entry, share.key_id, share.party, share.ciphertext, index)
                )
            sealed_rows.extend(
                (index, s.key_id, s.party, s.ciphertext, SEALED_BY_SUBMITTER)
                for s in submission.sealed
            )
            known[leaf] = index
            fresh.append((index, submission, leaf))
            results.append(Appended(index, leaf, False))
            index += 1
        checked = perf_counter()

        if not fresh:
            cur.execute(sql.latest_checkpoint)
            row = cur.fetchone()
            if row is None:
                raise NotFoundError("the log has no checkpoint yet: run accordwatch init")
            return _Staged(AppendResult(results, size, str(row[0])))
        if registry.origin != self.origin:
            raise StorageError(
                f"log key {self.origin!r} does not belong to log {registry.origin!r}"
            )

        edge = compact.edge[:]  # the complete subtrees before this batch, for the receipts
        node_rows: list[tuple[int, bytes]] = []
        add_leaf = compact.append
        for _, _, leaf in fresh:
            for level, i, h in add_leaf(leaf):
                node_rows.append(((level << 48) | i, h))
        root = compact.root()
        merkle = perf_counter()

        moment = sql.moment
        recorded_at = moment(log_time)
        entry_rows: list[tuple[Any, ...]] = []
        opening_rows: list[tuple[int, bytes, bytes]] = []
        for idx, submission, leaf in fresh:
            env = submission.envelope
            entry_rows.append(
                (
                    idx,
                    leaf,
                    env.record_type,
                    env.party,
                    env.key_id,
                    moment(env.time),
                    recorded_at,
                    env.canonical,
                )
            )
            if submission.opening is not None:
                opening_rows.append(
                    (idx, submission.opening.salt, canonical_json(submission.opening.payload))
                )
        for idx, payload in registrations:
            if isinstance(payload, Genesis):
                conn.execute(
                    insert(log_head).values(
                        id=1, origin=payload.origin, size=0, root=EMPTY_ROOT, edge=b""
                    )
                )
            projections.project(conn, idx, payload)
        signing = perf_counter()
        note = Checkpoint(self.origin, compact.size, root).sign(self.signer)
        signed = perf_counter()
        # The writes go out together: the head lock is held for their round trip only.
        with sql.batched(cur):
            sql.insert_rows(cur, sql.insert_nodes, node_rows)
            sql.insert_rows(cur, sql.insert_entries, entry_rows)
            if opening_rows:
                sql.insert_rows(cur, sql.insert_openings, opening_rows)
            if sealed_rows:
                sql.insert_rows(cur, sql.insert_sealed, sealed_rows)
            cur.execute(sql.update_head, (compact.size, root, compact.to_bytes()))
            cur.execute(sql.insert_checkpoint, (compact.size, root, note, recorded_at))
        staged = _Staged(AppendResult(results, compact.size, note), registry, node_rows)
        if want_receipts:
            # built after the commit, outside the lock (`_write`)
            at_hand = dict(zip(root_plan(size), edge, strict=True))
            at_hand.update(((key >> 48, key & INDEX_MASK), h) for key, h in node_rows)
            staged.proof_basis = (at_hand, [(idx, leaf) for idx, _, leaf in fresh])
        if timings is not None:
            _add(timings, "read", read - hashed)
            _add(timings, "hash", hashed - started)
            _add(timings, "check", checked - read)
            _add(timings, "merkle", merkle - checked)
            _add(timings, "entries", (signing - merkle) + (perf_counter() - signed))
            _add(timings, "checkpoint", signed - signing)
        return staged

    def _check_share(
        self, cur: Any, share: OpeningShare, registry: Registry, index: int, where: str
    ) -> None:
        """Refuse an `opening.share` that names no earlier confidential entry or a wrong key."""
        target = None
        if share.entry < index:
            cur.execute(self.sql.entry, (share.entry,))
            row = cur.fetchone()
            if row is not None:
                target = Envelope.from_bytes(bytes(row[-1]), where=f"log entry {share.entry}")
        problem = share_problem(share, target, registry)
        if problem is not None:
            raise InputError(problem, where=where)

    def cached_registry(self) -> Registry | None:
        """The registry as of the last append this process made, if held; no database read.

        It may be some entries behind the log (another process appends too):
        for `check.check_signature`, whose refusals hold at any later position.
        The object held is never changed (an append changes a copy).
        """
        held = self._registry
        return None if held is None else held[1]

    def forget_registry(self) -> None:
        """Drop the cached registry; the next append reads it from the projections."""
        self._registry = None

    def _load_registry(self, conn: Connection, size: int, last_registry: int) -> Registry:
        """The registry as of `size`; `last_registry` is the last entry that changed it.

        A registry cached at some size stays right for as long as no later
        entry changed it, whichever process appended the entries since.
        """
        if self._registry is not None and last_registry < self._registry[0] <= size:
            if self._registry[0] < size:
                self._registry = (size, self._registry[1])
            return self._registry[1]
        self._registry = None
        registry = projections.load_registry(conn)
        self._registry = (size, registry)
        return registry

    def _indices_of(self, cur: Any, hashes: Sequence[bytes]) -> dict[bytes, int]:
        """The entries already in the log among these leaves.

        A leaf stands for one signed statement (see `log.envelope`: canonical
        bytes, canonical base64, no malleable signature), so a statement sent
        again, in whatever spelling, is found here and gets its first receipt.
        """
        rows = self.sql.fetch_matching(
            cur, "SELECT leaf_hash, idx FROM entries", "leaf_hash", hashes
        )
        return {bytes(h): int(i) for h, i in rows}


def _add(timings: dict[str, float], phase: str, seconds: float) -> None:
    timings[phase] = timings.get(phase, 0.0) + seconds
