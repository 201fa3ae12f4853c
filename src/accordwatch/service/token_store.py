"""The web service's bearer tokens in the database (`api_tokens`), by hash only.

A token is read with its party's row of the `parties` projection: a token of
a party the log has revoked (`party.revoke`) no longer works, whenever and
however the revocation was appended.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, insert, select, update

from accordwatch.errors import ConflictError, NotFoundError, SignatureError
from accordwatch.log.roles import Role
from accordwatch.service.tokens import Grant, token_hash, token_id, well_formed
from accordwatch.store.database import storage_errors
from accordwatch.store.schema import api_tokens, parties


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _grant(row: Any) -> Grant:
    return Grant(
        token_id=row.token_id,
        party=row.party,
        role=Role(row.role),
        issued_at=_aware(row.issued_at),
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at is not None else None,
        party_revoked_at=row.party_revoked_at,
    )


def _with_party() -> Select[Any]:
    """Tokens with the log entry that revoked their party (NULL: not revoked)."""
    return select(api_tokens, parties.c.revoked_at.label("party_revoked_at")).select_from(
        api_tokens.outerjoin(parties, parties.c.name == api_tokens.c.party)
    )


class TokenStore:
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    def add(
        self, token: str, party: str, role: Role, issued_at: datetime, expires_at: datetime
    ) -> Grant:
        digest = token_hash(token)
        grant = Grant(token_id(digest), party, role, issued_at, expires_at)
        with storage_errors(self.url), self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    token_id=grant.token_id,
                    token_hash=digest,
                    party=party,
                    role=role.value,
                    issued_at=issued_at,
                    expires_at=expires_at,
                )
            )
        return grant

    def find(self, token: str) -> Grant:
        """The grant of a presented token (401 if malformed or unknown)."""
        if not well_formed(token):
            raise SignatureError("malformed bearer token")
        with storage_errors(self.url), self.engine.connect() as conn:
            row = conn.execute(
                _with_party().where(api_tokens.c.token_hash == token_hash(token))
            ).first()
        if row is None:
            raise SignatureError("unknown bearer token")
        return _grant(row)

    def revoke(self, tid: str, at: datetime) -> Grant:
        with storage_errors(self.url), self.engine.begin() as conn:
            done = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.token_id == tid, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount
            row = conn.execute(_with_party().where(api_tokens.c.token_id == tid)).first()
        if row is None:
            raise NotFoundError(f"no token {tid!r} (see accordwatch token list)")
        grant = _grant(row)
        if not done:
            raise ConflictError(f"token {tid!r} was already revoked")
        return grant

    def all(self) -> list[Grant]:
        with storage_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(_with_party().order_by(api_tokens.c.issued_at)).all()
        return [_grant(r) for r in rows]
