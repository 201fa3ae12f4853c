"""Encryption keys and HPKE: sealing a payload to one reader's public key.

HPKE (RFC 9180) in base mode, single shot, with one fixed suite: the hybrid
post-quantum KEM ML-KEM-768 + X25519 (`MLKEM768-X25519`), HKDF-SHA256 and
ChaCha20-Poly1305. A confidential declaration must stay secret for decades,
so what is recorded today must not open to whoever stores it once quantum
computers break X25519 alone; the X25519 half keeps it safe should ML-KEM
fall. A sealed message is the KEM's encapsulated key followed by the AEAD
ciphertext, as `cryptography` gives it.

An encryption key is an ML-KEM-768 key and an X25519 key. Its public form
(what a party registers, and what its key id is the digest of) is the
ML-KEM-768 encapsulation key (1184 bytes) followed by the X25519 public key
(32 bytes), the order of the hybrid KEM. Its private key file holds both
halves as PKCS#8 PEM blocks, ML-KEM first, each encrypted with the same
passphrase when one is given, so that standard tools can read them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.hpke import (
    AEAD,
    KDF,
    KEM,
    MLKEM768X25519PrivateKey,
    MLKEM768X25519PublicKey,
    Suite,
)

from accordwatch.errors import InputError, SignatureError, VerificationError
from accordwatch.log.key_purpose import PUBLIC_KEY_SIZES, KeyPurpose
from accordwatch.log.keys import key_id, read_key_file, write_key_file

SUITE = Suite(KEM.MLKEM768_X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)
#: what `key list` and public key files call the suite
ALGORITHM = "HPKE MLKEM768-X25519 HKDF-SHA256 ChaCha20-Poly1305"
MLKEM_PUBLIC_SIZE = 1184
X25519_PUBLIC_SIZE = 32
PUBLIC_KEY_SIZE = PUBLIC_KEY_SIZES[KeyPurpose.ENCRYPTION]
#: the encapsulated key that starts every sealed message
ENC_SIZE = KEM.MLKEM768_X25519.enc_length()

_PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----\s*", re.DOTALL)


def _public_key(public_key: bytes, where: str | None = None) -> MLKEM768X25519PublicKey:
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise InputError(
            f"encryption public key is {len(public_key)} bytes, not {PUBLIC_KEY_SIZE} "
            "(ML-KEM-768 + X25519)",
            where=where,
        )
    try:
        pq = mlkem.MLKEM768PublicKey.from_public_bytes(public_key[:MLKEM_PUBLIC_SIZE])
        classic = x25519.X25519PublicKey.from_public_bytes(public_key[MLKEM_PUBLIC_SIZE:])
    except ValueError as exc:
        raise InputError(f"not an ML-KEM-768 + X25519 public key: {exc}", where=where) from exc
    return MLKEM768X25519PublicKey(pq, classic)


def check_public_key(public_key: bytes, *, where: str | None = None) -> None:
    """Refuse bytes that are not an ML-KEM-768 + X25519 public key."""
    _public_key(public_key, where)


def seal(public_key: bytes, info: bytes, aad: bytes, plaintext: bytes) -> bytes:
    """Encrypt `plaintext` to the holder of `public_key`, bound to `info` and `aad`."""
    # `Suite.encrypt` takes no associated data; the binding's single-shot seal does.
    sealed: bytes = rust_openssl.hpke._encrypt_with_aad(
        SUITE, plaintext, _public_key(public_key), info=info, aad=aad
    )
    return sealed


def open(private_key: EncryptionKey, info: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    """The plaintext `seal` encrypted to `private_key` with the same `info` and `aad`.

    Raises `VerificationError` when it does not open: another key, other `info`
    or `aad`, or a ciphertext altered or cut.
    """
    if len(ciphertext) < ENC_SIZE:
        raise VerificationError(f"sealed message is {len(ciphertext)} bytes, too short to open")
    try:
        plain: bytes = rust_openssl.hpke._decrypt_with_aad(
            SUITE, ciphertext, private_key.hpke_key(), info=info, aad=aad
        )
    except (InvalidTag, ValueError) as exc:
        raise VerificationError(
            "sealed message does not open with this key (another reader's key, or altered)"
        ) from exc
    return plain


@dataclass(frozen=True)
class EncryptionKey:
    """A party's private encryption key: ML-KEM-768 (its 64-byte seed) and X25519."""

    mlkem_seed: bytes
    x25519_private: bytes

    def __post_init__(self) -> None:
        if len(self.mlkem_seed) != 64 or len(self.x25519_private) != 32:
            raise InputError("an encryption key is a 64-byte ML-KEM seed and a 32-byte X25519 key")

    @classmethod
    def generate(cls) -> EncryptionKey:
        pq = mlkem.MLKEM768PrivateKey.generate()
        classic = x25519.X25519PrivateKey.generate()
        return cls(pq.private_bytes_raw(), classic.private_bytes_raw())

    def _halves(self) -> tuple[mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey]:
        return (
            mlkem.MLKEM768PrivateKey.from_seed_bytes(self.mlkem_seed),
            x25519.X25519PrivateKey.from_private_bytes(self.x25519_private),
        )

    def hpke_key(self) -> MLKEM768X25519PrivateKey:
        return MLKEM768X25519PrivateKey(*self._halves())

    @property
    def public_key(self) -> bytes:
        pq, classic = self._halves()
        return pq.public_key().public_bytes_raw() + classic.public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def to_pem(self, passphrase: str | None = None) -> bytes:
        """Both halves as PKCS#8 PEM, each encrypted with the passphrase when one is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        return b"".join(
            half.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            )
            for half in self._halves()
        )

    @classmethod
    def from_pem(cls, data: bytes, passphrase: str | None = None, *, where: str) -> EncryptionKey:
        blocks = _PEM_BLOCK.findall(data)
        if len(blocks) != 2:
            raise SignatureError(
                "not an encryption key file (two PEM keys, ML-KEM-768 and X25519)", where=where
            )
        try:
            pq, classic = (
                serialization.load_pem_private_key(
                    block, password=passphrase.encode() if passphrase else None
                )
                for block in blocks
            )
        except TypeError as exc:
            need = "needs a passphrase" if not passphrase else "is not encrypted"
            raise SignatureError(f"private key file {need}", where=where) from exc
        except ValueError as exc:
            raise SignatureError(
                "cannot read private key (wrong passphrase or not a PEM key)", where=where
            ) from exc
        if not isinstance(pq, mlkem.MLKEM768PrivateKey) or not isinstance(
            classic, x25519.X25519PrivateKey
        ):
            raise SignatureError("private key is not an ML-KEM-768 + X25519 key", where=where)
        return cls(pq.private_bytes_raw(), classic.private_bytes_raw())

    def write(self, path: Path, passphrase: str | None = None) -> None:
        """Write the key file with mode 0600 (its new folders 0700), refusing to overwrite one."""
        write_key_file(path, self.to_pem(passphrase))

    @classmethod
    def read(cls, path: Path, passphrase: str | None = None) -> EncryptionKey:
        return cls.from_pem(read_key_file(path), passphrase, where=str(path))
