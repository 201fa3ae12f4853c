"""Fork evidence: two checkpoints a log signed that cannot both be true, and nothing else.

A log that rewrote an entry is caught (same size with two roots, or a larger
tree whose own consistency proof fixes another root at the smaller size);
an honest log is never framed, whatever proof or implied root is offered.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.errors import InputError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.fork import FORMAT, ForkEvidence, find_fork
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import EMPTY_ROOT, MemoryTree, implied_first_root, leaf_hash
from accordwatch.log.note import NoteSigner

ORIGIN = "accords.example/log"
LOG = NoteSigner(ORIGIN, SigningKey(bytes(32)))
IMPOSTOR = NoteSigner(ORIGIN, SigningKey(b"\x07" * 32))


def tree(size: int, rewrite: int | None = None) -> MemoryTree:
    return MemoryTree(
        leaf_hash(f"entry {i}{' rewritten' if i == rewrite else ''}".encode()) for i in range(size)
    )


def note(t: MemoryTree, size: int, signer: NoteSigner = LOG) -> str:
    return Checkpoint(ORIGIN, size, t.root(size)).sign(signer)


def not_a_fork(evidence: ForkEvidence) -> str:
    with pytest.raises(VerificationError) as info:
        evidence.verify()
    return info.value.message


def evidence(
    first: str,
    second: str,
    proof: list[bytes] | tuple[bytes, ...] = (),
    implied: bytes | None = None,
) -> ForkEvidence:
    return ForkEvidence(LOG.verifier.text(), first, second, tuple(proof), implied, "test", "")


# -- forks are proved -------------------------------------------------------------------


def test_same_size_different_roots() -> None:
    honest, forked = tree(9), tree(9, rewrite=4)
    for a, b in ((note(honest, 9), note(forked, 9)), (note(forked, 9), note(honest, 9))):
        found = find_fork(LOG.verifier, a, b, found_by="monitor")
        assert found is not None and found.found_by == "monitor"
        assert "two checkpoints of size 9 with different roots" in found.verify()
    assert "same root" in not_a_fork(evidence(note(honest, 9), note(honest, 9)))


@pytest.mark.parametrize("m", [3, 5, 6, 7, 11, 12, 15])
def test_a_rewritten_entry_below_a_non_power_of_two_size(m: int) -> None:
    for rewrite in (0, m // 2, m - 1):
        honest, forked = tree(m), tree(16, rewrite=rewrite)
        proof = forked.consistency_proof(m, 16)
        assert implied_first_root(m, 16, proof) == forked.root(m) != honest.root(m)
        for a, b in ((note(honest, m), note(forked, 16)), (note(forked, 16), note(honest, m))):
            found = find_fork(LOG.verifier, a, b, tuple(proof))
            assert found is not None
            message = found.verify()
            assert f"sizes {m} and 16 that are not consistent" in message
            assert base64.b64encode(forked.root(m)).decode() in message


@pytest.mark.parametrize("m", [1, 2, 4, 8])
def test_a_rewritten_entry_below_a_power_of_two_size_needs_the_implied_root(m: int) -> None:
    honest, forked = tree(m), tree(13, rewrite=m - 1)
    proof = tuple(forked.consistency_proof(m, 13))
    assert implied_first_root(m, 13, proof) is None  # the proof leaves that subtree out
    a, b = note(honest, m), note(forked, 13)
    assert find_fork(LOG.verifier, a, b, proof) is None
    assert "implied_root" in not_a_fork(evidence(a, b, proof))
    found = find_fork(LOG.verifier, a, b, proof, implied_root=forked.root(m))
    assert found is not None and "not consistent" in found.verify()
    # the smaller checkpoint's own root (or any other) does not lead to the larger root
    for wrong in (honest.root(m), bytes(32), leaf_hash(b"x")):
        assert "does not lead" in not_a_fork(evidence(a, b, proof, wrong))


def test_a_size_zero_checkpoint_with_a_root_not_of_the_empty_tree() -> None:
    bad_empty = Checkpoint(ORIGIN, 0, leaf_hash(b"")).sign(LOG)
    found = find_fork(LOG.verifier, bad_empty, note(tree(5), 5))
    assert found is not None and "empty tree" in found.verify()
    zero = Checkpoint(ORIGIN, 0, EMPTY_ROOT).sign(LOG)
    assert "consistent with every tree" in not_a_fork(evidence(zero, note(tree(5), 5)))
    found = find_fork(LOG.verifier, zero, bad_empty)
    assert found is not None and "size 0 with different roots" in found.verify()


# -- an honest log is never framed ------------------------------------------------------


def test_honest_consistent_checkpoints_are_not_a_fork() -> None:
    t = tree(17)
    for n in range(1, 18):
        for m in range(1, n):
            proof = tuple(t.consistency_proof(m, n))
            implied = t.root(m) if m & (m - 1) == 0 else None
            assert (
                find_fork(LOG.verifier, note(t, m), note(t, n), proof, implied_root=implied) is None
            )
            message = not_a_fork(evidence(note(t, m), note(t, n), proof, implied))
            assert "are consistent" in message


def test_an_entry_rewritten_above_the_smaller_size_is_not_a_fork() -> None:
    honest, later = tree(6), tree(12, rewrite=8)  # entry 8 was never in the tree of size 6
    proof = later.consistency_proof(6, 12)
    assert "are consistent" in not_a_fork(evidence(note(honest, 6), note(later, 12), proof))


def test_a_proof_that_does_not_lead_to_the_larger_root_is_not_a_fork() -> None:
    """Anyone can write a wrong proof: the honest log's checkpoints with a forger's proof."""
    honest, other = tree(16), tree(16, rewrite=2)
    a, b = note(honest, 6), note(honest, 16)
    forgeries = [
        other.consistency_proof(6, 16),  # a real proof, of another tree
        [bytes(32)] * len(honest.consistency_proof(6, 16)),
        honest.consistency_proof(6, 16)[:-1],
        honest.consistency_proof(5, 16),
        [],
        [b"short"],
    ]
    for proof in forgeries:
        assert find_fork(LOG.verifier, a, b, tuple(proof)) is None
        assert "not a fork" in not_a_fork(evidence(a, b, proof))


@settings(max_examples=150, deadline=None)
@given(
    m=st.integers(1, 30),
    extra=st.integers(1, 30),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=12),
    implied=st.none() | st.binary(min_size=32, max_size=32),
)
def test_no_proof_frames_an_honest_log(
    m: int, extra: int, proof: list[bytes], implied: bytes | None
) -> None:
    n = m + extra
    t = tree(n)
    assert (
        find_fork(LOG.verifier, note(t, m), note(t, n), tuple(proof), implied_root=implied) is None
    )
    # nor does a real proof of that honest tree with a made-up implied root
    real = tuple(t.consistency_proof(m, n))
    assert find_fork(LOG.verifier, note(t, m), note(t, n), real, implied_root=implied) is None


# -- signatures -------------------------------------------------------------------------


def _flip(signed_note: str) -> str:
    text, _, line = signed_note.rpartition("\n\n")
    dash, name, data = line.strip().split(" ")
    raw = bytearray(base64.b64decode(data))
    raw[20] ^= 0x01
    return f"{text}\n\n{dash} {name} {base64.b64encode(bytes(raw)).decode()}\n"


def test_tampered_or_foreign_signatures_prove_nothing() -> None:
    honest, forked = tree(9), tree(9, rewrite=1)
    a, b = note(honest, 9), note(forked, 9)
    assert find_fork(LOG.verifier, a, b) is not None
    for first, second in (
        (_flip(a), b),
        (a, _flip(b)),
        (a, note(forked, 9, IMPOSTOR)),  # the log's name, another key
        (a, Checkpoint("other.example/log", 9, forked.root()).sign(LOG)),  # another origin
    ):
        assert find_fork(LOG.verifier, first, second) is None
        with pytest.raises(VerificationError):
            evidence(first, second).verify()
    # evidence checked with another key than the one that signed
    wrong_key = ForkEvidence(IMPOSTOR.verifier.text(), a, b)
    with pytest.raises(VerificationError):
        wrong_key.verify()


# -- the file ---------------------------------------------------------------------------


def test_json_round_trip() -> None:
    honest, forked = tree(8), tree(13, rewrite=5)
    proof = tuple(forked.consistency_proof(8, 13))
    found = find_fork(
        LOG.verifier,
        note(honest, 8),
        note(forked, 13),
        proof,
        implied_root=forked.root(8),
        found_by="witness.example/w1",
        found_at="2026-12-06T11:00:00Z",
    )
    assert found is not None
    text = found.text()
    obj = json.loads(text)
    assert obj["format"] == FORMAT
    assert set(obj) == {
        "format",
        "log_key",
        "checkpoints",
        "consistency_proof",
        "implied_root",
        "found_by",
        "found_at",
    }
    again = ForkEvidence.parse(text)
    assert again == found and again.found_at == "2026-12-06T11:00:00Z"
    assert again.verify() == found.verify()
    assert ForkEvidence.parse(text.encode()) == found
    same_size = find_fork(LOG.verifier, note(tree(9), 9), note(tree(9, rewrite=0), 9))
    assert same_size is not None
    assert json.loads(same_size.text())["implied_root"] is None
    assert ForkEvidence.parse(same_size.text()) == same_size


def _file(**changes: object) -> str:
    obj: dict[str, object] = {
        "format": FORMAT,
        "log_key": LOG.verifier.text(),
        "checkpoints": [note(tree(9), 9), note(tree(9, rewrite=0), 9)],
        "consistency_proof": [],
        "implied_root": None,
    }
    obj.update(changes)
    return json.dumps({k: v for k, v in obj.items() if v != "DROP"})


MALFORMED: list[str | bytes] = [
    "",
    "not json",
    b"\xff\xfe",
    "[" * 100_000,
    "[]",
    '"text"',
    json.dumps({"format": "accordwatch/fork-evidence@v2"}),
    _file(format="DROP"),
    _file(log_key="DROP"),
    _file(checkpoints="DROP"),
    _file(checkpoints="ab"),
    _file(checkpoints=["only one"]),
    _file(checkpoints=["a", "b", "c"]),
    _file(checkpoints=[1, 2]),
    _file(checkpoints={"a": 1, "b": 2}),
    _file(log_key=5),
    _file(found_by=["x"]),
    _file(consistency_proof="AAAA"),
    _file(consistency_proof=[base64.b64encode(bytes(32)).decode()] * 64),
    _file(consistency_proof=[5]),
    _file(consistency_proof=["not base64!"]),
    _file(consistency_proof=["AAB="]),  # non-zero pad bits
    _file(implied_root="AA"),
    _file(implied_root=5),
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_files_are_input_errors(text: str | bytes) -> None:
    with pytest.raises(InputError) as info:
        ForkEvidence.parse(text, where="fork.json")
    assert info.value.where == "fork.json"
    assert "\n" not in info.value.diagnostic()
    assert ForkEvidence.parse(_file()).verify()  # the unchanged file is good


# -- implied_first_root -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(n=st.integers(2, 70), data=st.data())
def test_implied_first_root_is_the_root_a_proof_fixes(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n - 1))
    t = tree(n)
    proof = t.consistency_proof(m, n)
    implied = implied_first_root(m, n, proof)
    if m & (m - 1) == 0:
        assert implied is None
    else:
        assert implied == t.root(m)
    # a proof one hash too short or too long has the wrong shape
    assert implied_first_root(m, n, proof[:-1]) is None
    assert implied_first_root(m, n, [*proof, bytes(32)]) is None


def test_implied_first_root_outside_0_lt_first_lt_second() -> None:
    t = tree(8)
    proof = t.consistency_proof(3, 8)
    for first, second in ((0, 8), (8, 8), (9, 8), (3, 3), (-3, 8)):
        assert implied_first_root(first, second, proof) is None
    assert implied_first_root(3, 8, []) is None
