"""The two dates of a view and the checkpoint it reads: `--as-of`, `--known-at`, `--log-size`.

`--as-of DAY` is a day in the world: the events that occurred and the
deadlines that fell due by the end of it. `--known-at DAY` is the log as it
stood at the end of that day by the log's own time, and `--log-size N` names
one checkpoint exactly; without either a view reads `Snapshot.default`. Every
view built here says both dates, the checkpoint and, on a simulated clock, so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from typing import TYPE_CHECKING, Any

from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.store.ledger import Ledger
    from accordwatch.workspace import Workspace

AS_OF_HELP = "Day in the world (YYYY-MM-DD): what occurred and fell due by its end [default: today]"
KNOWN_AT_HELP = "The log as it stood at the end of this day, by log time (YYYY-MM-DD)"
LOG_SIZE_HELP = "The log at exactly this checkpoint size"


def today(ws: Workspace) -> date:
    """Today by the workspace's clock (simulated, if it runs on one)."""
    return ws.clock().astimezone(UTC).date()


@dataclass
class ViewAt:
    """What a view reads and the dates it answers for."""

    ws: Workspace
    ledger: Ledger
    log: Snapshot
    as_of: date
    known_at: date

    @property
    def simulated_clock(self) -> bool:
        return self.ws.simulated_clock

    def header(self) -> str:
        """One line: both dates, the checkpoint, and the simulated clock if there is one."""
        text = (
            f"as of {self.as_of} (world, UTC day), known at {self.known_at} (log time, UTC day), "
            f"from {self.log.describe()}"
        )
        return text + ("; simulated clock" if self.simulated_clock else "")

    def log_header(self) -> str:
        """The header for a view with no day in the world: the log's day and checkpoint."""
        text = f"known at {self.known_at} (log time, UTC day), from {self.log.describe()}"
        return text + ("; simulated clock" if self.simulated_clock else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at.isoformat(),
            "checkpoint": self.log.checkpoint_json(),
            "simulated_clock": self.simulated_clock,
        }


def view_at(
    as_of: str | None,
    known_at: str | None = None,
    log_size: int | None = None,
    *,
    ws: Workspace | None = None,
) -> ViewAt:
    """The workspace, its ledger and the snapshot the options name, with both dates.

    Without `--as-of` the world day is the `--known-at` day, else today by the
    workspace's clock. The known-at day of a view read at `--log-size` is the
    log's day of that checkpoint's last entry; by default, today.
    """
    from accordwatch.cli.context import node_reader, workspace
    from accordwatch.sources.snapshot import choose_snapshot

    known_day = parse_date(known_at, where="--known-at") if known_at else None
    world_day = parse_date(as_of, where="--as-of") if as_of else None
    if log_size is not None and log_size < 1:
        raise_size(log_size)
    ws = ws or workspace()
    ledger = ws.ledger()
    # on a node, what its party may read; on the log's workspace, the operator's view
    log = choose_snapshot(ledger, known_day, log_size).read_as(node_reader(ws, ledger))
    now = today(ws)
    if known_day is None:
        if log_size is not None:
            known_day = ledger.entry(log.size - 1).recorded_at.astimezone(UTC).date()
        else:
            known_day = now
    return ViewAt(ws, ledger, log, world_day or (known_day if known_at else now), known_day)


def raise_size(size: int) -> None:
    from accordwatch.errors import InputError

    raise InputError(f"log size {size} is not a checkpoint (sizes start at 1)", where="--log-size")
