"""Public key files: the half of a key that a party hands the registrar.

A party makes its keys on its own machine (`key new --out FILE`) and gives
the registrar only `FILE.pub`, a small JSON document naming the party, the
key's purpose and the public key. The fingerprint in it is a short digest
of the public key that two people can read to each other: the party reads
it from its own screen, the registrar from what `key register` printed, and
a key swapped on the way shows a different one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from accordwatch.errors import InputError
from accordwatch.log.key_purpose import PUBLIC_KEY_SIZES, KeyPurpose
from accordwatch.log.keys import key_id
from accordwatch.log.records import valid_name

#: the `type` field that says what the file is
FILE_TYPE = "accordwatch public key"
ALGORITHMS = {
    KeyPurpose.SIGNING: "Ed25519",
    KeyPurpose.ENCRYPTION: "HPKE MLKEM768-X25519 HKDF-SHA256 ChaCha20-Poly1305",
}


def fingerprint(public_key: bytes) -> str:
    """The first 16 bytes of SHA-256 of the public key, as 8 groups of 4 hex digits.

    It starts with the key id (the first 8 bytes), and 128 bits leave no room
    to make another key with the same fingerprint.
    """
    digest = hashlib.sha256(public_key).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class PublicKeyFile:
    party: str
    purpose: KeyPurpose
    public_key: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def public_key_text(self) -> str:
        return base64.b64encode(self.public_key).decode("ascii")

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "type": FILE_TYPE,
                    "party": self.party,
                    "purpose": self.purpose.value,
                    "algorithm": ALGORITHMS[self.purpose],
                    "key_id": self.key_id,
                    "fingerprint": self.fingerprint,
                    "public_key": self.public_key_text,
                },
                indent=2,
            )
            + "\n"
        )

    @classmethod
    def parse(cls, data: bytes, *, where: str) -> PublicKeyFile:
        """Read a public key file, or refuse it naming the first problem."""
        if b"PRIVATE KEY" in data:
            raise InputError(
                "this is a private key file: only its .pub file goes to the registrar",
                where=where,
            )
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = None
        if not isinstance(doc, dict) or doc.get("type") != FILE_TYPE:
            raise InputError(
                "not a public key file (accordwatch key new --out FILE writes FILE.pub)",
                where=where,
            )
        party = doc.get("party")
        if not isinstance(party, str) or not valid_name(party):
            raise InputError(f"public key file names no valid party: {party!r}", where=where)
        try:
            purpose = KeyPurpose(str(doc.get("purpose")))
        except ValueError:
            raise InputError(
                f"public key file purpose {doc.get('purpose')!r} is not signing or encryption",
                where=where,
            ) from None
        text = doc.get("public_key")
        try:
            raw = base64.b64decode(text if isinstance(text, str) else "", validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != PUBLIC_KEY_SIZES[purpose]:
            raise InputError(
                f"public key file holds no {purpose} public key "
                f"({PUBLIC_KEY_SIZES[purpose]} bytes in base64)",
                where=where,
            )
        if purpose is KeyPurpose.ENCRYPTION:
            from accordwatch.log.hpke import check_public_key

            check_public_key(raw, where=where)
        found = cls(party, purpose, raw)
        # a changed key or a changed fingerprint: the file was altered after it was made
        for field in ("key_id", "fingerprint"):
            if field in doc and doc[field] != getattr(found, field):
                raise InputError(
                    f"public key file {field} {doc[field]!r} does not match its public key "
                    f"({getattr(found, field)})",
                    where=where,
                )
        return found
