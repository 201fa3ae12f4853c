"""The schema revision a database is at, read without loading Alembic.

Every command checks that the database's schema is the one this version of
accordwatch writes before it opens the ledger. Alembic answers that by
loading every migration script, which costs more than the rest of a light
command's start; the revision is one row of Alembic's own table, and the head
is a constant kept equal to the migrations' head by a test.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

#: the newest migration in `store/migrations/versions` (checked against Alembic in the tests)
HEAD_REVISION = "0005_sealed_openings"


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's `alembic_version` table, if any."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)
