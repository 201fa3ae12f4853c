"""Workspace commands: init, db upgrade/current, rebuild."""

from __future__ import annotations

import typer

from accordwatch.cli.context import STATE, console, home_path, workspace
from accordwatch.errors import StorageError

PASSWORD_NOTE = (
    "note: the database password is not written to accordwatch.toml; later commands read it "
    "from ACCORDWATCH_DATABASE_URL (the whole URL), PGPASSWORD or ~/.pgpass"
)

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


def init(
    home: str = typer.Option(None, "--home", help="Workspace folder [default: ./accordwatch-data]"),
    database_url: str = typer.Option(
        None, "--database-url", help="e.g. postgresql+psycopg://user@host/db [default: SQLite file]"
    ),
    origin: str = typer.Option(None, "--origin", help="The log's name in its checkpoints"),
    registrar: str = typer.Option("registrar", "--registrar", help="Name of the log's registrar"),
    simulated_clock: str = typer.Option(
        None,
        "--simulated-clock",
        help="Run the workspace on a simulated clock starting at this time (ISO 8601 UTC)",
    ),
) -> None:
    """Create a workspace: settings, database, the log's key and its genesis entry."""
    from accordwatch.settings import DEFAULT_HOME
    from accordwatch.store.database import describe, without_password
    from accordwatch.timeutil import parse_time
    from accordwatch.workspace import init_workspace

    path = home_path(home) or DEFAULT_HOME
    url = database_url or STATE.database_url
    start = parse_time(simulated_clock, where="--simulated-clock") if simulated_clock else None
    ws = init_workspace(
        path, database_url=url, origin=origin, registrar=registrar, simulated_clock=start
    )
    if url and without_password(url)[1]:
        typer.echo(PASSWORD_NOTE, err=True)
    console.print(f"Created workspace [bold]{ws.home}[/] for log [bold]{ws.settings.origin}[/]")
    console.print(f"  database  {describe(ws.url)}")
    console.print(f"  log key   {ws.log_signer().verifier.text()}")
    console.print(f"  registrar {registrar} (key in {ws.keys_dir / registrar})")
    if ws.simulated_clock:
        console.print(f"  clock     simulated, in {ws.settings.clock_path}")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Bring the database schema up to date (safe to run again)."""
    from accordwatch.store import migrate
    from accordwatch.store.database import describe, storage_errors

    ws = workspace()
    engine = ws.engine()
    with storage_errors(ws.url):
        migrate.upgrade(engine, revision)
        current = migrate.current_revision(engine)
    console.print(f"database {describe(ws.url)} is at revision {current}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the one this version expects."""
    from accordwatch.store import migrate
    from accordwatch.store.database import storage_errors

    ws = workspace()
    with storage_errors(ws.url):
        current = migrate.current_revision(ws.engine())
    console.print(f"database revision {current or 'none'}; expected {migrate.head_revision()}")
    if current != migrate.head_revision():
        raise StorageError("database schema is not current: run accordwatch db upgrade")


def rebuild_command() -> None:
    """Recreate every projection table from the log and check the result is identical."""
    from accordwatch.store.rebuild import rebuild

    ws = workspace()
    result = rebuild(ws.ledger())
    if result.identical:
        console.print(f"rebuilt projections from {result.entries} log entries: identical")
    else:
        console.print(
            f"rebuilt projections from {result.entries} log entries; tables that differed from "
            f"before: {', '.join(result.changed)}"
        )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("rebuild")(rebuild_command)
    app.add_typer(db_app, name="db")
