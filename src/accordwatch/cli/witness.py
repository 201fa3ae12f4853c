"""`accordwatch witness ...`: run a C2SP tlog-witness that cosigns other logs' checkpoints.

The witness lives in its own folder (`./accordwatch-witness`, or `--home`):
settings, private key and database (see `accordwatch.witness.home`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import STATE, console, plain
from accordwatch.cli.output import Format, JsonAlias, OutputFile, chosen_format, deliver
from accordwatch.cli.serve import LOG_LEVELS, check_server_options, listen
from accordwatch.errors import InputError

if TYPE_CHECKING:
    from accordwatch.witness.home import WitnessHome

witness_app = typer.Typer(
    help="A C2SP tlog-witness: cosign the checkpoints of logs it trusts, keep what it refuses.",
    no_args_is_help=True,
)


def _home() -> WitnessHome:
    from accordwatch.witness.home import WitnessHome

    return WitnessHome.at(Path(STATE.home) if STATE.home else None)


@witness_app.command("init")
def init(
    name: str = typer.Option(..., "--name", help="The witness's name, e.g. witness.example/w1"),
    algorithm: str = typer.Option(
        "ml-dsa-44", "--algorithm", help="Cosignature algorithm: ml-dsa-44 or ed25519"
    ),
    simulated_clock_file: Path = typer.Option(
        None,
        "--simulated-clock-file",
        help="Take the time from this file (one UTC time, e.g. 2020-02-01T09:00:00Z), "
        "read at every cosignature",
    ),
    durability: str = typer.Option(
        "full",
        "--durability",
        help="full: fsync every cosigned checkpoint; normal: survive a crash of the process only",
    ),
) -> None:
    """Make a witness: its key (printed as a vkey on stdout), settings and database."""
    from accordwatch.log.cosignature import parse_algorithm
    from accordwatch.witness.home import DURABILITY, WitnessConfig

    if durability not in DURABILITY:
        raise InputError(f"--durability must be one of {', '.join(DURABILITY)}, not {durability!r}")
    clock = simulated_clock_file.resolve() if simulated_clock_file is not None else None
    config = WitnessConfig(name, parse_algorithm(algorithm), clock, durability)
    cosigner = _home().init(config)
    typer.echo(cosigner.key.text())


@witness_app.command("key")
def key() -> None:
    """Print the witness's public key (vkey)."""
    typer.echo(_home().cosigner().key.text())


@witness_app.command("trust")
def trust(
    log_vkey: str = typer.Argument(..., help="The log's key, as `accordwatch log key` prints it"),
) -> None:
    """Trust a log: cosign checkpoints signed by this key for its origin."""
    from accordwatch.log.note import Verifier
    from accordwatch.witness.state import WitnessState

    home = _home()
    config = home.config()
    verifier = Verifier.parse(log_vkey)
    state = WitnessState.open(home.database_path, durability=config.durability)
    try:
        state.trust(verifier, home.clock(config).iso())
    finally:
        state.close()
    console.print(f"trusting log {plain(verifier.name, one_line=True)}", markup=False)


