"""C2SP tlog-cosignature: a witness's timestamped statement about a log's checkpoint.

Two kinds, as `c2sp.org/tlog-cosignature` specifies them:

- Ed25519 `cosignature/v1` (verifier key type 0x04): the signed message is
  `cosignature/v1\\n`, `time <T>\\n` and the checkpoint's whole note text.
- ML-DSA-44 (type 0x06): the signed message is the `cosigned_message`
  structure (label `subtree/v1\\n\\0`, cosigner name, timestamp, origin,
  start 0, end = size, root), which commits to the cosigner's name and
  survives a quantum computer; extension lines are not covered.

Either way the signature line carries `timestamped_signature`: an 8-byte
big-endian POSIX timestamp, then the signature. Key ids are
`SHA-256(name || "\\n" || type || public key)[:4]`; vkeys are
`name+hex(key id)+base64(type || public key)`. A cosigner key is one key of
one kind: the same key is never used for both.
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import nacl.bindings
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey, MLDSA44PublicKey

from accordwatch.errors import InputError, SignatureError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.keys import verify_signature
from accordwatch.log.note import Signature, note_key_id, split_note, split_vkey, valid_key_name
from accordwatch.private_files import make_private_folder

ALG_COSIGNATURE_V1 = 0x04
ALG_ML_DSA_44 = 0x06
MAX_TIMESTAMP = (1 << 63) - 1
_SUBTREE_LABEL = b"subtree/v1\n\x00"


class Algorithm(StrEnum):
    ED25519 = "ed25519"
    ML_DSA_44 = "ml-dsa-44"

    @property
    def key_type(self) -> int:
        return ALG_COSIGNATURE_V1 if self is Algorithm.ED25519 else ALG_ML_DSA_44

    @property
    def public_key_size(self) -> int:
        return 32 if self is Algorithm.ED25519 else 1312

    @property
    def signature_size(self) -> int:
        return 64 if self is Algorithm.ED25519 else 2420


_BY_TYPE = {a.key_type: a for a in Algorithm}


def parse_algorithm(text: str) -> Algorithm:
    try:
        return Algorithm(text)
    except ValueError:
        names = ", ".join(a.value for a in Algorithm)
        raise InputError(f"unknown cosignature algorithm {text!r} (one of {names})") from None


def cosigned_message(
    algorithm: Algorithm, name: str, checkpoint_text: str, timestamp: int
) -> bytes:
    """The bytes a cosigner of `algorithm` named `name` signs for this checkpoint at `timestamp`."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise VerificationError(f"cosignature timestamp {timestamp} is out of range")
    if algorithm is Algorithm.ED25519:
        return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()
    cp = Checkpoint.parse_text(checkpoint_text)
    name_bytes, origin = name.encode(), cp.origin.encode()
    if not 0 < len(name_bytes) < 256 or not 0 < len(origin) < 256:
        raise VerificationError("cosigner name and log origin must be 1 to 255 bytes")
    return b"".join(
        (
            _SUBTREE_LABEL,
            bytes([len(name_bytes)]),
            name_bytes,
            struct.pack(">Q", timestamp),
            bytes([len(origin)]),
            origin,
            struct.pack(">QQ", 0, cp.size),
            cp.root,
        )
    )


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public cosigning key: its name, algorithm and key material."""

    name: str
    algorithm: Algorithm
    public_key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise VerificationError(f"invalid cosigner name {self.name!r}")
        if len(self.public_key) != self.algorithm.public_key_size:
            raise VerificationError(
                f"{self.algorithm.value} public key is {len(self.public_key)} bytes, "
                f"not {self.algorithm.public_key_size}"
            )

    @property
    def key_id(self) -> bytes:
        return note_key_id(self.name, self.algorithm.key_type, self.public_key)

    @classmethod
    def parse(cls, vkey: str) -> CosignerKey:
        """Parse a cosigner vkey (type 0x04 or 0x06), checking that its id matches its key."""
        malformed = f"malformed cosigner key {_short(vkey)!r}"
        name = vkey.strip().split("+", 1)[0]
        name, kid, raw = split_vkey(vkey, malformed, f"cosigner key {name!r}")
        algorithm = _BY_TYPE.get(raw[0]) if raw else None
        if algorithm is None:
            kind = f"type 0x{raw[0]:02x}" if raw else "no key"
            raise VerificationError(
                f"key {name!r} is not a cosigner key ({kind}; cosigner keys are type 0x04 "
                "Ed25519 or 0x06 ML-DSA-44)"
            )
        key = cls(name, algorithm, raw[1:])
        if len(kid) != 4 or key.key_id != kid:
            raise VerificationError(f"cosigner key {name!r}: key id does not match the key")
        return key

    def text(self) -> str:
        raw = base64.b64encode(bytes([self.algorithm.key_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    def matches(self, sig: Signature) -> bool:
        return sig.name == self.name and sig.key_id == self.key_id

    def verify(self, checkpoint_text: str, sig: Signature) -> int:
        """Check one cosignature line's signature on the checkpoint; its timestamp."""
        size = 8 + self.algorithm.signature_size
        if len(sig.signature) != size:
            raise VerificationError(
                f"cosignature by {self.name} is {len(sig.signature)} bytes, not {size}"
            )
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if timestamp > MAX_TIMESTAMP or timestamp == 0:
            raise VerificationError(f"cosignature by {self.name} has timestamp {timestamp}")
        message = cosigned_message(self.algorithm, self.name, checkpoint_text, timestamp)
        if not _verify(self.algorithm, self.public_key, sig.signature[8:], message):
            raise VerificationError(f"cosignature by {self.name} does not verify")
        return int(timestamp)


