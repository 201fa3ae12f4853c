"""The audit replays key rotations: only a party's current key rotates it.

A log whose operator slipped in a rotation signed by another key fails the
audit at that entry, whatever the database says: the registry is replayed
from the envelopes and each rotation is checked as it was on arrival.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from accordwatch.catalog import CATALOG
from accordwatch.errors import VerificationError
from accordwatch.log import hpke
from accordwatch.log.audit import AuditEntry, audit
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import NoteSigner
from accordwatch.log.registry import Registry

ORIGIN = "test.local/rotation"
TIME = datetime(2026, 3, 1, tzinfo=UTC)
LOG = NoteSigner("test.local/rotation", SigningKey.generate())
REGISTRAR = SigningKey.generate()
DPRK_1, DPRK_2, DPRK_3 = (SigningKey.generate() for _ in range(3))
USA = SigningKey.generate()
ENC_1, ENC_2 = hpke.EncryptionKey.generate(), hpke.EncryptionKey.generate()


def entry(
    index: int, party: str, key: SigningKey, record: str, payload: dict[str, object]
) -> AuditEntry:
    from accordwatch.log.envelope import seal

    sub = seal(log=ORIGIN, record_type=record, party=party, key=key, time=TIME, payload=payload)
    return AuditEntry(index, sub.envelope.canonical)


def key_payload(
    party: str, public: bytes, purpose: KeyPurpose, replaces: str | None = None
) -> dict[str, object]:
    from accordwatch.log.keys import key_id

    out: dict[str, object] = {
        "party": party,
        "key_id": key_id(public),
        "public_key": base64.b64encode(public).decode(),
        "purpose": purpose.value,
    }
    if replaces:
        out["replaces"] = replaces
    return out


def history() -> list[tuple[str, SigningKey, str, dict[str, object]]]:
    """Genesis, two parties, DPRK's signing and encryption keys, and USA's key."""
    sign, enc = KeyPurpose.SIGNING, KeyPurpose.ENCRYPTION
    return [
        (
            "registrar",
            REGISTRAR,
            "log.genesis",
            {
                "origin": ORIGIN,
                "log_key": LOG.verifier.text(),
                "registrar": "registrar",
                "registrar_public_key": base64.b64encode(REGISTRAR.public_key).decode(),
            },
        ),
        ("registrar", REGISTRAR, "party.register", {"name": "dprk", "role": "declarant"}),
        ("registrar", REGISTRAR, "party.register", {"name": "usa", "role": "party"}),
        ("registrar", REGISTRAR, "key.register", key_payload("dprk", DPRK_1.public_key, sign)),
        ("registrar", REGISTRAR, "key.register", key_payload("dprk", ENC_1.public_key, enc)),
        ("registrar", REGISTRAR, "key.register", key_payload("usa", USA.public_key, sign)),
    ]


def replay(extra: list[tuple[str, SigningKey, str, dict[str, object]]]) -> Registry:
    rows = [*history(), *extra]
    entries = [entry(i, *row) for i, row in enumerate(rows)]
    return audit(entries, [], LOG.verifier, catalog=CATALOG).registry


def test_rotations_by_the_party_s_current_keys_replay() -> None:
    sign, enc = KeyPurpose.SIGNING, KeyPurpose.ENCRYPTION
    registry = replay(
        [
            (
                "dprk",
                DPRK_1,
                "key.rotate",
                key_payload("dprk", DPRK_2.public_key, sign, DPRK_1.key_id),
            ),
            (
                "dprk",
                DPRK_2,
                "key.rotate",
                key_payload("dprk", ENC_2.public_key, enc, ENC_1.key_id),
            ),
        ]
    )
    assert registry.current_key("dprk", sign).key_id == DPRK_2.key_id  # type: ignore[union-attr]
    assert registry.current_key("dprk", enc).key_id == ENC_2.key_id  # type: ignore[union-attr]
    assert registry.keys[DPRK_1.key_id].reason == f"rotated to {DPRK_2.key_id}"


@pytest.mark.parametrize(
    ("signer", "key", "problem"),
    [
        ("usa", USA, "party 'usa' may not submit key.rotate for party 'dprk'"),
        ("registrar", REGISTRAR, "may not submit key.rotate for party 'dprk'"),
        ("dprk", DPRK_3, "unknown key"),
    ],
)
def test_a_rotation_by_another_key_fails_the_audit(
    signer: str, key: SigningKey, problem: str
) -> None:
    forged = key_payload("dprk", DPRK_3.public_key, KeyPurpose.SIGNING, DPRK_1.key_id)
    with pytest.raises(VerificationError, match=problem) as failed:
        replay([(signer, key, "key.rotate", forged)])
    assert failed.value.where == "entry 6"


def test_a_rotated_out_key_rotates_nothing_more() -> None:
    sign = KeyPurpose.SIGNING
    with pytest.raises(VerificationError, match="was revoked at log entry 6") as failed:
        replay(
            [
                (
                    "dprk",
                    DPRK_1,
                    "key.rotate",
                    key_payload("dprk", DPRK_2.public_key, sign, DPRK_1.key_id),
                ),
                (
                    "dprk",
                    DPRK_1,
                    "key.rotate",
                    key_payload("dprk", DPRK_3.public_key, sign, DPRK_2.key_id),
                ),
            ]
        )
    assert failed.value.where == "entry 7"


def test_a_signing_key_is_rotated_by_its_own_signature_only() -> None:
    sign = KeyPurpose.SIGNING
    with pytest.raises(VerificationError, match="rotated by its own signature"):
        replay(
            [
                (
                    "registrar",
                    REGISTRAR,
                    "key.register",
                    key_payload("dprk", DPRK_2.public_key, sign),
                ),
                (
                    "dprk",
                    DPRK_2,
                    "key.rotate",
                    key_payload("dprk", DPRK_3.public_key, sign, DPRK_1.key_id),
                ),
            ]
        )


def test_an_encryption_key_neither_signs_nor_replaces_a_signing_key() -> None:
    with pytest.raises(
        VerificationError, match="is for signing: a key for encryption cannot replace it"
    ):
        replay(
            [
                (
                    "dprk",
                    DPRK_1,
                    "key.rotate",
                    key_payload("dprk", ENC_2.public_key, KeyPurpose.ENCRYPTION, DPRK_1.key_id),
                )
            ]
        )
    with pytest.raises(VerificationError, match="public key is 32 bytes"):
        replay(
            [
                (
                    "registrar",
                    REGISTRAR,
                    "key.register",
                    key_payload("dprk", DPRK_2.public_key, KeyPurpose.ENCRYPTION),
                )
            ]
        )
