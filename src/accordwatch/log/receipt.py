"""Receipts: what the log hands back for every entry, checkable offline.

JSON shape (also printed by `accordwatch log prove --format json`):

    {"index": 7, "tree_size": 12, "leaf_hash": "<base64>",
     "proof": ["<base64>", ...], "checkpoint": "<signed note text>"}

`leaf_hash` is the RFC 9162 leaf hash of the envelope's canonical bytes and
`proof` its inclusion path (leaf sibling first), so any RFC 9162 verifier and
any C2SP signed-note verifier can check it. The checkpoint is the earliest
one the witnesses of the policy in force cosigned that includes the entry,
with their cosignature lines after the log's signature (else the latest);
`verify_witnessed` checks them and the quorum against a policy the verifier
trusts. `proof_text` is the same receipt as C2SP `tlog-proof@v1`.
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
from accordwatch.log.policy import Policy
from accordwatch.log.witnessed import Witnessed, witness_check

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


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

    def verify_witnessed(
        self, policy: Policy, verifier: Verifier | None = None, envelope: bytes | None = None
    ) -> Witnessed:
        """`verify`, then every cosignature by a witness of `policy` and the quorum.

        A bad cosignature is an error; too few cosignatures are not: the
        result says `quorum_met` false.
        """
        witnessed = witness_check(self.checkpoint, policy, verifier)
        self.verify(verifier or _key_of(witnessed), envelope)
        return witnessed

    def proof_text(self) -> str:
        """The receipt as C2SP `tlog-proof@v1` (the leaf hash is left to the verifier)."""
        lines = [PROOF_HEADER, f"index {self.index}"]
        lines += [base64.b64encode(p).decode() for p in self.proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def from_proof_text(cls, text: str, leaf: bytes, *, where: str = "proof") -> Receipt:
        """A `tlog-proof@v1` text with the leaf hash the verifier computed."""
        head, sep, note = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or lines[0] != PROOF_HEADER:
            raise InputError(f"not a {PROOF_HEADER} proof", where=where)
        rest = lines[1:]
        if rest and rest[0].startswith("extra "):
            rest = rest[1:]
        if not rest or not rest[0].startswith("index "):
            raise InputError("the proof lacks its index line", where=where)
        digits = rest[0][len("index ") :]
        if not digits.isdigit() or (digits != "0" and digits.startswith("0")):
            raise InputError(f"malformed index line {rest[0]!r}", where=where)
        proof = [decode_base64(p, f"proof hash {n}", where=where) for n, p in enumerate(rest[1:])]
        size = Checkpoint.parse_text(note[: note.find("\n\n") + 1]).size
        return cls(int(digits), size, leaf, proof, note)


def _key_of(witnessed: Witnessed) -> Verifier:
    origin = witnessed.checkpoint.origin
    return next(k for k in witnessed.policy.log_keys() if k.name == origin)
