"""One view's reading of the log: every entry up to one signed checkpoint.

A view (a report, a dashboard page, a status, a command's table) reads several
sources: the road map's records, the events and responses, the declarations.
Others may append while it reads. Each source therefore reads through a
`Snapshot`, which takes the latest signed checkpoint once and reads only the
entries below its size, so everything the view shows is what that checkpoint
signs, and the view can cite it. The log is append-only, so the entries below
a checkpoint's size never change: a snapshot needs no transaction, and the
payloads of a set of record types are read once however many sources ask.

Which checkpoint a view reads is chosen in one place, `choose_snapshot`:
`--known-at DAY` (the log as it stood at the end of that UTC day, by the log's
own time), `--log-size N` (exactly the checkpoint of that size), or else
`Snapshot.default` (the latest checkpoint). The view's other date, `--as-of`,
is a day in the world (events that occurred, deadlines that fell due); the two
are independent, and every answer names both and the checkpoint.

A snapshot read by a party (`read_as`: on a node, its party) adds to its
payloads the sealed entries that party opens with its own keys; otherwise it
is the log operator's view, which holds sealed entries as commitments only.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from accordwatch.errors import InputError, NotFoundError
from accordwatch.log.access import Reader
from accordwatch.sources.payloads import LoggedPayload, LoggedRow, logged_payloads, logged_rows
from accordwatch.store.database import storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import checkpoints, entries
from accordwatch.timeutil import end_of_day


class Snapshot:
    """The log `ledger` holds, as the signed checkpoint `checkpoint` states it."""

    def __init__(self, ledger: Ledger, checkpoint: str) -> None:
        self.ledger = ledger
        self.checkpoint = checkpoint
        opened = ledger.opened(checkpoint)
        self.size = opened.size
        self.root = opened.root
        #: the day chosen with `known_at`, if it was chosen so
        self.known_day: date | None = None
        self._payloads: dict[tuple[str, ...], list[LoggedPayload]] = {}
        #: the party whose keys open sealed payloads, if any (`read_as`)
        self.reader: Reader | None = None

    def read_as(self, reader: Reader | None) -> Snapshot:
        """This snapshot, its payloads read by `reader` (None: the operator's view)."""
        if reader != self.reader:
            self.reader = reader
            self._payloads = {}
        return self

    @classmethod
    def latest(cls, ledger: Ledger) -> Snapshot:
        """The log as its latest checkpoint states it."""
        return cls(ledger, ledger.latest_checkpoint())

    @classmethod
    def default(cls, ledger: Ledger) -> Snapshot:
        """The checkpoint a view reads when none is chosen: every default goes through here.

        For now the latest checkpoint.
        """
        return cls.latest(ledger)

    @classmethod
    def at_size(cls, ledger: Ledger, size: int) -> Snapshot:
        """The log as the checkpoint of exactly `size` entries states it (NotFoundError if none)."""
        if size < 1:
            raise InputError(f"log size {size} is not a checkpoint (sizes start at 1)")
        return cls(ledger, ledger.checkpoint_at(size))

    @classmethod
    def known_at(cls, ledger: Ledger, day: date) -> Snapshot:
        """The log as it stood at the end of `day` (UTC), by the log's own time.

        Its size is the number of entries recorded by then (`recorded_at` never
        goes back, so they are the first ones); every append signs a checkpoint
        of the size it leaves, so that size has one, and otherwise the largest
        checkpoint below it is taken.
        """
        end = end_of_day(day)
        with storage_errors(ledger.url), ledger.engine.connect() as conn:
            size = conn.execute(
                select(func.count()).select_from(entries).where(entries.c.recorded_at <= end)
            ).scalar_one()
            note = conn.execute(
                select(checkpoints.c.note)
                .where(checkpoints.c.size <= size, checkpoints.c.size > 0)
                .order_by(checkpoints.c.size.desc())
                .limit(1)
            ).scalar()
        if not size or note is None:
            raise NotFoundError(
                f"the log did not exist yet at the end of {day.isoformat()} (known-at is by "
                "the log's own time)"
            )
        snapshot = cls(ledger, str(note))
        snapshot.known_day = day
        return snapshot

    @property
    def root_text(self) -> str:
        """The checkpoint's root hash, base64 (as the signed note writes it)."""
        return base64.b64encode(self.root).decode()

    def checkpoint_json(self) -> dict[str, Any]:
        """`{"size": .., "root": ..}`: the checkpoint an answer was computed from."""
        return {"size": self.size, "root": self.root_text}

    def describe(self) -> str:
        """`checkpoint 123 (root AbCdEf012345...)`, for the line an answer is headed with."""
        return f"checkpoint {self.size} (root {self.root_text[:12]}...)"

    def payloads(self, types: tuple[str, ...]) -> list[LoggedPayload]:
        """Entries of `types` below the checkpoint, in log order, with their parsed payloads."""
        found = self._payloads.get(types)
        if found is None:
            found = self._payloads[types] = list(
                logged_payloads(self.ledger, types, below=self.size, reader=self.reader)
            )
        return found

    def rows(self, types: Sequence[str] | None = None) -> Iterator[LoggedRow]:
        """Entries (of some record types) below the checkpoint with their stored openings."""
        return logged_rows(self.ledger, types, below=self.size)


def choose_snapshot(ledger: Ledger, known_at: date | None, log_size: int | None) -> Snapshot:
    """The snapshot a view reads: at `log_size`, else as known at `known_at`, else the default.

    The one place a shell (command line, API, dashboard) turns its options into
    a checkpoint; giving both is an error.
    """
    if known_at is not None and log_size is not None:
        raise InputError("give --known-at or --log-size, not both")
    if log_size is not None:
        return Snapshot.at_size(ledger, log_size)
    if known_at is not None:
        return Snapshot.known_at(ledger, known_at)
    return Snapshot.default(ledger)
