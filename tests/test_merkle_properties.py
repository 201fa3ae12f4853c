"""Property tests of `accordwatch.log.merkle` against an independent RFC 9162 transcription.

The reference functions here (`_mth`, `_inclusion_shape`, `_consistency_shape`)
follow the recursive definitions of RFC 9162 §2.1 literally and share no code
with the module under test.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.errors import VerificationError
from accordwatch.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    MemoryTree,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    tiles,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over raw entries, written out recursively."""
    n = len(leaves)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + leaves[0])
    k = _largest_power_of_two_below(n)
    return _sha(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def _inclusion_shape(index: int, size: int) -> tuple[str, ...]:
    """Side of each sibling in RFC 9162 PATH(index, D[0:size]), leaf-sibling first."""
    sides: list[str] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            sides.append("right")
            end = start + k
        else:
            sides.append("left")
            start += k
    return tuple(reversed(sides))


def _consistency_shape(first: int, second: int) -> tuple[str, ...]:
    """Role of each element of RFC 9162 PROOF(first, D[0:second]) (§2.1.4.1 SUBPROOF).

    "start" is the subtree where the old tree ends (omitted when it is the old root
    itself), "left" a sibling on the left of both trees' paths, "right" a sibling
    that only the new tree contains.
    """
    roles: list[str] = []
    m, n, complete = first, second, True
    while m != n:
        k = _largest_power_of_two_below(n)
        if m <= k:
            roles.append("right")
            n = k
        else:
            roles.append("left")
            m, n, complete = m - k, n - k, False
    if not complete:
        roles.append("start")
    return tuple(reversed(roles))


def _leaf_data(i: int) -> bytes:
    return b"entry-" + i.to_bytes(4, "big")


TREE = MemoryTree(_sha(b"\x00" + _leaf_data(i)) for i in range(MAX_SIZE))


def _leaf(i: int) -> bytes:
    return TREE.nodes[(0, i)]


def _inclusion_rejects(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(index, size, leaf, proof, root)
    except VerificationError:
        return True
    return False


def _consistency_rejects(
    first: int, second: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> bool:
    try:
        verify_consistency(first, second, root1, root2, proof)
    except VerificationError:
        return True
    return False


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, second)), second


PROPS = settings(max_examples=300, deadline=None)


def test_reference_tree_matches_the_literal_definition() -> None:
    leaves = [_leaf_data(i) for i in range(MAX_SIZE)]
    for size in (0, 1, 2, 3, 7, 8, 9, 100, 255, 256, 257, MAX_SIZE):
        assert TREE.root(size) == _mth(leaves[:size])


@PROPS
@given(size_and_index())
def test_generated_inclusion_proofs_verify(case: tuple[int, int]) -> None:
    size, index = case
    proof = TREE.inclusion_proof(index, size)
    assert len(proof) == len(_inclusion_shape(index, size))
    verify_inclusion(index, size, _leaf(index), proof, TREE.root(size))
    assert root_from_inclusion_proof(index, size, _leaf(index), proof) == TREE.root(size)


@PROPS
@given(two_sizes())
def test_generated_consistency_proofs_verify(case: tuple[int, int]) -> None:
    first, second = case
    proof = TREE.consistency_proof(first, second)
    assert len(proof) == len(_consistency_shape(first, second))
    verify_consistency(first, second, TREE.root(first), TREE.root(second), proof)


@PROPS
@given(size_and_index(), st.data())
def test_inclusion_fails_with_any_flipped_bit(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    proof = TREE.inclusion_proof(index, size)
    leaf, root = _leaf(index), TREE.root(size)
    target = data.draw(st.integers(-2, len(proof) - 1), label="target")  # -2 leaf, -1 root
    bit = data.draw(st.integers(0, HASH_SIZE * 8 - 1), label="bit")
    if target == -2:
        leaf = _flip(leaf, bit)
    elif target == -1:
        root = _flip(root, bit)
    else:
        proof[target] = _flip(proof[target], bit)
    assert _inclusion_rejects(index, size, leaf, proof, root)


@PROPS
@given(two_sizes(), st.data())
def test_consistency_fails_with_any_flipped_bit(case: tuple[int, int], data: st.DataObject) -> None:
    first, second = case
    proof = TREE.consistency_proof(first, second)
    root1, root2 = TREE.root(first), TREE.root(second)
    target = data.draw(st.integers(-2, len(proof) - 1), label="target")  # -2 root1, -1 root2
    bit = data.draw(st.integers(0, HASH_SIZE * 8 - 1), label="bit")
    if target == -2:
        root1 = _flip(root1, bit)
    elif target == -1:
        root2 = _flip(root2, bit)
    else:
        proof[target] = _flip(proof[target], bit)
    assert _consistency_rejects(first, second, root1, root2, proof)


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13])
def test_every_single_bit_flip_fails_in_small_trees(size: int) -> None:
    """Exhaustive version of the two properties above for a few small trees."""
    root = TREE.root(size)
    for index in range(size):
        proof = TREE.inclusion_proof(index, size)
        for bit in range(HASH_SIZE * 8):
            flipped_leaf, flipped_root = _flip(_leaf(index), bit), _flip(root, bit)
            assert _inclusion_rejects(index, size, flipped_leaf, proof, root)
            assert _inclusion_rejects(index, size, _leaf(index), proof, flipped_root)
            for at in range(len(proof)):
                bad = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
                assert _inclusion_rejects(index, size, _leaf(index), bad, root)
    for first in range(1, size + 1):
        proof = TREE.consistency_proof(first, size)
        root1 = TREE.root(first)
        for bit in range(HASH_SIZE * 8):
            bad1, bad2 = _flip(root1, bit), _flip(root, bit)
            assert _consistency_rejects(first, size, bad1, root, proof)
            assert _consistency_rejects(first, size, root1, bad2, proof)
            for at in range(len(proof)):
                bad = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
                assert _consistency_rejects(first, size, root1, root, bad)


