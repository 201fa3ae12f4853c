"""An opening sealed to one reader's key, as a submission and the store carry it.

Apart from `log.sealing` (which seals and opens) so that a submission
(`log.envelope.Submission`) can carry sealed openings without importing HPKE.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from accordwatch.errors import InputError
from accordwatch.log.encoding import decode_base64


@dataclass(frozen=True)
class SealedOpening:
    """An opening encrypted to one reader's key."""

    party: str
    key_id: str
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "key_id": self.key_id,
            "ciphertext": base64.b64encode(self.ciphertext).decode(),
        }


def sealed_from_json(data: Any, *, where: str) -> tuple[SealedOpening, ...]:
    """Sealed openings as a submission carries them: a list of party, key_id, ciphertext."""
    if not isinstance(data, list) or not data:
        raise InputError("sealed must be a non-empty list", where=where)
    out = []
    for item in data:
        if (
            not isinstance(item, dict)
            or set(item) != {"party", "key_id", "ciphertext"}
            or not isinstance(item["party"], str)
            or not isinstance(item["key_id"], str)
        ):
            raise InputError("each sealed opening has party, key_id and ciphertext", where=where)
        data_bytes = decode_base64(item["ciphertext"], "sealed ciphertext", where=where)
        out.append(SealedOpening(item["party"], item["key_id"], data_bytes))
    if len({s.key_id for s in out}) != len(out):
        raise InputError("an opening is sealed twice to one key", where=where)
    return tuple(out)