def _verify(algorithm: Algorithm, public_key: bytes, signature: bytes, message: bytes) -> bool:
    if algorithm is Algorithm.ED25519:
        return verify_signature(public_key, signature, message)
    try:
        MLDSA44PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Cosigner:
    """A witness's private cosigning key (its 32-byte seed) and name."""

    name: str
    algorithm: Algorithm
    seed: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise InputError(
                f"invalid witness name {self.name!r} (no spaces, no '+'; "
                "a schema-less URL such as witness.example/dprk)"
            )
        if len(self.seed) != 32:
            raise InputError("a cosigner seed is 32 bytes")
        if self.algorithm is Algorithm.ED25519:
            public, secret = nacl.bindings.crypto_sign_seed_keypair(self.seed)
            object.__setattr__(self, "_secret", secret)
        else:
            private = MLDSA44PrivateKey.from_seed_bytes(self.seed)
            public = private.public_key().public_bytes_raw()
            object.__setattr__(self, "_secret", private)
        object.__setattr__(self, "_key", CosignerKey(self.name, self.algorithm, public))

    @classmethod
    def generate(cls, name: str, algorithm: Algorithm = Algorithm.ML_DSA_44) -> Cosigner:
        return cls(name, algorithm, os.urandom(32))

    @property
    def key(self) -> CosignerKey:
        key: CosignerKey = self._key  # type: ignore[attr-defined]  # set in __post_init__
        return key

    def signature(self, checkpoint_text: str, timestamp: int) -> bytes:
        """`timestamped_signature`: the big-endian timestamp, then the signature."""
        message = cosigned_message(self.algorithm, self.name, checkpoint_text, timestamp)
        secret = self._secret  # type: ignore[attr-defined]  # set in __post_init__
        if self.algorithm is Algorithm.ED25519:
            signed: bytes = nacl.bindings.crypto_sign(message, secret)
            sig = signed[:64]
        else:
            sig = secret.sign(message)
        return struct.pack(">Q", timestamp) + sig

    def line(self, checkpoint_text: str, timestamp: int) -> str:
        """The note signature line of a cosignature on `checkpoint_text` at `timestamp`."""
        if timestamp <= 0:
            raise VerificationError("a witness's cosignature never omits its timestamp")
        return Signature(
            self.name, self.key.key_id, self.signature(checkpoint_text, timestamp)
        ).line()

    # -- the key file ------------------------------------------------------------

    def to_pem(self) -> bytes:
        private: Ed25519PrivateKey | MLDSA44PrivateKey = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            if self.algorithm is Algorithm.ED25519
            else MLDSA44PrivateKey.from_seed_bytes(self.seed)
        )
        return private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, path: Path) -> None:
        """Write the key as PKCS#8 PEM, mode 0600, refusing to overwrite a key file."""
        make_private_folder(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise InputError(
                "key file already exists; refusing to overwrite", where=str(path)
            ) from exc
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.to_pem())

    @classmethod
    def read(cls, path: Path, name: str) -> Cosigner:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read key file: {exc.strerror}", where=str(path)) from exc
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (TypeError, ValueError) as exc:
            raise SignatureError(
                "cannot read the witness key (not a PEM key)", where=str(path)
            ) from exc
        raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw
        if isinstance(private, Ed25519PrivateKey):
            seed = private.private_bytes(*raw, serialization.NoEncryption())
            return cls(name, Algorithm.ED25519, seed)
        if isinstance(private, MLDSA44PrivateKey):
            return cls(name, Algorithm.ML_DSA_44, private.private_bytes_raw())
        raise SignatureError("the witness key is neither Ed25519 nor ML-DSA-44", where=str(path))


@dataclass(frozen=True)
class VerifiedCosignature:
    key: CosignerKey
    timestamp: int


def verify_cosignatures(note: str, keys: list[CosignerKey]) -> list[VerifiedCosignature]:
    """The cosignatures on a signed checkpoint by any of `keys`, each verified.

    Lines by other keys (the log's own, unknown witnesses) are ignored; a line
    that names one of `keys` but does not verify rejects the note, as a
    signed-note verifier must. Each key counts once.
    """
    text, sigs = split_note(note)
    found: dict[bytes, VerifiedCosignature] = {}
    for sig in sigs:
        for key in keys:
            if key.matches(sig):
                timestamp = key.verify(text, sig)
                found.setdefault(key.public_key, VerifiedCosignature(key, timestamp))
    return list(found.values())


def cosignature_lines(note: str, lines: str) -> list[Signature]:
    """Parse a witness's response body (signature lines) as signatures on `note`'s text."""
    text, _ = split_note(note)
    _, sigs = split_note(text + "\n" + lines)
    return sigs


def add_lines(note: str, sigs: list[Signature]) -> str:
    """`note` with the signature lines of `sigs` it does not hold yet appended."""
    _, present = split_note(note)
    have = {(s.name, s.key_id, s.signature) for s in present}
    extra = [s.line() for s in sigs if (s.name, s.key_id, s.signature) not in have]
    return note + "".join(extra)
