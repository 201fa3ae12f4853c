"""Query tables derived from the log, and rebuilding them from it.

Each projector folds accepted entries into its tables. `append` calls them
in the same transaction as the entry, so a projection is never ahead of or
behind the log; `rebuild` empties the tables and replays the log through the
same code, which is why it gives identical results.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select, update

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
    elif isinstance(payload, KeyRegistration):
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
