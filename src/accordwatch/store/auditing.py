"""Auditing the log as the database holds it.

Everything a view reads is checked against the log: each entry's envelope
and leaf hash, the columns copied from its envelope (`record_type`, `party`,
`key_id`, `signed_at`), a confidential entry's opening (which must be there,
readable and bytes, since the operator's views read it), every Merkle node,
every checkpoint, the head (size, root, the tree's right edge, the origin),
the `parties` and `party_keys` projections, compared with the registry
replayed from the log, and the role each bearer token (`api_tokens`) reads
in, which must be its party's registered role. On SQLite, `PRAGMA integrity_check` checks the file's
own structure first (B-trees and their indexes, such as UNIQUE(leaf_hash),
which the duplicate check reads); on PostgreSQL that is left to the server,
and the report says so.

The audit is bounded by the head it reads first: entries, checkpoints and
Merkle nodes beyond that size are left for the next audit, so a log that
keeps growing while it is audited is not mistaken for a tampered one. The
head is written in the same transaction as the entries it counts, so
everything below it is already there; the projections are read in the same
snapshot as the head, so they describe the same log. Rows are read in
chunks, each on a fresh pooled connection, so a long audit holds no
transaction open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.log.audit import AuditEntry, AuditReport, audit, compare_nodes
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.envelope import Opening
from accordwatch.log.registry import Registry
from accordwatch.store import projections
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import log_head

_ENTRY_CHUNK = 5000
_NODE_CHUNK = 20000
_INDEX_MASK = (1 << 48) - 1
# The columns of `Statements.audit_entries` that copy envelope members, in its order.
_COPIED = ("record_type", "party", "key_id", "signed_at")
# Storage types of bytes: SQLite's `typeof` and PostgreSQL's `pg_typeof`.
_BINARY = ("blob", "bytea")
POSTGRESQL_INTEGRITY = (
    "not checked: the physical integrity of a PostgreSQL database is the server's job "
    "(data checksums, amcheck)"
)


def _bytes(value: Any, kind: str, what: str, where: str | None) -> bytes:
    """A binary column's value, or the error naming it: the views read it as bytes."""
    if kind not in _BINARY or not isinstance(value, bytes | bytearray | memoryview):
        if isinstance(value, str):
            kind = "text"
        raise VerificationError(
            f"stored {what} is {kind}, not bytes as the log reads it", where=where
        )
    return bytes(value)


def storage_integrity(ledger: Ledger) -> str:
    """Check the database file's own structure where accordwatch can; say what was done."""
    if ledger.engine.dialect.name != "sqlite":
        return POSTGRESQL_INTEGRITY
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA integrity_check")]
    problems = [line for line in found if line != "ok"]
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise VerificationError(f"SQLite integrity_check: {problems[0]}{more}")
    return "SQLite integrity_check ok"


