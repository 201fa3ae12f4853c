"""Item 2: `log audit` sees everything a view reads.

An attacker with write access to the database (the SQLite file, or the
PostgreSQL schema) edits what the views read but the audit did not check: a
confidential entry's opening (deleted, garbled, stored as text), the columns
of `entries` copied from each envelope, the `parties` and `party_keys`
projections, and a B-tree page of SQLite's UNIQUE(leaf_hash) index. Each
time `accordwatch log audit` must fail with one line naming the entry or the
table, where before it said "audit ok".
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from accordwatch.log.keys import SigningKey
from accordwatch.workspace import Workspace
from tests.helpers import Log, Run, one_line_error
from tests.security._audit_cli import run_cli, tamper


@dataclass
class Logged:
    ws: Workspace
    log: Log
    #: a confidential statement by dprk, and a public one by dprk
    secret: int
    public: int
    capsys: pytest.CaptureFixture[str]

    @property
    def sqlite(self) -> bool:
        return self.ws.settings.database_url is None

    def audit(self, *more: str) -> Run:
        return run_cli(self.capsys, "--home", self.ws.home, "log", "audit", *more)


@pytest.fixture
def logged(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> Logged:
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    log.add_party("iaea", "inspectorate")
    log.add_party("watcher", "observer")
    log.statement("iaea", "opening remarks")
    secret = log.statement("dprk", "inventory of the Yongbyon site", confidential=True).index
    public = log.statement("dprk", "a public statement").index
    log.statement("watcher", "an observation")
    log.ledger.engine.dispose()
    logged = Logged(workspace, log, secret, public, capsys)
    ok = logged.audit()
    assert ok.code == 0, ok.err
    assert "audit ok: 11 entries" in ok.flat
    return logged


# -- the openings of confidential entries ------------------------------------------------------


def test_deleted_opening_fails_the_audit(logged: Logged) -> None:
    tamper(logged.ws, "DELETE FROM openings WHERE idx = :i", i=logged.secret)
    line = one_line_error(logged.audit(), f"entry {logged.secret}", "opening")
    assert "missing" in line or "no stored opening" in line
    # --json says so the same way: an error, not `confidential_unopened: 1`
    one_line_error(logged.audit("--json"), f"entry {logged.secret}")


@pytest.mark.parametrize(
    "garbage",
    [b"not json at all", b'{"subject": "inventory of the Yongbyon site"', b"[1, 2, 3]"],
    ids=["not-json", "truncated", "not-an-object"],
)
def test_unreadable_opening_fails_the_audit(logged: Logged, garbage: bytes) -> None:
    tamper(logged.ws, "UPDATE openings SET payload = :p WHERE idx = :i", p=garbage, i=logged.secret)
    one_line_error(logged.audit(), f"entry {logged.secret}", "opening")


def test_opening_with_another_payload_fails_the_audit(logged: Logged) -> None:
    forged = json.dumps({"subject": "no inventory"}, separators=(",", ":")).encode()
    tamper(logged.ws, "UPDATE openings SET payload = :p WHERE idx = :i", p=forged, i=logged.secret)
    one_line_error(logged.audit(), f"entry {logged.secret}", "commitment")


def test_opening_stored_as_text_is_named_not_a_crash(logged: Logged) -> None:
    if logged.sqlite:
        # SQLite keeps whatever type it is given: the same bytes, now as TEXT
        tamper(
            logged.ws,
            "UPDATE openings SET payload = CAST(payload AS TEXT) WHERE idx = :i",
            i=logged.secret,
        )
    else:
        # on PostgreSQL the column itself has to change type
        tamper(
            logged.ws,
            "ALTER TABLE openings ALTER COLUMN payload TYPE text "
            "USING convert_from(payload, 'UTF8')",
        )
    one_line_error(logged.audit(), f"entry {logged.secret}", "opening", "text")


BINARY_AS_TEXT = {
    "entries.envelope": ("entries", "envelope", "idx = :i", "entry {secret}"),
    "entries.leaf_hash": ("entries", "leaf_hash", "idx = :i", "entry {secret}"),
    "openings.salt": ("openings", "salt", "idx = :i", "entry {secret}"),
    "nodes.hash": ("nodes", "hash", "id = 0", "Merkle node (0, 0)"),
    "party_keys.public_key": ("party_keys", "public_key", "party = 'dprk'", "party_keys"),
}


@pytest.mark.parametrize("where", list(BINARY_AS_TEXT))
def test_binary_value_stored_as_text_is_named_not_a_crash(logged: Logged, where: str) -> None:
    """Random bytes cast to TEXT are not even UTF-8: reading them must not be the failure."""
    if not logged.sqlite:
        pytest.skip("SQLite keeps a value of any type in any column")
    table, column, rows, needle = BINARY_AS_TEXT[where]
    tamper(
        logged.ws,
        f"UPDATE {table} SET {column} = CAST({column} AS TEXT) WHERE {rows}",
        i=logged.secret,
    )
    one_line_error(logged.audit(), needle.format(secret=logged.secret), column, "text")


def test_opening_of_a_public_entry_fails_the_audit(logged: Logged) -> None:
    tamper(
        logged.ws,
        "INSERT INTO openings (idx, salt, payload) VALUES (:i, :s, :p)",
        i=logged.public,
        s=bytes(32),
        p=b'{"subject":"a public statement"}',
    )
    one_line_error(logged.audit(), f"entry {logged.public}", "opening")


# -- the columns of `entries`, copied from each envelope ----------------------------------------


def _other_key(logged: Logged) -> str:
    return logged.log.keys["iaea"].key_id


COLUMNS: dict[str, Callable[[Logged], object]] = {
    "record_type": lambda logged: "declaration",
    "party": lambda logged: "iaea",
    "key_id": _other_key,
    "signed_at": lambda logged: datetime(2001, 9, 11, 12, 0, tzinfo=UTC),
}


@pytest.mark.parametrize("column", list(COLUMNS))
def test_entry_column_edited_fails_the_audit(logged: Logged, column: str) -> None:
    value = COLUMNS[column](logged)
    if isinstance(value, datetime) and logged.sqlite:
        value = value.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy writes it there
    for target in (logged.public, logged.secret):
        tamper(logged.ws, f"UPDATE entries SET {column} = :v WHERE idx = :i", v=value, i=target)
        one_line_error(logged.audit(), f"entry {target}", column)


def test_signed_at_that_is_not_a_time_is_named(logged: Logged) -> None:
    if not logged.sqlite:
        pytest.skip("PostgreSQL's timestamptz column holds only times")
    tamper(logged.ws, "UPDATE entries SET signed_at = 'yesterday' WHERE idx = :i", i=logged.public)
    one_line_error(logged.audit(), f"entry {logged.public}", "signed_at")


# -- the registry's projections -----------------------------------------------------------------


def test_forged_role_in_parties_fails_the_audit(logged: Logged) -> None:
    """The observer made inspectorate: a token could then be issued to it as one."""
    tamper(logged.ws, "UPDATE parties SET role = 'inspectorate' WHERE name = 'watcher'")
    one_line_error(logged.audit(), "parties", "watcher", "role")


def test_token_issued_under_a_forged_role_fails_the_audit(logged: Logged) -> None:
    """The forged role is put back after a token was issued with it: the token remains."""
    tamper(logged.ws, "UPDATE parties SET role = 'inspectorate' WHERE name = 'watcher'")
    issued = run_cli(
        logged.capsys,
        "--home",
        logged.ws.home,
        "token",
        "issue",
        "--party",
        "watcher",
        "--role",
        "inspectorate",
        "--expires",
        "1d",
    )
    assert issued.code == 0, issued.err
    tamper(logged.ws, "UPDATE parties SET role = 'observer' WHERE name = 'watcher'")
    one_line_error(logged.audit(), "api_tokens", "watcher", "inspectorate")


def test_token_role_edited_fails_the_audit(logged: Logged) -> None:
    home = logged.ws.home
    args = ("token", "issue", "--party", "watcher", "--role", "observer", "--expires", "1d")
    assert run_cli(logged.capsys, "--home", home, *args).code == 0
    assert logged.audit().code == 0
    tamper(logged.ws, "UPDATE api_tokens SET role = 'inspectorate'")
    one_line_error(logged.audit(), "api_tokens", "watcher", "inspectorate")


def test_forged_party_fails_the_audit(logged: Logged) -> None:
    tamper(
        logged.ws,
        "INSERT INTO parties (name, role, display_name, registered_at) "
        "VALUES ('mallory', 'inspectorate', 'IAEA (really)', 3)",
    )
    one_line_error(logged.audit(), "parties", "mallory")


def test_deleted_party_fails_the_audit(logged: Logged) -> None:
    tamper(logged.ws, "DELETE FROM parties WHERE name = 'iaea'")
    one_line_error(logged.audit(), "parties", "iaea")


def test_forged_key_in_party_keys_fails_the_audit(logged: Logged) -> None:
    """An attacker's own key registered to the declarant behind the log's back."""
    mine = SigningKey.generate()
    tamper(
        logged.ws,
        "INSERT INTO party_keys (key_id, party, public_key, registered_at, revoked_at, reason) "
        "VALUES (:k, 'dprk', :p, 2, NULL, '')",
        k=mine.key_id,
        p=mine.public_key,
    )
    one_line_error(logged.audit(), "party_keys", mine.key_id)


def test_key_moved_to_another_party_fails_the_audit(logged: Logged) -> None:
    kid = logged.log.keys["watcher"].key_id
    tamper(logged.ws, "UPDATE party_keys SET party = 'iaea' WHERE key_id = :k", k=kid)
    one_line_error(logged.audit(), "party_keys", kid, "party")


def test_revoked_key_restored_fails_the_audit(logged: Logged) -> None:
    log = Log.open(logged.ws)
    log.keys.update(logged.log.keys)
    kid = log.keys["dprk"].key_id
    log.submit("registrar", "key.revoke", {"party": "dprk", "key_id": kid, "reason": "lost"})
    log.ledger.engine.dispose()
    assert logged.audit().code == 0
    tamper(
        logged.ws, "UPDATE party_keys SET revoked_at = NULL, reason = '' WHERE key_id = :k", k=kid
    )
    one_line_error(logged.audit(), "party_keys", kid, "revoked_at")


def test_log_head_origin_edited_fails_the_audit(logged: Logged) -> None:
    tamper(logged.ws, "UPDATE log_head SET origin = 'another.example/log'")
    one_line_error(logged.audit(), "log_head", "origin")


def test_log_head_edge_edited_fails_the_audit(logged: Logged) -> None:
    """The next append would be hashed onto another tree, and its checkpoint signed."""
    tamper(logged.ws, "UPDATE log_head SET edge = :e", e=bytes(32 * 3))
    one_line_error(logged.audit(), "log_head", "edge")


# -- the database's own structure ---------------------------------------------------------------


def _sqlite_file(ws: Workspace) -> Path:
    database = make_url(ws.url).database
    assert database
    return Path(database)


def test_flipped_byte_in_the_leaf_hash_index_fails_the_audit(logged: Logged) -> None:
    """A byte of the UNIQUE(leaf_hash) index changed in the file: a duplicate would be appended."""
    if not logged.sqlite:
        pytest.skip("a SQLite file's B-tree pages")
    path = _sqlite_file(logged.ws)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' "
            "AND sql IS NULL"  # the automatic index of the UNIQUE constraint
        ).fetchone()
        (leaf,) = conn.execute(
            "SELECT leaf_hash FROM entries WHERE idx = :i", {"i": logged.public}
        ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    page = slice((root - 1) * page_size, root * page_size)
    at = bytes(data[page]).find(leaf)
    assert at >= 0, "the index page holds every leaf hash of this small log"
    data[(root - 1) * page_size + at + 7] ^= 0x01
    path.write_bytes(bytes(data))
    line = one_line_error(logged.audit(), "integrity_check")
    assert "index" in line


def test_audit_says_what_it_checked_of_the_database(logged: Logged) -> None:
    ok = logged.audit()
    report = json.loads(logged.audit("--json").out)
    if logged.sqlite:
        assert "SQLite integrity_check ok" in ok.flat
        assert report["storage_integrity"] == "SQLite integrity_check ok"
    else:
        assert "PostgreSQL" in ok.flat and "not checked" in ok.flat
        assert "not checked" in report["storage_integrity"]
    # the JSON it printed before is still there
    for key in (
        "ok",
        "source",
        "size",
        "root",
        "checkpoints_verified",
        "nodes_verified",
        "confidential_unopened",
    ):
        assert key in report
    assert report["confidential_unopened"] == 0
    assert base64.b64decode(report["root"])
