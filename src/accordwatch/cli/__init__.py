"""The `accordwatch` command line: a thin shell over the workspace and the ledger.

Every command module registers itself on `app`; `main` runs it and turns an
`AccordwatchError` into one line on stderr and its exit code (`exit_codes`;
`--verbose` adds the traceback). Diagnostics beyond that line go to the
`logging` module, shown on standard error from `--log-level` up.

All command modules are imported at start-up, for `--help` too, so they keep
their top-level imports light: what a command needs to run (the store and
SQLAlchemy, matplotlib, fpdf, openpyxl, FastAPI, the domain packages) is
imported inside its function.
"""

from __future__ import annotations

import logging
import sys
import traceback

import typer

from accordwatch.cli.context import STATE, console, plain
from accordwatch.cli.exit_codes import ExitCode, exit_code

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

app = typer.Typer(
    name="accordwatch",
    help="A system of record for denuclearization accords, on one signed Merkle log.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from accordwatch import __version__

        typer.echo(f"accordwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    home: str = typer.Option(
        None,
        "--home",
        envvar="ACCORDWATCH_HOME",
        help="Workspace folder [default: ./accordwatch-data]",
    ),
    database_url: str = typer.Option(
        None, "--database-url", envvar="ACCORDWATCH_DATABASE_URL", help="SQLAlchemy database URL"
    ),
    to: str = typer.Option(
        None,
        "--to",
        envvar="ACCORDWATCH_TO",
        help="Send writes to the log at this URL (its `serve`), signed here, receipts checked "
        "[default: on a node, the log it follows; else this workspace's database]",
    ),
    log_key: str = typer.Option(
        None,
        "--log-key",
        envvar="ACCORDWATCH_LOG_KEY",
        help="With --to: the log's verifier key the receipts are checked with [default: the "
        "node's, or this workspace's own if the URL serves this log]",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks of errors"),
    log_level: str = typer.Option(
        "warning",
        "--log-level",
        envvar="ACCORDWATCH_LOG_LEVEL",
        help="Log messages shown on standard error: " + ", ".join(LOG_LEVELS),
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version and exit",
    ),
) -> None:
    STATE.home = home
    STATE.database_url = database_url
    STATE.to = to
    STATE.log_key = log_key
    STATE.verbose = verbose
    _start_logging(log_level)
    # COLUMNS, the terminal's width, or a wide default for a pipe: read per command
    from accordwatch.cli.output import output_width

    console.width = output_width()


def _start_logging(level: str) -> None:
    """Log records from `level` up to standard error, one line each."""
    from accordwatch.errors import InputError

    if level.lower() not in LOG_LEVELS:
        raise InputError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
    STATE.log_level = level.lower()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("accordwatch: %(levelname)s: %(name)s: %(message)s"))
    root = logging.getLogger("accordwatch")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def _register() -> None:
    from accordwatch.cli import (
        accord,
        accord_assess,
        accountancy,
        clock,
        compliance,
        declaration,
        declaration_draw,
        declaration_escrow,
        declaration_escrow_checks,
        declaration_review,
        demo,
        fork,
        inspection,
        log,
        log_publish,
        node,
        observation,
        openings,
        parties,
        policy,
        report,
        responses,
        safeguards,
        serve,
        setup,
        submit,
        token,
        witness,
    )

    for module in (setup, clock, parties, submit, log, log_publish, accord, accord_assess):
        module.register(app)
    for module in (policy, compliance, responses, demo):
        module.register(app)
    for module in (accountancy, inspection, safeguards, observation):
        module.register(app)
    # The review commands join the declaration group, and add the item group after it.
    declaration.register(app)
    declaration_review.register(app)
    declaration_escrow.register(app)
    declaration_escrow_checks.register(app)
    declaration_draw.register(app)

    serve.register(app)
    token.register(app)
    report.register(app)
    witness.register(app)
    fork.register(app)
    node.register(app)
    openings.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: usage errors are Typer's; everything else is one line."""
    from accordwatch.errors import AccordwatchError

    try:
        app(args=argv, prog_name="accordwatch")
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    except AccordwatchError as exc:
        if STATE.verbose:
            traceback.print_exc()
        print(f"accordwatch: error: {plain(exc.diagnostic(), one_line=True)}", file=sys.stderr)
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        print("accordwatch: interrupted", file=sys.stderr)
        sys.exit(ExitCode.INTERRUPTED)
