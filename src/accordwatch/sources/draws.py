"""The draws of an accord's drawn reveal steps, read from the log (`declarations.draw`).

The commitments and nonces are public entries; the escrow's parts come from
the escrow book; the checkpoint a draw mixes in is the first one, at or below
the view's checkpoint, that includes the last commitment and that the
accord's witness policy counts as witnessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from accordwatch.declarations.draw import (
    Beacon,
    Breach,
    Committed,
    Draw,
    Revealed,
    RevealStep,
    accord_draws,
    breaches,
)
from accordwatch.declarations.draw_records import DrawCommitment, DrawNonce
from accordwatch.declarations.escrow_log import EscrowBook
from accordwatch.errors import InputError
from accordwatch.log.policy import Policy
from accordwatch.roadmap.accord import Accord, StepKind
from accordwatch.roadmap.status import Status
from accordwatch.sources.snapshot import Snapshot
from accordwatch.sources.witnessing import for_log, policy_in_force

DRAW_TYPES = ("draw.commit", "draw.reveal")


def reveal_steps(accord: Accord) -> list[RevealStep]:
    """The accord's reveal steps, in accord order."""
    return [
        RevealStep(s.id, s.escrow, s.part)
        for s in accord.steps
        if s.kind == StepKind.REVEAL and s.escrow is not None and s.part is not None
    ]


def accord_policy(log: Snapshot, accord_id: str, as_of: date) -> Policy | None:
    """The witness policy in force for the accord, if it is one for this log."""
    try:
        return for_log(policy_in_force(log, as_of, accord_id), log.ledger)
    except InputError:
        return None


def witnessed_beacon(log: Snapshot, policy: Policy | None) -> Callable[[int], Beacon | None]:
    """The first witnessed checkpoint of the view that includes an entry, if any."""

    def after(index: int) -> Beacon | None:
        if policy is None:
            return None
        found = log.ledger.witnessed_covering(index, policy)
        if found is None or found[1].checkpoint.size > log.size:
            return None
        cp = found[1].checkpoint
        return Beacon(cp.origin, cp.size, cp.root, found[1].witnessed_time)

    return after


def escrow_parts(
    book: EscrowBook, accord_id: str
) -> Callable[[str, int | None], Sequence[str] | None]:
    """The part names of the latest escrow of a declaration step of the accord, among the
    first `size` entries of the log (all of them: None)."""

    def parts_of(step: str, size: int | None) -> Sequence[str] | None:
        found = [
            e
            for e in book.escrows.values()
            if e.record.accord_id == accord_id
            and e.record.step == step
            and (size is None or e.index < size)
        ]
        return [p.name for p in max(found, key=lambda e: e.index).record.parts] if found else None

    return parts_of


def log_draws(log: Snapshot, accord: Accord, book: EscrowBook, as_of: date) -> dict[str, Draw]:
    """Every drawn reveal step's draw, as the view's checkpoint has it."""
    steps = reveal_steps(accord)
    if not any(s.part == "drawn" for s in steps):
        return {}
    commitments: list[tuple[str, Committed]] = []
    reveals: list[tuple[str, Revealed]] = []
    for e in log.payloads(DRAW_TYPES):
        p = e.payload
        if isinstance(p, DrawCommitment) and p.accord_id == accord.id:
            commitments.append((p.step, Committed(e.index, e.logged_at, e.party, p.commitment)))
        elif isinstance(p, DrawNonce) and p.accord_id == accord.id:
            reveals.append((p.step, Revealed(e.index, e.logged_at, e.party, p.nonce)))
    return accord_draws(
        accord.id,
        [p.id for p in accord.parties],
        steps,
        escrow_parts(book, accord.id),
        commitments,
        reveals,
        witnessed_beacon(log, accord_policy(log, accord.id, as_of)),
    )


def draw_breaches(draws: dict[str, Draw], status: Status) -> list[Breach]:
    """Parties that did not reveal their nonce by their drawn step's deadline."""
    out: list[Breach] = []
    deadlines = {s.id: s.deadline for s in status.steps}
    for step, result in draws.items():
        out += breaches(result, deadlines.get(step), status.as_of)
    return out