@witness_app.command("list")
def list_logs(
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """The trusted logs, with the last size and root cosigned for each, and when."""
    import base64

    from accordwatch.reports.exports import Column, Sheet
    from accordwatch.witness.state import WitnessState

    chosen = chosen_format(fmt, as_json, output)
    home = _home()
    state = WitnessState.open(home.database_path, durability=home.config().durability)
    try:
        logs = state.logs()
    finally:
        state.close()
    rows = [
        {
            "origin": log.origin,
            "log_key": log.vkey,
            "added_at": log.added_at,
            "size": log.size,
            "root": base64.b64encode(log.root).decode() if log.root is not None else None,
            "cosigned_at": log.cosigned_at,
        }
        for log in logs
    ]

    def text() -> None:
        if not rows:
            typer.echo("no trusted logs (add one with `accordwatch witness trust LOG_VKEY`)")
        for row in rows:
            seen = (
                f"size {row['size']} root {row['root']} cosigned {row['cosigned_at']}"
                if row["size"] is not None
                else "nothing cosigned yet"
            )
            typer.echo(plain(f"{row['origin']}  {seen}  key {row['log_key']}", one_line=True))

    keys = ("origin", "log_key", "added_at", "size", "root", "cosigned_at")
    sheet = Sheet("logs", [Column(key) for key in keys], list(rows))
    deliver(chosen, json=lambda: rows, sheets=lambda: [sheet], text=text)


@witness_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(7380, "--port", help="TCP port"),
    workers: int = typer.Option(1, "--workers", help="Server processes"),
    log_level: str | None = typer.Option(
        None,
        "--log-level",
        help="Server messages shown: " + ", ".join(LOG_LEVELS) + " [default: the global one]",
    ),
) -> None:
    """Serve add-checkpoint and the monitoring checkpoints until SIGTERM or SIGINT."""
    import os

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from accordwatch.witness.cosigning import Witness
    from accordwatch.witness.server import HOME_ENV, WitnessApp

    log_level = log_level or STATE.log_level
    check_server_options(port, workers, log_level)
    home = _home()
    witness = Witness.open(home)  # fails here, in one line, if the witness is not usable
    sock = listen(host, port)
    options = {
        "http": "httptools",
        "loop": "uvloop",
        "log_level": log_level.lower(),
        "access_log": False,
        "server_header": False,
        "date_header": False,
    }
    shown_host = f"[{host}]" if ":" in host else host
    # the line comes once the port accepts connections: whoever waits for it may connect
    typer.echo(f"witness {witness.name} serving at http://{shown_host}:{port}/")
    if workers == 1:
        config = uvicorn.Config(WitnessApp(witness), **options)  # type: ignore[arg-type]
        server = uvicorn.Server(config)
        _stop_on_signals(lambda: setattr(server, "should_exit", True))
        server.run(sockets=[sock])
        return
    witness.state.close()
    os.environ[HOME_ENV] = str(home.folder.resolve())
    config = uvicorn.Config(
        "accordwatch.witness.server:app_from_environment",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )
    _stop_on_signals(lambda: None)
    Multiprocess(config, sockets=[sock]).run()


def _stop_on_signals(stop: Callable[[], None]) -> None:
    """SIGTERM and SIGINT stop the server, which then exits 0.

    uvicorn handles them while it runs, then raises the signal again once it
    has shut down; this handler takes it then, and during start-up.
    """
    import signal

    def handler(signum: int, frame: object) -> None:
        stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


@witness_app.command("evidence")
def evidence(
    fmt: Format = "text",
    out: Path = typer.Option(
        None, "--out", help="Write each fork's evidence file into this folder (0600 files)"
    ),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """What the witness refused although the log signed it; each fork's evidence file."""
    from accordwatch.private_files import make_private_folder, write_private_text
    from accordwatch.reports.exports import Column, Sheet
    from accordwatch.witness.state import WitnessState

    chosen = chosen_format(fmt, as_json, output)
    home = _home()
    state = WitnessState.open(home.database_path, durability=home.config().durability)
    try:
        items = state.evidence()
    finally:
        state.close()
    written: dict[int, Path] = {}
    if out is not None:
        try:
            make_private_folder(out)
            for item in items:
                if item.fork_evidence is not None:
                    path = out / f"fork-{item.id}.json"
                    write_private_text(path, item.fork_evidence)
                    written[item.id] = path
        except OSError as exc:
            raise InputError(f"cannot write the evidence: {exc.strerror}", where=str(out)) from exc
    rows = [
        {
            "id": i.id,
            "received_at": i.received_at,
            "last_received_at": i.last_received_at,
            "times": i.times,
            "origin": i.origin,
            "status": i.status,
            "message": i.message,
            "request": i.body.decode("utf-8", "replace"),
            "fork_evidence": json.loads(i.fork_evidence) if i.fork_evidence else None,
            "fork_evidence_file": str(written[i.id]) if i.id in written else None,
        }
        for i in items
    ]

    def text() -> None:
        if not items:
            typer.echo("nothing refused with a valid log signature")
        for i in items:
            times = f" ({i.times} times, last {i.last_received_at})" if i.times > 1 else ""
            fork = " FORK" if i.fork_evidence else ""
            line = f"#{i.id} {i.received_at}{times} {i.origin} {i.status}{fork}: {i.message}"
            typer.echo(plain(line, one_line=True))
            if i.id in written:
                typer.echo(f"  fork evidence written to {written[i.id]}")
            elif i.fork_evidence is not None:
                typer.echo(plain(i.fork_evidence), nl=False)

    # the fork's evidence is a JSON document of its own: the CSV names its file
    keys = ("id", "received_at", "last_received_at", "times", "origin", "status", "message")
    sheet = Sheet(
        "evidence", [Column(key) for key in (*keys, "request", "fork_evidence_file")], list(rows)
    )
    deliver(chosen, json=lambda: rows, sheets=lambda: [sheet], text=text)


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")