def audit_database(
    ledger: Ledger,
    *,
    progress: Callable[[int], None] | None = None,
    watch: Callable[[Iterable[AuditEntry]], Iterable[AuditEntry]] | None = None,
    openings_required: bool = True,
) -> AuditReport:
    """Audit the file, entries, openings, nodes, checkpoints, head and projections.

    `watch` sees every entry on its way to the audit (the reveals' check reads them so).
    Without `openings_required` (a node, which holds the public log only), a
    confidential entry without its opening is checked as far as it can be.
    """
    integrity = storage_integrity(ledger)
    sql = ledger.sql
    with storage_errors(ledger.url), _one_snapshot(ledger) as conn:
        head = conn.execute(
            select(log_head.c.size, log_head.c.root, log_head.c.edge, log_head.c.origin)
        ).first()
        stored_projections = projections.stored_rows(conn)
        tokens = conn.exec_driver_sql("SELECT token_id, party, role FROM api_tokens").all()
    size = int(head.size) if head else 0
    read_moment = sql.read_moment

    def stored_entries() -> Iterator[AuditEntry]:
        position = 0
        while position < size:
            with ledger.cursor() as cur:
                cur.execute(sql.audit_entries, (position, min(_ENTRY_CHUNK, size - position)))
                rows = cur.fetchall()
                if not rows:
                    return
                cur.execute(sql.audit_openings, (position, rows[-1][0]))
                stored_openings = {row[0]: row[1:] for row in cur.fetchall()}
                cur.execute(sql.audit_sealed, (position, rows[-1][0]))
                sealed = {int(row[0]) for row in cur.fetchall()}
            # Each row is read as its entry comes up, so that the first bad entry is named.
            for idx, envelope, leaf, *copied, envelope_kind, leaf_kind in rows:
                where = f"entry {idx}"
                opening = stored_openings.get(idx)
                yield AuditEntry(
                    idx,
                    _bytes(envelope, envelope_kind, "envelope", where),
                    _bytes(leaf, leaf_kind, "leaf_hash", where),
                    None if opening is None else _opening(*opening, where=where),
                    _columns(copied, read_moment, where),
                    sealed=idx in sealed,
                )
            position = rows[-1][0] + 1

    report = audit(
        stored_entries() if watch is None else watch(stored_entries()),
        [(s, note) for s, note in ledger.checkpoints() if s <= size],
        ledger.signer.verifier,
        catalog=ledger.catalog,
        keep_levels=True,
        openings_required=openings_required,
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
            for key, h, kind in rows:
                level, index = key >> 48, key & _INDEX_MASK
                if (index + 1) << level <= size:  # a subtree of the audited tree
                    what = f"Merkle node ({level}, {index}) hash"
                    yield level, index, _bytes(h, kind, what, None)
            last = rows[-1][0]

    report.nodes = compare_nodes(report.levels, stored_nodes())
    if report.size != size or (head is not None and head.root != report.root):
        raise VerificationError(
            f"log head (size {size}) does not match the entries (size {report.size})"
        )
    if head is not None:
        if head.edge != report.edge:
            raise VerificationError(
                "log_head edge is not the right edge of the tree the entries make: "
                "the next entry would be appended to another tree"
            )
        if head.origin != report.registry.origin:
            raise VerificationError(
                f"log_head origin {head.origin!r} is not the log's {report.registry.origin!r}"
            )
    projections.compare_registry(stored_projections, report.registry)
    _check_tokens(tokens, report.registry)
    report.storage_integrity = integrity
    report.levels = []
    return report


@contextmanager
def _one_snapshot(ledger: Ledger) -> Iterator[Connection]:
    """One read transaction in which every statement sees the same state of the database.

    SQLite's read transactions are snapshots already; PostgreSQL's default
    (read committed) gives each statement its own, so it is asked for
    repeatable read.
    """
    with ledger.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _check_tokens(tokens: Sequence[Any], registry: Registry) -> None:
    """A bearer token reads as its party in the role the log registered it with."""
    for token_id, party, role in sorted(tokens, key=repr):
        record = registry.parties.get(party)
        if record is None:
            raise VerificationError(
                f"api_tokens token {token_id!r} is for party {party!r}, which is not in the log"
            )
        if role != record.role.value:
            raise VerificationError(
                f"api_tokens token {token_id!r}: role {role!r}, but the log registered "
                f"{party!r} as {record.role.value}"
            )


def _opening(salt: Any, payload: Any, salt_kind: str, payload_kind: str, *, where: str) -> Opening:
    """A stored opening as the views read it: bytes, canonical JSON, an object."""
    salt = _bytes(salt, salt_kind, "opening salt", where)
    raw = _bytes(payload, payload_kind, "opening payload", where)
    try:
        data = parse_json(raw, where=where)
    except AccordwatchError as exc:
        raise VerificationError(
            f"stored opening is unreadable: {exc.message}", where=where
        ) from exc
    if not isinstance(data, dict):
        raise VerificationError("stored opening payload is not a JSON object", where=where)
    if canonical_json(data) != raw:
        raise VerificationError("stored opening payload is not in canonical form", where=where)
    return Opening(salt, data)


def _columns(copied: list[Any], read_moment: Callable[[Any], Any], where: str) -> dict[str, object]:
    """The copied columns as Python values (the time through the column's own reader)."""
    values: dict[str, object] = dict(zip(_COPIED, copied, strict=True))
    signed_at = values["signed_at"]
    try:
        moment = read_moment(signed_at)
    except (TypeError, ValueError) as exc:
        raise VerificationError(
            f"stored signed_at {signed_at!r} is not a time", where=where
        ) from exc
    if isinstance(moment, datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite keeps UTC without its zone
    values["signed_at"] = moment
    return values
