"""tlog-witness `add-checkpoint`: the request body and the witness's decision, status by status.

Every status the specification names is produced from real trees
(`MemoryTree`) and real log signatures: 404 unknown origin, 403 no trusted
signature or a bad one by a trusted key, 400 old size above the new, 409 with
the witness's size, 422 for the empty tree's root, a proof from 0, a bad
proof and a second root for one size, and 200 otherwise.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import EMPTY_ROOT, MemoryTree, leaf_hash
from accordwatch.log.note import NoteSigner, Verifier
from accordwatch.log.witness_protocol import (
    MAX_BODY,
    AddCheckpoint,
    RefusedCheckpointError,
    Seen,
    checkpoint_origin,
    decide,
)

SPECS = Path("/work/shared/specs/c2sp")
ORIGIN = "accords.example/log"
LOG = NoteSigner(ORIGIN, SigningKey(bytes(32)))
ROTATED = NoteSigner(ORIGIN, SigningKey(b"\x01" * 32))
STRANGER = NoteSigner(ORIGIN, SigningKey(b"\x02" * 32))  # the log's name, another key
TRUSTED: dict[str, list[Verifier]] = {ORIGIN: [LOG.verifier]}

EXAMPLE_BODY = """old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
"""  # noqa: E501


def tree(size: int, rewrite: int | None = None) -> MemoryTree:
    """A tree of `size` leaves; with `rewrite`, that entry is another one (a forked history)."""
    return MemoryTree(
        leaf_hash(f"entry {i}{' rewritten' if i == rewrite else ''}".encode()) for i in range(size)
    )


def note(t: MemoryTree, size: int, signer: NoteSigner = LOG) -> str:
    return Checkpoint(ORIGIN, size, t.root(size)).sign(signer)


def seen(t: MemoryTree, size: int) -> Seen:
    return Seen(size, t.root(size), note(t, size))


def refused(
    request: AddCheckpoint, last: Seen | None, trusted: dict[str, list[Verifier]] = TRUSTED
) -> RefusedCheckpointError:
    with pytest.raises(RefusedCheckpointError) as info:
        decide(request, trusted, last)
    return info.value


def _flip_signature(signed_note: str, line_index: int = 0) -> str:
    """`signed_note` with one bit of one signature line's signature flipped (key id kept)."""
    text, _, sigs = signed_note.rpartition("\n\n")
    lines = sigs.splitlines()
    dash, name, data = lines[line_index].split(" ")
    raw = bytearray(base64.b64decode(data))
    raw[10] ^= 0x01
    lines[line_index] = f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}"
    return text + "\n\n" + "\n".join(lines) + "\n"


# -- the request body -------------------------------------------------------------------


def test_the_example_request_body_of_the_specification() -> None:
    indented = "\n".join(f"    {line}" if line else "" for line in EXAMPLE_BODY.split("\n"))
    assert indented.rstrip() in (SPECS / "tlog-witness.md").read_text(encoding="utf-8")
    request = AddCheckpoint.parse(EXAMPLE_BODY.encode())
    assert request.old_size == 20852014
    assert [base64.b64encode(p).decode() for p in request.proof] == EXAMPLE_BODY.split("\n")[1:5]
    assert request.note == EXAMPLE_BODY.split("\n\n", 1)[1]
    assert checkpoint_origin(request.note) == "example.com/behind-the-sofa"
    assert request.body() == EXAMPLE_BODY.encode()
    # the example's origin is no log this witness knows
    assert refused(request, None).status == 404


def test_bodies_round_trip() -> None:
    t = tree(10)
    for old, proof in ((0, []), (4, t.consistency_proof(4, 10)), (7, t.consistency_proof(7, 10))):
        request = AddCheckpoint(old, tuple(proof), note(t, 10))
        assert AddCheckpoint.parse(request.body()) == request


HASH = base64.b64encode(bytes(range(32))).decode()
CHECKPOINT = note(tree(3), 3)


