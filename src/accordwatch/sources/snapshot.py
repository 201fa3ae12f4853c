"""One view's reading of the log: every entry up to one signed checkpoint.

A view (a report, a dashboard page, a status, a command's table) reads several
sources: the road map's records, the events and responses, the declarations.
Others may append while it reads. Each source therefore reads through a
`Snapshot`, which takes the latest signed checkpoint once and reads only the
entries below its size, so everything the view shows is what that checkpoint
signs, and the view can cite it. The log is append-only, so the entries below
a checkpoint's size never change: a snapshot needs no transaction, and the
payloads of a set of record types are read once however many sources ask.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from accordwatch.log.envelope import Envelope, Opening
from accordwatch.sources.payloads import LoggedPayload, logged_payloads, logged_rows
from accordwatch.store.ledger import Ledger


class Snapshot:
    """The log `ledger` holds, as the signed checkpoint `checkpoint` states it."""

    def __init__(self, ledger: Ledger, checkpoint: str) -> None:
        self.ledger = ledger
        self.checkpoint = checkpoint
        self.size = ledger.opened(checkpoint).size
        self._payloads: dict[tuple[str, ...], list[LoggedPayload]] = {}

    @classmethod
    def latest(cls, ledger: Ledger) -> Snapshot:
        """The log as its latest checkpoint states it."""
        return cls(ledger, ledger.latest_checkpoint())

    def payloads(self, types: tuple[str, ...]) -> list[LoggedPayload]:
        """Entries of `types` below the checkpoint, in log order, with their parsed payloads."""
        found = self._payloads.get(types)
        if found is None:
            found = self._payloads[types] = list(
                logged_payloads(self.ledger, types, below=self.size)
            )
        return found

    def rows(
        self, types: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Envelope, Opening | None]]:
        """Entries (of some record types) below the checkpoint with their stored openings."""
        return logged_rows(self.ledger, types, below=self.size)