@PROPS
@given(size_and_index(), st.integers(0, 2 * MAX_SIZE))
def test_inclusion_fails_with_a_wrong_index(case: tuple[int, int], wrong: int) -> None:
    size, index = case
    if wrong == index:
        wrong = index + 1
    proof = TREE.inclusion_proof(index, size)
    assert _inclusion_rejects(wrong, size, _leaf(index), proof, TREE.root(size))


@PROPS
@given(size_and_index(), st.integers(0, 2 * MAX_SIZE))
def test_inclusion_with_a_wrong_size(case: tuple[int, int], wrong: int) -> None:
    """A wrong tree size fails unless it gives the very same path shape.

    The proof does not bind the size: if PATH(index, wrong) has the same length and
    sibling sides as PATH(index, size), the verifier does exactly the same hashing
    (e.g. leaf 0 in trees of 5 and 6 leaves). Only the signed checkpoint ties the
    root to its size. Every other wrong size must be rejected.
    """
    size, index = case
    if wrong == size:
        wrong = size + 1
    proof = TREE.inclusion_proof(index, size)
    same_shape = index < wrong and _inclusion_shape(index, wrong) == _inclusion_shape(index, size)
    rejected = _inclusion_rejects(index, wrong, _leaf(index), proof, TREE.root(size))
    assert rejected is not same_shape


