"""`accordwatch serve`: the web service and dashboard under uvicorn."""

from __future__ import annotations

import os

import typer

from accordwatch.cli.context import console, workspace
from accordwatch.errors import InputError


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    workers: int = typer.Option(1, "--workers", help="Worker processes (PostgreSQL for >1)"),
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json) and the dashboard (at /)."""
    import uvicorn

    from accordwatch.service.api.app import DATABASE_ENV, HOME_ENV

    if not 0 < port < 65536:
        raise InputError(f"--port must be 1..65535, not {port}")
    if workers < 1:
        raise InputError(f"--workers must be 1 or more, not {workers}")
    ws = workspace()
    ws.ledger()  # fail here, in one line, if the workspace or its database is not usable
    if workers > 1 and ws.url.startswith("sqlite"):
        raise InputError(
            "several workers need PostgreSQL (SQLite allows one writer process); "
            "use --workers 1 or a PostgreSQL --database-url"
        )
    # each worker process opens the workspace itself, from these
    os.environ[HOME_ENV] = str(ws.home)
    os.environ[DATABASE_ENV] = ws.url
    console.print(f"serving {ws.home} at http://{host}:{port}/ (API docs at /api/docs)")
    uvicorn.run(
        "accordwatch.service.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
