"""Canonical base64: the one way binary fields are read from outside, and written.

Base64 has many spellings of the same bytes: the unused low bits of the last
character may be set, padding may be left off or doubled, a lax decoder skips
whitespace, and the URL-safe alphabet swaps two characters. Any of those in
an envelope's signature would give another leaf for the same signed
statement, which a log would append again: a replay anyone could make of any
public entry. So every binary field the log reads (signatures, commitments,
salts, public keys, hashes in receipts and notes) must be in the one form
RFC 4648 §4 writes: standard alphabet, `=` padding, zero pad bits (§3.5).
The check is the definition itself: the text must be what encoding its bytes
gives back.
"""

from __future__ import annotations

import base64
import binascii

from accordwatch.errors import AccordwatchError, InputError

_CANONICAL = "standard alphabet, '=' padding, zero pad bits, no whitespace"


def encode_base64(raw: bytes) -> str:
    """`raw` in the one form `decode_base64` reads: how every hash and key is written out."""
    return base64.b64encode(raw).decode("ascii")


def decode_base64(
    value: object,
    what: str,
    *,
    where: str | None = None,
    error: type[AccordwatchError] = InputError,
) -> bytes:
    """The bytes `value` encodes, if it is canonical base64; else `error` naming `what`."""
    if not isinstance(value, str):
        raise error(f"{what} must be a base64 string", where=where)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(f"{what} is not valid base64 ({_CANONICAL})", where=where) from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise error(f"{what} is not canonical base64 ({_CANONICAL})", where=where)
    return raw
