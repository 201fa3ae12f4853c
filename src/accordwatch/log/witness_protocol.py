"""C2SP tlog-witness `add-checkpoint`: the request, and the witness's decision on it.

The request body is `old <size>\\n`, up to 63 base64 consistency-proof lines,
an empty line, then the signed checkpoint. `decide` is what a witness does
with it, given the log keys it trusts and the last checkpoint it cosigned for
that origin, in the order the specification gives: 404 unknown origin, 403
no valid signature by a trusted key, 400 old size above the new, 409 (with
the witness's size) old size not the one it last cosigned, 422 a bad proof,
a proof from size 0, a wrong empty-tree root or a second root for the same
size. It decides only: storing the new state atomically, and cosigning, are
the caller's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from accordwatch.errors import VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.fork import ForkEvidence, find_fork
from accordwatch.log.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from accordwatch.log.note import Verifier, open_note, split_note

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")
_HASH_LINE = re.compile(r"[A-Za-z0-9+/]{43}=")


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def body(self) -> bytes:
        lines = [f"old {self.old_size}"] + [base64.b64encode(p).decode() for p in self.proof]
        return ("\n".join(lines) + "\n\n" + self.note).encode("utf-8")

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """Read a request body; `RefusedCheckpointError(400)` if it is not one."""
        if len(body) > MAX_BODY:
            raise RefusedCheckpointError(400, f"request body is over {MAX_BODY} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RefusedCheckpointError(400, "request body is not UTF-8") from None
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise RefusedCheckpointError(
                400, "request body has no empty line before the checkpoint"
            )
        lines = head.split("\n")
        match = _OLD.fullmatch(lines[0])
        if match is None:
            raise RefusedCheckpointError(400, "the first line must be `old <size>`")
        proof_lines = lines[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            raise RefusedCheckpointError(
                400, f"more than {MAX_PROOF_LINES} consistency proof lines"
            )
        proof: list[bytes] = []
        for n, line in enumerate(proof_lines, start=1):
            if not _HASH_LINE.fullmatch(line):
                raise RefusedCheckpointError(
                    400, f"consistency proof line {n} is not a base64 SHA-256 hash"
                )
            raw = base64.b64decode(line)
            if base64.b64encode(raw).decode() != line or len(raw) != HASH_SIZE:
                raise RefusedCheckpointError(
                    400, f"consistency proof line {n} is not canonical base64"
                )
            proof.append(raw)
        return cls(int(match.group(1)), tuple(proof), note)


class RefusedCheckpointError(Exception):
    """A witness's answer other than 200: the HTTP status, why, and what it keeps."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        size: int | None = None,
        evidence: ForkEvidence | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        #: for 409: the size of the latest checkpoint the witness cosigned
        self.size = size
        #: a proof that the log forked, when the refused checkpoint and the witness's show one
        self.evidence = evidence
        #: whether the refused checkpoint carried a valid signature of a trusted log key
        self.signed = signed


@dataclass(frozen=True)
class Seen:
    """The latest checkpoint a witness cosigned for one log: its size, root and signed note."""

    size: int
    root: bytes
    note: str


def checkpoint_origin(note: str) -> str:
    """The origin line of a signed note (unverified), for finding its log's keys."""
    text, _ = split_note(note)
    return text.split("\n", 1)[0]


def decide(
    request: AddCheckpoint,
    trusted: Mapping[str, Sequence[Verifier]],
    seen: Seen | None,
) -> Checkpoint:
    """The checkpoint to cosign, or `RefusedCheckpointError` with the status the spec asks for."""
    try:
        origin = checkpoint_origin(request.note)
    except VerificationError as exc:
        raise RefusedCheckpointError(400, f"malformed checkpoint: {exc.message}") from None
    keys = trusted.get(origin)
    if not keys:
        raise RefusedCheckpointError(404, f"unknown log {origin!r}")
    cp, key = _verified(request.note, keys)
    if request.old_size > cp.size:
        raise RefusedCheckpointError(
            400, f"old size {request.old_size} is above the checkpoint's {cp.size}", signed=True
        )
    latest = seen.size if seen is not None else 0
    if request.old_size != latest:
        raise RefusedCheckpointError(
            409,
            f"old size {request.old_size} is not {latest}, the size last cosigned",
            size=latest,
            signed=True,
        )
    if cp.size == 0 and cp.root != EMPTY_ROOT:
        raise RefusedCheckpointError(
            422, "a checkpoint of size 0 must have the empty tree's root", signed=True
        )
    if request.old_size == 0:
        if request.proof:
            raise RefusedCheckpointError(
                422, "a consistency proof from size 0 must be empty", signed=True
            )
        return cp
    assert seen is not None
    if cp.size == seen.size:
        if request.proof:
            raise RefusedCheckpointError(
                422, "a consistency proof between equal sizes must be empty", signed=True
            )
        if cp.root != seen.root:
            raise RefusedCheckpointError(
                422,
                f"a second root for size {cp.size}",
                evidence=find_fork(key, seen.note, request.note, found_by="witness"),
                signed=True,
            )
        return cp
    try:
        verify_consistency(seen.size, cp.size, seen.root, cp.root, request.proof)
    except VerificationError as exc:
        raise RefusedCheckpointError(
            422,
            f"consistency proof from {seen.size} to {cp.size} does not verify: {exc.message}",
            evidence=find_fork(
                key,
                seen.note,
                request.note,
                request.proof,
                found_by="witness",
            ),
            signed=True,
        ) from None
    return cp


def _verified(note: str, keys: Sequence[Verifier]) -> tuple[Checkpoint, Verifier]:
    """The checkpoint, opened with all of the origin's trusted keys at once, and a key that signed.

    All keys together: a line that names a trusted key but does not verify
    rejects the note (403), even when another trusted key's line verifies.
    """
    try:
        text = open_note(note, list(keys))
    except VerificationError:
        raise RefusedCheckpointError(
            403, "no valid signature by a log key this witness trusts"
        ) from None
    try:
        cp = Checkpoint.parse_text(text)
    except VerificationError as exc:
        raise RefusedCheckpointError(400, f"malformed checkpoint: {exc.message}") from None
    _, sigs = split_note(note)
    signed = {(s.name, s.key_id) for s in sigs}
    key = next(k for k in keys if (k.name, k.key_id) in signed)
    if cp.origin != key.name:
        raise RefusedCheckpointError(
            403, f"checkpoint origin {cp.origin!r} is not the log {key.name!r}"
        )
    return cp, key
