"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme).

Signatures and leaf hashes are computed over these bytes, so two parties
serialising the same document always sign the same thing. The reference
implementation (`rfc8785`) is used whenever the document holds something
where Python's own encoder could differ from JCS: floats (JCS formats numbers
as ECMAScript does), integers beyond IEEE-754's exact range, or object keys
outside the Basic Multilingual Plane (JCS sorts keys by UTF-16 code units).
Everything else goes through `json.dumps`, which then produces identical bytes
about four times faster; the test suite checks the two agree.

`parse_json` is the one JSON reader of everything accordwatch is handed
(request bodies, files on the command line, exports, stored entries), and it
refuses what would cost too much or could not be signed exactly: values
nested more than `MAX_DEPTH` deep, integers outside ±(2^53 - 1) (I-JSON, RFC
7493, which RFC 8785 builds on: beyond that no two implementations are sure
to agree on the number, so none can be signed), and the non-JSON constants
`NaN`, `Infinity` and `-Infinity` that Python's reader would take.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import rfc8785

from accordwatch.errors import InputError

_MAX_SAFE_INTEGER = 2**53 - 1
#: arrays and objects may nest this deep in any JSON accordwatch reads
MAX_DEPTH = 64
#: the most digits a safe integer has: 2^53 - 1 is 9007199254740991
_SAFE_DIGITS = len(str(_MAX_SAFE_INTEGER))
_LONG_DIGITS = re.compile(f"[0-9]{{{_SAFE_DIGITS}}}")
#: bytes with every digit made "0" and every other byte a space (`bytes.translate`), in
#: which a run of digits is a run of zeros: found by `in` at C speed, where a regular
#: expression's search takes ten times as long
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * _SAFE_DIGITS


#: `json.dumps` with these options builds an encoder on every call; one is enough
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _plain(value: Any) -> bool:
    """True when `json.dumps(sort_keys=True)` already yields JCS bytes."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if isinstance(value, dict):
        for key, item in value.items():
            # isascii() first: a C-speed test that spares the scan for almost every key
            if (type(key) is not str and not isinstance(key, str)) or (
                not key.isascii() and any(ord(c) > 0xFFFF for c in key)
            ):
                return False
            # the common case, strings, without a call
            if type(item) is not str and not _plain(item):
                return False
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """Serialise `value` to its RFC 8785 canonical bytes."""
    if _plain(value):
        text = _ENCODER.encode(value)
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
    """Parse JSON text, turning every parse failure into a one-line `InputError`.

    Refuses nesting beyond `MAX_DEPTH`, integers outside ±(2^53 - 1) and the
    constants NaN and Infinity (see the module's docstring).
    """
    try:
        value = _loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=where) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", where=where
        ) from exc
    except RecursionError:
        raise InputError(_too_deep(), where=where) from None
    except _ConstantError as exc:
        raise InputError(f"{exc.args[0]} is not JSON", where=where) from None
    except ValueError:  # an integer past Python's int-str conversion limit (4300 digits)
        raise InputError(_unsafe_integer(), where=where) from None
    if _may_exceed_limits(data):
        _check_limits(value, where)
    return value


class _ConstantError(ValueError):
    """A NaN or Infinity in the text (a subclass, so that the reader stops at once)."""


def _no_constant(name: str) -> Any:
    raise _ConstantError(name)


# `json.loads` with an option builds a decoder (and its scanner) on every call: one is enough
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
#: the decoder's scanner (set in its constructor, not declared by the type stubs)
_scan: Callable[[str, int], tuple[Any, int]] = getattr(_DECODER, "scan_once")  # noqa: B009


def _loads(data: bytes | str) -> Any:
    """`json.loads(data, parse_constant=_no_constant)`, without its cost per call.

    Text with no whitespace around the value (what accordwatch writes, and
    canonical JSON) is read by the decoder's scanner directly; anything else
    (whitespace before or after, a malformed value, extra data) goes through
    the decoder's `decode`, which reads it or raises its own error for it.
    """
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
        text = data
    else:
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _DECODER.decode(text)
    if end != len(text):
        return _DECODER.decode(text)
    return value


def _too_deep() -> str:
    return f"JSON nested more than {MAX_DEPTH} levels deep (the limit)"


def _unsafe_integer() -> str:
    return (
        f"an integer outside ±{_MAX_SAFE_INTEGER} (2^53 - 1) cannot be represented "
        "exactly in canonical JSON (RFC 8785, I-JSON)"
    )


def _may_exceed_limits(data: bytes | str) -> bool:
    """Whether the text could nest too deep or hold an unsafe integer.

    Tests on the raw text, at C speed, that spare almost every document the
    walk of `_check_limits`: fewer brackets than the limit cannot nest
    deeper, and an integer needs as many digits in a row as 2^53 has to
    exceed it.
    """
    if isinstance(data, bytes):
        brackets = data.count(b"[") + data.count(b"{")
        return brackets > MAX_DEPTH or _LONG_RUN in data.translate(_DIGITS_AS_ZEROS)
    brackets = data.count("[") + data.count("{")
    return brackets > MAX_DEPTH or _LONG_DIGITS.search(data) is not None


def _check_limits(value: Any, where: str) -> None:
    """Refuse nesting beyond `MAX_DEPTH` and integers outside the safe range (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if type(item) is int and not -_MAX_SAFE_INTEGER <= item <= _MAX_SAFE_INTEGER:
                raise InputError(_unsafe_integer(), where=where)
            continue
        if depth > MAX_DEPTH:
            raise InputError(_too_deep(), where=where)
        stack.extend((child, depth + 1) for child in children)
