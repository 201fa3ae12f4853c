"""C2SP signed notes, vkeys and cosignatures, written from the specification text alone.

A second implementation for cross-checks: it shares no code with accordwatch
(only `hashlib`, `struct`, `base64` and `cryptography`'s Ed25519 and ML-DSA-44)
and follows c2sp.org/signed-note, c2sp.org/tlog-checkpoint and
c2sp.org/tlog-cosignature as written. Each function cites the rule it
implements; where accordwatch is stricter than a spec (a witness's
checkpoint cosignature never has timestamp 0, per tlog-witness) this module
says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey, MLDSA44PublicKey

EM_DASH = "\u2014"
#: signed-note "Signature types"
TYPE_ED25519 = 0x01
TYPE_COSIGNATURE_V1 = 0x04
TYPE_ML_DSA_44 = 0x06
#: tlog-cosignature: 32-byte Ed25519 and 1312-byte ML-DSA-44 public keys
PUBLIC_KEY_BYTES = {TYPE_ED25519: 32, TYPE_COSIGNATURE_V1: 32, TYPE_ML_DSA_44: 1312}
#: timestamped_signature: ed25519_signature[64], ml_dsa_44_signature[2420]
SIGNATURE_BYTES = {TYPE_ED25519: 64, TYPE_COSIGNATURE_V1: 64, TYPE_ML_DSA_44: 2420}
#: "It MUST NOT exceed 2^63 - 1"
MAX_TIMESTAMP = 2**63 - 1
#: "uint8 label[12] = "subtree/v1\n\0";"
SUBTREE_LABEL = b"subtree/v1\n\x00"


class SpecError(Exception):
    """Whatever the specifications say to reject."""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str) -> bytes:
    """RFC 4648 section 4 standard base64, exactly as encoding would write it."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SpecError(f"not base64: {text!r}") from exc
    if b64(raw) != text:
        raise SpecError(f"not canonical base64: {text!r}")
    return raw


def valid_name(name: str) -> bool:
    """signed-note: names are non-empty, with no Unicode spaces and no plus."""
    if not name or "+" in name:
        return False
    return not any(unicodedata.category(c) in ("Zs", "Zl", "Zp", "Cc") for c in name)


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """`SHA-256(key name || 0x0A || signature type || public key)[:4]`."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\x0a" + bytes([signature_type]) + public_key
    ).digest()[:4]


@dataclass(frozen=True)
class SpecKey:
    """A verifier key: name, signature type and public key material."""

    name: str
    signature_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.signature_type, self.public_key)

    def vkey(self) -> str:
        """`<key name>+hex(32-bit key ID)+base64(signature type || public key)`."""
        material = bytes([self.signature_type]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{b64(material)}"


def parse_vkey(text: str) -> SpecKey:
    """Read a vkey of type 0x01, 0x04 or 0x06; its id must be the one the key gives."""
    # a name holds no '+' and hex holds none, so the third '+' onwards is base64's
    name, _, rest = text.partition("+")
    id_hex, _, material_b64 = rest.partition("+")
    if not valid_name(name) or len(id_hex) != 8 or id_hex != id_hex.lower():
        raise SpecError(f"malformed vkey {text!r}")
    try:
        given_id = bytes.fromhex(id_hex)
    except ValueError as exc:
        raise SpecError(f"malformed vkey id {id_hex!r}") from exc
    material = unb64(material_b64)
    if not material or material[0] not in PUBLIC_KEY_BYTES:
        raise SpecError("vkey of an unknown signature type")
    key = SpecKey(name, material[0], material[1:])
    if len(key.public_key) != PUBLIC_KEY_BYTES[key.signature_type]:
        raise SpecError("vkey public key of the wrong length")
    if key.key_id != given_id:
        raise SpecError("vkey id does not match its name and key")
    return key


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes

    def text(self) -> str:
        """`— <key name> base64(32-bit key ID || signature)` and a newline."""
        return f"{EM_DASH} {self.name} {b64(self.key_id + self.signature)}\n"


def split_note(note: str) -> tuple[str, list[SignatureLine]]:
    """signed-note "Format": text, the last empty line, signature lines."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise SpecError("a signed note holds no control character other than newline")
    if not note.endswith("\n"):
        raise SpecError("every line of a signed note ends in a newline")
    head, sep, tail = note.rpartition("\n\n")
    if not sep:
        raise SpecError("no empty line before the signatures")
    lines = []
    for line in tail[:-1].split("\n"):
        dash, space, rest = line.partition(" ")
        name, space2, sig = rest.partition(" ")
        if dash != EM_DASH or not space or not space2 or not valid_name(name):
            raise SpecError(f"not a signature line: {line!r}")
        raw = unb64(sig)
        if len(raw) < 5:
            raise SpecError("a signature is 4+n bytes")
        lines.append(SignatureLine(name, raw[:4], raw[4:]))
    return head + "\n", lines


