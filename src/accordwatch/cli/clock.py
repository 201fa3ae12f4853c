"""`accordwatch clock show|set`: the workspace's clock, and moving a simulated one forward.

A workspace may run on a simulated clock (`simulated_clock_file` in
accordwatch.toml, made by `accordwatch init --simulated-clock TIME`): every
command then takes "now" from that file, the log records its entries at that
time, and every view says it ran on a simulated clock.
"""

from __future__ import annotations

import typer

from accordwatch.cli.context import console, print_json, workspace
from accordwatch.errors import InputError

clock_app = typer.Typer(
    help="The workspace's clock (simulated or the system's).", no_args_is_help=True
)


@clock_app.command("show")
def clock_show(fmt: str = typer.Option("text", "--format", help="text or json")) -> None:
    """Print the workspace's current time and whether its clock is simulated."""
    from accordwatch.timeutil import format_time

    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, not {fmt!r}")
    ws = workspace()
    now = format_time(ws.clock())
    path = ws.settings.clock_path
    if fmt == "json":
        print_json(
            {"time": now, "simulated_clock": ws.simulated_clock, "file": str(path or "") or None}
        )
    elif path is not None:
        console.print(f"{now} (simulated clock, {path})", highlight=False)
    else:
        console.print(f"{now} (system clock)", highlight=False)


@clock_app.command("set")
def clock_set(
    time: str = typer.Argument(..., help="ISO 8601 UTC time, e.g. 2020-02-01T09:00:00Z"),
) -> None:
    """Move the workspace's simulated clock forward to TIME (never backwards)."""
    from accordwatch.timeutil import format_time, parse_time, set_clock_file

    moment = parse_time(time, where="clock set")
    ws = workspace()
    path = ws.settings.clock_path
    if path is None:
        raise InputError(
            "this workspace runs on the system clock: set simulated_clock_file in "
            "accordwatch.toml (or init it with --simulated-clock) to simulate one"
        )
    before = set_clock_file(path, moment)
    was = f" (was {format_time(before)})" if before is not None else ""
    console.print(f"simulated clock set to {format_time(moment)}{was}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(clock_app, name="clock")
