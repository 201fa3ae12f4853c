"""Query tables derived from the log, and rebuilding them from it.

Each projector folds accepted entries into its tables. `append` calls them
in the same transaction as the entry, so a projection is never ahead of or
behind the log; `rebuild` empties the tables and replays the log through the
same code, which is why it gives identical results. The audit compares the
tables with the registry it replayed from the log (`compare_registry`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select, update

from accordwatch.errors import VerificationError
from accordwatch.log.key_purpose import purpose_of
from accordwatch.log.keys import key_id
from accordwatch.log.records import (
    Genesis,
    KeyRegistration,
    KeyRevocation,
    PartyRegistration,
    PartyRevocation,
    Payload,
)
from accordwatch.log.registry import KeyRecord, PartyRecord, Registry, party_revoked_reason
from accordwatch.log.roles import Role
from accordwatch.store.schema import PROJECTION_TABLES, log_head, parties, party_keys


def project(conn: Connection, index: int, payload: Payload) -> None:
    """Fold one accepted entry into the projection tables."""
    if isinstance(payload, Genesis):
        conn.execute(
            insert(parties).values(
                name=payload.registrar,
                role=Role.REGISTRAR.value,
                display_name="log registrar",
                registered_at=index,
            )
        )
        _add_key(conn, index, payload.registrar, base64.b64decode(payload.registrar_public_key))
    elif isinstance(payload, PartyRegistration):
        conn.execute(
            insert(parties).values(
                name=payload.name,
                role=payload.role.value,
                display_name=payload.display_name,
                registered_at=index,
            )
        )
    elif isinstance(payload, KeyRegistration):  # and its `KeyRotation`
        if payload.replaces is not None:
            _revoke(conn, index, payload.replaces, f"rotated to {payload.key_id}")
        _add_key(conn, index, payload.party, base64.b64decode(payload.public_key))
    elif isinstance(payload, KeyRevocation):
        _revoke(conn, index, payload.key_id, payload.reason)
    elif isinstance(payload, PartyRevocation):
        _revoke_party(conn, index, payload)


def _add_key(conn: Connection, index: int, party: str, public_key: bytes) -> None:
    conn.execute(
        insert(party_keys).values(
            key_id=key_id(public_key),
            party=party,
            public_key=public_key,
            registered_at=index,
            revoked_at=None,
            reason="",
        )
    )


def _revoke(conn: Connection, index: int, kid: str, reason: str) -> None:
    conn.execute(
        update(party_keys).where(party_keys.c.key_id == kid).values(revoked_at=index, reason=reason)
    )


def _revoke_party(conn: Connection, index: int, payload: PartyRevocation) -> None:
    """As `Registry.apply`: the party ends, and every key it still had is revoked with it."""
    conn.execute(
        update(parties)
        .where(parties.c.name == payload.name)
        .values(revoked_at=index, reason=payload.reason)
    )
    conn.execute(
        update(party_keys)
        .where(party_keys.c.party == payload.name, party_keys.c.revoked_at.is_(None))
        .values(revoked_at=index, reason=party_revoked_reason(payload.reason))
    )


def load_registry(conn: Connection) -> Registry:
    """The registry as the projection tables hold it."""
    registry = Registry()
    head = conn.execute(select(log_head.c.origin)).first()
    registry.origin = head.origin if head else None
    for row in conn.execute(select(parties)):
        registry.parties[row.name] = PartyRecord(
            row.name,
            Role(row.role),
            row.display_name,
            row.registered_at,
            row.revoked_at,
            row.reason,
        )
    for row in conn.execute(select(party_keys)):
        registry.keys[row.key_id] = KeyRecord(
            row.key_id,
            row.party,
            bytes(row.public_key),
            row.registered_at,
            row.revoked_at,
            row.reason,
            # the table keeps no purpose: the public key's size tells it
            purpose_of(bytes(row.public_key)),
        )
    return registry


def clear(conn: Connection) -> None:
    for table in reversed(PROJECTION_TABLES):
        conn.execute(delete(table))


def replay(conn: Connection, accepted: Iterable[tuple[int, Payload]]) -> int:
    """Project every entry in log order; return how many were read."""
    count = 0
    for index, payload in accepted:
        project(conn, index, payload)
        count += 1
    return count


def snapshot(conn: Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every projection row, sorted, for comparing a rebuild with the original."""
    out: dict[str, list[tuple[object, ...]]] = {}
    for table in PROJECTION_TABLES:
        rows = conn.execute(select(table)).all()
        out[table.name] = sorted(tuple(r) for r in rows)
    return out


# Each projection table's columns, its primary key first, as `stored_rows` reads them.
_COLUMNS = {
    parties.name: ("name", "role", "display_name", "registered_at"),
    party_keys.name: ("key_id", "party", "public_key", "registered_at", "revoked_at", "reason"),
}
_BINARY = frozenset({"public_key"})


def stored_rows(conn: Connection) -> dict[str, dict[object, tuple[object, ...]]]:
    """The projection tables' rows by primary key, as the database holds them.

    Read as the driver gives them, without the columns' type conversions, so
    that a value edited into another type is compared, not a crash.
    """
    out: dict[str, dict[object, tuple[object, ...]]] = {}
    sqlite = conn.dialect.name == "sqlite"
    for table, columns in _COLUMNS.items():
        # SQLite keeps any type in any column, and its driver would decode text as
        # UTF-8: a key edited into text is read as the name of its type instead.
        read = [
            f"CASE typeof({c}) WHEN 'blob' THEN {c} ELSE typeof({c}) END"
            if sqlite and c in _BINARY
            else c
            for c in columns
        ]
        rows = conn.exec_driver_sql(f"SELECT {', '.join(read)} FROM {table}").all()
        out[table] = {row[0]: tuple(_plain(v) for v in row) for row in rows}
    return out


def _plain(value: object) -> object:
    return bytes(value) if isinstance(value, bytearray | memoryview) else value


def _shown(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return repr(value)


def registry_rows(registry: Registry) -> dict[str, dict[object, tuple[object, ...]]]:
    """The rows `project` leaves in the projection tables for `registry`, by primary key."""
    return {
        parties.name: {
            p.name: (p.name, p.role.value, p.display_name, p.registered_at)
            for p in registry.parties.values()
        },
        party_keys.name: {
            k.key_id: (k.key_id, k.party, k.public_key, k.registered_at, k.revoked_at, k.reason)
            for k in registry.keys.values()
        },
    }


def compare_registry(
    stored: dict[str, dict[object, tuple[object, ...]]], registry: Registry
) -> None:
    """The stored projections must be exactly the registry replayed from the log.

    Raises naming the table, the row and the first column that differs.
    """
    for table, expected in registry_rows(registry).items():
        held = stored.get(table, {})
        columns = _COLUMNS[table]
        for key, row in expected.items():
            if key not in held:
                raise VerificationError(
                    f"{table} row {key!r} is missing: the log registered it at entry {row[3]}"
                )
            for name, want, have in zip(columns, row, held[key], strict=True):
                if want != have:
                    raise VerificationError(
                        f"{table} row {key!r}: {name} is {_shown(have)}, "
                        f"the log says {_shown(want)}"
                    )
        extra = sorted(held.keys() - expected.keys(), key=repr)
        if extra:
            raise VerificationError(f"{table} row {extra[0]!r} is not in the log")
