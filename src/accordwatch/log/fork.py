"""Proof that a log forked: two checkpoints it signed that cannot both be true.

A log that shows one party one history and another party another must sign
two checkpoints that are not consistent. Either they have the same size and
different roots, or the larger one's tree, as a consistency proof that leads
to its root shows, has another root at the smaller size than the smaller
checkpoint says. (A proof that merely fails proves nothing: anyone can write
a wrong proof. A proof that leads to the larger root is bound to that tree,
so the older root it implies is that tree's.) The evidence is a small JSON
file that anyone can check with the log's key alone:

    {"format": "accordwatch/fork-evidence@v1", "log_key": "<vkey>",
     "checkpoints": ["<signed note>", "<signed note>"],
     "consistency_proof": ["<base64>", ...], "implied_root": "<base64>" | null,
     "found_by": "...", "found_at": "2026-12-06T11:00:00Z"}

`implied_root` is needed only when the smaller size is a power of two (the
proof then leaves that subtree's root out).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from accordwatch.errors import InputError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.encoding import decode_base64
from accordwatch.log.merkle import EMPTY_ROOT, implied_first_root, verify_consistency
from accordwatch.log.note import Verifier

FORMAT = "accordwatch/fork-evidence@v1"
MAX_PROOF = 63


@dataclass(frozen=True)
class ForkEvidence:
    log_key: str
    first: str
    second: str
    proof: tuple[bytes, ...] = ()
    implied_root: bytes | None = None
    found_by: str = ""
    found_at: str = field(default="", compare=False)

    def verify(self) -> str:
        """What the two checkpoints show, in one line; `VerificationError` if not a fork."""
        key = Verifier.parse(self.log_key)
        a, b = Checkpoint.open(self.first, key), Checkpoint.open(self.second, key)
        if a.size > b.size:
            a, b = b, a
        root = _b64
        if a.size == b.size:
            if a.root == b.root:
                raise VerificationError(
                    f"not a fork: both checkpoints are of size {a.size} with the same root"
                )
            return (
                f"log {key.name} signed two checkpoints of size {a.size} with different "
                f"roots: {root(a.root)} and {root(b.root)}"
            )
        if a.size == 0:
            if a.root != EMPTY_ROOT:
                return f"log {key.name} signed an empty tree with a root that is not empty"
            raise VerificationError("not a fork: the empty tree is consistent with every tree")
        implied = implied_first_root(a.size, b.size, self.proof)
        if implied is None:
            implied = self.implied_root
        if implied is None:
            raise VerificationError(
                f"not a fork: the proof does not fix the root of size {a.size} "
                "(give implied_root when that size is a power of two)"
            )
        try:
            verify_consistency(a.size, b.size, implied, b.root, self.proof)
        except VerificationError as exc:
            raise VerificationError(
                f"not a fork: the consistency proof does not lead to the root of size {b.size} "
                f"({exc.message})"
            ) from None
        if implied == a.root:
            raise VerificationError(
                f"not a fork: the checkpoints of sizes {a.size} and {b.size} are consistent"
            )
        return (
            f"log {key.name} signed checkpoints of sizes {a.size} and {b.size} that are not "
            f"consistent: the tree of size {b.size} has root {root(implied)} at size {a.size}, "
            f"the checkpoint of size {a.size} says {root(a.root)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "log_key": self.log_key,
            "checkpoints": [self.first, self.second],
            "consistency_proof": [_b64(p) for p in self.proof],
            "implied_root": _b64(self.implied_root) if self.implied_root is not None else None,
            "found_by": self.found_by,
            "found_at": self.found_at,
        }

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, obj: Any, *, where: str = "fork evidence") -> ForkEvidence:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise InputError(f"not a fork evidence file (format {FORMAT!r} expected)", where=where)
        try:
            checkpoints = obj["checkpoints"]
            if not isinstance(checkpoints, list) or not all(
                isinstance(c, str) for c in checkpoints
            ):
                raise ValueError
            first, second = checkpoints
            proof = obj.get("consistency_proof") or []
            if not isinstance(proof, list) or len(proof) > MAX_PROOF:
                raise InputError(f"consistency_proof must be a list of at most {MAX_PROOF} hashes")
            implied = obj.get("implied_root")
            return cls(
                log_key=str(obj["log_key"]),
                first=str(first),
                second=str(second),
                proof=tuple(
                    decode_base64(p, f"consistency proof hash {n}", where=where)
                    for n, p in enumerate(proof)
                ),
                implied_root=None
                if implied is None
                else decode_base64(implied, "implied_root", where=where),
                found_by=str(obj.get("found_by", "")),
                found_at=str(obj.get("found_at", "")),
            )
        except KeyError as exc:
            raise InputError(f"fork evidence lacks {exc.args[0]!r}", where=where) from None
        except (TypeError, ValueError):
            raise InputError(
                "checkpoints must be a list of two signed notes", where=where
            ) from None

    @classmethod
    def parse(cls, text: str | bytes, *, where: str = "fork evidence") -> ForkEvidence:
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"fork evidence is not JSON: {exc}", where=where) from None
        return cls.from_json(obj, where=where)


def find_fork(
    log_key: Verifier,
    first: str,
    second: str,
    proof: tuple[bytes, ...] = (),
    *,
    implied_root: bytes | None = None,
    found_by: str = "",
    found_at: str = "",
) -> ForkEvidence | None:
    """Evidence if these two checkpoints (both signed by `log_key`) prove a fork, else None."""
    evidence = ForkEvidence(log_key.text(), first, second, proof, implied_root, found_by, found_at)
    try:
        evidence.verify()
    except VerificationError:
        return None
    return evidence


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
