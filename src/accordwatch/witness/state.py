"""The witness's state in SQLite: trusted logs, the latest cosigned checkpoints, evidence.

    logs         (origin, vkey UNIQUE, added_at)                  the log keys it trusts
    checkpoints  (origin PRIMARY KEY, origin_sha256 UNIQUE, size, root, note,
                  timestamp, cosigned_at)                          the latest it cosigned
    evidence     (id, received_at, last_received_at, times, origin, status, message,
                  body, body_sha256 UNIQUE, fork_evidence)         what it refused, signed
    meta         (key PRIMARY KEY, value)                          schema, last_timestamp

`add_checkpoint` is the witness's one write, and one SQLite transaction
from the read to the commit (`BEGIN IMMEDIATE`, SQLite's write lock, taken
before anything is read): the origin's keys and latest checkpoint are read,
`decide` runs, the checkpoint is cosigned at a timestamp no lower than the
last one given, and the new latest checkpoint is written and committed
before the cosignature is returned. Two requests, in threads or in processes,
can therefore never both pass the check against the same old size: the
rollback race of the tlog-witness specification cannot happen.

A request refused although it carries a valid signature of a trusted log
key (`RefusedCheckpointError.signed`) is kept as evidence in the same
transaction, with the proof of a fork when `decide` found one. The same
request body is kept once, with how many times and when last it came.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from accordwatch.errors import ConflictError, NotFoundError, StorageError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.note import Verifier, split_note
from accordwatch.log.witness_protocol import (
    AddCheckpoint,
    RefusedCheckpointError,
    Seen,
    checkpoint_origin,
    decide,
)
from accordwatch.private_files import create_private_file
from accordwatch.witness.clock import iso_seconds

SCHEMA_VERSION = 1
#: SQLite's integers are signed 64-bit
MAX_SIZE = (1 << 63) - 1
BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE logs (
    origin TEXT NOT NULL,
    vkey TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE INDEX logs_origin ON logs (origin);
CREATE TABLE checkpoints (
    origin TEXT PRIMARY KEY,
    origin_sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    cosigned_at TEXT NOT NULL
);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    times INTEGER NOT NULL DEFAULT 1,
    origin TEXT NOT NULL,
    status INTEGER NOT NULL,
    message TEXT NOT NULL,
    body BLOB NOT NULL,
    body_sha256 BLOB NOT NULL UNIQUE,
    fork_evidence TEXT
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: cosign(checkpoint, lowest timestamp allowed) -> (signature lines, timestamp used)
Cosign = Callable[[Checkpoint, int], tuple[str, int]]


@dataclass(frozen=True)
class TrustedLog:
    origin: str
    vkey: str
    added_at: str
    size: int | None
    root: bytes | None
    cosigned_at: str | None


@dataclass(frozen=True)
class Evidence:
    id: int
    received_at: str
    last_received_at: str
    times: int
    origin: str
    status: int
    message: str
    body: bytes
    fork_evidence: str | None


@lru_cache(maxsize=4096)
def _verifier(vkey: str) -> Verifier:
    return Verifier.parse(vkey)


def origin_sha256(origin: str) -> str:
    """The monitoring path's name for a log: SHA-256 of its origin, lowercase hex."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


