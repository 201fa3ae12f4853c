"""The draw of a `part: drawn` reveal step: recomputable, unsteerable, and its breaches."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime

from accordwatch.declarations.draw import (
    DRAWN,
    Beacon,
    Committed,
    DrawState,
    Revealed,
    RevealStep,
    accord_draws,
    breaches,
    draw,
    nonce_commitment,
    pick,
    seed_of,
)
from accordwatch.log.canonical import canonical_json

PARTIES = ("dprk", "iaea", "usa")
PARTS = ("region-east", "region-north", "region-south", "region-west")
BEACON = Beacon("example.org/log", 40, bytes(range(32)), datetime(2022, 3, 1, tzinfo=UTC))


def _at(day: int) -> datetime:
    return datetime(2022, 3, day, 12, tzinfo=UTC)


def _entries(nonces: dict[str, str]) -> tuple[list[Committed], list[Revealed]]:
    commits = [
        Committed(10 + i, _at(1), p, nonce_commitment(n)) for i, (p, n) in enumerate(nonces.items())
    ]
    reveals = [Revealed(50 + i, _at(3), p, n) for i, (p, n) in enumerate(nonces.items())]
    return commits, reveals


def test_the_seed_is_the_hash_of_the_canonical_message() -> None:
    nonces = {p: secrets.token_hex(32) for p in PARTIES}
    commits, reveals = _entries(nonces)
    result = draw("dprk-roadmap", "reveal-3", PARTIES, PARTS, commits, reveals, lambda i: BEACON)
    assert result.state is DrawState.DRAWN
    # an outside check: the documented message, hashed, picks the same part
    message = {
        "domain": "accordwatch/draw/v1",
        "accord": "dprk-roadmap",
        "step": "reveal-3",
        "nonces": nonces,
        "checkpoint": {
            "origin": "example.org/log",
            "size": 40,
            "root": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        },
    }
    seed = hashlib.sha256(canonical_json(message)).digest()
    assert result.seed == seed.hex()
    assert result.part == sorted(PARTS)[int.from_bytes(seed, "big") % 4]
    assert result.indices == (10, 11, 12, 50, 51, 52)


def test_every_input_moves_the_draw() -> None:
    nonces = {p: "11" * 32 for p in PARTIES}
    base = seed_of("a", "s", nonces, BEACON)
    assert seed_of("a", "s", {**nonces, "usa": "12" * 32}, BEACON) != base
    other = Beacon(BEACON.origin, 41, BEACON.root, None)
    assert seed_of("a", "s", nonces, other) != base
    assert seed_of("a", "t", nonces, BEACON) != base
    # each part is reachable
    seen = {pick(hashlib.sha256(bytes([i])).digest(), PARTS) for i in range(64)}
    assert seen == set(PARTS)


def test_the_draw_waits_for_commitments_checkpoint_and_nonces() -> None:
    nonces = {p: secrets.token_hex(32) for p in PARTIES}
    commits, reveals = _entries(nonces)
    asked: list[int] = []

    def beacon(i: int) -> Beacon | None:
        asked.append(i)
        return BEACON

    partial = draw("a", "s", PARTIES, PARTS, commits[:2], [], beacon)
    assert partial.state is DrawState.AWAITING_COMMITMENTS
    assert partial.missing_commitments == ("usa",)
    assert draw("a", "s", PARTIES, PARTS, commits, [], lambda i: None).state is (
        DrawState.AWAITING_CHECKPOINT
    )
    waiting = draw("a", "s", PARTIES, PARTS, commits, reveals[:1], beacon)
    assert waiting.state is DrawState.AWAITING_NONCES
    assert waiting.missing_nonces == ("iaea", "usa")
    assert asked and set(asked) == {12}  # the last commitment's entry


def test_a_wrong_or_second_nonce_and_a_stranger_are_ignored() -> None:
    nonces = {p: secrets.token_hex(32) for p in PARTIES}
    commits, reveals = _entries(nonces)
    wrong = Revealed(49, _at(2), "usa", secrets.token_hex(32))
    again = Committed(13, _at(1), "usa", nonce_commitment(secrets.token_hex(32)))
    stranger = Committed(14, _at(1), "rok", nonce_commitment(secrets.token_hex(32)))
    result = draw(
        "a", "s", PARTIES, PARTS, [*commits, again, stranger], [wrong, *reveals], lambda i: BEACON
    )
    assert result.state is DrawState.DRAWN
    assert {i.index for i in result.ignored} == {13, 14, 49}
    # the second commitment of usa changed nothing: the checkpoint follows entry 12
    clean = draw("a", "s", PARTIES, PARTS, commits, reveals, lambda i: BEACON)
    assert clean.part == result.part and clean.seed == result.seed


def test_a_party_that_does_not_reveal_by_the_deadline_is_in_breach() -> None:
    nonces = {p: secrets.token_hex(32) for p in PARTIES}
    commits, reveals = _entries(nonces)
    late = Revealed(60, _at(20), "usa", nonces["usa"])
    result = draw("a", "s", PARTIES, PARTS, commits, [*reveals[:1], late], lambda i: BEACON)
    deadline = date(2022, 3, 10)
    assert breaches(result, deadline, date(2022, 3, 10)) == []  # not yet past
    found = {b.party: b for b in breaches(result, deadline, date(2022, 3, 31))}
    assert set(found) == {"iaea", "usa"}
    assert found["iaea"].indices == (11,)
    assert found["usa"].indices == (12, 60)
    assert "only on 2022-03-20" in found["usa"].message
    assert breaches(result, None, date(2030, 1, 1)) == []


def test_a_later_drawn_step_waits_and_draws_from_the_parts_as_they_stood() -> None:
    steps = [
        RevealStep("reveal-1", "declare", "region-north"),
        RevealStep("reveal-2", "declare", DRAWN),
        RevealStep("reveal-3", "declare", DRAWN),
    ]
    nonces = {p: secrets.token_hex(32) for p in PARTIES}
    commits, reveals = _entries(nonces)
    asked: list[int | None] = []

    def parts_of(step: str, size: int | None) -> list[str]:
        asked.append(size)
        # an amendment logged after the checkpoint (size 40) adds a part: it does not count
        return [*PARTS, "region-added"] if size is None or size > 40 else list(PARTS)

    both = accord_draws(
        "a",
        PARTIES,
        steps,
        parts_of,
        [*(("reveal-2", c) for c in commits), *(("reveal-3", c) for c in commits)],
        [*(("reveal-2", r) for r in reveals), *(("reveal-3", r) for r in reveals)],
        lambda i: BEACON,
    )
    first, second = both["reveal-2"], both["reveal-3"]
    assert first.candidates == ("region-east", "region-south", "region-west")
    assert set(asked) == {40}
    assert second.part != first.part and first.part not in second.candidates
    # without the first draw's nonces, the second waits for it
    waiting = accord_draws(
        "a",
        PARTIES,
        steps,
        parts_of,
        [*(("reveal-2", c) for c in commits), *(("reveal-3", c) for c in commits)],
        [("reveal-3", r) for r in reveals],
        lambda i: BEACON,
    )
    assert waiting["reveal-3"].state is DrawState.AWAITING_EARLIER
    assert waiting["reveal-3"].part is None and "reveal-2" in waiting["reveal-3"].describe()
