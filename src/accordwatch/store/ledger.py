"""The log in the database: appending, reading and proving.

An append runs in one write transaction: lock the head, check every
submission against the registry as of its position, assign indices, add the
complete subtrees each leaf finishes, fold registry entries into the
projections, move the head and sign a checkpoint. Either all of a batch is
stored or none of it, and concurrent writers (processes, or workers on
PostgreSQL) queue on the head lock, so indices are unique and gapless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from accordwatch.audit import AuditEntry, AuditReport, audit, compare_nodes
from accordwatch.canonical import canonical_json, parse_json
from accordwatch.check import Limits, check_submission
from accordwatch.checkpoint import Checkpoint
from accordwatch.envelope import Opening, Submission
from accordwatch.errors import InputError, NotFoundError, StorageError, VerificationError
from accordwatch.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeId,
    Plan,
    consistency_plan,
    fold,
    inclusion_plan,
    node_key,
    plan_nodes,
    root_plan,
)
from accordwatch.note import NoteSigner
from accordwatch.receipt import Receipt
from accordwatch.records import Genesis, KeyRegistration, KeyRevocation, PartyRegistration
from accordwatch.registry import Registry
from accordwatch.store import projections
from accordwatch.store.database import WRITE, storage_errors
from accordwatch.store.schema import checkpoints, entries, log_head, nodes, openings

_REGISTRY_PAYLOADS = (Genesis, PartyRegistration, KeyRegistration, KeyRevocation)
_LOOKUP_CHUNK = 500
# Complete subtrees this high are few (n / 256) and never change: keep them.
_CACHE_FROM_LEVEL = 6


def utc_now() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True)
class StoredEntry:
    index: int
    leaf_hash: bytes
    envelope: bytes
    record_type: str
    party: str
    signed_at: datetime
    recorded_at: datetime


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Ledger:
    def __init__(
        self,
        engine: Engine,
        signer: NoteSigner,
        *,
        url: str = "",
        limits: Limits = Limits(),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.url = url or engine.url.render_as_string(hide_password=True)
        self.limits = limits
        self.clock = clock
        self._registry: tuple[int, Registry] | None = None
        self._node_cache: dict[NodeId, bytes] = {}

    @property
    def origin(self) -> str:
        return self.signer.name

    # -- appending -----------------------------------------------------------

    def submit(self, submission: Submission, *, where: str = "submission") -> Receipt:
        """Append one submission in its own transaction and return its receipt."""
        result = self.append([submission], where=where)
        return self.receipt(result.entries[0].index)

    def append(
        self, submissions: Sequence[Submission], *, where: str = "submission"
    ) -> AppendResult:
        """Append a batch atomically. A submission already in the log is not added again."""
        now = self.clock()
        with storage_errors(self.url):
            try:
                with self.engine.connect().execution_options(**{WRITE: True}) as conn:
                    with conn.begin():
                        return self._append(conn, submissions, now, where)
            except BaseException:
                self._registry = None  # it may hold entries that were rolled back
                raise

    def _append(
        self, conn: Connection, submissions: Sequence[Submission], now: datetime, where: str
    ) -> AppendResult:
        head = conn.execute(select(log_head).with_for_update()).first()
        size = head.size if head else 0
        registry = self._load_registry(conn, size)
        compact = CompactRange.from_bytes(size, head.edge) if head else CompactRange()
        hashes = [s.envelope.leaf_hash for s in submissions]
        known = self._indices_of(conn, hashes)

        results: list[Appended] = []
        entry_rows: list[dict[str, Any]] = []
        node_rows: list[dict[str, Any]] = []
        opening_rows: list[dict[str, Any]] = []
        for n, (submission, leaf) in enumerate(zip(submissions, hashes, strict=True)):
            if leaf in known:
                results.append(Appended(known[leaf], leaf, True))
                continue
            here = f"{where} #{n + 1}" if len(submissions) > 1 else where
            if registry.origin is None and submission.envelope.record_type != "log.genesis":
                raise StorageError("the log has no genesis entry yet: run accordwatch init")
            accepted = check_submission(
                submission, registry, now=now, limits=self.limits, where=here
            )
            env = submission.envelope
            index = compact.size
            for level, i, h in compact.append(leaf):
                node_rows.append({"id": node_key(level, i), "hash": h})
            entry_rows.append(
                {
                    "idx": index,
                    "leaf_hash": leaf,
                    "record_type": env.record_type,
                    "party": env.party,
                    "key_id": env.key_id,
                    "signed_at": env.time,
                    "recorded_at": now,
                    "envelope": env.canonical,
                }
            )
            if submission.opening is not None:
                opening_rows.append(
                    {
                        "idx": index,
                        "salt": submission.opening.salt,
                        "payload": canonical_json(submission.opening.payload),
                    }
                )
            if isinstance(accepted.payload, _REGISTRY_PAYLOADS):
                if isinstance(accepted.payload, Genesis):
                    conn.execute(
                        insert(log_head).values(
                            id=1, origin=accepted.payload.origin, size=0, root=EMPTY_ROOT, edge=b""
                        )
                    )
                registry.apply(index, accepted.payload)
                projections.project(conn, index, accepted.payload)
            known[leaf] = index
            results.append(Appended(index, leaf, False))

        if not entry_rows:
            return AppendResult(results, size, self.latest_checkpoint(conn))
        if registry.origin != self.origin:
            raise StorageError(
                f"log key {self.origin!r} does not belong to log {registry.origin!r}"
            )
        conn.execute(insert(entries), entry_rows)
        conn.execute(insert(nodes), node_rows)
        if opening_rows:
            conn.execute(insert(openings), opening_rows)
        root = compact.root()
        conn.execute(
            update(log_head)
            .where(log_head.c.id == 1)
            .values(size=compact.size, root=root, edge=compact.to_bytes())
        )
        note = Checkpoint(self.origin, compact.size, root).sign(self.signer)
        conn.execute(
            insert(checkpoints).values(size=compact.size, root=root, note=note, issued_at=now)
        )
        self._registry = (compact.size, registry)
        return AppendResult(results, compact.size, note)

    def _load_registry(self, conn: Connection, size: int) -> Registry:
        if self._registry is not None and self._registry[0] == size:
            return self._registry[1]
        self._registry = None
        return projections.load_registry(conn)

    def _indices_of(self, conn: Connection, hashes: Sequence[bytes]) -> dict[bytes, int]:
        found: dict[bytes, int] = {}
        for start in range(0, len(hashes), _LOOKUP_CHUNK):
            chunk = hashes[start : start + _LOOKUP_CHUNK]
            rows = conn.execute(
                select(entries.c.leaf_hash, entries.c.idx).where(entries.c.leaf_hash.in_(chunk))
            )
            found.update((bytes(h), i) for h, i in rows)
        return found

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
        with storage_errors(self.url), self.engine.connect() as conn:
            row = conn.execute(select(entries).where(entries.c.idx == index)).first()
        if row is None:
            raise NotFoundError(f"no log entry {index} (log size {self.size()})")
        return _stored(row)

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
            with storage_errors(self.url), self.engine.connect() as c:
                return self.latest_checkpoint(c)
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

    def _resolve(self, conn: Connection, plan: Plan | list[list[NodeId]]) -> list[bytes]:
        wanted = plan_nodes(plan)
        cache = self._node_cache
        missing = [n for n in wanted if n not in cache]
        found: dict[NodeId, bytes] = {n: cache[n] for n in wanted if n in cache}
        if missing:
            keys = {node_key(level, i): (level, i) for level, i in missing}
            for key, h in conn.execute(
                select(nodes.c.id, nodes.c.hash).where(nodes.c.id.in_(keys))
            ):
                node = keys[key]
                found[node] = bytes(h)
                if node[0] >= _CACHE_FROM_LEVEL:
                    cache[node] = found[node]
        if len(found) != len(wanted):
            absent = sorted(wanted - found.keys())[:3]
            raise StorageError(
                f"the database lacks Merkle nodes {absent}: run accordwatch log audit"
            )
        return [fold([found[n] for n in element]) for element in plan]

    def _check_size(self, conn: Connection, size: int | None) -> int:
        current = conn.execute(select(func.coalesce(func.max(log_head.c.size), 0))).scalar_one()
        if size is None:
            return int(current)
        if not 0 <= size <= current:
            raise InputError(f"tree size {size} is outside the log (size {current})")
        return size

    def prove_inclusion(self, index: int, size: int | None = None) -> tuple[int, list[bytes]]:
        with storage_errors(self.url), self.engine.connect() as conn:
            size = self._check_size(conn, size)
            if not 0 <= index < size:
                raise NotFoundError(f"no log entry {index} in a tree of size {size}")
            return size, self._resolve(conn, inclusion_plan(index, size))

    def prove_consistency(self, first: int, second: int | None = None) -> tuple[int, list[bytes]]:
        with storage_errors(self.url), self.engine.connect() as conn:
            second = self._check_size(conn, second)
            if not 0 < first <= second:
                raise InputError(
                    f"a consistency proof needs 0 < first <= second (got {first}, {second})"
                )
            return second, self._resolve(conn, consistency_plan(first, second))

    def root(self, size: int | None = None) -> bytes:
        with storage_errors(self.url), self.engine.connect() as conn:
            size = self._check_size(conn, size)
            return self._resolve(conn, [root_plan(size)])[0] if size else EMPTY_ROOT

    def receipt(self, index: int, *, at: str = "first") -> Receipt:
        """Receipt for an entry against the checkpoint that first included it, or the latest."""
        note = self.checkpoint_covering(index) if at == "first" else self.latest_checkpoint()
        cp = Checkpoint.open(note, self.signer.verifier)
        size, proof = self.prove_inclusion(index, cp.size)
        leaf = self.entry(index).leaf_hash
        return Receipt(index, size, leaf, proof, note)


def _raw(value: object) -> bytes:
    # A value edited by hand may come back as text; it is audited all the same.
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _stored(row: Any) -> StoredEntry:
    return StoredEntry(
        index=row.idx,
        leaf_hash=bytes(row.leaf_hash),
        envelope=bytes(row.envelope),
        record_type=row.record_type,
        party=row.party,
        signed_at=_aware(row.signed_at),
        recorded_at=_aware(row.recorded_at),
    )


def audit_database(ledger: Ledger, *, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Audit the log as the database holds it: entries, openings, nodes, checkpoints, head."""
    url = ledger.url

    def stored_entries() -> Iterator[AuditEntry]:
        position = 0
        while True:
            with storage_errors(url), ledger.engine.connect() as conn:
                rows = conn.execute(
                    select(entries.c.idx, entries.c.envelope, entries.c.leaf_hash)
                    .where(entries.c.idx >= position)
                    .order_by(entries.c.idx)
                    .limit(5000)
                ).all()
                opened = {
                    row.idx: Opening(
                        bytes(row.salt), parse_json(bytes(row.payload), where="opening")
                    )
                    for row in conn.execute(
                        select(openings).where(
                            openings.c.idx >= position,
                            openings.c.idx <= (rows[-1].idx if rows else position),
                        )
                    )
                }
            if not rows:
                return
            for row in rows:
                yield AuditEntry(
                    row.idx, _raw(row.envelope), _raw(row.leaf_hash), opened.get(row.idx)
                )
            position = rows[-1].idx + 1

    report = audit(
        stored_entries(),
        list(ledger.checkpoints()),
        ledger.signer.verifier,
        keep_levels=True,
        progress=progress,
    )

    def stored_nodes() -> Iterator[tuple[int, int, bytes]]:
        last = -1
        while True:
            with storage_errors(url), ledger.engine.connect() as conn:
                rows = conn.execute(
                    select(nodes.c.id, nodes.c.hash)
                    .where(nodes.c.id > last)
                    .order_by(nodes.c.id)
                    .limit(20000)
                ).all()
            if not rows:
                return
            for key, h in rows:
                yield key >> 48, key & ((1 << 48) - 1), bytes(h)
            last = rows[-1].id

    report.nodes = compare_nodes(report.levels, stored_nodes())
    with storage_errors(url), ledger.engine.connect() as conn:
        head = conn.execute(select(log_head)).first()
    if head is None or head.size != report.size or bytes(head.root) != report.root:
        raise VerificationError(
            f"log head (size {head.size if head else 0}) does not match the entries "
            f"(size {report.size})"
        )
    report.levels = []
    return report
