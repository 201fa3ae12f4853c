"""Validation errors in the user's words, not the validator's.

Pydantic says "Field required" and "String should match pattern
'^[a-z0-9][a-z0-9._-]{0,63}$'"; a user needs "missing: name" and "party ids are
lowercase letters, digits, '.', '_' or '-' (did you mean 'usa'?)". Every
place that turns a `ValidationError` into a one-line diagnostic (payloads,
settings, obligations files, the API's request errors) goes through
`describe` or `first_problem`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

#: the pattern of party, accord, step and other ids (`log.records.NAME_PATTERN`)
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ID_RULE = "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64"
_NOT_ID = re.compile(r"[^a-z0-9._-]+")


def as_id(text: str) -> str | None:
    """The id closest to `text` (lower-cased, other characters as '-'), if there is one."""
    guess = _NOT_ID.sub("-", text.strip().lower()).strip("-._")[:64]
    return guess if re.match(ID_PATTERN, guess) else None


def id_problem(value: str, what: str) -> str | None:
    """Why `value` is not a valid `what` id ("party", "accord"), or None if it is one."""
    if re.match(ID_PATTERN, value):
        return None
    text = f"{what} ids are {ID_RULE} characters, not {value!r}"
    guess = as_id(value)
    return f"{text} (did you mean {guess!r}?)" if guess else text


def field_name(loc: Sequence[int | str]) -> str:
    """`steps.2.deadline` for a pydantic location."""
    return ".".join(str(part) for part in loc)


def describe(error: ErrorDetails, *, known: Iterable[str] = (), subject: str | None = None) -> str:
    """One error in plain words: `missing: FIELD`, `unknown field X (did you mean Y?)`, ...

    `known` lists the accepted field names (for "did you mean"); `subject` says
    what an id names ("party") when the location alone does not.
    """
    loc = field_name(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return f"missing: {loc}"
    if kind == "extra_forbidden":
        name = str(error["loc"][-1]) if error["loc"] else loc
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown field {loc!r}{hint}"
    if kind == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == ID_PATTERN:
        what = subject or (str(error["loc"][-1]) if error["loc"] else "id")
        return id_problem(str(error.get("input")), what) or f"{loc}: not a valid id"
    prefix = f"{loc}: " if loc else ""
    return prefix + reason(error)


_WANTED = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "datetime_parsing": "must be a time (RFC 3339, e.g. 2026-01-31T12:00:00Z)",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def reason(error: ErrorDetails) -> str:
    """What is wrong with the value, without its location: `must be a whole number`."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _WANTED:
        return _WANTED[kind]
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind == "missing":
        return "missing"
    message = str(error["msg"])
    if kind == "value_error":  # our own validators word their messages fully
        message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def first_problem(exc: ValidationError, **words: Any) -> str:
    """The first error of `exc` in plain words, and how many more there are."""
    more = exc.error_count() - 1
    return describe(exc.errors()[0], **words) + (f" (+{more} more)" if more > 0 else "")
