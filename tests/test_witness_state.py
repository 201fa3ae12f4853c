"""The witness's state: trusted logs, the atomic check-and-update, evidence, timestamps."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from accordwatch.errors import ConflictError, NotFoundError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import Algorithm, Cosigner, verify_cosignatures
from accordwatch.log.fork import ForkEvidence
from accordwatch.log.witness_protocol import RefusedCheckpointError
from accordwatch.witness.clock import Clock
from accordwatch.witness.cosigning import Witness
from accordwatch.witness.state import WitnessState, origin_sha256
from tests.witness_logs import TestLog


class FixedClock(Clock):
    def __init__(self, now: int) -> None:
        super().__init__()
        self.seconds = now

    def now(self) -> int:
        return self.seconds


@pytest.fixture
def state(tmp_path: Path) -> Iterator[WitnessState]:
    state = WitnessState.create(tmp_path / "witness.db", durability="normal")
    yield state
    state.close()


class RecordingWitness(Witness):
    """A witness that notes each size it cosigns, in the order of its write lock."""

    cosigned: list[int]

    def _cosign(self, cp: Checkpoint, floor: int) -> tuple[str, int]:
        self.cosigned.append(cp.size)  # inside the write transaction: one at a time
        return super()._cosign(cp, floor)


def _witness(state: WitnessState, clock: Clock | None = None) -> RecordingWitness:
    cosigner = Cosigner.generate("witness.example/w1", Algorithm.ED25519)
    witness = RecordingWitness(cosigner, clock or FixedClock(1_700_000_000), state)
    witness.cosigned = []
    return witness


def test_a_log_is_trusted_once(state: WitnessState) -> None:
    log = TestLog()
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    with pytest.raises(ConflictError, match="already trusted"):
        state.trust(log.signer.verifier, "2026-12-06T00:00:01Z")
    [trusted] = state.logs()
    assert (trusted.origin, trusted.vkey, trusted.size) == (log.origin, log.vkey, None)


def test_the_database_is_made_once_and_must_exist(tmp_path: Path) -> None:
    WitnessState.create(tmp_path / "w.db").close()
    with pytest.raises(ConflictError):
        WitnessState.create(tmp_path / "w.db")
    with pytest.raises(NotFoundError):
        WitnessState.open(tmp_path / "missing.db")


def test_checkpoints_are_cosigned_in_order_and_kept(state: WitnessState) -> None:
    log = TestLog()
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    witness = _witness(state)
    first = witness.add_checkpoint(log.request(0, 8).body())
    assert first.status == 200
    second = witness.add_checkpoint(log.request(8, 40).body())
    assert second.status == 200
    note = log.note(40) + second.body.decode()
    [cosig] = verify_cosignatures(note, [witness.cosigner.key])
    assert cosig.timestamp == 1_700_000_000
    [trusted] = state.logs()
    assert (trusted.size, trusted.root) == (40, log.tree.root(40))
    stored = state.latest_note(origin_sha256(log.origin))
    assert stored is not None
    assert Checkpoint.open(stored, log.signer.verifier).size == 40
    assert verify_cosignatures(stored, [witness.cosigner.key])


def test_timestamps_never_go_back_and_are_never_zero(state: WitnessState) -> None:
    log = TestLog()
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    clock = FixedClock(0)
    witness = _witness(state, clock)
    stamps = []
    for old, new, now in ((0, 4, 0), (4, 9, 500), (9, 12, 100), (12, 20, 900)):
        clock.seconds = now
        answer = witness.add_checkpoint(log.request(old, new).body())
        assert answer.status == 200, answer.body
        [cosig] = verify_cosignatures(log.note(new) + answer.body.decode(), [witness.cosigner.key])
        stamps.append(cosig.timestamp)
    assert stamps == [1, 500, 500, 900]
    assert state.last_timestamp() == 900


def test_refusals_signed_by_the_log_are_kept_once_with_the_fork(state: WitnessState) -> None:
    log = TestLog()
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    witness = _witness(state)
    assert witness.add_checkpoint(log.request(0, 16).body()).status == 200
    stale = log.request(3, 20).body()
    forked = log.request(16, 16, root=log.tree.root(15)).body()
    for _ in range(3):
        assert witness.add_checkpoint(stale).status == 409
    assert witness.add_checkpoint(forked).status == 422
    unsigned = TestLog(origin=log.origin).request(16, 20).body()  # another key, same origin
    assert witness.add_checkpoint(unsigned).status == 403
    items = state.evidence()
    assert [(e.status, e.times, e.body) for e in items] == [(409, 3, stale), (422, 1, forked)]
    assert items[0].fork_evidence is None
    assert items[1].fork_evidence is not None
    evidence = ForkEvidence.parse(items[1].fork_evidence)
    assert "two checkpoints of size 16" in evidence.verify()
    assert evidence.found_by == "witness.example/w1"
    # the refusal changed nothing
    assert state.logs()[0].size == 16


def test_concurrent_requests_never_roll_the_witness_back(state: WitnessState) -> None:
    """The specification's rollback race: sizes N+1..N+k sent at once, from many threads."""
    log = TestLog(size=200)
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    witness = _witness(state)
    base = 50
    assert witness.add_checkpoint(log.request(0, base).body()).status == 200
    bodies = [log.request(base, base + k).body() for k in range(1, 41)]
    random.Random(7).shuffle(bodies)
    accepted: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def send(chunk: list[bytes]) -> None:
        start.wait(timeout=30)
        for body in chunk:
            answer = witness.add_checkpoint(body)
            size = int(body.split(b"\n\n", 1)[1].split(b"\n")[1])
            if answer.status == 200:
                with lock:
                    accepted.append(size)
            else:
                assert answer.status == 409, answer.body
                assert int(answer.body) >= base

    threads = [threading.Thread(target=send, args=(bodies[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    # every request claimed old size `base`: exactly one can have been cosigned
    assert len(accepted) == 1
    assert witness.cosigned == [base, *accepted]
    assert state.logs()[0].size == accepted[0]


def test_a_chain_of_racing_extensions_only_moves_forward(state: WitnessState) -> None:
    """Threads that each extend from the size they last saw: the stored size only grows."""
    log = TestLog(size=300)
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    witness = _witness(state)
    assert witness.add_checkpoint(log.request(0, 10).body()).status == 200
    answered: list[int] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rng = random.Random(seed)
        known = 10
        for _ in range(40):
            size = min(known + rng.randint(1, 5), log.size)
            answer = witness.add_checkpoint(log.request(known, size).body())
            if answer.status == 200:
                with lock:
                    answered.append(size)
                known = size
            else:
                assert answer.status == 409, answer.body
                known = int(answer.body)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    # in the order they were written, the cosigned sizes never go down
    cosigned = witness.cosigned[1:]
    assert cosigned == sorted(cosigned)
    assert sorted(answered) == cosigned
    assert len(answered) > 6
    assert state.logs()[0].size == cosigned[-1]


def test_an_unknown_log_is_not_kept(state: WitnessState) -> None:
    witness = _witness(state)
    answer = witness.add_checkpoint(TestLog().request(0, 5).body())
    assert answer.status == 404
    assert state.evidence() == []
    with pytest.raises(RefusedCheckpointError):
        state.add_checkpoint(
            TestLog().request(0, 5), lambda cp, floor: ("", floor), received_at="now"
        )


def test_a_group_is_decided_in_order_in_one_transaction(state: WitnessState) -> None:
    log = TestLog()
    state.trust(log.signer.verifier, "2026-12-06T00:00:00Z")
    witness = _witness(state)
    bodies = [
        log.request(0, 8).body(),
        log.request(8, 20).body(),
        log.request(8, 30).body(),  # the one before moved the witness on: 409 with 20
        b"old x\n\n",
        log.request(20, 20, root=log.tree.root(19)).body(),
        log.request(20, 30).body(),
    ]
    answers = witness.add_checkpoints(bodies)
    assert [a.status for a in answers] == [200, 200, 409, 400, 422, 200]
    assert answers[2].body == b"20\n"
    assert witness.cosigned == [8, 20, 30]
    assert state.logs()[0].size == 30
    assert [e.status for e in state.evidence()] == [409, 422]


def test_a_checkpoint_it_cannot_cosign_is_refused_alone(state: WitnessState) -> None:
    long_log = TestLog(origin="example.org/" + "x" * 250)  # over ML-DSA-44's 255 bytes
    log = TestLog()
    for each in (long_log, log):
        state.trust(each.signer.verifier, "2026-12-06T00:00:00Z")
    cosigner = Cosigner.generate("witness.example/w1", Algorithm.ML_DSA_44)
    witness = Witness(cosigner, FixedClock(1_700_000_000), state)
    answers = witness.add_checkpoints([long_log.request(0, 3).body(), log.request(0, 3).body()])
    assert [a.status for a in answers] == [400, 200]
    assert b"cannot cosign" in answers[0].body
