"""A workspace: settings, the database, the keys the log signs with, and the clock.

The one object the shells (the command line, the service) hold: it opens the
ledger with accordwatch's catalog of record types and hands everything the
same clock, which a test or a replay may set.

accordwatch-data/         mode 0700; every file in it 0600, SQLite's included
  accordwatch.toml        settings (origin, database URL if not the default)
  accordwatch.db          the SQLite database, unless PostgreSQL is configured
  keys/log.key            the log's checkpoint key (signed-note signer)
  keys/<party>/<id>.key   party keys made here (registrar's included)
  clock.txt               the simulated clock, if the workspace runs on one
  last-audit.json         when `log audit` last ran and what it found (the overview shows it)
  node.json               on a node (`accordwatch node init`): the log it follows, the log's
                          public key, its party, the witness policy it trusts, the latest
                          checkpoint it verified; a node has no keys/log.key
"""

from __future__ import annotations

import base64
import logging
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, inspect, select

from accordwatch.catalog import CATALOG
from accordwatch.errors import AuthorityError, InputError, NotFoundError, StorageError
from accordwatch.log.check import Limits
from accordwatch.log.envelope import seal
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import NoteSigner, Verifier
from accordwatch.log.policy import Policy
from accordwatch.log.records import Genesis
from accordwatch.private_files import make_private_folder
from accordwatch.settings import SETTINGS_FILE, Settings, load_settings, write_settings
from accordwatch.sources.remote_log import NodeConfig, TileSource, is_node
from accordwatch.store.database import describe, open_engine, storage_errors, without_password
from accordwatch.store.ledger import Ledger
from accordwatch.store.revision import HEAD_REVISION, stored_revision
from accordwatch.store.schema import log_head
from accordwatch.timeutil import clock_from_file, read_clock_file, set_clock_file, utc_now
from accordwatch.validation_messages import id_problem

_log = logging.getLogger(__name__)

LOG_KEY = "log.key"
#: the simulated clock's file, in the workspace, when `init_workspace` is given one
CLOCK_FILE = "clock.txt"


@dataclass
class Workspace:
    settings: Settings
    #: the clock every command and request of this workspace reads the time from
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def home(self) -> Path:
        return self.settings.home

    @property
    def simulated_clock(self) -> bool:
        """Whether the workspace runs on a simulated clock (`settings.simulated_clock_file`)."""
        return self.settings.clock_path is not None

    @property
    def url(self) -> str:
        return self.settings.resolved_database_url

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    def party_key_path(self, party: str, key_id: str) -> Path:
        return self.keys_dir / party / f"{key_id}.key"

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        **overrides: object,
    ) -> Workspace:
        """The workspace at `home`; its clock is `clock`, else its simulated clock, else the
        system's."""
        settings = load_settings(home, **overrides)
        if not (settings.home / SETTINGS_FILE).is_file():
            raise NotFoundError(
                f"no workspace at {settings.home} (run accordwatch init, or set --home / "
                "ACCORDWATCH_HOME)"
            )
        if not settings.origin:
            raise InputError("workspace settings lack the log origin", where=str(settings.home))
        if clock is None:
            path = settings.clock_path
            clock = utc_now if path is None else clock_from_file(path)
        _log.debug(
            "workspace %s, log %s, database %s, clock %s",
            settings.home,
            settings.origin,
            without_password(settings.resolved_database_url),
            "the system's" if settings.clock_path is None else f"simulated ({settings.clock_path})",
        )
        return cls(settings, clock)

    def engine(self) -> Engine:
        return open_engine(self.url, sqlite_synchronous=self.settings.sqlite_synchronous)

    @property
    def is_node(self) -> bool:
        """Whether this workspace follows a log run elsewhere (`accordwatch node init`)."""
        return is_node(self.home) and not (self.keys_dir / LOG_KEY).exists()

    def log_signer(self) -> NoteSigner:
        assert self.settings.origin
        if self.is_node:
            return PublicLogKey(Verifier.parse(NodeConfig.read(self.home).log_key))
        path = self.keys_dir / LOG_KEY
        return NoteSigner(self.settings.origin, SigningKey.read(path))

    def limits(self) -> Limits:
        return Limits(
            max_entry_bytes=self.settings.max_entry_bytes,
            max_clock_skew=timedelta(seconds=self.settings.max_clock_skew_seconds),
        )

    def ledger(self, *, check_schema: bool = True) -> Ledger:
        engine = self.engine()
        if check_schema:
            with storage_errors(self.url):
                current = stored_revision(engine)
            if current != HEAD_REVISION:
                raise StorageError(
                    f"database {describe(self.url)} schema is at {current or 'nothing'}, "
                    f"expected {HEAD_REVISION}: run accordwatch db upgrade"
                )
        return Ledger(
            engine,
            self.log_signer(),
            catalog=CATALOG,
            url=self.url,
            limits=self.limits(),
            clock=self.clock,
        )


class PublicLogKey(NoteSigner):
    """The log's key as a node holds it: the public half, which verifies and never signs."""

    def __init__(self, verifier: Verifier) -> None:
        object.__setattr__(self, "name", verifier.name)
        # fills the cached `verifier` property: there is no private key to derive it from
        object.__setattr__(self, "verifier", verifier)

    def __repr__(self) -> str:
        return f"PublicLogKey({self.name!r})"

    def signature_line(self, text: str) -> str:
        raise AuthorityError(
            f"this node holds only the public key of log {self.name}: it signs no checkpoint"
        )


