"""`canonical_json` must produce exactly the RFC 8785 (JCS) bytes of the reference `rfc8785`.

`canonical_json` takes a fast `json.dumps` path for values where that already
yields JCS bytes and defers to `rfc8785` otherwise; these tests check that the
two paths never differ, including in what they refuse.
"""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.errors import InputError
from accordwatch.log.canonical import _plain, canonical_json

MAX_SAFE_INTEGER = 2**53 - 1

# Text with everything JCS treats specially: control characters (escaped), quotes and
# backslashes, DEL and U+2028 (not escaped), BMP characters above the surrogates (sorted
# differently by UTF-16), and characters outside the BMP (surrogate pairs in UTF-16).
SPECIAL_CHARACTERS = st.sampled_from(
    ["\x00", "\x1f", "\b", "\f", "\n", "\r", "\t", '"', "\\", "/", "\x7f", "\u2028", "\ufb33",
     "\uffff", "\u00e9", "\u20ac", "\U0001f600", "\U00010000", "\U0010ffff"]
)  # fmt: skip
# Lone surrogates have no UTF-8 form; both implementations refuse them (tested below).
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]) | SPECIAL_CHARACTERS, max_size=12)

INTEGERS = (
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.integers()  # unbounded: often beyond 2**53
    | st.sampled_from(
        [MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER - 1, 2**64]
    )
)

SCALARS = (
    st.none() | st.booleans() | INTEGERS | st.floats(allow_nan=False, allow_infinity=False) | TEXT
)

JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=25,
)

# Values the fast path handles: no floats, safe integers, BMP-only keys.
BMP_KEYS = st.text(
    alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])
    | SPECIAL_CHARACTERS.filter(lambda c: ord(c) <= 0xFFFF),
    max_size=12,
)
PLAIN_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | TEXT,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(BMP_KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


def _reference(value: Any) -> bytes | None:
    """The reference bytes, or None when `rfc8785` refuses the value."""
    try:
        result: bytes = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        return None
    return result


def _assert_agrees(value: Any) -> None:
    want = _reference(value)
    if want is None:
        with pytest.raises(InputError):
            canonical_json(value)
    else:
        assert canonical_json(value) == want


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_agrees_with_rfc8785(value: Any) -> None:
    _assert_agrees(value)


@settings(max_examples=400, deadline=None)
@given(PLAIN_VALUES)
def test_fast_path_agrees_with_rfc8785(value: Any) -> None:
    assert _plain(value)  # the value really takes the json.dumps path
    want = _reference(value)
    assert want is not None
    assert canonical_json(value) == want


@settings(max_examples=200, deadline=None)
@given(st.integers())
def test_integers_beyond_the_safe_range_are_refused_like_rfc8785(number: int) -> None:
    """rfc8785 raises IntegerDomainError outside ±(2**53 - 1); we raise InputError there."""
    for value in (number, [number], {"n": number}, {"\U0001f600": number}):
        if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
            assert canonical_json(value) == rfc8785.dumps(value)
        else:
            with pytest.raises(rfc8785.IntegerDomainError):
                rfc8785.dumps(value)
            with pytest.raises(InputError):
                canonical_json(value)


RFC8785_SORTING_INPUT = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC8785_SORTING_OUTPUT = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
).encode()


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ({"b": 1, "a": [True, None, "é"]}, '{"a":[true,null,"é"],"b":1}'.encode()),
        ({}, b"{}"),
        ([], b"[]"),
        ("", b'""'),
        (MAX_SAFE_INTEGER, b"9007199254740991"),
        (-MAX_SAFE_INTEGER, b"-9007199254740991"),
        (-0.0, b"0"),
        (1.0, b"1"),
        (4.5, b"4.5"),
        (0.002, b"0.002"),
        (1e-7, b"1e-7"),
        (1e21, b"1e+21"),
        (1e20, b"100000000000000000000"),
        (1e30, b"1e+30"),
        (5e-324, b"5e-324"),
        # RFC 8785 §3.2.2.2 string example: € $ U+000F LF A ' B " \\ \\ " /
        ('\u20ac$\u000f\nA\'B"\\\\"/', '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()),
        ("\x00\x1f\x7f\u2028", b'"\\u0000\\u001f\x7f\xe2\x80\xa8"'),
        ("\b\f\n\r\t", b'"\\b\\f\\n\\r\\t"'),
        ((1, "x"), b'[1,"x"]'),
        # RFC 8785 §3.2.3: keys sorted by UTF-16 code units, so U+1F600 (D83D DE00)
        # comes before U+FB33 although its code point is larger.
        (RFC8785_SORTING_INPUT, RFC8785_SORTING_OUTPUT),
    ],
)
def test_known_answers(value: Any, want: bytes) -> None:
    assert canonical_json(value) == want
    assert rfc8785.dumps(value) == want


@pytest.mark.parametrize(
    "value",
    [
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        2**64,
        [2**53],
        {"a": {"b": [2**60]}},
        float("nan"),
        float("inf"),
        {1: "non-string key"},
        "\ud800",
        {"\ud800": 1},
        {"a": object()},
        b"bytes",
    ],
    ids=lambda v: type(v).__name__,
)
def test_refused_values_raise_input_error(value: Any) -> None:
    assert _reference(value) is None
    with pytest.raises(InputError):
        canonical_json(value)
