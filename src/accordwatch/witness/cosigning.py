"""A witness at work: its name and key, its clock and its state, answering add-checkpoint.

`Witness.add_checkpoint` takes a request body and gives the HTTP answer the
tlog-witness specification asks for (status, content type, body), so that
the server has nothing to decide. The cosignature's timestamp is the
witness's clock, never below the last timestamp it gave (kept in the
database, so across restarts and processes) and never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from accordwatch.errors import AccordwatchError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import Cosigner
from accordwatch.log.witness_protocol import AddCheckpoint, RefusedCheckpointError
from accordwatch.witness.clock import Clock
from accordwatch.witness.home import WitnessHome
from accordwatch.witness.state import WitnessState

TEXT = b"text/plain; charset=utf-8"
SIZE = b"text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: bytes
    body: bytes


class Witness:
    """One witness: cosigner, clock and state."""

    def __init__(self, cosigner: Cosigner, clock: Clock, state: WitnessState) -> None:
        self.cosigner = cosigner
        self.clock = clock
        self.state = state

    @classmethod
    def open(cls, home: WitnessHome) -> Witness:
        config = home.config()
        state = WitnessState.open(home.database_path, durability=config.durability)
        return cls(home.cosigner(config), home.clock(config), state)

    @property
    def name(self) -> str:
        return self.cosigner.name

    def _cosign(self, cp: Checkpoint, floor: int) -> tuple[str, int]:
        timestamp = max(self.clock.now(), floor, 1)
        return self.cosigner.line(cp.text(), timestamp), timestamp

    def add_checkpoint(self, body: bytes) -> Answer:
        """The answer to `POST /add-checkpoint` with this body."""
        try:
            request = AddCheckpoint.parse(body)
            lines = self.state.add_checkpoint(
                request,
                self._cosign,
                received_at=self.clock.iso(),
                body=body,
                found_by=self.name,
            )
        except RefusedCheckpointError as refused:
            if refused.status == 409:
                return Answer(409, SIZE, f"{refused.size}\n".encode())
            return Answer(refused.status, TEXT, (refused.message + "\n").encode())
        except AccordwatchError as exc:  # the witness's own trouble (database, clock file)
            return Answer(503, TEXT, f"the witness cannot answer: {exc.diagnostic()}\n".encode())
        return Answer(200, TEXT, lines.encode())

    def checkpoint(self, origin_hash: str) -> Answer:
        """The answer to `GET /<origin hash>/checkpoint`."""
        note = self.state.latest_note(origin_hash)
        if note is None:
            return Answer(404, TEXT, b"no checkpoint of that log cosigned here\n")
        return Answer(200, TEXT, note.encode())
