"""Auditing the log as the database holds it.

The audit is bounded by the head it reads first: entries, checkpoints and
Merkle nodes beyond that size are left for the next audit, so a log that
keeps growing while it is audited is not mistaken for a tampered one. The
head is written in the same transaction as the entries it counts, so
everything below it is already there. Rows are read in chunks, each on a
fresh pooled connection, so a long audit holds no transaction open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select

from accordwatch.errors import VerificationError
from accordwatch.log.audit import AuditEntry, AuditReport, audit, compare_nodes
from accordwatch.log.canonical import parse_json
from accordwatch.log.envelope import Opening
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import log_head

_ENTRY_CHUNK = 5000
_NODE_CHUNK = 20000
_INDEX_MASK = (1 << 48) - 1


def _raw(value: object) -> bytes:
    # A value edited by hand may come back as text; it is audited all the same.
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def audit_database(ledger: Ledger, *, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Audit entries, openings, nodes, checkpoints and head up to the head read first."""
    sql = ledger.sql
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        head = conn.execute(select(log_head.c.size, log_head.c.root)).first()
    size = int(head.size) if head else 0

    def stored_entries() -> Iterator[AuditEntry]:
        position = 0
        while position < size:
            with ledger.cursor() as cur:
                cur.execute(sql.audit_entries, (position, min(_ENTRY_CHUNK, size - position)))
                rows = cur.fetchall()
                if not rows:
                    return
                cur.execute(sql.audit_openings, (position, rows[-1][0]))
                opened = {
                    idx: Opening(bytes(salt), parse_json(bytes(payload), where="opening"))
                    for idx, salt, payload in cur.fetchall()
                }
            for idx, envelope, leaf in rows:
                yield AuditEntry(idx, _raw(envelope), _raw(leaf), opened.get(idx))
            position = rows[-1][0] + 1

    report = audit(
        stored_entries(),
        [(s, note) for s, note in ledger.checkpoints() if s <= size],
        ledger.signer.verifier,
        catalog=ledger.catalog,
        keep_levels=True,
        progress=progress,
    )

    def stored_nodes() -> Iterator[tuple[int, int, bytes]]:
        last = -1
        while True:
            with ledger.cursor() as cur:
                cur.execute(sql.audit_nodes, (last, _NODE_CHUNK))
                rows = cur.fetchall()
            if not rows:
                return
            for key, h in rows:
                level, index = key >> 48, key & _INDEX_MASK
                if (index + 1) << level <= size:  # a subtree of the audited tree
                    yield level, index, bytes(h)
            last = rows[-1][0]

    report.nodes = compare_nodes(report.levels, stored_nodes())
    if report.size != size or (head is not None and bytes(head.root) != report.root):
        raise VerificationError(
            f"log head (size {size}) does not match the entries (size {report.size})"
        )
    report.levels = []
    return report
