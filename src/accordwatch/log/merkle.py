"""RFC 9162 Merkle tree hashing, proofs and their verification.

Pure functions over hashes. Leaves are hashed as `SHA-256(0x00 || data)` and
interior nodes as `SHA-256(0x01 || left || right)`; the tree over n leaves
splits at the largest power of two below n (RFC 9162 §2.1.1).

Storage keeps every *complete* subtree hash, addressed by `(level, index)`:
the subtree of `2**level` leaves that starts at leaf `index * 2**level`. Such a
hash never changes once its last leaf is appended. Any other subtree the RFC
needs (the ragged right edge of a tree) is the right fold of the complete
subtrees that tile its range. So proof generation is planning (which complete
subtrees, pure arithmetic), one fetch, and folding — see `inclusion_plan`,
`consistency_plan` and `fold`.

Consistency between sizes follows RFC 9162 §2.1.4, which defines a proof only
for `0 < first < second`: a proof from the empty tree is rejected (it proves
nothing), as transparency-dev's verifier does, also from 0 to 0; for equal
positive sizes the proof must be empty and the roots equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from accordwatch.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256

NodeId = tuple[int, int]
"""`(level, index)` of a complete subtree."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash of one entry's bytes."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash."""
    return _sha256(b"\x01" + left + right).digest()


def node_key(level: int, index: int) -> int:
    """One integer per complete subtree, for storage keys (level <= 63, index < 2**48)."""
    return (level << 48) | index


def split_point(n: int) -> int:
    """Largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def tiles(start: int, end: int) -> list[NodeId]:
    """The complete subtrees that tile leaves [start, end), largest first.

    For every range the RFC recursion produces, the hash of the range is the
    right fold of these subtrees (see `fold`).
    """
    out: list[NodeId] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from the hashes of its tiles, largest first."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


Plan = list[list[NodeId]]
"""One list of tiles per proof element, in proof order."""


def root_plan(size: int) -> list[NodeId]:
    """Tiles whose fold is the root of the first `size` leaves."""
    return tiles(0, size)


def inclusion_plan(index: int, size: int) -> Plan:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size]) as tiles, leaf-sibling first."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    return [tiles(a, b) for a, b in reversed(ranges)]


def consistency_plan(first: int, second: int) -> Plan:
    """RFC 9162 §2.1.4.1 PROOF(first, D[0:second]) as tiles."""
    if not 0 <= first <= second:
        raise VerificationError(f"no consistency proof from size {first} to size {second}")
    if first == second or first == 0:
        return []
    ranges: list[tuple[int, int]] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    return [tiles(a, b) for a, b in reversed(ranges)]


def plan_nodes(plan: Iterable[Sequence[NodeId]]) -> set[NodeId]:
    """Every stored node a plan reads."""
    return {node for element in plan for node in element}


def resolve(plan: Plan, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Turn a plan into proof hashes, given the stored nodes it names."""
    return [fold([nodes[node] for node in element]) for element in plan]


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Root of a tree given all its leaf hashes (RFC 9162 MTH).

    Level by level, each odd last node carried up as it is: the tree RFC 9162
    splits at the largest power of two is left-balanced, so pairing from the
    left yields its nodes (and is the fastest way over a million leaves).
    """
    level = list(hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) & 1:
            paired.append(level[-1])
        level = paired
    return level[0]


@dataclass
class CompactRange:
    """The right edge of a growing tree: one complete subtree per set bit of its size.

    Appending a leaf hash returns every complete subtree it completes, which is
    exactly what storage must add; the root is the fold of the edge.
    """

    size: int = 0
    edge: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append a leaf hash; return the new complete subtrees as (level, index, hash)."""
        index, level, h = self.size, 0, leaf
        created = [(0, index, h)]
        while index & 1:
            h = node_hash(self.edge.pop(), h)
            index >>= 1
            level += 1
            created.append((level, index, h))
        self.edge.append(h)
        self.size += 1
        return created

    def root(self) -> bytes:
        """Root hash of the tree of `size` leaves."""
        return fold(self.edge)

    def to_bytes(self) -> bytes:
        """The edge hashes, concatenated (the size is stored beside them)."""
        return b"".join(self.edge)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> CompactRange:
        """Rebuild from `to_bytes` output and the tree size."""
        count = size.bit_count()
        if len(data) != count * HASH_SIZE:
            raise VerificationError(
                f"stored tree edge has {len(data)} bytes, expected {count * HASH_SIZE} "
                f"for size {size}"
            )
        return cls(size, [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} is {len(value)} bytes, not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof implies, or an error."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, size - 1, leaf
    for i, p in enumerate(proof):
        _check_hash(p, f"proof element {i}")
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is shorter than the tree requires")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise `VerificationError` unless `proof` shows leaf `index` in the tree with `root`."""
    _check_hash(root, "root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} does not lead to the root of size {size}"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: raise unless the tree of size `second` extends that of `first`."""
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof element {i}")
    if first < 0 or second < 0:
        raise VerificationError("tree sizes cannot be negative")
    if first > second:
        raise VerificationError(f"size {first} is larger than size {second}")
    if first == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise VerificationError("a consistency proof between equal sizes must be empty")
        if first_root != second_root:
            raise VerificationError(f"two different roots for the same size {first}")
        return
    if not proof:
        raise VerificationError("empty consistency proof between different sizes")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is shorter than the trees require")
    if fr != first_root:
        raise VerificationError(f"consistency proof does not lead to the root of size {first}")
    if sr != second_root:
        raise VerificationError(f"consistency proof does not lead to the root of size {second}")


def implied_first_root(first: int, second: int, proof: Sequence[bytes]) -> bytes | None:
    """The root of size `first` that a consistency proof to size `second` commits to.

    None when `first` is a power of two (the proof then leaves that root out:
    the verifier supplies it) or the proof has the wrong shape. A proof that
    leads to the second tree's root fixes the first root too, so a log that
    signed a checkpoint of size `first` with another root signed two trees.
    """
    if not 0 < first < second or not proof or first & (first - 1) == 0:
        return None
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        fn >>= 1
        sn >>= 1
    return fr if sn == 0 else None


class MemoryTree:
    """A whole tree in memory: the reference used by tests and offline audits."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.nodes: dict[NodeId, bytes] = {}
        self.compact = CompactRange()
        for leaf in leaves:
            self.append_hash(leaf)

    @property
    def size(self) -> int:
        return self.compact.size

    def append_hash(self, leaf: bytes) -> None:
        for level, index, h in self.compact.append(leaf):
            self.nodes[(level, index)] = h

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return fold([self.nodes[n] for n in root_plan(size)])

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return resolve(inclusion_plan(index, self.size if size is None else size), self.nodes)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return resolve(consistency_plan(first, self.size if second is None else second), self.nodes)


NodeFetcher = Callable[[set[NodeId]], Mapping[NodeId, bytes]]