class WitnessState:
    """The witness database; safe to share between threads (one connection each)."""

    def __init__(self, path: Path, *, durability: str = "full") -> None:
        self.path = path
        self.durability = durability
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._locks: list[int] = []
        self._guard = threading.Lock()

    @classmethod
    def create(cls, path: Path, *, durability: str = "full") -> WitnessState:
        if not create_private_file(path):
            raise ConflictError("the witness database already exists", where=str(path))
        state = cls(path, durability=durability)
        with state._transaction() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            db.execute("INSERT INTO meta VALUES ('last_timestamp', 0)")
        return state

    @classmethod
    def open(cls, path: Path, *, durability: str = "full") -> WitnessState:
        if not path.is_file():
            raise NotFoundError("no witness database", where=str(path))
        state = cls(path, durability=durability)
        row = state._db().execute("SELECT value FROM meta WHERE key = 'schema_version'")
        found = row.fetchone() if row else None
        if found is None or found[0] != SCHEMA_VERSION:
            raise StorageError("not a witness database of this version", where=str(path))
        return state

    # -- connections ---------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                db.execute("PRAGMA journal_mode = WAL")
                db.execute(f"PRAGMA synchronous = {self.durability.upper()}")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot open the witness database: {exc}") from exc
            self._local.db = db
            with self._guard:
                self._all.append(db)
        return db

    def close(self) -> None:
        with self._guard:
            for db in self._all:
                db.close()
            for fd in self._locks:
                os.close(fd)
            self._all.clear()
            self._locks.clear()
        self._local = threading.local()

    def _lock_fd(self) -> int:
        fd: int | None = getattr(self._local, "lock", None)
        if fd is None:
            path = self.path.with_name(self.path.name + ".lock")
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._local.lock = fd
            with self._guard:
                self._locks.append(fd)
        return fd

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction at a time, across threads and processes.

        SQLite's own wait for its write lock polls, sleeping up to 100 ms
        between tries; a lock file's `flock` wakes the next writer as soon
        as the lock is free. `BEGIN IMMEDIATE` still takes SQLite's lock.
        """
        db = self._db()
        lock = self._lock_fd()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"the witness database is not available: {exc}") from exc
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    # -- trusted logs --------------------------------------------------------------

    def trust(self, key: Verifier, added_at: str) -> None:
        with self._transaction() as db:
            found = db.execute("SELECT 1 FROM logs WHERE vkey = ?", (key.text(),)).fetchone()
            if found is not None:
                raise ConflictError(f"log key {key.text()} is already trusted")
            db.execute("INSERT INTO logs VALUES (?, ?, ?)", (key.name, key.text(), added_at))

    def logs(self) -> list[TrustedLog]:
        rows = self._db().execute(
            "SELECT l.origin, l.vkey, l.added_at, c.size, c.root, c.cosigned_at "
            "FROM logs l LEFT JOIN checkpoints c ON c.origin = l.origin "
            "ORDER BY l.origin, l.added_at, l.vkey"
        )
        return [TrustedLog(*row) for row in rows]

    # -- the latest checkpoints ------------------------------------------------------

    def latest_note(self, origin_hash: str) -> str | None:
        """The latest cosigned checkpoint of the log whose origin has this SHA-256 (hex)."""
        row = (
            self._db()
            .execute("SELECT note FROM checkpoints WHERE origin_sha256 = ?", (origin_hash,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def last_timestamp(self) -> int:
        row = self._db().execute("SELECT value FROM meta WHERE key = 'last_timestamp'").fetchone()
        return int(row[0])

    def add_checkpoint(
        self,
        request: AddCheckpoint,
        cosign: Cosign,
        *,
        received_at: str,
        body: bytes | None = None,
        found_by: str = "",
    ) -> str:
        """Decide, cosign and record in one transaction; the cosignature lines.

        `RefusedCheckpointError` if refused (kept as evidence when signed).
        """
        [outcome] = self.add_checkpoints(
            [(request, body)], cosign, received_at=received_at, found_by=found_by
        )
        if isinstance(outcome, RefusedCheckpointError):
            raise outcome
        return outcome

    def add_checkpoints(
        self,
        requests: Sequence[tuple[AddCheckpoint, bytes | None]],
        cosign: Cosign,
        *,
        received_at: str,
        found_by: str = "",
    ) -> list[str | RefusedCheckpointError]:
        """Several requests, one after the other, in one transaction: one commit for all.

        Each is decided against the state the ones before it left, as if
        they came one at a time; nothing is answered before the commit.
        """
        outcomes: list[str | RefusedCheckpointError] = []
        try:
            with self._transaction() as db:
                for request, body in requests:
                    try:
                        origin = checkpoint_origin(request.note)
                    except Exception:  # decide says why, in its words
                        origin = ""
                    outcome = _apply(db, origin, request, cosign)
                    if isinstance(outcome, RefusedCheckpointError) and outcome.signed:
                        kept = body or request.body()
                        _keep(db, origin, outcome, kept, received_at, found_by)
                    outcomes.append(outcome)
        except sqlite3.Error as exc:
            raise StorageError(f"the witness database failed: {exc}") from exc
        return outcomes

    # -- evidence ------------------------------------------------------------------

    def evidence(self) -> list[Evidence]:
        rows = self._db().execute(
            "SELECT id, received_at, last_received_at, times, origin, status, message, body, "
            "fork_evidence FROM evidence ORDER BY id"
        )
        return [
            Evidence(
                id=row[0],
                received_at=row[1],
                last_received_at=row[2],
                times=row[3],
                origin=row[4],
                status=row[5],
                message=row[6],
                body=bytes(row[7]),
                fork_evidence=row[8],
            )
            for row in rows
        ]


def _apply(
    db: sqlite3.Connection, origin: str, request: AddCheckpoint, cosign: Cosign
) -> str | RefusedCheckpointError:
    """Within the write transaction: the cosignature lines, written down, or the refusal."""
    keys = [
        _verifier(vkey)
        for (vkey,) in db.execute("SELECT vkey FROM logs WHERE origin = ?", (origin,))
    ]
    row = db.execute(
        "SELECT size, root, note FROM checkpoints WHERE origin = ?", (origin,)
    ).fetchone()
    seen = Seen(int(row[0]), bytes(row[1]), str(row[2])) if row else None
    try:
        cp = decide(request, {origin: keys} if keys else {}, seen)
        if cp.size > MAX_SIZE:
            raise RefusedCheckpointError(400, f"tree size {cp.size} is over 2^63-1")
    except RefusedCheckpointError as refused:
        return refused
    (floor,) = db.execute("SELECT value FROM meta WHERE key = 'last_timestamp'").fetchone()
    try:
        lines, timestamp = cosign(cp, max(int(floor), 1))
    except VerificationError as exc:  # e.g. an origin too long for an ML-DSA-44 cosignature
        return RefusedCheckpointError(400, f"cannot cosign this checkpoint: {exc.message}")
    note = _log_signed(request.note, keys) + lines
    db.execute(
        "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin) "
        "DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, "
        "timestamp = excluded.timestamp, cosigned_at = excluded.cosigned_at",
        (origin, origin_sha256(origin), cp.size, cp.root, note, timestamp, iso_seconds(timestamp)),
    )
    db.execute("UPDATE meta SET value = ? WHERE key = 'last_timestamp'", (timestamp,))
    return lines


def _log_signed(note: str, keys: list[Verifier]) -> str:
    """The checkpoint text with the signature lines of the trusted keys only."""
    text, sigs = split_note(note)
    known = {(k.name, k.key_id) for k in keys}
    return text + "\n" + "".join(s.line() for s in sigs if (s.name, s.key_id) in known)


def _keep(
    db: sqlite3.Connection,
    origin: str,
    refused: RefusedCheckpointError,
    body: bytes,
    received_at: str,
    found_by: str,
) -> None:
    fork: Any = None
    if refused.evidence is not None:
        fork = dataclasses.replace(
            refused.evidence, found_by=found_by or refused.evidence.found_by, found_at=received_at
        ).text()
    db.execute(
        "INSERT INTO evidence (received_at, last_received_at, origin, status, message, body, "
        "body_sha256, fork_evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (body_sha256) DO UPDATE SET times = times + 1, "
        "last_received_at = excluded.last_received_at",
        (
            received_at,
            received_at,
            origin,
            refused.status,
            refused.message,
            body,
            hashlib.sha256(body).digest(),
            fork,
        ),
    )
