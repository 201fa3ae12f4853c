"""`accordwatch serve`: the web service and dashboard under uvicorn.

The server answers only the host names it is told (`--allowed-host`, by
default the address it listens on, with `localhost` for a loopback address)
and logs every request in the common log format (`--access-log`, standard
error by default; see `service.api.access_log`).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
from pathlib import Path

import typer

from accordwatch.cli.context import STATE, console, workspace
from accordwatch.errors import AddressInUseError, InputError

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
#: a host name or address as a Host header names it (no port, no path, no list separator)
_HOST = re.compile(r"[A-Za-z0-9._-]+|\[?[0-9A-Fa-f:.]+\]?")
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = ("0.0.0.0", "::", "")


def default_hosts(bind: str) -> list[str]:
    """The host names a server listening on `bind` answers when none are named."""
    if bind in _WILDCARDS:
        return list(_LOOPBACK_NAMES)
    try:
        loopback = bind == "localhost" or ipaddress.ip_address(bind.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    names = [bind]
    if loopback:
        names += [n for n in _LOOPBACK_NAMES if n != bind]
    return names


def check_server_options(port: int, workers: int, log_level: str) -> None:
    """One-line errors for the options every accordwatch server takes."""
    if not 0 < port < 65536:
        raise InputError(f"--port must be 1..65535, not {port}")
    if workers < 1:
        raise InputError(f"--workers must be 1 or more, not {workers}")
    if log_level.lower() not in LOG_LEVELS:
        raise InputError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port`, or one line saying why not.

    A server listens before it says where it serves: "address already in use"
    comes first, and whoever waits for the "serving at" line may connect.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUseError(
                f"cannot listen on {host}:{port}: address already in use "
                "(another server runs there: stop it, or choose another --port)"
            ) from None
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _access_log_file(path: Path) -> str:
    """Create the access log (0600: it names who read what) if it is missing; its path."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise InputError(f"cannot write the access log: {exc.strerror}", where=str(path)) from exc
    os.close(fd)
    return str(path.resolve())


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    workers: int = typer.Option(1, "--workers", help="Worker processes (PostgreSQL for >1)"),
    allowed_host: list[str] = typer.Option(
        None,
        "--allowed-host",
        help="A host name the server answers (repeatable; default: the --host address, "
        "and localhost for a loopback address); requests naming another get 400",
    ),
    access_log: Path | None = typer.Option(
        None, "--access-log", help="Append the access log to this file (default: standard error)"
    ),
    log_level: str | None = typer.Option(
        None,
        "--log-level",
        help="Server messages shown: " + ", ".join(LOG_LEVELS) + " [default: the global one]",
    ),
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json) and the dashboard (at /)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from accordwatch.service.api.access_log import logging_config
    from accordwatch.service.api.app import DATABASE_ENV, HOME_ENV, HOSTS_ENV

    log_level = log_level or STATE.log_level
    check_server_options(port, workers, log_level)
    for name in allowed_host or ():
        if not _HOST.fullmatch(name):
            raise InputError(f"--allowed-host {name!r} is not a host name or address")
    hosts = list(allowed_host) if allowed_host else default_hosts(host)
    log_file = _access_log_file(access_log) if access_log is not None else None
    ws = workspace()
    ws.ledger()  # fail here, in one line, if the workspace or its database is not usable
    if workers > 1 and ws.url.startswith("sqlite"):
        raise InputError(
            "several workers need PostgreSQL (SQLite allows one writer process); "
            "use --workers 1 or a PostgreSQL --database-url"
        )
    sock = listen(host, port)
    # each worker process opens the workspace itself, from these
    os.environ[HOME_ENV] = str(ws.home)
    os.environ[DATABASE_ENV] = ws.url
    os.environ[HOSTS_ENV] = ",".join(hosts)
    shown_host = f"[{host}]" if ":" in host else host
    console.print(f"serving {ws.home} at http://{shown_host}:{port}/ (API docs at /api/docs)")
    console.print(f"answering the host names {', '.join(hosts)}", markup=False)
    config = uvicorn.Config(
        "accordwatch.service.api.app:app_from_environment",
        factory=True,
        workers=workers,
        log_config=logging_config(log_file, log_level.lower()),
        log_level=log_level.lower(),
        access_log=False,
    )
    if workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
    else:
        Multiprocess(config, sockets=[sock]).run()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
