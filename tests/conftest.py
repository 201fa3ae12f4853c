"""Shared fixtures: workspaces on SQLite and on PostgreSQL.

PostgreSQL tests use a fresh schema per test in the database named by
ACCORDWATCH_TEST_PG_URL (default: the local server's `test` database). When
the server cannot be reached they are skipped, except in CI (`CI=true`),
where that fails the run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from accordwatch.workspace import Workspace, init_workspace

PG_URL = os.environ.get(
    "ACCORDWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


_PG_PROBLEM: str | bool | None = False


def pg_or_skip() -> None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_available()
    if _PG_PROBLEM:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL unreachable: {_PG_PROBLEM}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    pg_or_skip()
    schema = f"aw_{secrets.token_hex(6)}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None (the SQLite default in the workspace) or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield None
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def workspace(tmp_path: Path, database_url: str | None) -> Workspace:
    return init_workspace(tmp_path / "ws", database_url=database_url, origin="test.local/log")


#: where the simulated clock of `early_workspace` starts: before any history the tests replay
EARLY = datetime(2019, 10, 1, 9, tzinfo=UTC)


@pytest.fixture
def early_workspace(tmp_path: Path, database_url: str | None) -> Workspace:
    """A workspace on a simulated clock from October 2019, for histories logged at their dates."""
    return init_workspace(
        tmp_path / "ws", database_url=database_url, origin="test.local/log", simulated_clock=EARLY
    )
