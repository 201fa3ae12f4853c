"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme).

Signatures and leaf hashes are computed over these bytes, so two parties
serialising the same document always sign the same thing. The reference
implementation (`rfc8785`) is used whenever the document holds something
where Python's own encoder could differ from JCS: floats (JCS formats numbers
as ECMAScript does), integers beyond IEEE-754's exact range, or object keys
outside the Basic Multilingual Plane (JCS sorts keys by UTF-16 code units).
Everything else goes through `json.dumps`, which then produces identical bytes
about four times faster; the test suite checks the two agree.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from accordwatch.errors import InputError

_MAX_SAFE_INTEGER = 2**53 - 1


def _plain(value: Any) -> bool:
    """True when `json.dumps(sort_keys=True)` already yields JCS bytes."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if isinstance(value, dict):
        for key, item in value.items():
            # isascii() first: a C-speed test that spares the scan for almost every key
            if not isinstance(key, str) or (
                not key.isascii() and any(ord(c) > 0xFFFF for c in key)
            ):
                return False
            if not _plain(item):
                return False
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """Serialise `value` to its RFC 8785 canonical bytes."""
    if _plain(value):
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate has no UTF-8 form
            raise InputError(f"cannot canonicalise JSON value: {exc.reason}") from exc
    try:
        result: bytes = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InputError(f"cannot canonicalise JSON value: {exc}") from exc
    return result


def parse_json(data: bytes | str, *, where: str) -> Any:
    """Parse JSON text, turning every parse failure into a one-line `InputError`."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=where) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", where=where
        ) from exc
