"""HPKE sealing to an encryption key: RFC 9180's base mode with ML-KEM-768 + X25519."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.log import hpke
from accordwatch.log.keys import key_id

INFO = b"accordwatch.test/log entry commitment reader key"
AAD = b"envelope hash"


@pytest.fixture(scope="module")
def reader() -> hpke.EncryptionKey:
    return hpke.EncryptionKey.generate()


def test_a_sealed_message_opens_with_its_key_info_and_aad(reader: hpke.EncryptionKey) -> None:
    sealed = hpke.seal(reader.public_key, INFO, AAD, b"12 cans of UO2 powder")
    assert hpke.open(reader, INFO, AAD, sealed) == b"12 cans of UO2 powder"


def test_a_sealed_message_is_the_encapsulated_key_then_the_aead_ciphertext(
    reader: hpke.EncryptionKey,
) -> None:
    # RFC 9180 5.1: enc is Nenc bytes; ChaCha20-Poly1305 adds its 16-byte tag (Nt)
    plaintext = b"x" * 100
    sealed = hpke.seal(reader.public_key, INFO, AAD, plaintext)
    assert len(sealed) == hpke.ENC_SIZE + len(plaintext) + 16
    assert hpke.ENC_SIZE == 1088 + 32  # ML-KEM-768 ciphertext and X25519 share
    # every seal encapsulates afresh: nothing repeats between two seals of one text
    again = hpke.seal(reader.public_key, INFO, AAD, plaintext)
    assert sealed[: hpke.ENC_SIZE] != again[: hpke.ENC_SIZE]
    assert sealed[hpke.ENC_SIZE :] != again[hpke.ENC_SIZE :]


def test_empty_aad_is_what_the_plain_suite_opens(reader: hpke.EncryptionKey) -> None:
    # the single-shot API with aad "" is RFC 9180's Seal/Open as `Suite` implements it
    sealed = hpke.seal(reader.public_key, INFO, b"", b"payload")
    assert hpke.SUITE.decrypt(sealed, reader.hpke_key(), info=INFO) == b"payload"
    public = hpke._public_key(reader.public_key)
    assert hpke.open(reader, INFO, b"", hpke.SUITE.encrypt(b"payload", public, info=INFO)) == (
        b"payload"
    )


@pytest.mark.parametrize(
    "change",
    ["info", "aad", "key", "enc", "ciphertext", "cut"],
)
def test_nothing_else_opens_it(reader: hpke.EncryptionKey, change: str) -> None:
    sealed = hpke.seal(reader.public_key, INFO, AAD, b"secret")
    key, info, aad = reader, INFO, AAD
    if change == "info":
        info = INFO + b"!"
    elif change == "aad":
        aad = b"another envelope"
    elif change == "key":
        key = hpke.EncryptionKey.generate()
    elif change == "enc":
        sealed = bytes([sealed[0] ^ 1]) + sealed[1:]
    elif change == "ciphertext":
        sealed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    else:
        sealed = sealed[:-20]
    with pytest.raises(VerificationError, match=r"does not open|too short"):
        hpke.open(key, info, aad, sealed)


def test_public_key_is_ml_kem_then_x25519_and_its_digest_is_the_key_id(
    reader: hpke.EncryptionKey,
) -> None:
    assert len(reader.public_key) == hpke.PUBLIC_KEY_SIZE == 1216
    assert reader.key_id == key_id(reader.public_key)
    with pytest.raises(AccordwatchError, match="1215 bytes"):
        hpke.seal(reader.public_key[:-1], INFO, AAD, b"x")


def test_key_file_is_0600_with_its_passphrase_and_never_overwritten(
    reader: hpke.EncryptionKey, tmp_path: Path
) -> None:
    path = tmp_path / "iaea.enc.key"
    reader.write(path, "correct horse")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().count(b"ENCRYPTED PRIVATE KEY-----") == 4
    assert hpke.EncryptionKey.read(path, "correct horse") == reader
    with pytest.raises(AccordwatchError, match="wrong passphrase"):
        hpke.EncryptionKey.read(path, "wrong")
    with pytest.raises(AccordwatchError, match="refusing to overwrite"):
        hpke.EncryptionKey.generate().write(path)
