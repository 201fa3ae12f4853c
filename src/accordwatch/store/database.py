"""Opening the database: URLs, SQLite's transaction behaviour, connection errors.

SQLite runs in WAL mode with a busy timeout so that several processes can
append to one log; writers start with `BEGIN IMMEDIATE`, which takes the
write lock up front instead of failing on upgrade from a read lock. On
PostgreSQL the row lock on `log_head` serialises writers instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError

from accordwatch.errors import InputError, StorageError
from accordwatch.private_files import create_private_file

WRITE = "accordwatch_write"
# Page cache per SQLite connection, an upper bound (pages are allocated as
# used): appends insert leaf hashes at random places in their unique index,
# which thrashes SQLite's default 2 MiB cache once the log passes ~100,000
# entries. Checkpointing the WAL every 10,000 pages (40 MiB) instead of 1,000
# copies an index page that several commits touched once, not once each.
SQLITE_CACHE_KIB = 64 * 1024
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "accordwatch_idle_since"
SQLITE_WAL_CHECKPOINT_PAGES = 10_000


def normalise_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://`, and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<malformed URL>"


def without_password(url: str) -> tuple[str, bool]:
    """`url` without a password (in its user part or its query), and whether it had one.

    A password is not kept in the settings file: the PostgreSQL driver reads
    it from `PGPASSWORD` or `~/.pgpass` when the URL has none, and
    `ACCORDWATCH_DATABASE_URL` may give the whole URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url, False
    query = {k: v for k, v in parsed.query.items() if k.lower() != "password"}
    if parsed.password is None and len(query) == len(parsed.query):
        return url, False
    bare = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=query,
    )
    return bare.render_as_string(hide_password=False), True


def open_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"malformed database URL {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _create_database_file(parsed.database)
        engine = create_engine(url, connect_args={"timeout": 60})
        _configure_sqlite(engine, sqlite_synchronous)
    elif backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise InputError("PostgreSQL URLs use the psycopg driver: postgresql+psycopg://...")
        engine = create_engine(url)
        _ping_idle_connections(engine)
    else:
        raise InputError(f"unsupported database {backend!r}: use sqlite:// or postgresql://")
    return engine


def _create_database_file(database: str | None) -> None:
    """Create a new SQLite database file 0600 before SQLite does.

    SQLite creates the file as the umask lets it (0644 as a rule) and its
    `-wal` and `-shm` files with the mode of the database file: one made 0600
    here keeps all three from other local users. An in-memory database, a
    `file:` URI and a folder that does not exist are left to SQLite.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with suppress(OSError):  # SQLite names the problem when it opens the file
        create_private_file(Path(database))


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat idle for a while.

    A connection the server dropped (a restart, an idle timeout) would fail
    the first request that used it. Pinging at every checkout prevents that
    but costs a round trip, as much as a typical read; a connection in steady
    use was just seen working, so only one idle for `PING_AFTER_IDLE_SECONDS`
    is pinged, and replaced if the ping fails.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.autocommit = autocommit
        except Exception as exc:
            # the pool discards this connection and checks out another
            raise DisconnectionError(f"stale connection: {exc}") from exc


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise InputError(
            f"sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous}"
        )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling would defer BEGIN; take control of it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn driver failures (server down, locked, missing tables) into one-line errors."""
    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageError(f"database {describe(url)} failed: {reason}") from exc
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageError(f"database {describe(url)} error: {reason}") from exc
    except Exception as exc:
        # The ledger's hot paths run driver SQL on the DBAPI cursor, whose
        # errors SQLAlchemy does not wrap: give them the same one-line form.
        error = driver_error(url, exc)
        if error is None:
            raise
        raise error from exc


def driver_error(url: str, exc: Exception) -> StorageError | None:
    """The one-line error for a failure of the database driver, or None if `exc` is not one."""
    for name in ("sqlite3", "psycopg"):
        module = sys.modules.get(name)
        if module is not None and isinstance(exc, module.Error):
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            verb = "failed" if isinstance(exc, module.OperationalError) else "error"
            return StorageError(f"database {describe(url)} {verb}: {reason}")
    return None