def checkpoint_fields(text: str) -> tuple[str, int, bytes, list[str]]:
    """tlog-checkpoint "Note text": origin, size, root hash and extension lines."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise SpecError("a checkpoint is at least three newline-terminated lines")
    origin, size, root, *extensions = lines[:-1]
    if not origin or not size.isascii() or not size.isdigit() or size != str(int(size)):
        raise SpecError("bad origin or tree size")
    raw = unb64(root)
    if len(raw) != 32 or any(not e for e in extensions):
        raise SpecError("bad root hash or an empty extension line")
    return origin, int(size), raw, extensions


def ed25519_message(note_text: str, timestamp: int) -> bytes:
    """tlog-cosignature "Ed25519 signed message": header, time line, the whole note body."""
    return ("cosignature/v1\n" + "time " + str(timestamp) + "\n" + note_text).encode("utf-8")


def ml_dsa_44_message(name: str, timestamp: int, note_text: str) -> bytes:
    """tlog-cosignature `cosigned_message` for a checkpoint: start 0, end its size."""
    origin, size, root, _ = checkpoint_fields(note_text)

    def opaque8(value: bytes) -> bytes:  # opaque x<1..2^8-1>: a one-byte length, then x
        if not 1 <= len(value) <= 255:
            raise SpecError("opaque<1..2^8-1> holds 1 to 255 bytes")
        return struct.pack("B", len(value)) + value

    return (
        SUBTREE_LABEL
        + opaque8(name.encode("utf-8"))
        + struct.pack("!Q", timestamp)
        + opaque8(origin.encode("utf-8"))
        + struct.pack("!Q", 0)
        + struct.pack("!Q", size)
        + root
    )


def cosigned_message(key: SpecKey, note_text: str, timestamp: int) -> bytes:
    if key.signature_type == TYPE_COSIGNATURE_V1:
        return ed25519_message(note_text, timestamp)
    if key.signature_type == TYPE_ML_DSA_44:
        return ml_dsa_44_message(key.name, timestamp, note_text)
    raise SpecError("not a cosignature key")


class SpecCosigner:
    """A cosigner's private key, of type 0x04 (Ed25519) or 0x06 (ML-DSA-44)."""

    def __init__(self, name: str, signature_type: int, seed: bytes) -> None:
        self.name = name
        self.signature_type = signature_type
        self.private: Ed25519PrivateKey | MLDSA44PrivateKey
        if signature_type == TYPE_COSIGNATURE_V1:
            self.private = Ed25519PrivateKey.from_private_bytes(seed)
        elif signature_type == TYPE_ML_DSA_44:
            self.private = MLDSA44PrivateKey.from_seed_bytes(seed)
        else:
            raise SpecError("not a cosignature type")
        self.key = SpecKey(name, signature_type, self.private.public_key().public_bytes_raw())

    def line(self, note_text: str, timestamp: int, *, check: bool = True) -> str:
        """A signature line holding `timestamped_signature` (u64 big-endian time, signature).

        `check=False` signs any u64 timestamp, to make lines a verifier must refuse.
        """
        if check and not 0 < timestamp <= MAX_TIMESTAMP:
            raise SpecError(f"timestamp {timestamp} out of range")
        signature = self.private.sign(cosigned_message(self.key, note_text, timestamp))
        raw = struct.pack("!Q", timestamp) + signature
        return SignatureLine(self.name, self.key.key_id, raw).text()


def verify_cosignatures(note: str, keys: list[SpecKey]) -> dict[str, int]:
    """Verified cosignatures by `keys` on a signed checkpoint: key name -> timestamp.

    signed-note: lines whose (name, key id) is no known key's are ignored; a
    known key's line that fails rejects the whole note. tlog-cosignature: the
    timestamp MUST NOT exceed 2^63 - 1. tlog-witness: a checkpoint's
    cosignature MUST NOT omit its timestamp (zero), so that is refused too.
    """
    text, lines = split_note(note)
    checkpoint_fields(text)
    found: dict[str, int] = {}
    for line in lines:
        for key in keys:
            if (line.name, line.key_id) != (key.name, key.key_id):
                continue
            if len(line.signature) != 8 + SIGNATURE_BYTES[key.signature_type]:
                raise SpecError("timestamped_signature of the wrong length")
            (timestamp,) = struct.unpack("!Q", line.signature[:8])
            if timestamp == 0 or timestamp > MAX_TIMESTAMP:
                raise SpecError(f"cosignature timestamp {timestamp}")
            message = cosigned_message(key, text, timestamp)
            try:
                if key.signature_type == TYPE_COSIGNATURE_V1:
                    public = Ed25519PublicKey.from_public_bytes(key.public_key)
                    public.verify(line.signature[8:], message)
                else:
                    MLDSA44PublicKey.from_public_bytes(key.public_key).verify(
                        line.signature[8:], message
                    )
            except InvalidSignature as exc:
                raise SpecError(f"cosignature by {key.name} does not verify") from exc
            found.setdefault(key.name, timestamp)
    return found


def verify_note(note: str, key: SpecKey) -> str:
    """An Ed25519 (type 0x01) signed note's text, if `key` signed it."""
    text, lines = split_note(note)
    verified = False
    for line in lines:
        if (line.name, line.key_id) == (key.name, key.key_id):
            try:
                Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                    line.signature, text.encode("utf-8")
                )
            except InvalidSignature as exc:
                raise SpecError("a known key's signature fails") from exc
            verified = True
    if not verified:
        raise SpecError("no signature by the known key")
    return text
