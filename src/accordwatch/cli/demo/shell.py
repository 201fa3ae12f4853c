"""What every step of the demo shows with: its heading, and commands run as a user types them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from accordwatch.cli.context import console
from accordwatch.timeutil import set_clock_file
from accordwatch.workspace import CLOCK_FILE


def step(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


def set_clock(home: Path, moment: datetime, *, say: bool = True) -> None:
    """Move the demo workspace's simulated clock forward to `moment` (and say so)."""
    set_clock_file(home / CLOCK_FILE, moment)
    if say:
        console.print(f"[dim]simulated clock: {moment:%Y-%m-%d %H:%M} UTC[/]")


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

    def clock(self, moment: datetime) -> None:
        """Move the workspace's simulated clock forward to `moment`, as `accordwatch clock set`."""
        set_clock(self.home, moment)

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
