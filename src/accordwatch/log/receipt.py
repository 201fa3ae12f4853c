"""Receipts: what the log hands back for every entry, checkable offline.

JSON shape (also printed by `accordwatch log prove --format json`):

    {"index": 7, "tree_size": 12, "leaf_hash": "<base64>",
     "proof": ["<base64>", ...], "checkpoint": "<signed note text>"}

`leaf_hash` is the RFC 9162 leaf hash of the envelope's canonical bytes and
`proof` its inclusion path (leaf sibling first), so any RFC 9162 verifier and
any C2SP signed-note verifier can check it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from accordwatch.errors import InputError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.encoding import decode_base64
from accordwatch.log.merkle import leaf_hash, verify_inclusion
from accordwatch.log.note import Verifier


@dataclass(frozen=True)
class Receipt:
    index: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": base64.b64encode(self.leaf_hash).decode(),
            "proof": [base64.b64encode(p).decode() for p in self.proof],
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, obj: Any, *, where: str = "receipt") -> Receipt:
        if not isinstance(obj, dict):
            raise InputError("a receipt must be a JSON object", where=where)
        try:
            index, size = obj["index"], obj["tree_size"]
            if not isinstance(index, int) or not isinstance(size, int):
                raise TypeError("index and tree_size must be integers")
            return cls(
                index=index,
                tree_size=size,
                leaf_hash=decode_base64(obj["leaf_hash"], "leaf_hash", where=where),
                proof=[
                    decode_base64(p, f"proof hash {n}", where=where)
                    for n, p in enumerate(obj["proof"] or [])
                ],
                checkpoint=str(obj["checkpoint"]),
            )
        except KeyError as exc:
            raise InputError(f"receipt lacks {exc.args[0]!r}", where=where) from exc
        except (TypeError, ValueError) as exc:
            raise InputError(f"malformed receipt: {exc}", where=where) from exc

    def verify(self, verifier: Verifier, envelope: bytes | None = None) -> Checkpoint:
        """Check the checkpoint's signature, the inclusion proof and, if given, the envelope."""
        cp = Checkpoint.open(self.checkpoint, verifier)
        if cp.size != self.tree_size:
            raise VerificationError(
                f"receipt says tree size {self.tree_size}, its checkpoint {cp.size}"
            )
        if envelope is not None and leaf_hash(envelope) != self.leaf_hash:
            raise VerificationError("the envelope is not the entry this receipt is for")
        verify_inclusion(self.index, self.tree_size, self.leaf_hash, self.proof, cp.root)
        return cp