@pytest.mark.parametrize(
    "body",
    [
        CHECKPOINT,  # no old line and no empty line
        f"old 0\n{CHECKPOINT}",  # no empty line before the checkpoint
        f"\n\n{CHECKPOINT}",  # no old line
        f"old 01\n\n{CHECKPOINT}",  # a leading zero
        f"old -1\n\n{CHECKPOINT}",
        f"old +1\n\n{CHECKPOINT}",
        f"old  1\n\n{CHECKPOINT}",  # two spaces
        f"old 1 \n\n{CHECKPOINT}",
        f"Old 1\n\n{CHECKPOINT}",
        f"old\n\n{CHECKPOINT}",
        f"old 1\r\n\n{CHECKPOINT}",
        f"old 12345678901234567890\n\n{CHECKPOINT}",  # beyond any tree size
        f"old 1\nnot base64\n\n{CHECKPOINT}",
        f"old 1\n{HASH[:-2]}=\n\n{CHECKPOINT}",  # 31 bytes
        f"old 1\n{base64.b64encode(bytes(33)).decode()}\n\n{CHECKPOINT}",
        f"old 1\n{HASH[:-2]}x=\n\n{CHECKPOINT}",  # non-zero pad bits
        f"old 1\n{HASH[:-1]}\n\n{CHECKPOINT}",  # no padding
        f"old 1\n{HASH} \n\n{CHECKPOINT}",
        f"old 1\n-{HASH[1:]}\n\n{CHECKPOINT}",  # the URL-safe alphabet
        "old 1\n" + f"{HASH}\n" * 64 + f"\n{CHECKPOINT}",  # more than 63 proof lines
    ],
)
def test_malformed_bodies_are_400(body: str) -> None:
    with pytest.raises(RefusedCheckpointError) as info:
        AddCheckpoint.parse(body.encode())
    assert info.value.status == 400


def test_bodies_that_are_not_utf8_or_too_long_are_400() -> None:
    for body in (b"old 0\n\n\xff\n", b"old 0\n\n" + b"a" * MAX_BODY):
        with pytest.raises(RefusedCheckpointError) as info:
            AddCheckpoint.parse(body)
        assert info.value.status == 400
    t = tree(100)
    body = AddCheckpoint(1, tuple(t.consistency_proof(1, 100)) * 9, note(t, 100)).body()
    assert len(AddCheckpoint.parse(body).proof) == 63  # the most the spec allows


def test_a_body_whose_checkpoint_is_not_a_signed_note_is_400() -> None:
    request = AddCheckpoint.parse(b"old 0\n\nno signatures here\n")
    assert refused(request, None).status == 400


# -- 404 and 403 ------------------------------------------------------------------------


def test_an_unknown_origin_is_404() -> None:
    request = AddCheckpoint(0, (), note(tree(3), 3))
    assert refused(request, None, {"other.example/log": [LOG.verifier]}).status == 404
    assert refused(request, None, {ORIGIN: []}).status == 404
    assert refused(request, None, {}).status == 404


def test_no_signature_by_a_trusted_key_is_403() -> None:
    t = tree(3)
    error = refused(AddCheckpoint(0, (), note(t, 3, STRANGER)), None)
    assert error.status == 403 and not error.signed


def test_a_bad_signature_by_a_trusted_key_name_and_id_is_403() -> None:
    t = tree(3)
    good = note(t, 3)
    stranger_line = note(t, 3, STRANGER).rpartition("\n\n")[2]
    for bad in (
        _flip_signature(good),
        # a good line by a trusted key, then a bad one by the same key
        good + _flip_signature(good).rpartition("\n\n")[2],
        # the stranger's line (same name, other key id) is ignored; the bad one is not
        _flip_signature(good) + stranger_line,
    ):
        assert refused(AddCheckpoint(0, (), bad), None).status == 403
    # two trusted keys (a rotation): a good line by one and a bad line by the other is 403
    both = {ORIGIN: [LOG.verifier, ROTATED.verifier]}
    rotated_bad = _flip_signature(note(t, 3, ROTATED))
    mixed = good + rotated_bad.rpartition("\n\n")[2]
    assert refused(AddCheckpoint(0, (), mixed), None, both).status == 403
    # ... while either good line alone, or both, is enough
    assert decide(AddCheckpoint(0, (), note(t, 3, ROTATED)), both, None).size == 3
    both_good = good + note(t, 3, ROTATED).rpartition("\n\n")[2]
    assert decide(AddCheckpoint(0, (), both_good), both, None).size == 3
    # and an unknown key's line next to a good one changes nothing
    assert decide(AddCheckpoint(0, (), good + stranger_line), TRUSTED, None).size == 3


def test_a_checkpoint_of_another_origin_signed_by_the_trusted_key_is_refused() -> None:
    other = Checkpoint("other.example/log", 3, tree(3).root()).text()
    signed = LOG.sign(other)  # the log's key, another origin line
    assert (
        refused(AddCheckpoint(0, (), signed), None, {"other.example/log": [LOG.verifier]}).status
        == 403
    )


# -- 400 and 409 ------------------------------------------------------------------------


def test_an_old_size_above_the_checkpoint_is_400() -> None:
    t = tree(12)
    error = refused(AddCheckpoint(12, (), note(t, 10)), seen(t, 12))
    assert error.status == 400 and error.signed


