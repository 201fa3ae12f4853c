"""The log in the database, read: entries, checkpoints, proofs and receipts.

`LogReader` holds what reads share: the engine, a cache of the Merkle nodes
that never change, the checkpoints already opened, and on PostgreSQL a
connection the calling thread may keep for its reads. `Ledger`
(`accordwatch.store.ledger`) adds appending to it.

The hot reads (proofs, receipts, the audit's reads) run fixed statements as
driver SQL on the DBAPI cursor (`statements.Statements`); see
`accordwatch.store.ledger` for why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from accordwatch.errors import InputError, NotFoundError, StorageError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.merkle import (
    EMPTY_ROOT,
    NodeId,
    Plan,
    consistency_plan,
    fold,
    inclusion_plan,
    plan_nodes,
    root_plan,
)
from accordwatch.log.note import NoteSigner
from accordwatch.log.policy import Policy
from accordwatch.log.receipt import Receipt
from accordwatch.log.registry import Registry
from accordwatch.store import projections
from accordwatch.store.cosignatures import CosignatureStore
from accordwatch.store.database import driver_error, storage_errors
from accordwatch.store.schema import checkpoints, entries, log_head, openings
from accordwatch.store.statements import Statements, as_is

# Complete subtrees this high are few (n / 64) and never change: keep them.
CACHE_FROM_LEVEL = 6
CACHE_FROM_KEY = CACHE_FROM_LEVEL << 48
INDEX_MASK = (1 << 48) - 1
_OPENED_KEPT = 4096


@dataclass(frozen=True)
class StoredEntry:
    index: int
    leaf_hash: bytes
    envelope: bytes
    record_type: str
    party: str
    signed_at: datetime
    recorded_at: datetime


def aware_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class LogReader(CosignatureStore):
    """Reads and proofs over the log one database holds, signed by `signer`'s log.

    With the witnesses' cosignatures of its checkpoints (`CosignatureStore`).
    """

    def __init__(self, engine: Engine, signer: NoteSigner, *, url: str = "") -> None:
        self.engine = engine
        self.signer = signer
        self.url = url or engine.url.render_as_string(hide_password=True)
        self._node_cache: dict[NodeId, bytes] = {}
        # The log only grows: any size it was once seen to have stays valid.
        self._known_size = 0
        self._opened: dict[str, Checkpoint] = {}
        self.sql = Statements(engine.dialect)
        # Reads outside a write see committed rows and need no transaction: on
        # PostgreSQL, autocommit spares a BEGIN and a ROLLBACK round trip per read
        # (the log is append-only, so the statements of one read never disagree).
        self._autocommit_reads = engine.dialect.name == "postgresql"
        self._held = threading.local()
        self._checked = {}
        self._checked_lock = threading.Lock()

    @property
    def origin(self) -> str:
        return self.signer.name

    def _note_size(self, size: int) -> None:
        if size > self._known_size:
            self._known_size = size

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A DBAPI cursor for reads outside any write.

        On the connection this thread holds (`hold_connection`), or on one of
        the pool's, taken for this read only.
        """
        holding = getattr(self._held, "wanted", False)
        with storage_errors(self.url):
            raw = getattr(self._held, "raw", None) if holding else None
            if raw is None:
                raw = self.engine.raw_connection()
                if self._autocommit_reads:
                    # psycopg switches this without a round trip on an idle connection
                    raw.driver_connection.autocommit = True  # type: ignore[union-attr]
                if holding:
                    self._held.raw = raw
            cur = raw.cursor()
            try:
                yield cur
            except Exception as exc:
                if holding and driver_error(self.url, exc) is not None:
                    # the connection may be broken: the next read takes a new one
                    self._held.raw = None
                    raw.invalidate()
                raise
            finally:
                cur.close()
                if not holding:
                    if self._autocommit_reads:
                        raw.driver_connection.autocommit = False  # type: ignore[union-attr]
                    raw.close()

    def hold_connection(self) -> None:
        """Keep one connection for the reads of the calling thread, until `release_connection`.

        For a server's event loop thread, which runs the hot reads one after
        another: checking a connection out of the pool and back for each one
        costs about as much as the read. PostgreSQL only; elsewhere a no-op.
        """
        if self._autocommit_reads:
            self._held.wanted = True

    def release_connection(self) -> None:
        """Give the calling thread's held connection back to the pool."""
        self._held.wanted = False
        held = getattr(self._held, "raw", None)
        self._held.raw = None
        if held is not None:
            held.driver_connection.autocommit = False
            held.close()

    # -- reading -------------------------------------------------------------

    def size(self) -> int:
        with storage_errors(self.url), self.engine.connect() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(log_head.c.size), 0))).scalar_one()
            )

    def registry(self) -> Registry:
        with storage_errors(self.url), self.engine.connect() as conn:
            return projections.load_registry(conn)

    def entry(self, index: int) -> StoredEntry:
        with self.cursor() as cur:
            cur.execute(self.sql.entry, (index,))
            row = cur.fetchone()
        if row is None:
            raise NotFoundError(f"no log entry {index} (log size {self.size()})")
        return _stored(row, self.sql.read_moment)

    def entries(
        self, start: int = 0, end: int | None = None, *, chunk: int = 2000
    ) -> Iterator[StoredEntry]:
        """Entries in index order, read in chunks so a large log streams."""
        position = start
        while end is None or position < end:
            stop = position + chunk if end is None else min(end, position + chunk)
            with storage_errors(self.url), self.engine.connect() as conn:
                rows = conn.execute(
                    select(entries)
                    .where(entries.c.idx >= position, entries.c.idx < stop)
                    .order_by(entries.c.idx)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            position = rows[-1].idx + 1

    def opening(self, index: int) -> tuple[bytes, bytes] | None:
        """Salt and canonical payload of a confidential entry (for authorised readers)."""
        with storage_errors(self.url), self.engine.connect() as conn:
            row = conn.execute(select(openings).where(openings.c.idx == index)).first()
        return (bytes(row.salt), bytes(row.payload)) if row else None

    def latest_checkpoint(self, conn: Connection | None = None) -> str:
        if conn is None:
            with self.cursor() as cur:
                cur.execute(self.sql.latest_checkpoint)
                row = cur.fetchone()
            if row is None:
                raise NotFoundError("the log has no checkpoint yet: run accordwatch init")
            return str(row[0])
        note = conn.execute(
            select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)
        ).scalar()
        if note is None:
            raise NotFoundError("the log has no checkpoint yet: run accordwatch init")
        return str(note)

    def checkpoint_at(self, size: int) -> str:
        with storage_errors(self.url), self.engine.connect() as conn:
            note = conn.execute(
                select(checkpoints.c.note).where(checkpoints.c.size == size)
            ).scalar()
        if note is None:
            raise NotFoundError(f"the log issued no checkpoint at size {size}")
        return str(note)

    def checkpoint_covering(self, index: int) -> str:
        """The first checkpoint that included entry `index`."""
        with storage_errors(self.url), self.engine.connect() as conn:
            note = conn.execute(
                select(checkpoints.c.note)
                .where(checkpoints.c.size > index)
                .order_by(checkpoints.c.size)
                .limit(1)
            ).scalar()
        if note is None:
            raise NotFoundError(f"no checkpoint covers entry {index}")
        return str(note)

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(
                select(checkpoints.c.size, checkpoints.c.note).order_by(checkpoints.c.size)
            ).all()
        for size, note in rows:
            yield int(size), str(note)

    # -- proving -------------------------------------------------------------

    def _resolve(
        self, cur: Any, plan: Plan, at_hand: Mapping[NodeId, bytes] | None = None
    ) -> list[bytes]:
        """Proof hashes for a plan: nodes from `at_hand`, the cache, then one query."""
        return self._resolve_all(cur, [plan], at_hand)[0]

    def _resolve_all(
        self, cur: Any | None, plans: Sequence[Plan], at_hand: Mapping[NodeId, bytes] | None = None
    ) -> list[list[bytes]]:
        """Proof hashes for several plans, the nodes none has at hand read in one query.

        With no cursor, one is opened if any node must be read.
        """
        wanted: set[NodeId] = set()
        for plan in plans:
            wanted |= plan_nodes(plan)
        cache = self._node_cache
        found: dict[NodeId, bytes] = {}
        missing: dict[int, NodeId] = {}
        for node in wanted:
            h = cache.get(node)
            if h is None and at_hand is not None:
                h = at_hand.get(node)
            if h is None:
                missing[(node[0] << 48) | node[1]] = node
            else:
                found[node] = h
        if missing:
            select = "SELECT id, hash FROM nodes"
            if cur is None:  # a connection only for what is not at hand
                with self.cursor() as own:
                    rows = self.sql.fetch_matching(own, select, "id", list(missing))
            else:
                rows = self.sql.fetch_matching(cur, select, "id", list(missing))
            for key, h in rows:
                node = missing[key]
                found[node] = h = bytes(h)
                if node[0] >= CACHE_FROM_LEVEL:
                    cache[node] = h
        if len(found) != len(wanted):
            absent = sorted(wanted - found.keys())[:3]
            raise StorageError(
                f"the database lacks Merkle nodes {absent}: run accordwatch log audit"
            )
        return [[fold([found[n] for n in element]) for element in plan] for plan in plans]

    def _check_size(self, cur: Any, size: int | None) -> int:
        if size is not None and 0 <= size <= self._known_size:
            return size
        cur.execute(self.sql.size)
        current = int(cur.fetchone()[0])
        self._note_size(current)
        if size is None:
            return current
        if not 0 <= size <= current:
            raise InputError(f"tree size {size} is outside the log (size {current})")
        return size

    def prove_inclusion(self, index: int, size: int | None = None) -> tuple[int, list[bytes]]:
        with self.cursor() as cur:
            size = self._check_size(cur, size)
            if not 0 <= index < size:
                raise NotFoundError(f"no log entry {index} in a tree of size {size}")
            return size, self._resolve(cur, inclusion_plan(index, size))

    def prove_consistency(self, first: int, second: int | None = None) -> tuple[int, list[bytes]]:
        with self.cursor() as cur:
            second = self._check_size(cur, second)
            if not 0 < first <= second:
                raise InputError(
                    f"a consistency proof needs 0 < first <= second (got {first}, {second})"
                )
            return second, self._resolve(cur, consistency_plan(first, second))

    def root(self, size: int | None = None) -> bytes:
        with self.cursor() as cur:
            size = self._check_size(cur, size)
            return self._resolve(cur, [root_plan(size)])[0] if size else EMPTY_ROOT

    def opened(self, note: str) -> Checkpoint:
        """The checkpoint a note of this log states, its signature checked once per note.

        Notes never change once issued, and checking the signature costs
        more than the rest of a proof, so the notes checked last are kept.
        """
        cp = self._opened.get(note)
        if cp is None:
            cp = Checkpoint.open(note, self.signer.verifier)
            if len(self._opened) >= _OPENED_KEPT:
                self._opened.clear()
            self._opened[note] = cp
        return cp

    def receipt(self, index: int, *, at: str = "first") -> Receipt:
        """Receipt for an entry against the checkpoint that first included it, or the latest."""
        sql = self.sql
        with self.cursor() as cur:
            # the checkpoint and the leaf in one round trip
            if at == "first":
                cur.execute(sql.covering_checkpoint_and_leaf, (index, index))
            else:
                cur.execute(sql.latest_checkpoint_and_leaf, (index,))
            note, leaf = cur.fetchone()
            if leaf is None:
                raise NotFoundError(f"no log entry {index} (log size {self.size()})")
            if note is None:
                raise NotFoundError(
                    f"no checkpoint covers entry {index}"
                    if at == "first"
                    else "the log has no checkpoint yet: run accordwatch init"
                )
            cp = self.opened(str(note))
            size = self._check_size(cur, cp.size)
            if not 0 <= index < size:
                raise NotFoundError(f"no log entry {index} in a tree of size {size}")
            proof = self._resolve(cur, inclusion_plan(index, size))
        return Receipt(index, size, bytes(leaf), proof, str(note))

    def witnessed_receipt(self, index: int, policy: Policy | None) -> Receipt:
        """Receipt against the earliest witnessed checkpoint that includes `index`.

        With its cosignatures; with no such checkpoint (or no policy), against
        the latest checkpoint, with whatever cosignatures it has.
        """
        found = self.witnessed_covering(index, policy) if policy is not None else None
        if found is None:
            note = self.cosigned_note(self.opened(self.latest_checkpoint()).size)
        else:
            note = found[0]
        size, proof = self.prove_inclusion(index, self.opened(note).size)
        return Receipt(index, size, self.entry(index).leaf_hash, proof, note)


def _stored(row: Any, moment: Callable[[Any], Any] = as_is) -> StoredEntry:
    """An entry from a row of `entries`, in its column order (`moment` reads a driver's times)."""
    idx, leaf_hash, record_type, party, _key_id, signed_at, recorded_at, envelope = row
    return StoredEntry(
        index=int(idx),
        leaf_hash=bytes(leaf_hash),
        envelope=bytes(envelope),
        record_type=record_type,
        party=party,
        signed_at=aware_utc(moment(signed_at)),
        recorded_at=aware_utc(moment(recorded_at)),
    )
