"""What a party key is for: signing entries, or opening what is sealed to its party.

Kept apart from the record models so that the command line can name the
purposes in its options without loading them.
"""

from __future__ import annotations

from enum import StrEnum


class KeyPurpose(StrEnum):
    SIGNING = "signing"
    ENCRYPTION = "encryption"


#: public key sizes: Ed25519; ML-KEM-768 encapsulation key + X25519 (`accordwatch.log.hpke`)
PUBLIC_KEY_SIZES = {KeyPurpose.SIGNING: 32, KeyPurpose.ENCRYPTION: 1184 + 32}


def purpose_of(public_key: bytes) -> KeyPurpose:
    """The purpose of a registered public key, which its size tells apart."""
    if len(public_key) == PUBLIC_KEY_SIZES[KeyPurpose.ENCRYPTION]:
        return KeyPurpose.ENCRYPTION
    return KeyPurpose.SIGNING
