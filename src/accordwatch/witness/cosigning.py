"""A witness at work: its name and key, its clock and its state, answering add-checkpoint.

`Witness.add_checkpoint` takes a request body and gives the HTTP answer the
tlog-witness specification asks for (status, content type, body), so that
the server has nothing to decide. The cosignature's timestamp is the
witness's clock, never below the last timestamp it gave (kept in the
database, so across restarts and processes) and never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        [answer] = self.add_checkpoints([body])
        return answer

    def add_checkpoints(self, bodies: Sequence[bytes]) -> list[Answer]:
        """The answers to several add-checkpoint requests, decided in order, committed once."""
        answers: list[Answer | None] = []
        parsed: list[tuple[AddCheckpoint, bytes | None]] = []
        for body in bodies:
            try:
                parsed.append((AddCheckpoint.parse(body), body))
                answers.append(None)
            except RefusedCheckpointError as refused:
                answers.append(_refusal(refused))
        if parsed:
            try:
                outcomes = self.state.add_checkpoints(
                    parsed, self._cosign, received_at=self.clock.iso(), found_by=self.name
                )
            except AccordwatchError as exc:  # the witness's own trouble (database, clock file)
                trouble = f"the witness cannot answer: {exc.diagnostic()}\n".encode()
                failed = Answer(503, TEXT, trouble)
                return [a if a is not None else failed for a in answers]
            results = iter(outcomes)
            for n, answer in enumerate(answers):
                if answer is None:
                    outcome = next(results)
                    answers[n] = (
                        _refusal(outcome)
                        if isinstance(outcome, RefusedCheckpointError)
                        else Answer(200, TEXT, outcome.encode())
                    )
        return [a for a in answers if a is not None]

    def checkpoint(self, origin_hash: str) -> Answer:
        """The answer to `GET /<origin hash>/checkpoint`."""
        note = self.state.latest_note(origin_hash)
        if note is None:
            return Answer(404, TEXT, b"no checkpoint of that log cosigned here\n")
        return Answer(200, TEXT, note.encode())


def _refusal(refused: RefusedCheckpointError) -> Answer:
    if refused.status == 409:
        return Answer(409, SIZE, f"{refused.size}\n".encode())
    return Answer(refused.status, TEXT, (refused.message + "\n").encode())
