"""What every step of the demo shows with: its heading, and commands run as a user types them."""

from __future__ import annotations

from pathlib import Path

import typer

from accordwatch.cli.context import console


def step(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


class Shell:
    """Runs `accordwatch` command lines on the command line the demo was started from.

    The demo's own command is one of that command line's commands, so its root
    is found from the demo's context rather than imported: the demo then runs
    whatever commands it is registered beside, with their own option parsing,
    output and errors.
    """

    def __init__(self, ctx: typer.Context, home: Path) -> None:
        self._root = ctx.find_root().command
        self.home = home

    def typed(self, *args: str) -> None:
        """Show the command line, then run it in the demo workspace."""
        console.print(f"[dim]$ accordwatch {' '.join(args)}[/]")
        self.unseen("--home", str(self.home), *args)

    def unseen(self, *args: str) -> None:
        """Run a command line without showing it (nor naming the workspace)."""
        try:
            self._root.main(args=list(args), prog_name="accordwatch")
        except SystemExit as exc:
            # A command that succeeds ends with exit code 0: the demo goes on.
            if exc.code not in (0, None):
                raise
