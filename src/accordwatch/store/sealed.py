"""Sealed openings in the database, and the plaintext openings they replace.

`sealed_openings` holds one HPKE ciphertext per confidential entry and reader
key (`log.sealing`), which the log stores and cannot open. A workspace made
before openings were sealed holds them in plaintext in `openings`;
`replace_plaintext` swaps them for their ciphertexts in one transaction, and
`compact` then rewrites the SQLite file so that the plaintext lingers in no
free page and no write-ahead log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, select

from accordwatch.errors import StorageError
from accordwatch.log.canonical import parse_json
from accordwatch.log.confidential import SealedRow
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.sealed_opening import SealedOpening
from accordwatch.log.sealing import SEALED_BY_SUBMITTER
from accordwatch.store.database import WRITE, storage_errors
from accordwatch.store.log_reader import LogReader
from accordwatch.store.schema import entries, openings, sealed_openings


def sealed_for(reader: LogReader, index: int) -> list[SealedOpening]:
    """Every ciphertext of entry `index`'s opening, by key id."""
    query = (
        select(sealed_openings.c.party, sealed_openings.c.key_id, sealed_openings.c.ciphertext)
        .where(sealed_openings.c.idx == index)
        .order_by(sealed_openings.c.key_id, sealed_openings.c.source)
    )
    with storage_errors(reader.url), reader.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [SealedOpening(p, k, bytes(c)) for p, k, c in rows]


def sealed_by_entry(reader: LogReader, indices: Iterable[int]) -> dict[int, list[SealedOpening]]:
    """The ciphertexts of several entries' openings (for an export or a page of entries)."""
    query = select(sealed_openings).order_by(
        sealed_openings.c.idx, sealed_openings.c.key_id, sealed_openings.c.source
    )
    out: dict[int, list[SealedOpening]] = {}
    with storage_errors(reader.url), reader.engine.connect() as conn:
        for chosen in _chunks(indices):
            for row in conn.execute(query.where(sealed_openings.c.idx.in_(chosen))):
                out.setdefault(int(row.idx), []).append(
                    SealedOpening(row.party, row.key_id, bytes(row.ciphertext))
                )
    return out


def sealed_rows(
    reader: LogReader, indices: Iterable[int] | None = None
) -> dict[int, list[SealedRow]]:
    """To whom each entry's opening is sealed, without the ciphertexts (every entry: None)."""
    query = select(
        sealed_openings.c.idx,
        sealed_openings.c.party,
        sealed_openings.c.key_id,
        sealed_openings.c.source,
    ).order_by(sealed_openings.c.idx, sealed_openings.c.source, sealed_openings.c.key_id)
    out: dict[int, list[SealedRow]] = {}
    with storage_errors(reader.url), reader.engine.connect() as conn:
        for chosen in _bounded(indices):
            picked = query if chosen is None else query.where(sealed_openings.c.idx.in_(chosen))
            for idx, party, key_id, source in conn.execute(picked):
                out.setdefault(int(idx), []).append(SealedRow(party, key_id, int(source)))
    return out


def plaintext_indices(reader: LogReader, indices: Iterable[int] | None = None) -> set[int]:
    """Which entries (of `indices`, or of the whole log) have their opening in plaintext."""
    query = select(openings.c.idx)
    out: set[int] = set()
    with storage_errors(reader.url), reader.engine.connect() as conn:
        for chosen in _bounded(indices):
            picked = query if chosen is None else query.where(openings.c.idx.in_(chosen))
            out.update(int(i) for (i,) in conn.execute(picked))
    return out


def _chunks(indices: Iterable[int], size: int = 500) -> list[list[int]]:
    """`indices` in bounded `IN (...)` lists."""
    wanted = sorted(set(indices))
    return [wanted[i : i + size] for i in range(0, len(wanted), size)]


def _bounded(indices: Iterable[int] | None) -> list[list[int]] | list[None]:
    """`_chunks(indices)`; `[None]` for no bound at all."""
    return [None] if indices is None else _chunks(indices)


def sealed_to_keys(reader: LogReader, key_ids: Sequence[str]) -> dict[bytes, list[SealedOpening]]:
    """The ciphertexts sealed to any of `key_ids`, by the leaf hash of their entry.

    The submitter's own first, then the shares in log order: a share is
    anyone's entry, and only its recipient can tell whether it opens.
    """
    if not key_ids:
        return {}
    query = (
        select(
            entries.c.leaf_hash,
            sealed_openings.c.party,
            sealed_openings.c.key_id,
            sealed_openings.c.ciphertext,
        )
        .join(entries, entries.c.idx == sealed_openings.c.idx)
        .where(sealed_openings.c.key_id.in_(list(key_ids)))
        .order_by(sealed_openings.c.idx, sealed_openings.c.source)
    )
    with storage_errors(reader.url), reader.engine.connect() as conn:
        rows = conn.execute(query).all()
    out: dict[bytes, list[SealedOpening]] = {}
    for h, p, k, c in rows:
        out.setdefault(bytes(h), []).append(SealedOpening(p, k, bytes(c)))
    return out


def sealed_to_keys_since(
    reader: LogReader, key_ids: Sequence[str], start: int
) -> list[tuple[int, bytes, list[SealedOpening]]]:
    """Entries with ciphertexts to any of `key_ids` stored from entry `start` on (the entry,
    or the share that carried it, at or after `start`): index, envelope, ciphertexts
    (the submitter's first, then the shares in log order)."""
    if not key_ids:
        return []
    query = (
        select(
            entries.c.idx,
            entries.c.envelope,
            sealed_openings.c.party,
            sealed_openings.c.key_id,
            sealed_openings.c.ciphertext,
        )
        .join(entries, entries.c.idx == sealed_openings.c.idx)
        .where(
            sealed_openings.c.key_id.in_(list(key_ids)),
            (sealed_openings.c.idx >= start) | (sealed_openings.c.source >= start),
        )
        .order_by(sealed_openings.c.idx, sealed_openings.c.source)
    )
    return _grouped(reader, query)


