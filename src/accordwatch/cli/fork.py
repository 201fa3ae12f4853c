"""`accordwatch fork verify FILE`: check a fork evidence file with nothing else."""

from __future__ import annotations

from pathlib import Path

import typer

from accordwatch.cli.context import plain
from accordwatch.errors import InputError

fork_app = typer.Typer(help="Evidence that a log forked.", no_args_is_help=True)


@fork_app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="A fork evidence file (`witness evidence --out`)"),
) -> None:
    """Check that the file proves a fork: two checkpoints the log signed that cannot both hold."""
    from accordwatch.errors import VerificationError
    from accordwatch.log.fork import ForkEvidence

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(file)) from exc
    evidence = ForkEvidence.parse(data, where=str(file))
    try:
        description = evidence.verify()
    except VerificationError as exc:
        raise VerificationError(exc.message, where=str(file)) from None
    typer.echo(plain(description, one_line=True))


def register(app: typer.Typer) -> None:
    app.add_typer(fork_app, name="fork")
