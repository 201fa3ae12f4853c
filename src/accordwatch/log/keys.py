"""Ed25519 keys: signing, verifying, key identifiers and private key files.

Signatures are pure Ed25519 (RFC 8032), which is deterministic, so any
implementation reproduces them byte for byte. Signing and verifying go
through libsodium (PyNaCl), which verifies about twice as fast as the OpenSSL
binding here; private key files are PKCS#8 PEM written by `cryptography`,
encrypted when a passphrase is given, so standard tools can read them too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accordwatch.errors import InputError, SignatureError
from accordwatch.private_files import make_private_folder

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def key_id(public_key: bytes) -> str:
    """Identifier of a party key: first 8 bytes of SHA-256 of the raw key, as hex."""
    return hashlib.sha256(public_key).digest()[:8].hex()


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public_key`."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        # libsodium's combined form: signature || message
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def verify_signatures(checks: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """`verify_signature` of each (public key, signature, message), in order.

    One call for many signatures, to be run in another process: a thread
    would need the interpreter's lock back after every one of them.
    """
    return [verify_signature(public, signature, message) for public, signature, message in checks]


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key held as its 32-byte seed."""

    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise InputError("an Ed25519 seed is 32 bytes")
        public, secret = nacl.bindings.crypto_sign_seed_keypair(self.seed)
        object.__setattr__(self, "_public", public)
        object.__setattr__(self, "_secret", secret)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(os.urandom(32))

    @property
    def public_key(self) -> bytes:
        public: bytes = self._public  # type: ignore[attr-defined]  # set in __post_init__
        return public

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        secret: bytes = self._secret  # type: ignore[attr-defined]  # set in __post_init__
        signed: bytes = nacl.bindings.crypto_sign(message, secret)
        return signed[:SIGNATURE_SIZE]

    def to_pem(self, passphrase: str | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with the passphrase when one is given."""
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    @classmethod
    def from_pem(cls, data: bytes, passphrase: str | None = None, *, where: str) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(
                data, password=passphrase.encode() if passphrase else None
            )
        except TypeError as exc:
            # cryptography says TypeError when a passphrase is missing or superfluous
            need = "needs a passphrase" if not passphrase else "is not encrypted"
            raise SignatureError(f"private key file {need}", where=where) from exc
        except ValueError as exc:
            raise SignatureError(
                "cannot read private key (wrong passphrase or not a PEM key)", where=where
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SignatureError("private key is not an Ed25519 key", where=where)
        return cls(
            key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        )

    def write(self, path: Path, passphrase: str | None = None) -> None:
        """Write the key file with mode 0600 (its new folders 0700), refusing to overwrite one."""
        write_key_file(path, self.to_pem(passphrase))

    @classmethod
    def read(cls, path: Path, passphrase: str | None = None) -> SigningKey:
        return cls.from_pem(read_key_file(path), passphrase, where=str(path))


def write_key_file(path: Path, data: bytes) -> None:
    """Write a new private key file, mode 0600 (its new folders 0700); never over another."""
    make_private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InputError("key file already exists; refusing to overwrite", where=str(path)) from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror}", where=str(path)) from exc
