"""What every step of the demo shows with: its heading, and commands run as a user types them."""

from __future__ import annotations

import contextlib
import io
import shlex
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import typer

from accordwatch.cli.context import console, plain
from accordwatch.errors import AccordwatchError
from accordwatch.timeutil import set_clock_file
from accordwatch.workspace import CLOCK_FILE


def step(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


def set_clock(home: Path, moment: datetime, *, say: bool = True) -> None:
    """Move the demo workspace's simulated clock forward to `moment` (and say so)."""
    set_clock_file(home / CLOCK_FILE, moment)
    if say:
        console.print(f"[dim]simulated clock: {moment:%Y-%m-%d %H:%M} UTC[/]")


def last_entry(home: Path, record_type: str) -> int:
    """The index of the last entry of `record_type` in the log of the workspace at `home`."""
    from accordwatch.workspace import Workspace

    ledger = Workspace.open(home).ledger()
    return max(e.index for e in ledger.entries() if e.record_type == record_type)


class Root(Protocol):
    """The command line's root command: what runs a command line."""

    def main(self, args: list[str] | None = None, prog_name: str | None = None) -> Any: ...


class Shell:
    """Runs `accordwatch` command lines on the command line the demo was started from.

    The demo's own command is one of that command line's commands, so its root
    is found from the demo's context rather than imported: the demo then runs
    whatever commands it is registered beside, with their own option parsing,
    output and errors.
    """

    def __init__(self, root: Root, home: Path) -> None:
        self._root = root
        self.home = home

    @classmethod
    def of(cls, ctx: typer.Context, home: Path) -> Shell:
        """The shell of the command line `ctx` belongs to, in the workspace at `home`."""
        return cls(ctx.find_root().command, home)

    def clock(self, moment: datetime) -> None:
        """Move the workspace's simulated clock forward to `moment`, as `accordwatch clock set`."""
        set_clock(self.home, moment)

    def typed(self, *args: str) -> None:
        """Show the command line, then run it in the demo workspace."""
        self.show(*args)
        self.unseen("--home", str(self.home), *args)

    def cosign(self) -> None:
        """`log cosign` in the demo workspace, showing only the checkpoint it ends with.

        Its witnesses often cosigned already: the log's server asks them after
        each append.
        """
        self.show("log", "cosign")
        lines = self.output("--home", str(self.home), "log", "cosign")
        # its last line, however the terminal's width wrapped it
        last = max((n for n, line in enumerate(lines) if line.startswith("checkpoint ")), default=0)
        for line in lines[last:]:
            console.print(line, markup=False, highlight=False)

    def at(self, home: Path, *args: str) -> None:
        """Show the command line, then run it in the workspace at `home` (a party's node)."""
        self.show("--home", str(home), *args)
        self.unseen("--home", str(home), *args)

    def show(self, *args: str) -> None:
        """Show a command line as typed (a command is copied: never wrapped)."""
        line = " ".join(shlex.quote(a) for a in args)
        shown = f"$ accordwatch {line}"
        console.print(shown, style="dim", soft_wrap=True, markup=False, highlight=False)

    def refused(self, *args: str) -> None:
        """Show and run a command line that is refused: its error as the user sees it.

        A command that succeeds here is a failure of the demo.
        """
        self.show(*args)
        try:
            self._root.main(args=list(args), prog_name="accordwatch")
        except AccordwatchError as exc:
            console.print(
                f"accordwatch: error: {plain(exc.diagnostic(), one_line=True)}",
                markup=False,
                highlight=False,
            )
            return
        except SystemExit as exc:
            if exc.code not in (0, None):
                return
        raise AssertionError(f"accordwatch {' '.join(args)} was not refused")

    def quiet(self, *args: str) -> None:
        """Run a command line showing neither it nor what it prints (unless it fails)."""
        self.output(*args)

    def output(self, *args: str) -> list[str]:
        """Run a command line without showing it; the lines it printed (shown if it fails)."""
        out = io.StringIO()
        error: BaseException | None = None
        with console.capture() as captured, contextlib.redirect_stdout(out):
            try:
                self.unseen(*args)
            except BaseException as exc:  # shown below, then raised as it was
                error = exc
        if error is not None:
            console.print(captured.get() + out.getvalue(), markup=False, highlight=False, end="")
            raise error
        return (captured.get() + out.getvalue()).splitlines()

    def unseen(self, *args: str) -> None:
        """Run a command line without showing it (nor naming the workspace)."""
        try:
            self._root.main(args=list(args), prog_name="accordwatch")
        except SystemExit as exc:
            # A command that succeeds ends with exit code 0: the demo goes on.
            if exc.code not in (0, None):
                raise
