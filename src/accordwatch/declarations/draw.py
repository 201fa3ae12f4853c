"""Which part of an escrow a `part: drawn` reveal step opens: a draw no single party steers.

Every party of the accord first logs a commitment to a random nonce
(`draw.commit`: the SHA-256 of 32 random bytes), then, once all have
committed and a witnessed checkpoint includes the last commitment, reveals it
(`draw.reveal`). The seed is the SHA-256 of the RFC 8785 canonical form of

    {"domain": "accordwatch/draw/v1", "accord": ACCORD, "step": STEP,
     "nonces": {PARTY: NONCE_HEX, ...},
     "checkpoint": {"origin": ORIGIN, "size": SIZE, "root": ROOT_BASE64}}

where the checkpoint is the first witnessed one after the last commitment.
No party knows the others' nonces when it commits, and no one knows that
checkpoint's root before the last commitment is in it: no one can plan the
part. The drawn part is `candidates[seed mod len(candidates)]`, the
candidates being the parts of the escrow as it stood at that checkpoint (an
amendment logged later changes nothing), by name, less those the accord names
in other reveal steps of the same escrow and those drawn by earlier drawn
steps, which must be drawn first.

This module is pure: the shell hands it the commitments and reveals read from
the log and a way to find the witnessed checkpoint; anyone with the log export
computes the same part (`declaration verify-draw`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from accordwatch.log.canonical import canonical_json
from accordwatch.roadmap.findings import Finding, FindingKind

DOMAIN = "accordwatch/draw/v1"
NONCE_BYTES = 32


def nonce_commitment(nonce_hex: str) -> str:
    """The commitment to a nonce: hex SHA-256 of its bytes."""
    return hashlib.sha256(bytes.fromhex(nonce_hex)).hexdigest()


@dataclass(frozen=True, slots=True)
class Committed:
    """A party's `draw.commit` entry."""

    index: int
    logged_at: datetime
    party: str
    commitment: str


@dataclass(frozen=True, slots=True)
class Revealed:
    """A party's `draw.reveal` entry."""

    index: int
    logged_at: datetime
    party: str
    nonce: str


@dataclass(frozen=True, slots=True)
class Beacon:
    """The witnessed checkpoint a draw mixes in."""

    origin: str
    size: int
    root: bytes
    witnessed_at: datetime | None


class DrawState(StrEnum):
    AWAITING_COMMITMENTS = "awaiting commitments"
    AWAITING_CHECKPOINT = "awaiting a witnessed checkpoint"
    AWAITING_NONCES = "awaiting nonces"
    AWAITING_EARLIER = "awaiting an earlier draw"
    DRAWN = "drawn"
    NO_CANDIDATE = "no part left to draw"


@dataclass(frozen=True, slots=True)
class Ignored:
    index: int
    party: str
    reason: str


@dataclass(frozen=True)
class Draw:
    """Where one drawn reveal step's draw stands, and its part once drawn."""

    accord_id: str
    step: str
    parties: tuple[str, ...]
    candidates: tuple[str, ...]
    commitments: dict[str, Committed]
    nonces: dict[str, Revealed]
    beacon: Beacon | None
    seed: str | None
    part: str | None
    ignored: tuple[Ignored, ...]
    #: an earlier drawn step of the same escrow not drawn yet: this draw waits for it
    after: str | None = None

    @property
    def state(self) -> DrawState:
        if self.missing_commitments:
            return DrawState.AWAITING_COMMITMENTS
        if self.beacon is None:
            return DrawState.AWAITING_CHECKPOINT
        if self.missing_nonces:
            return DrawState.AWAITING_NONCES
        if self.after is not None:
            return DrawState.AWAITING_EARLIER
        if self.part is None:
            return DrawState.NO_CANDIDATE
        return DrawState.DRAWN

    @property
    def missing_commitments(self) -> tuple[str, ...]:
        return tuple(p for p in self.parties if p not in self.commitments)

    @property
    def missing_nonces(self) -> tuple[str, ...]:
        return tuple(p for p in self.parties if p not in self.nonces)

    @property
    def indices(self) -> tuple[int, ...]:
        """The entries the draw rests on: the commitments and nonces that count."""
        found = {c.index for c in self.commitments.values()}
        found |= {r.index for r in self.nonces.values()}
        return tuple(sorted(found))

    def describe(self) -> str:
        """One line: the drawn part and its seed, or what the draw waits for."""
        state = self.state
        if state is DrawState.DRAWN:
            assert self.beacon is not None and self.seed is not None
            return (
                f"step {self.step} drew part {self.part} of {len(self.candidates)} "
                f"({', '.join(self.candidates)}), seed {self.seed[:16]}..., from the nonces of "
                f"{', '.join(self.parties)} and checkpoint {self.beacon.size}"
            )
        if state is DrawState.AWAITING_COMMITMENTS:
            missing = ", ".join(self.missing_commitments)
            return f"step {self.step}: awaiting nonce commitments by {missing}"
        if state is DrawState.AWAITING_NONCES:
            return f"step {self.step}: awaiting the nonces of {', '.join(self.missing_nonces)}"
        if state is DrawState.AWAITING_EARLIER:
            return f"step {self.step}: awaiting the draw of step {self.after}, which comes first"
        return f"step {self.step}: {state.value}"

    def to_json(self) -> dict[str, object]:
        beacon = self.beacon
        return {
            "accord_id": self.accord_id,
            "step": self.step,
            "state": self.state.value,
            "parties": list(self.parties),
            "candidates": list(self.candidates),
            "commitments": {p: c.index for p, c in self.commitments.items()},
            "nonces": {p: r.nonce for p, r in self.nonces.items()},
            "nonce_entries": {p: r.index for p, r in self.nonces.items()},
            "checkpoint": None
            if beacon is None
            else {
                "origin": beacon.origin,
                "size": beacon.size,
                "root": base64.b64encode(beacon.root).decode(),
                "witnessed_at": None
                if beacon.witnessed_at is None
                else beacon.witnessed_at.isoformat().replace("+00:00", "Z"),
            },
            "seed": self.seed,
            "part": self.part,
            "ignored": [
                {"index": i.index, "party": i.party, "reason": i.reason} for i in self.ignored
            ],
        }


