"""Item 14: a 503 tells clients "the database is unavailable", and only the server log more.

The attack: an anonymous client asks for pages, JSON and the hot reads while
the database cannot be read (its SQLite files overwritten; on PostgreSQL, its
tables gone), and reads the problem documents for the database's URL (user,
host, database name), its file path and the driver's message. None of them
may appear in what the client gets, on any route or on the sign-in form; the
server's log keeps the detail for its operator.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from accordwatch.service.api.app import create_app
from accordwatch.workspace import init_workspace

PATHS = [
    "/api/log",
    "/api/log/entries/0",
    "/api/log/entries/0/proof",
    "/api/log/checkpoints/latest",
    "/api/parties",
    "/",
    "/overview.json",
    "/declarations.json",
]
#: what the driver says of a broken database (SQLite and PostgreSQL)
DRIVER_WORDS = ["not a database", "does not exist", "relation", "sqlite", "psycopg"]


def _answers(client: TestClient) -> list[tuple[str, int, str]]:
    out = []
    for path in PATHS:
        response = client.get(path)
        out.append((path, response.status_code, response.text))
    signin = client.post(
        "/signin",
        content=b"token=aw_" + b"A" * 43,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    out.append(("POST /signin", signin.status_code, signin.text))
    return out


def _check(answers: list[tuple[str, int, str]], secrets: list[str]) -> None:
    for path, status, text in answers:
        assert status == 503, (path, status, text[:300])
        assert "the database is unavailable" in text, (path, text[:300])
        lowered = text.lower()
        for secret in secrets:
            assert secret.lower() not in lowered, (path, secret, text[:300])


def test_sqlite_path_and_driver_message_stay_on_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ws = init_workspace(tmp_path / "secret-home", origin="test.local/errors")
    client = TestClient(create_app(ws), raise_server_exceptions=False)
    assert client.get("/api/log").status_code == 200
    ws.ledger().engine.dispose()
    for file in ws.home.glob("accordwatch.db*"):
        file.write_bytes(b"not a database " * 1000)
    with caplog.at_level(logging.WARNING):
        answers = _answers(client)
    _check(answers, [str(tmp_path), "secret-home", "accordwatch.db", *DRIVER_WORDS])
    # the operator still learns what went wrong, and where
    assert "accordwatch.db" in caplog.text and "not a database" in caplog.text


def test_postgresql_url_stays_on_the_server(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ws = init_workspace(tmp_path / "ws", database_url=pg_url, origin="test.local/errors")
    client = TestClient(create_app(ws), raise_server_exceptions=False)
    assert client.get("/api/log").status_code == 200
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'ALTER TABLE "{table}" RENAME TO "{table}_gone"'))
    engine.dispose()
    url = make_url(pg_url)
    assert url.username and url.host and url.database
    with caplog.at_level(logging.WARNING):
        answers = _answers(client)
    _check(answers, [url.username + "@", url.host, url.database + "?", *DRIVER_WORDS])
    assert url.host in caplog.text
