"""The draw's record types: a party's commitment to a random nonce, and the nonce itself.

Both are public: anyone recomputes the draw from them (`declarations.draw`).
"""

from __future__ import annotations

from pydantic import Field

from accordwatch.log.records import Name, Payload, RecordType
from accordwatch.log.roles import Role

_HEX64 = r"^[0-9a-f]{64}$"
_ACCORD_ROLES = frozenset({Role.DECLARANT, Role.PARTY, Role.INSPECTORATE})


class DrawCommitment(Payload):
    """A party commits to the nonce it will reveal for a drawn reveal step."""

    accord_id: Name
    step: Name = Field(description="the reveal step with `part: drawn`")
    commitment: str = Field(pattern=_HEX64, description="hex SHA-256 of the 32-byte nonce")


class DrawNonce(Payload):
    """A party reveals the nonce it committed to."""

    accord_id: Name
    step: Name
    nonce: str = Field(pattern=_HEX64, description="the 32-byte nonce, hex")


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "draw.commit",
        DrawCommitment,
        _ACCORD_ROLES,
        "commit to a random nonce for the draw of a reveal step (SHA-256 of it)",
    ),
    RecordType(
        "draw.reveal",
        DrawNonce,
        _ACCORD_ROLES,
        "reveal the nonce committed to for the draw of a reveal step",
    ),
)
