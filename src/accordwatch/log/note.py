"""C2SP signed notes (signed-note/v1) and their Ed25519 verifier keys.

A signed note is UTF-8 text, a blank line, and signature lines
`— <name> <base64(key id || signature)>`. The key id is the first four bytes
of `SHA-256(name || "\\n" || 0x01 || public key)`; the verifier key text is
`<name>+<hex key id>+<base64(0x01 || public key)>`, the form read by Go's
`golang.org/x/mod/sumdb/note` and the C2SP witnesses.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from accordwatch.errors import VerificationError
from accordwatch.log.encoding import decode_base64
from accordwatch.log.keys import SigningKey, verify_signature

ALG_ED25519 = 0x01
_DASH = "\u2014"
MAX_SIGNATURES = 100
#: a vkey's key id: eight lowercase hex digits (signed-note's fixed-length Base 16)
KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


#: a key name: not empty, no "+", no white space (`\s` is what `str.isspace` finds)
_KEY_NAME = re.compile(r"[^\s+]+")


def valid_key_name(name: str) -> bool:
    return _KEY_NAME.fullmatch(name) is not None


def note_key_id(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def split_vkey(vkey: str, malformed: str, what: str) -> tuple[str, bytes, bytes]:
    """A vkey's name, key id and `type || key` bytes; `VerificationError(malformed)` if no vkey.

    `what` names the base64 part in its own error. The caller checks the type,
    the key and that the id is the key's.
    """
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or not valid_key_name(parts[0]) or not KEY_ID_HEX.fullmatch(parts[1]):
        raise VerificationError(malformed)
    name, hex_id, b64 = parts
    return name, bytes.fromhex(hex_id), decode_base64(b64, what, error=VerificationError)


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 key that checks note signatures."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse `name+hexid+base64key`, checking that the id matches the key."""
        name, kid, raw = split_vkey(
            vkey, f"malformed verifier key {vkey!r}", f"verifier key {vkey!r}"
        )
        if len(kid) != 4 or len(raw) != 33 or raw[0] != ALG_ED25519:
            raise VerificationError(f"verifier key {vkey!r} is not an Ed25519 note key")
        if note_key_id(name, ALG_ED25519, raw[1:]) != kid:
            raise VerificationError(f"verifier key {vkey!r}: key id does not match the key")
        return cls(name, kid, raw[1:])

    def text(self) -> str:
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"


@dataclass(frozen=True)
class NoteSigner:
    """A named Ed25519 key that signs notes."""

    name: str
    key: SigningKey

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise VerificationError(f"invalid note key name {self.name!r}")

    @cached_property
    def verifier(self) -> Verifier:
        pub = self.key.public_key
        return Verifier(self.name, note_key_id(self.name, ALG_ED25519, pub), pub)

    def signature_line(self, text: str) -> str:
        sig = self.key.sign(text.encode("utf-8"))
        return Signature(self.name, self.verifier.key_id, sig).line()

    def sign(self, text: str) -> str:
        """Return the signed note: text, blank line, one signature line."""
        _check_text(text)
        return text + "\n" + self.signature_line(text)


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise VerificationError("note text must end with a newline")
    if _CONTROL.search(text):
        raise VerificationError("note text holds a control character")


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """`— <name> base64(key id || signature)` and its newline."""
        return f"{_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


def split_note(note: str) -> tuple[str, list[Signature]]:
    """Separate a signed note into its text and its signature lines."""
    if not note.endswith("\n"):
        raise VerificationError("signed note does not end with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerificationError("signed note has no blank line before its signatures")
    text, sig_block = note[: cut + 1], note[cut + 2 :]
    _check_text(text)
    sigs: list[Signature] = []
    for line in sig_block.splitlines():
        if not line.startswith(_DASH + " "):
            raise VerificationError(f"malformed signature line {line!r}")
        fields = line[2:].split(" ")
        if len(fields) != 2 or not valid_key_name(fields[0]):
            raise VerificationError(f"malformed signature line {line!r}")
        raw = decode_base64(fields[1], f"signature line {line!r}", error=VerificationError)
        if len(raw) < 5:
            raise VerificationError(f"signature too short in line {line!r}")
        sigs.append(Signature(fields[0], raw[:4], raw[4:]))
    if not sigs:
        raise VerificationError("signed note has no signatures")
    if len(sigs) > MAX_SIGNATURES:
        raise VerificationError(f"signed note has more than {MAX_SIGNATURES} signatures")
    return text, sigs


def open_note(note: str, verifiers: list[Verifier]) -> str:
    """Verify a signed note and return its text.

    Lines from unknown keys are ignored; a known key whose signature fails
    rejects the note; at least one known key must have signed it.
    """
    text, sigs = split_note(note)
    message = text.encode("utf-8")
    verified = 0
    for sig in sigs:
        for v in verifiers:
            if v.name == sig.name and v.key_id == sig.key_id:
                if not verify_signature(v.public_key, sig.signature, message):
                    raise VerificationError(f"signature by {v.name} does not verify")
                verified += 1
    if not verified:
        names = ", ".join(v.name for v in verifiers) or "no known key"
        raise VerificationError(f"note is not signed by a known key ({names})")
    return text