def seed_of(accord_id: str, step: str, nonces: dict[str, str], beacon: Beacon) -> bytes:
    """The draw's seed (see the module docstring for the exact bytes hashed)."""
    message = {
        "domain": DOMAIN,
        "accord": accord_id,
        "step": step,
        "nonces": dict(sorted(nonces.items())),
        "checkpoint": {
            "origin": beacon.origin,
            "size": beacon.size,
            "root": base64.b64encode(beacon.root).decode(),
        },
    }
    return hashlib.sha256(canonical_json(message)).digest()


def pick(seed: bytes, candidates: Sequence[str]) -> str:
    """The candidate a seed draws: the sorted candidates' (seed mod n)-th.

    A 256-bit seed makes the modulo's bias below 2^-200 for any real count of parts.
    """
    ordered = sorted(candidates)
    return ordered[int.from_bytes(seed, "big") % len(ordered)]


def draw(
    accord_id: str,
    step: str,
    parties: Sequence[str],
    candidates: Sequence[str] | Callable[[int | None], Sequence[str]],
    commitments: Sequence[Committed],
    reveals: Sequence[Revealed],
    beacon_after: Callable[[int], Beacon | None],
) -> Draw:
    """The draw of `step` from its entries in log order.

    A party's first commitment counts (a later one is ignored: a party cannot
    change its nonce); a nonce counts if it opens that commitment; entries of
    parties outside the accord are ignored. `beacon_after(i)` is the first
    witnessed checkpoint that includes entry `i`, if any yet. `candidates`
    may be a function of that checkpoint's size (None: none yet): the parts
    as they stood then.
    """
    members = tuple(sorted(parties))
    ignored: list[Ignored] = []
    committed: dict[str, Committed] = {}
    for c in sorted(commitments, key=lambda c: c.index):
        if c.party not in members:
            ignored.append(Ignored(c.index, c.party, f"{c.party} is not a party to {accord_id}"))
        elif c.party in committed:
            ignored.append(
                Ignored(
                    c.index,
                    c.party,
                    f"{c.party} already committed at entry {committed[c.party].index}",
                )
            )
        else:
            committed[c.party] = c
    revealed: dict[str, Revealed] = {}
    for r in sorted(reveals, key=lambda r: r.index):
        own = committed.get(r.party)
        if own is None or own.index > r.index:
            ignored.append(
                Ignored(r.index, r.party, f"{r.party} revealed a nonce before committing")
            )
        elif r.party in revealed:
            continue  # the same nonce again changes nothing; a different one cannot open it
        elif nonce_commitment(r.nonce) != own.commitment:
            ignored.append(
                Ignored(
                    r.index,
                    r.party,
                    f"the nonce does not open {r.party}'s commitment at entry {own.index}",
                )
            )
        else:
            revealed[r.party] = r
    beacon: Beacon | None = None
    if committed and all(p in committed for p in members):
        beacon = beacon_after(max(c.index for c in committed.values()))
    seed: bytes | None = None
    part: str | None = None
    named = candidates(beacon.size if beacon else None) if callable(candidates) else candidates
    if beacon is not None and all(p in revealed for p in members):
        seed = seed_of(accord_id, step, {p: revealed[p].nonce for p in members}, beacon)
        if named:
            part = pick(seed, named)
    return Draw(
        accord_id,
        step,
        members,
        tuple(sorted(named)),
        committed,
        revealed,
        beacon,
        seed.hex() if seed is not None else None,
        part,
        tuple(ignored),
    )


