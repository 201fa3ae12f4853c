"""The ledger's hot statements as driver SQL, one set per dialect.

SQLAlchemy Core costs tens of microseconds per statement, more than the
statement itself, so appends, proofs, receipts and the audit's reads run
these fixed statements on the DBAPI cursor of the connection, inside the
transaction SQLAlchemy opened. Values are bound with the columns' own
SQLAlchemy bind processors, so what is stored is byte for byte what Core
would store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.engine import Dialect

from accordwatch.errors import StorageError
from accordwatch.store.schema import entries

LOOKUP_CHUNK = 500
#: up to this many rows, an insert on PostgreSQL binds each row's values, not arrays
FEW_ROWS = 16


def as_is(value: Any) -> Any:
    """A value unchanged (a column whose driver needs no conversion)."""
    return value


_SQLITE_TIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
#: times the fast SQLite time binding is checked on against the dialect's own
_SAMPLE_MOMENTS = (
    datetime(2026, 12, 6, 18, 48, 37, 123456, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(999, 2, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=-5))),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
)


def sqlite_moment(bind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLAlchemy's SQLite binding of a time (`bind`), for less.

    SQLite stores a time as text, `YYYY-MM-DD HH:MM:SS.ffffff` (the zone left
    off), which SQLAlchemy formats from a dictionary built per value; the same
    format from a tuple costs two thirds of that. Used only when it gives
    exactly `bind`'s text for `_SAMPLE_MOMENTS`; anything but a `datetime`
    goes to `bind`.
    """

    def moment(value: Any) -> Any:
        if type(value) is datetime:
            return _SQLITE_TIME % (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
        return bind(value)

    same = all(moment(sample) == bind(sample) for sample in _SAMPLE_MOMENTS)
    return moment if same else bind


class Statements:
    """The hot statements as driver SQL for one dialect (qmark for SQLite, format for psycopg).

    Written out rather than compiled from Core so that they read plainly; the
    schema they name is `accordwatch.store.schema`. On SQLite, rows go in with
    `executemany` and sets of keys are matched with `IN (?, ...)`. On
    PostgreSQL (psycopg 3, whose `%b` binds a parameter in binary), one
    statement serves any number of rows or keys: columns go in as binary arrays
    through `unnest`, keys as one binary array with `= ANY`, which saves a
    round trip per row and the text quoting of every value.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"
        self._row_at_a_time: dict[str, str] = {}
        if dialect.paramstyle == "qmark":
            p = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            p = "%s"
        else:  # pragma: no cover - only SQLite and psycopg are supported
            raise StorageError(f"unsupported DBAPI paramstyle {dialect.paramstyle!r}")
        moment = entries.c.recorded_at.type.dialect_impl(dialect)
        self.moment: Callable[[Any], Any] = moment.bind_processor(dialect) or as_is
        if self.sqlite:
            self.moment = sqlite_moment(self.moment)
        self.read_moment: Callable[[Any], Any] = moment.result_processor(dialect, None) or as_is
        # The head, the last entry that changed the registry and the last entry's
        # time (`recorded_at`, kept monotonic in index). A registry
        # cached before that entry must be read again, one cached after it not.
        # Every such entry leaves its index in a projection table (registered or
        # revoked at), which holds a row per party or key: reading it there costs
        # the same however long the log, where a search of the entries would not.
        self.head = (
            "SELECT size, edge, (SELECT MAX(i) FROM ("
            "SELECT MAX(registered_at) AS i FROM parties "
            "UNION ALL SELECT MAX(registered_at) FROM party_keys "
            "UNION ALL SELECT MAX(revoked_at) FROM party_keys "
            "UNION ALL SELECT MAX(revoked_at) FROM parties) AS changes), "
            # the log's last time: what the next entry's `recorded_at` may not go below
            "(SELECT recorded_at FROM entries WHERE idx = log_head.size - 1) FROM log_head"
            + ("" if self.sqlite else " FOR UPDATE")
        )
        self.size = "SELECT COALESCE(MAX(size), 0) FROM log_head"
        self.insert_entries = self._insert(
            "entries",
            ("idx", "bigint"),
            ("leaf_hash", "bytea"),
            ("record_type", "varchar"),
            ("party", "varchar"),
            ("key_id", "varchar"),
            ("signed_at", "timestamptz"),
            ("recorded_at", "timestamptz"),
            ("envelope", "bytea"),
        )
        self.insert_nodes = self._insert("nodes", ("id", "bigint"), ("hash", "bytea"))
        self.insert_openings = self._insert(
            "openings", ("idx", "bigint"), ("salt", "bytea"), ("payload", "bytea")
        )
        self.insert_sealed = self._insert(
            "sealed_openings",
            ("idx", "bigint"),
            ("key_id", "varchar"),
            ("party", "varchar"),
            ("ciphertext", "bytea"),
            ("source", "bigint"),
        )
        self.update_head = f"UPDATE log_head SET size = {p}, root = {p}, edge = {p} WHERE id = 1"
        self.insert_checkpoint = (
            f"INSERT INTO checkpoints (size, root, note, issued_at) VALUES ({p}, {p}, {p}, {p})"
        )
        self.latest_checkpoint = "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1"
        self.covering_checkpoint = (
            f"SELECT note FROM checkpoints WHERE size > {p} ORDER BY size LIMIT 1"
        )
        self.leaf_of = f"SELECT leaf_hash FROM entries WHERE idx = {p}"
        self.latest_checkpoint_and_leaf = f"SELECT ({self.latest_checkpoint}), ({self.leaf_of})"
        self.covering_checkpoint_and_leaf = f"SELECT ({self.covering_checkpoint}), ({self.leaf_of})"
        # every column, in the table's order (as `select(entries)` gives them)
        self.entry = (
            "SELECT idx, leaf_hash, record_type, party, key_id, signed_at, recorded_at, "
            f"envelope FROM entries WHERE idx = {p}"
        )
        # The audit reads the columns copied from the envelope too, which it
        # compares with it, and the storage type of each binary column: a value
        # edited into text is named, not decoded (it may not even be UTF-8).
        envelope, leaf = self.binary("envelope"), self.binary("leaf_hash")
        self.audit_entries = (
            f"SELECT idx, {envelope}, {leaf}, record_type, party, key_id, signed_at, "
            f"{self.kind('envelope')}, {self.kind('leaf_hash')} "
            f"FROM entries WHERE idx >= {p} ORDER BY idx LIMIT {p}"
        )
        self.audit_openings = (
            f"SELECT idx, {self.binary('salt')}, {self.binary('payload')}, "
            f"{self.kind('salt')}, {self.kind('payload')} "
            f"FROM openings WHERE idx >= {p} AND idx <= {p}"
        )
        self.audit_sealed = (
            f"SELECT DISTINCT idx FROM sealed_openings WHERE idx >= {p} AND idx <= {p}"
        )
        self.audit_nodes = (
            f"SELECT id, {self.binary('hash')}, {self.kind('hash')} "
            f"FROM nodes WHERE id > {p} ORDER BY id LIMIT {p}"
        )

    def kind(self, column: str) -> str:
        """SQL for the storage type of a column's value: `blob` or `bytea` for bytes."""
        return f"typeof({column})" if self.sqlite else f"pg_typeof({column})::text"

    def binary(self, column: str) -> str:
        """SQL for a binary column's value, NULL where it is not stored as bytes.

        SQLite stores any type in any column and its driver decodes text as
        UTF-8, so a value edited into text would fail the read itself.
        """
        return f"CASE typeof({column}) WHEN 'blob' THEN {column} END" if self.sqlite else column

    def _insert(self, table: str, *columns: tuple[str, str]) -> str:
        names = ", ".join(name for name, _ in columns)
        if self.sqlite:
            return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
        # One statement whatever the number of rows: one array parameter per column.
        arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
        statement = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"
        self._row_at_a_time[statement] = (
            f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%b'] * len(columns))})"
        )
        return statement

    def batched(self, cur: Any) -> AbstractContextManager[Any]:
        """Send the statements run inside together, in one round trip where the driver can.

        On PostgreSQL this is psycopg's pipeline mode: statements whose results
        are not read go out back to back and the server's answers are checked
        at the end of the block. SQLite, in process, has no round trips to save.
        """
        return nullcontext() if self.sqlite else cur.connection.pipeline()

    def insert_rows(self, cur: Any, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows with an `_insert` statement: executemany on SQLite, arrays on PostgreSQL.

        A few rows go in one by one on PostgreSQL as well (psycopg sends them
        together): building an array parameter costs more than a row's values.
        """
        if self.sqlite:
            cur.executemany(statement, rows)
        elif len(rows) <= FEW_ROWS:
            if rows:
                cur.executemany(self._row_at_a_time[statement], rows)
        else:
            cur.execute(statement, [list(column) for column in zip(*rows, strict=True)])

    def _matching(self, select_from: str, column: str, count: int) -> str:
        if self.sqlite:
            return f"{select_from} WHERE {column} IN ({', '.join('?' * count)})"
        return f"{select_from} WHERE {column} = ANY(%b)"

    def fetch_matching(
        self, cur: Any, select_from: str, column: str, keys: Sequence[Any]
    ) -> list[Any]:
        """Rows of `select_from` whose `column` is one of `keys`, in chunks."""
        rows: list[Any] = []
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = list(keys[start : start + LOOKUP_CHUNK])
            if self.sqlite:
                cur.execute(self._matching(select_from, column, len(chunk)), chunk)
            else:
                # Never a server-side prepared statement: its cached generic plan,
                # made while the table was small, would keep scanning it whole.
                cur.execute(self._matching(select_from, column, 0), (chunk,), prepare=False)
            rows.extend(cur.fetchall())
        return rows