def init_node(
    home: Path,
    *,
    log: str,
    log_key: str,
    party: str,
    policy: str | None,
    database_url: str | None = None,
    simulated_clock_file: Path | None = None,
) -> Workspace:
    """Create a workspace that follows the log at `log`, checked with `log_key`.

    It holds no log key and no genesis: `accordwatch node sync` fills its
    database with what it verified of the log. With `simulated_clock_file`
    (for demonstrations and tests), the node reads its time from that file, as
    a log on a simulated clock does, so that what it signs falls within the
    log's clock skew.
    """
    if (home / SETTINGS_FILE).exists():
        raise InputError("a workspace already exists here", where=str(home))
    verifier = Verifier.parse(log_key)
    problem = id_problem(party, "party")
    if problem is not None:
        raise InputError(problem)
    if policy is not None:
        Policy.parse(policy, where="--policy")
    TileSource(log)  # refuses an address that is no log's
    clock_file = None if simulated_clock_file is None else simulated_clock_file.resolve()
    if clock_file is not None:
        read_clock_file(clock_file)  # a missing or malformed clock is refused before anything
    settings = load_settings(home, origin=verifier.name)
    settings = settings.model_copy(
        update={"database_url": database_url, "simulated_clock_file": clock_file}
    )
    ws = Workspace(settings)
    created = not home.exists()
    make_private_folder(home)
    try:
        engine = ws.engine()
        with storage_errors(ws.url):
            if "log_head" in inspect(engine).get_table_names():
                raise InputError(f"database {describe(ws.url)} already holds a log")
            from accordwatch.store import migrate

            migrate.upgrade(engine)
    except BaseException:
        if created:
            shutil.rmtree(home, ignore_errors=True)
        raise
    NodeConfig(log=log, log_key=verifier.text(), party=party, policy=policy).write(home)
    values: dict[str, object] = {"origin": verifier.name}
    if clock_file is not None:
        values["simulated_clock_file"] = str(clock_file)
    if database_url:
        values["database_url"] = without_password(database_url)[0]
    write_settings(home / SETTINGS_FILE, values)
    return Workspace.open(home, database_url=database_url)


def init_workspace(
    home: Path,
    *,
    database_url: str | None = None,
    origin: str | None = None,
    registrar: str = "registrar",
    simulated_clock: datetime | None = None,
) -> Workspace:
    """Create the workspace, migrate the database and write the log's genesis entry.

    With `simulated_clock`, the workspace runs on a simulated clock starting at
    that time, kept in the file `CLOCK_FILE` (`accordwatch clock set` moves it).

    The database is prepared before any file is written, so a database that
    cannot be reached leaves nothing behind. The settings file keeps the
    database URL without its password; the workspace returned still holds it.
    """
    if (home / SETTINGS_FILE).exists():
        raise InputError("a workspace already exists here", where=str(home))
    origin = origin or f"accordwatch.local/{secrets.token_hex(6)}"
    if not origin or " " in origin or "+" in origin:
        raise InputError(f"log origin {origin!r} must be non-empty, without spaces or '+'")
    problem = id_problem(registrar, "registrar")
    if problem is not None:
        raise InputError(problem)
    clock_file = None if simulated_clock is None else Path(CLOCK_FILE)
    settings = load_settings(home, origin=origin, registrar=registrar)
    # the database and clock are the ones named here (None: the workspace's SQLite file, the
    # system clock), not the environment's
    settings = settings.model_copy(
        update={"database_url": database_url, "simulated_clock_file": clock_file}
    )
    ws = Workspace(settings, utc_now if simulated_clock is None else lambda: simulated_clock)
    log_key, registrar_key = SigningKey.generate(), SigningKey.generate()
    signer = NoteSigner(origin, log_key)

    created = not home.exists()
    make_private_folder(home)  # SQLite needs the folder for its file
    try:
        _prepare_database(ws, signer, registrar, registrar_key)
    except BaseException:
        if created:
            shutil.rmtree(home, ignore_errors=True)
        raise

    log_key.write(ws.keys_dir / LOG_KEY)
    registrar_key.write(ws.party_key_path(registrar, registrar_key.key_id))
    values: dict[str, object] = {"origin": origin, "registrar": registrar}
    if simulated_clock is not None:
        set_clock_file(home / CLOCK_FILE, simulated_clock)
        values["simulated_clock_file"] = CLOCK_FILE
    if database_url:
        # Never a password in the settings file: later commands read it from the
        # environment or ~/.pgpass (see `without_password`).
        values["database_url"] = without_password(database_url)[0]
    write_settings(home / SETTINGS_FILE, values)
    return Workspace.open(home, database_url=database_url)


def _prepare_database(
    ws: Workspace, signer: NoteSigner, registrar: str, registrar_key: SigningKey
) -> None:
    engine = ws.engine()
    with storage_errors(ws.url):
        if "log_head" in inspect(engine).get_table_names():
            with engine.connect() as conn:
                existing = conn.execute(select(log_head.c.origin)).scalar()
            if existing:
                raise InputError(
                    f"database {describe(ws.url)} already holds log {existing!r}; "
                    "use another database"
                )
        from accordwatch.store import migrate

        migrate.upgrade(engine)
    ledger = Ledger(engine, signer, catalog=CATALOG, url=ws.url, limits=ws.limits(), clock=ws.clock)
    genesis = Genesis(
        origin=signer.name,
        log_key=signer.verifier.text(),
        registrar=registrar,
        registrar_public_key=base64.b64encode(registrar_key.public_key).decode(),
    )
    ledger.append(
        [
            seal(
                log=signer.name,
                record_type="log.genesis",
                party=registrar,
                key=registrar_key,
                time=ws.clock(),
                payload=genesis.model_dump(mode="json"),
            )
        ],
        where="genesis",
    )