def test_inclusion_wrong_size_doubling_and_halving_fail() -> None:
    """The transparency-dev mutations (size x2, size /2) always fail, for every leaf."""
    for size in range(1, 65):
        root = TREE.root(size)
        for index in range(size):
            proof = TREE.inclusion_proof(index, size)
            for wrong in (size * 2, size // 2):
                assert _inclusion_rejects(index, wrong, _leaf(index), proof, root)


@PROPS
@given(two_sizes(), st.integers(0, 2 * MAX_SIZE))
def test_consistency_fails_with_a_wrong_first_size(case: tuple[int, int], wrong: int) -> None:
    first, second = case
    if wrong == first:
        wrong = first + 1
    proof = TREE.consistency_proof(first, second)
    root1, root2 = TREE.root(first), TREE.root(second)
    assert _consistency_rejects(wrong, second, root1, root2, proof)


@PROPS
@given(two_sizes(), st.integers(0, 2 * MAX_SIZE))
def test_consistency_with_a_wrong_second_size(case: tuple[int, int], wrong: int) -> None:
    """As for inclusion: only a second size with the same proof shape is (inevitably) accepted."""
    first, second = case
    if wrong == second:
        wrong = second + 1
    proof = TREE.consistency_proof(first, second)
    root1, root2 = TREE.root(first), TREE.root(second)
    same_shape = first <= wrong and _consistency_shape(first, wrong) == _consistency_shape(
        first, second
    )
    rejected = _consistency_rejects(first, wrong, root1, root2, proof)
    assert rejected is not same_shape


@settings(max_examples=60, deadline=None)
@given(st.integers(0, MAX_SIZE), st.binary(max_size=8))
def test_root_from_leaf_hashes_is_the_rfc_mth(size: int, salt: bytes) -> None:
    leaves = [salt + i.to_bytes(2, "big") for i in range(size)]
    hashes = [_sha(b"\x00" + leaf) for leaf in leaves]
    assert root_from_leaf_hashes(hashes) == _mth(leaves)
    assert MemoryTree(hashes).root() == _mth(leaves)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=40))
def test_root_from_leaf_hashes_is_the_rfc_mth_for_arbitrary_entries(leaves: list[bytes]) -> None:
    assert root_from_leaf_hashes([_sha(b"\x00" + leaf) for leaf in leaves]) == _mth(leaves)


def test_empty_tree_root() -> None:
    assert root_from_leaf_hashes([]) == EMPTY_ROOT == _mth([])
    assert CompactRange().root() == EMPTY_ROOT


@settings(max_examples=100, deadline=None)
@given(st.integers(0, MAX_SIZE), st.integers(0, 20))
def test_compact_range_round_trips(size: int, more: int) -> None:
    compact = CompactRange()
    for i in range(size):
        compact.append(_leaf(i))
    data = compact.to_bytes()
    assert len(data) == size.bit_count() * HASH_SIZE
    restored = CompactRange.from_bytes(size, data)
    assert restored == compact
    assert restored.root() == compact.root() == TREE.root(size)
    for i in range(size, min(size + more, MAX_SIZE)):
        assert restored.append(_leaf(i)) == compact.append(_leaf(i))
        assert restored.root() == compact.root() == TREE.root(i + 1)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, MAX_SIZE), st.sampled_from([-HASH_SIZE, -1, 1, HASH_SIZE]))
def test_compact_range_rejects_wrong_length(size: int, delta: int) -> None:
    compact = CompactRange()
    for i in range(size):
        compact.append(_leaf(i))
    data = compact.to_bytes()
    bad = data[:delta] if delta < 0 else data + b"\x00" * delta
    with pytest.raises(VerificationError):
        CompactRange.from_bytes(size, bad)


def test_compact_range_append_returns_the_completed_subtrees() -> None:
    compact = CompactRange()
    for i in range(MAX_SIZE):
        for level, index, h in compact.append(_leaf(i)):
            assert TREE.nodes[(level, index)] == h
            assert (index + 1) << level == i + 1  # the subtree ends with the new leaf


def _check_tiling(start: int, end: int) -> None:
    out = tiles(start, end)
    position = start
    for level, index in out:
        assert level >= 0 and index >= 0
        first = index << level  # aligned: a complete subtree starts at a multiple of its size
        assert first == position
        position = first + (1 << level)
        assert position <= end
        # maximal: the next larger aligned subtree at this point would not fit or is not aligned
        assert first % (2 << level) != 0 or first + (2 << level) > end
    assert position == end
    assert len(set(out)) == len(out)
    if start == 0:  # the root's tiles: one per set bit of the size, largest first
        assert [1 << level for level, _ in out] == [
            1 << b for b in reversed(range(end.bit_length())) if end >> b & 1
        ]


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 2**20), st.integers(0, 2**20))
def test_tiles_cover_the_range_with_aligned_complete_subtrees(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    _check_tiling(start, end)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**62), st.integers(0, 2**40))
def test_tiles_of_large_ranges(start: int, length: int) -> None:
    _check_tiling(start, start + length)


def test_tiles_of_every_small_range() -> None:
    for start in range(65):
        for end in range(start, 65):
            _check_tiling(start, end)
