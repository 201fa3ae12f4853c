"""`accordwatch log publish DIR`: the log as C2SP tlog-tiles files for a static server."""

from __future__ import annotations

from pathlib import Path

import typer

from accordwatch.cli.context import console, workspace
from accordwatch.cli.log import log_app
from accordwatch.errors import InputError


def publish_command(
    folder: Path = typer.Argument(..., help="Folder to write the tiles into (made if missing)"),
) -> None:
    """Write the log as C2SP tlog-tiles files: checkpoint, hash tiles, entry bundles,
    and the ciphertexts of confidential openings at sealed/<leaf hash hex>.

    The same files `serve` answers under /tlog/, for any static web server, object
    store or CDN. The checkpoint is the latest witnessed one (the latest signed
    one while the log has no witness policy). Run it again to add what the log
    added; a file that differs from what this log would write stops it, with
    nothing changed.
    """
    from accordwatch.cli.policy import policy_for
    from accordwatch.sources.tiles import publish

    if folder.exists() and not folder.is_dir():
        raise InputError("not a folder", where=str(folder))
    ledger = workspace().ledger()
    done = publish(ledger, policy_for(None, ledger), folder)
    note = (
        f"; {done.large_only} bundle(s) only at tile/accordwatch-entries/ (an entry over "
        "65,535 bytes)"
        if done.large_only
        else ""
    )
    console.print(
        f"published tree size {done.size} to {folder}: {done.written} file(s) written, "
        f"{done.kept} already there; ciphertexts of {done.sealed} confidential "
        f"entr{'y' if done.sealed == 1 else 'ies'} under sealed/{note}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    log_app.command("publish")(publish_command)