def _grouped(reader: LogReader, query: Select[Any]) -> list[tuple[int, bytes, list[SealedOpening]]]:
    """Rows of (index, a bytes column of its entry, party, key id, ciphertext), in index
    order, grouped by entry: index, that column, its ciphertexts."""
    out: list[tuple[int, bytes, list[SealedOpening]]] = []
    with storage_errors(reader.url), reader.engine.connect() as conn:
        for idx, data, party, key_id, ciphertext in conn.execute(query):
            if not out or out[-1][0] != idx:
                out.append((int(idx), bytes(data), []))
            out[-1][2].append(SealedOpening(party, key_id, bytes(ciphertext)))
    return out


def submitter_sealed_keys(reader: LogReader, index: int) -> set[str]:
    """The reader keys the submitter of entry `index` sealed its opening to."""
    query = select(sealed_openings.c.key_id).where(
        sealed_openings.c.idx == index, sealed_openings.c.source == SEALED_BY_SUBMITTER
    )
    with storage_errors(reader.url), reader.engine.connect() as conn:
        return {str(k) for (k,) in conn.execute(query)}


def submitter_sealed(
    reader: LogReader, below: int, *, leaf_hash: bytes | None = None
) -> list[tuple[int, bytes, list[SealedOpening]]]:
    """Entries below `below` with the ciphertexts their submitters sealed: index, leaf hash,
    ciphertexts by key id (only the entry with `leaf_hash`, if given); in log order."""
    query = (
        select(
            entries.c.idx,
            entries.c.leaf_hash,
            sealed_openings.c.party,
            sealed_openings.c.key_id,
            sealed_openings.c.ciphertext,
        )
        .join(entries, entries.c.idx == sealed_openings.c.idx)
        .where(sealed_openings.c.source == SEALED_BY_SUBMITTER, entries.c.idx < below)
        .order_by(sealed_openings.c.idx, sealed_openings.c.key_id)
    )
    if leaf_hash is not None:
        query = query.where(entries.c.leaf_hash == leaf_hash)
    return _grouped(reader, query)


def sealed_entries(reader: LogReader) -> set[int]:
    """The entries whose openings are sealed to at least one reader."""
    with storage_errors(reader.url), reader.engine.connect() as conn:
        return {int(i) for (i,) in conn.execute(select(sealed_openings.c.idx).distinct())}


def sealed_count(reader: LogReader) -> int:
    """How many entries have their openings sealed to at least one reader."""
    query = select(func.count(sealed_openings.c.idx.distinct()))
    with storage_errors(reader.url), reader.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def plaintext_count(reader: LogReader) -> int:
    """How many openings the database still holds in plaintext."""
    with storage_errors(reader.url), reader.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(openings)).scalar_one())


def plaintext_openings(reader: LogReader) -> list[tuple[int, Envelope, Opening]]:
    """Every opening held in plaintext, with its entry's envelope, in log order."""
    query = (
        select(entries.c.idx, entries.c.envelope, openings.c.salt, openings.c.payload)
        .join(openings, openings.c.idx == entries.c.idx)
        .order_by(entries.c.idx)
    )
    with storage_errors(reader.url), reader.engine.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for idx, raw, salt, payload in rows:
        where = f"log entry {idx}"
        envelope = Envelope.from_bytes(bytes(raw), where=where)
        out.append(
            (int(idx), envelope, Opening(bytes(salt), parse_json(bytes(payload), where=where)))
        )
    return out


def replace_plaintext(reader: LogReader, sealed: dict[int, list[SealedOpening]]) -> None:
    """Store each entry's ciphertexts and delete its plaintext opening, all or none."""
    rows = [
        {
            "idx": idx,
            "key_id": s.key_id,
            "party": s.party,
            "ciphertext": s.ciphertext,
            "source": SEALED_BY_SUBMITTER,
        }
        for idx, found in sealed.items()
        for s in found
    ]
    with (
        storage_errors(reader.url),
        reader.engine.connect().execution_options(**{WRITE: True}) as conn,
        conn.begin(),
    ):
        if conn.dialect.name == "sqlite":
            # freed pages are overwritten, not merely put on the free list
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
        held = {
            (int(i), str(k))
            for i, k in conn.execute(
                select(sealed_openings.c.idx, sealed_openings.c.key_id).where(
                    sealed_openings.c.source == SEALED_BY_SUBMITTER
                )
            )
        }
        fresh = [r for r in rows if (r["idx"], r["key_id"]) not in held]
        if fresh:
            conn.execute(insert(sealed_openings), fresh)
        conn.execute(delete(openings).where(openings.c.idx.in_(list(sealed))))


def compact(reader: LogReader) -> None:
    """Leave no deleted plaintext in the SQLite file or its write-ahead log.

    The WAL is checkpointed into the file and truncated, the file rewritten
    by VACUUM (which drops free pages), and the WAL truncated again. On
    PostgreSQL, VACUUM FULL rewrites the table.
    """
    with storage_errors(reader.url), reader.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        if conn.dialect.name == "sqlite":
            cur = raw.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("VACUUM")
            busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            cur.close()
            if busy:
                raise StorageError(
                    "another process has the database open, so its write-ahead log could not "
                    "be emptied and may still hold deleted plaintext: stop it (accordwatch "
                    "serve) and run accordwatch openings seal again"
                )
        else:
            autocommit = raw.autocommit
            raw.autocommit = True
            try:
                raw.execute("VACUUM FULL openings")
            finally:
                raw.autocommit = autocommit
