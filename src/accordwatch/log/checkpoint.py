"""C2SP tlog-checkpoint: the signed statement of a log's size and root.

The note text is three lines: origin, tree size in decimal, and the root as
standard base64. A checkpoint is what a receipt's inclusion proof is checked
against, and two checkpoints of one log must always be consistent.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from accordwatch.errors import VerificationError
from accordwatch.log.encoding import decode_base64
from accordwatch.log.merkle import HASH_SIZE
from accordwatch.log.note import NoteSigner, Verifier, open_note

_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    def sign(self, signer: NoteSigner) -> str:
        return signer.sign(self.text())

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise VerificationError("checkpoint needs origin, size and root lines")
        origin, size, root, *ext = lines[:-1]
        # Origins SHOULD be schema-less URLs, but Go's sumdb uses "go.sum database tree".
        if not origin:
            raise VerificationError(f"invalid checkpoint origin {origin!r}")
        if not _SIZE.fullmatch(size):
            raise VerificationError(f"invalid checkpoint tree size {size!r}")
        raw = decode_base64(root, "checkpoint root", error=VerificationError)
        if len(raw) != HASH_SIZE:
            raise VerificationError(f"checkpoint root is {len(raw)} bytes, not {HASH_SIZE}")
        if any(not e for e in ext):
            raise VerificationError("empty checkpoint extension line")
        return cls(origin, int(size), raw, tuple(ext))

    @classmethod
    def open(cls, note: str, verifier: Verifier) -> Checkpoint:
        """Verify a signed checkpoint with the log's key and parse it."""
        cp = cls.parse_text(open_note(note, [verifier]))
        if cp.origin != verifier.name:
            raise VerificationError(
                f"checkpoint origin {cp.origin!r} is not the log {verifier.name!r}"
            )
        return cp