@dataclass(frozen=True, slots=True)
class Breach:
    """A party that did not reveal its nonce for a drawn step by the step's deadline."""

    accord_id: str
    step: str
    party: str
    deadline: date
    message: str
    indices: tuple[int, ...]

    def finding(self) -> Finding:
        """The road map's form of it: the party is in breach of the step."""
        return Finding(
            FindingKind.UNREVEALED_NONCE,
            self.deadline,
            self.message,
            self.step,
            self.party,
            self.indices,
        )


def breaches(result: Draw, deadline: date | None, as_of: date) -> list[Breach]:
    """Parties whose nonce was not in the log by the end of `deadline`, once it has passed."""
    if deadline is None or as_of <= deadline:
        return []
    out = []
    for party in result.parties:
        nonce = result.nonces.get(party)
        if nonce is not None and nonce.logged_at.date() <= deadline:
            continue
        own = result.commitments.get(party)
        if own is None:
            what = "committed to no nonce and revealed none"
            indices: tuple[int, ...] = ()
        elif nonce is None:
            what = f"did not reveal the nonce it committed to at entry {own.index}"
            indices = (own.index,)
        else:
            what = (
                f"revealed the nonce it committed to at entry {own.index} only on "
                f"{nonce.logged_at.date().isoformat()} (entry {nonce.index})"
            )
            indices = (own.index, nonce.index)
        out.append(
            Breach(
                result.accord_id,
                result.step,
                party,
                deadline,
                f"{party} {what} for the draw of step {result.step}, due {deadline.isoformat()}",
                indices,
            )
        )
    return out


# --- the draws of an accord's drawn reveal steps ------------------------------------------


@dataclass(frozen=True, slots=True)
class RevealStep:
    """What the draw needs of a reveal step of the accord."""

    id: str
    escrow: str
    part: str


DRAWN = "drawn"


def candidates_of(
    step: RevealStep,
    steps: Sequence[RevealStep],
    parts: Sequence[str],
    drawn_before: Mapping[str, str | None],
) -> tuple[str, ...]:
    """The parts `step` may draw: the escrow's, less those other reveal steps of it open.

    Those are the parts named by its fixed reveal steps and the parts drawn by
    the drawn steps before it in the accord (`drawn_before`: step -> part).
    """
    taken = {s.part for s in steps if s.escrow == step.escrow and s.part != DRAWN}
    for s in steps:
        if s.id == step.id:
            break
        if s.escrow == step.escrow and s.part == DRAWN:
            part = drawn_before.get(s.id)
            if part is not None:
                taken.add(part)
    return tuple(sorted(p for p in parts if p not in taken))


def accord_draws(
    accord_id: str,
    parties: Sequence[str],
    steps: Sequence[RevealStep],
    parts_of: Callable[[str, int | None], Sequence[str] | None],
    commitments: Sequence[tuple[str, Committed]],
    reveals: Sequence[tuple[str, Revealed]],
    beacon_after: Callable[[int], Beacon | None],
) -> dict[str, Draw]:
    """The draw of every drawn reveal step of an accord, in accord order.

    `parts_of(escrow_step, size)` gives the part names of the escrow for that
    declaration step as the log of `size` entries held it (None: the latest;
    None back: not escrowed yet, nothing to draw from);
    `commitments` and `reveals` are (step, entry) pairs of this accord.
    """
    out: dict[str, Draw] = {}
    drawn: dict[str, str | None] = {}
    for step in steps:
        if step.part != DRAWN:
            continue

        def named(size: int | None, step: RevealStep = step) -> Sequence[str]:
            return candidates_of(step, steps, parts_of(step.escrow, size) or (), drawn)

        result = draw(
            accord_id,
            step.id,
            parties,
            named,
            [c for s, c in commitments if s == step.id],
            [r for s, r in reveals if s == step.id],
            beacon_after,
        )
        earlier = next(
            (
                s.id
                for s in steps
                if s.escrow == step.escrow and s.id in drawn and drawn[s.id] is None
            ),
            None,
        )
        if earlier is not None:  # the parts it may draw depend on that draw: wait for it
            result = replace(result, after=earlier, seed=None, part=None)
        out[step.id] = result
        drawn[step.id] = result.part
    return out