def test_an_old_size_other_than_the_last_cosigned_is_409_with_that_size() -> None:
    t = tree(12)
    cases = [
        (5, None, 0),  # never cosigned: the size is 0
        (5, seen(t, 8), 8),
        (10, seen(t, 8), 8),
        (0, seen(t, 8), 8),
    ]
    for old, last, size in cases:
        proof = tuple(t.consistency_proof(old, 12)) if old else ()
        error = refused(AddCheckpoint(old, proof, note(t, 12)), last)
        assert (error.status, error.size, error.signed) == (409, size, True)


# -- 422 --------------------------------------------------------------------------------


def test_a_size_zero_checkpoint_with_another_root_is_422() -> None:
    wrong = Checkpoint(ORIGIN, 0, leaf_hash(b"")).sign(LOG)
    error = refused(AddCheckpoint(0, (), wrong), None)
    assert error.status == 422 and error.signed
    right = Checkpoint(ORIGIN, 0, EMPTY_ROOT).sign(LOG)
    assert decide(AddCheckpoint(0, (), right), TRUSTED, None).root == EMPTY_ROOT
    assert MemoryTree().root() == EMPTY_ROOT


def test_a_proof_from_size_zero_is_422() -> None:
    t = tree(5)
    proof = (t.root(1),)
    assert refused(AddCheckpoint(0, proof, note(t, 5)), None).status == 422
    empty = Seen(0, EMPTY_ROOT, Checkpoint(ORIGIN, 0, EMPTY_ROOT).sign(LOG))
    assert refused(AddCheckpoint(0, proof, note(t, 5)), empty).status == 422
    assert decide(AddCheckpoint(0, (), note(t, 5)), TRUSTED, empty).size == 5


def test_a_bad_consistency_proof_is_422_and_frames_no_honest_log() -> None:
    t = tree(13)
    last = seen(t, 6)
    good = t.consistency_proof(6, 13)
    bad_proofs = [
        (),
        tuple(good[:-1]),
        (*good, good[0]),
        tuple(t.consistency_proof(5, 13)),  # for other sizes
        tuple(t.consistency_proof(6, 12)),
    ]
    for i in range(len(good)):
        flipped = list(good)
        flipped[i] = bytes([flipped[i][0] ^ 1]) + flipped[i][1:]
        bad_proofs.append(tuple(flipped))
    for proof in bad_proofs:
        error = refused(AddCheckpoint(6, proof, note(t, 13)), last)
        assert (error.status, error.signed) == (422, True)
        assert error.evidence is None  # an honest log with a wrong proof has not forked


def test_a_second_root_for_the_same_size_is_422_with_fork_evidence() -> None:
    honest, forked = tree(9), tree(9, rewrite=3)
    error = refused(AddCheckpoint(9, (), note(forked, 9)), seen(honest, 9))
    assert error.status == 422 and error.evidence is not None
    assert "two checkpoints of size 9 with different roots" in error.evidence.verify()


def test_equal_sizes_with_a_proof_are_422() -> None:
    t = tree(9)
    error = refused(AddCheckpoint(9, (t.root(4),), note(t, 9)), seen(t, 9))
    assert error.status == 422


@pytest.mark.parametrize(("old", "evidence"), [(6, True), (5, True), (4, False), (8, False)])
def test_a_forked_log_with_its_own_valid_proof_is_422_with_evidence_where_the_proof_fixes_it(
    old: int, evidence: bool
) -> None:
    """The log rewrote entry 2 and proves its new tree from `old`: the witness saw the old one.

    When `old` is a power of two the proof leaves its root out, so the refusal
    cannot name the other root: no evidence, but still 422.
    """
    honest, forked = tree(old), tree(13, rewrite=2)
    proof = tuple(forked.consistency_proof(old, 13))
    error = refused(AddCheckpoint(old, proof, note(forked, 13)), seen(honest, old))
    assert error.status == 422
    assert (error.evidence is not None) == evidence
    if error.evidence is not None:
        assert "not consistent" in error.evidence.verify()


# -- 200 --------------------------------------------------------------------------------


def test_the_first_checkpoint_is_cosigned_without_a_proof() -> None:
    t = tree(7)
    cp = decide(AddCheckpoint(0, (), note(t, 7)), TRUSTED, None)
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, 7, t.root())


def test_the_same_checkpoint_again_is_cosigned() -> None:
    t = tree(7)
    cp = decide(AddCheckpoint(7, (), note(t, 7)), TRUSTED, seen(t, 7))
    assert cp.size == 7 and cp.root == t.root()


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_honest_extension_is_cosigned(data: st.DataObject) -> None:
    new = data.draw(st.integers(1, 40))
    old = data.draw(st.integers(1, new))
    t = tree(new)
    proof = tuple(t.consistency_proof(old, new)) if old < new else ()
    request = AddCheckpoint.parse(AddCheckpoint(old, proof, note(t, new)).body())
    cp = decide(request, TRUSTED, seen(t, old))
    assert (cp.size, cp.root) == (new, t.root())
