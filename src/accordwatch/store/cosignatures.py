"""Witness cosignatures of the log's checkpoints, and fork evidence, in the database.

`CosignatureStore` is the part of `LogReader` that keeps what witnesses
cosigned: one signature line per checkpoint size and witness key
(`cosignatures`), the checkpoint notes with those lines appended, the
witnessed checkpoints a policy accepts, and the fork evidence found on the
way (`fork_evidence`). Lines are stored as the witness sent them, after the
caller (the collector, `service.cosigning`) verified them; every reader
verifies them again against the policy it is given.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from accordwatch.errors import AccordwatchError, InputError, NotFoundError
from accordwatch.log.cosignature import cosignature_lines
from accordwatch.log.fork import ForkEvidence
from accordwatch.log.note import NoteSigner
from accordwatch.log.policy import Policy
from accordwatch.log.witnessed import Witnessed, witness_check
from accordwatch.store.database import storage_errors
from accordwatch.store.schema import checkpoints, cosignatures, fork_evidence
from accordwatch.timeutil import utc_now

#: how many cosigned checkpoints a search for a witnessed one looks at, at most
SCAN_LIMIT = 200
_CHECKED_KEPT = 1024


class CosignatureStore:
    """Cosignatures and fork evidence beside the log (mixed into `LogReader`)."""

    engine: Engine
    url: str
    signer: NoteSigner
    _checked: dict[tuple[str, str], Witnessed]
    _checked_lock: threading.Lock
    # provided by `LogReader`, which this is mixed into
    checkpoint_at: Callable[[int], str]
    latest_checkpoint: Callable[[], str]

    # -- writing ---------------------------------------------------------------

    def add_cosignatures(self, size: int, lines: Sequence[str]) -> int:
        """Store signature lines on the checkpoint of `size`; how many were new.

        A line for a size and witness key already held is kept as first stored.
        """
        note = self.checkpoint_at(size)
        block = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        sigs = cosignature_lines(note, block) if block else []
        rows: list[dict[str, Any]] = []
        for sig in sigs:
            if len(sig.signature) < 8:
                raise InputError(f"cosignature by {sig.name} has no timestamp")
            (stamp,) = struct.unpack(">Q", sig.signature[:8])
            rows.append(
                {
                    "size": size,
                    "witness": sig.name,
                    "key_id": sig.key_id.hex(),
                    "line": sig.line(),
                    "cosigned_at": int(stamp),
                    "stored_at": utc_now(),
                }
            )
        if not rows:
            return 0
        dialect = self.engine.dialect.name
        added = 0
        with storage_errors(self.url), self.engine.begin() as conn:
            for row in rows:
                if dialect == "postgresql":
                    stmt: Any = postgresql.insert(cosignatures).values(**row)
                    stmt = stmt.on_conflict_do_nothing(constraint="uq_cosignatures_size_key")
                elif dialect == "sqlite":
                    stmt = sqlite.insert(cosignatures).values(**row).on_conflict_do_nothing()
                else:  # pragma: no cover - only SQLite and PostgreSQL are supported
                    stmt = insert(cosignatures).values(**row)
                # RETURNING counts what was inserted: psycopg reports no rowcount here
                added += len(conn.execute(stmt.returning(cosignatures.c.id)).all())
        return added

    def record_fork(self, evidence: ForkEvidence) -> int:
        """Keep fork evidence (after checking it proves a fork); its id."""
        evidence.verify()
        found = evidence.found_at
        try:
            moment = datetime.fromisoformat(found.replace("Z", "+00:00")) if found else utc_now()
        except ValueError:
            moment = utc_now()
        with storage_errors(self.url), self.engine.begin() as conn:
            result = conn.execute(
                insert(fork_evidence).values(
                    found_at=moment,
                    found_by=evidence.found_by or "unknown",
                    evidence=evidence.text(),
                )
            )
            key = result.inserted_primary_key
        return int(key[0]) if key else 0

    # -- reading ---------------------------------------------------------------

    def forks(self) -> list[ForkEvidence]:
        """Every fork evidence recorded, oldest first."""
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(
                select(fork_evidence.c.id, fork_evidence.c.evidence).order_by(fork_evidence.c.id)
            ).all()
        return [ForkEvidence.parse(text, where=f"fork evidence {id_}") for id_, text in rows]

    def cosignature_lines_at(self, size: int) -> list[str]:
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(
                select(cosignatures.c.line)
                .where(cosignatures.c.size == size)
                .order_by(cosignatures.c.id)
            ).all()
        return [str(r[0]) for r in rows]

    def all_cosignature_lines(self) -> dict[int, list[str]]:
        """Every stored cosignature line, by checkpoint size."""
        out: dict[int, list[str]] = {}
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(
                select(cosignatures.c.size, cosignatures.c.line).order_by(cosignatures.c.id)
            ).all()
        for size, line in rows:
            out.setdefault(int(size), []).append(str(line))
        return out

    def cosigned_note(self, size: int) -> str:
        """The checkpoint of `size` with every cosignature stored for it appended."""
        return _with_lines(self.checkpoint_at(size), self.cosignature_lines_at(size))

    def witness_sizes(self) -> dict[tuple[str, str], int]:
        """The largest size each witness key cosigned, by (witness name, key id hex)."""
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    cosignatures.c.witness, cosignatures.c.key_id, func.max(cosignatures.c.size)
                ).group_by(cosignatures.c.witness, cosignatures.c.key_id)
            ).all()
        return {(str(w), str(k)): int(s) for w, k, s in rows}

    def witnessed(self, note: str, policy: Policy) -> Witnessed:
        """`witness_check` of a note of this log under `policy`, kept for the next ask."""
        key = (note, policy.digest)
        with self._checked_lock:
            found = self._checked.get(key)
        if found is None:
            found = witness_check(note, policy, self.signer.verifier)
            with self._checked_lock:
                if len(self._checked) >= _CHECKED_KEPT:
                    self._checked.clear()
                self._checked[key] = found
        return found

    def _cosigned_sizes(self, *, above: int | None = None, newest_first: bool) -> list[int]:
        query = select(cosignatures.c.size).distinct()
        if above is not None:
            query = query.where(cosignatures.c.size > above)
        order = cosignatures.c.size.desc() if newest_first else cosignatures.c.size
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(query.order_by(order).limit(SCAN_LIMIT)).all()
        return [int(r[0]) for r in rows]

    def _first_met(self, sizes: Sequence[int], policy: Policy) -> tuple[str, Witnessed] | None:
        for size in sizes:
            try:
                note = self.cosigned_note(size)
                found = self.witnessed(note, policy)
            except NotFoundError:
                continue
            except AccordwatchError:
                # a stored line that does not verify under this policy: not witnessed
                continue
            if found.quorum_met:
                return note, found
        return None

    def latest_witnessed(self, policy: Policy) -> tuple[str, Witnessed] | None:
        """The newest checkpoint whose stored cosignatures meet `policy`'s quorum, if any.

        Looks at the latest checkpoint and the `SCAN_LIMIT` newest cosigned ones.
        """
        if policy.satisfied(set()):
            note = self.latest_checkpoint()
            return note, self.witnessed(note, policy)
        return self._first_met(self._cosigned_sizes(newest_first=True), policy)

    def witnessed_covering(self, index: int, policy: Policy) -> tuple[str, Witnessed] | None:
        """The earliest witnessed checkpoint that includes entry `index`, if any."""
        if policy.satisfied(set()):
            with storage_errors(self.url), self.engine.connect() as conn:
                size = conn.execute(
                    select(checkpoints.c.size)
                    .where(checkpoints.c.size > index)
                    .order_by(checkpoints.c.size)
                    .limit(1)
                ).scalar()
            if size is None:
                return None
            note = self.cosigned_note(int(size))
            return note, self.witnessed(note, policy)
        return self._first_met(self._cosigned_sizes(above=index, newest_first=False), policy)


def _with_lines(note: str, lines: Sequence[str]) -> str:
    if not lines:
        return note
    return note + "".join(lines)
