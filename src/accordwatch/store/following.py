"""Storing a followed log: entries a node verified, written as the log's own rows.

A node holds the same tables as the log's workspace, so that every command
that reads works on it unchanged, but it signs nothing: its entries come with
the log's checkpoints, which it stores as the log signed them. `store_batch`
writes a batch of verified entries in one transaction (entries, Merkle nodes,
the projections of registry entries, the ciphertexts of their openings, the
head), so an interrupted sync keeps
every batch it committed and a rerun continues from the head.

The tiles do not carry the moment the log recorded an entry (`recorded_at`),
and nothing signs it; a node records each entry at the later of its signing
time and the entry before it, which is within the log's allowed clock skew of
the log's own time and, like it, never goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, select

from accordwatch.log.envelope import Envelope
from accordwatch.log.merkle import EMPTY_ROOT, CompactRange, node_key
from accordwatch.log.records import Genesis, Payload
from accordwatch.log.registry import REGISTRY_PAYLOADS
from accordwatch.store import projections
from accordwatch.store.database import WRITE, storage_errors
from accordwatch.store.log_reader import LogReader, aware_utc
from accordwatch.store.schema import checkpoints, entries, log_head


@dataclass(frozen=True)
class VerifiedEntry:
    """An entry checked as the audit checks it (`payload` None: confidential, not opened)."""

    index: int
    leaf_hash: bytes
    envelope: Envelope
    payload: Payload | None


@dataclass
class StoredHead:
    """What a node holds: its size, the tree's right edge and the last entry's log time."""

    compact: CompactRange
    last_recorded: datetime | None


def stored_head(engine: Engine, url: str) -> StoredHead:
    with storage_errors(url), engine.connect() as conn:
        head = conn.execute(select(log_head.c.size, log_head.c.edge)).first()
        last = conn.execute(select(func.max(entries.c.recorded_at))).scalar()
    if head is None:
        return StoredHead(CompactRange(), None)
    compact = CompactRange.from_bytes(int(head.size), bytes(head.edge))
    return StoredHead(compact, aware_utc(last) if last is not None else None)


#: a row of `sealed_openings`: entry, key id, party, ciphertext, source (`store.sealed`)
CiphertextRow = tuple[int, str, str, bytes, int]


def store_batch(
    log: LogReader,
    head: StoredHead,
    batch: Sequence[VerifiedEntry],
    sealed: Sequence[CiphertextRow] = (),
) -> None:
    """Append verified entries, in order, after `head` (which moves with them), in one commit,
    with the ciphertexts (`sealed`) of their openings and of the openings they share.

    The rows go in through the fixed statements the ledger's append uses
    (`statements.Statements`), so they are stored byte for byte as the log stores them.
    """
    if not batch:
        return
    sql = log.sql
    moment = sql.moment
    compact = CompactRange(head.compact.size, head.compact.edge[:])
    last = head.last_recorded
    entry_rows: list[tuple[object, ...]] = []
    node_rows: list[tuple[int, bytes]] = []
    for item in batch:
        if item.index != compact.size:
            raise ValueError(f"entry {item.index} does not follow size {compact.size}")
        env = item.envelope
        signed = moment(env.time)
        if last is None or env.time >= last:
            last, recorded = env.time, signed
        else:
            recorded = moment(last)
        entry_rows.append(
            (
                item.index,
                item.leaf_hash,
                env.record_type,
                env.party,
                env.key_id,
                signed,
                recorded,
                env.canonical,
            )
        )
        for level, index, h in compact.append(item.leaf_hash):
            node_rows.append((node_key(level, index), h))
    with (
        storage_errors(log.url),
        log.engine.connect().execution_options(**{WRITE: True}) as conn,
        conn.begin(),
    ):
        for item in batch:
            if isinstance(item.payload, Genesis):
                conn.execute(
                    insert(log_head).values(
                        id=1, origin=item.payload.origin, size=0, root=EMPTY_ROOT, edge=b""
                    )
                )
            if isinstance(item.payload, REGISTRY_PAYLOADS):
                projections.project(conn, item.index, item.payload)
        cur = conn.connection.cursor()  # the DBAPI cursor, inside conn's transaction
        with sql.batched(cur):
            sql.insert_rows(cur, sql.insert_entries, entry_rows)
            sql.insert_rows(cur, sql.insert_nodes, node_rows)
            if sealed:
                sql.insert_rows(cur, sql.insert_sealed, list(sealed))
            cur.execute(sql.update_head, (compact.size, compact.root(), compact.to_bytes()))
    head.compact = compact
    head.last_recorded = last


def store_checkpoint(
    engine: Engine, url: str, size: int, root: bytes, note: str, at: datetime
) -> bool:
    """Keep a checkpoint the log signed (its own signature only); False if already held."""
    with storage_errors(url), engine.begin() as conn:
        if conn.execute(select(checkpoints.c.size).where(checkpoints.c.size == size)).first():
            return False
        conn.execute(insert(checkpoints).values(size=size, root=root, note=note, issued_at=at))
    return True
