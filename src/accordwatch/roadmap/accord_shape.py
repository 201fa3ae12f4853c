"""The shape of an accord file: the schema's errors, each placed where it is and worded plainly.

The data read from the file is validated by the pydantic `Accord` model;
each error's `loc` is placed at the nearest position recorded for it (the
key for an unknown field, the enclosing mapping for a missing one, inside
the rule for a malformed obligation `rule`), errors about one place are
reported together, and pydantic's wording is made plain ("must be a valid
date, got '2025-13-45'").
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from accordwatch.compliance.obligations import rule_pointer
from accordwatch.compliance.rules import RuleError
from accordwatch.documents import Pointer
from accordwatch.roadmap.accord import (
    Accord,
    AccordObligation,
    EntryIntoForce,
    Party,
    Phase,
    Step,
    Verification,
)
from accordwatch.roadmap.accord_problems import ITEM_NOUNS, ProblemReport
from accordwatch.roadmap.consequence_terms import Consequence, Respond, TriggerError, Until


def check_shape(data: Any, report: ProblemReport) -> Accord | None:
    """The accord, if `data` fits the schema; otherwise None, and every schema error reported."""
    try:
        return Accord.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    groups: dict[tuple[Pointer, bool, bool], list[ErrorDetails]] = {}
    for error in errors:
        target, on_key = _error_target(data, error)
        groups.setdefault((target, on_key, error["type"] == "missing"), []).append(error)
    for (target, on_key, _), group in groups.items():
        report.error(target, _schema_message(data, target, group), key=on_key)
    return None


def _walk(data: Any, loc: Pointer) -> tuple[Pointer, Any]:
    """The longest prefix of `loc` present in `data`, and the value there."""
    node = data
    for i, part in enumerate(loc):
        in_dict = isinstance(node, dict) and _hashable(part) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        else:
            return loc[:i], node
    return loc, node


def _error_target(data: Any, error: ErrorDetails) -> tuple[Pointer, bool]:
    """Which value an error is about, and whether to point at its key rather than its value."""
    loc = tuple(error["loc"])
    found, _ = _walk(data, loc)
    rest = loc[len(found) :]
    if error["type"] == "missing" and rest:
        return found, False  # all fields missing from one mapping make one problem
    if error["type"] == "extra_forbidden":
        return loc, True
    if rest[:1] == ("[key]",):
        return found, True
    problem = error.get("ctx", {}).get("error")
    if isinstance(problem, RuleError) and loc[-1:] == ("rule",):
        # point into the rule, at the part that is wrong (`rule.any[1].in`)
        inside, _ = _walk(data, (*loc[:-1], *rule_pointer(problem.path)))
        return inside, False
    if isinstance(problem, TriggerError) and loc[-1:] == ("when",):
        # likewise inside a consequence's trigger (`when.any[1].overdue.days`)
        inside, _ = _walk(data, (*loc[:-1], *rule_pointer(problem.path)))
        return inside, False
    # Anything left names a member of a union (e.g. the 'str' and 'date' of a deadline).
    return found, False


def _owner(data: Any, at: Pointer) -> tuple[str, Pointer]:
    """How to name the party, phase or step that `at` lies in, and the path inside it."""
    if len(at) >= 2 and at[0] in ITEM_NOUNS and isinstance(at[1], int):
        _, item = _walk(data, at[:2])
        ident = item.get("id") if isinstance(item, dict) else None
        noun = ITEM_NOUNS[at[0]]
        name = f"{noun} {ident!r}" if isinstance(ident, str) else f"{noun} {at[1] + 1}"
        return name, at[2:]
    return "accord", at


def _model_at(at: Pointer) -> type[BaseModel] | None:
    shape = tuple("#" if isinstance(part, int) else part for part in at)
    models: dict[tuple[Any, ...], type[BaseModel]] = {
        (): Accord,
        ("parties", "#"): Party,
        ("phases", "#"): Phase,
        ("steps", "#"): Step,
        ("steps", "#", "verification"): Verification,
        ("obligations", "#"): AccordObligation,
        ("consequences", "#"): Consequence,
        ("consequences", "#", "respond"): Respond,
        ("consequences", "#", "until"): Until,
        ("entry_into_force",): EntryIntoForce,
    }
    return models.get(shape)


def _field_name(path: Pointer) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value.isoformat() if isinstance(value, date) else value)
    return text if len(text) <= 60 else text[:57] + "..."


_SHOULD = re.compile(
    r"^(Input|String|List|Value|Dictionary|Tuple|Number|Date|Datetime|Object) should( be)?"
)


def _plain(message: str) -> str:
    message = message.removeprefix("Value error, ").replace(" after validation", "")
    message = message.split(", unable to")[0]
    match = _SHOULD.match(message)
    if match:
        return ("must be" if match.group(2) else "must") + message[match.end() :]
    return message[:1].lower() + message[1:]


def _schema_message(data: Any, target: Pointer, group: list[ErrorDetails]) -> str:
    first = group[0]
    if first["type"] == "missing":
        owner, path = _owner(data, target)
        inside = f" in {_field_name(path)}" if path else ""
        names = ", ".join(repr(error["loc"][len(target)]) for error in group)
        fields = "fields" if len(group) > 1 else "field"
        return f"{owner}: missing required {fields} {names}{inside}"
    owner, path = _owner(data, target)
    name = _field_name(path)
    if first["type"] == "extra_forbidden":
        parent_model = _model_at(target[:-1])
        hint = ""
        if parent_model is not None and isinstance(target[-1], str):
            close = difflib.get_close_matches(target[-1], list(parent_model.model_fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{owner}: unknown field {name!r}{hint}"
    if first["type"] == "value_error":  # our own validators word their messages fully
        return f"{owner}: {_plain(first['msg'])}"
    if first["type"] == "string_pattern_mismatch":
        wanted = "must be a lower-case id (a-z, 0-9, '.', '_', '-'; at most 64 characters)"
    elif first["type"] in ("model_type", "model_attributes_type", "dict_type"):
        wanted = "must be a mapping (key: value lines)"
    else:
        parts = list(dict.fromkeys(_plain(error["msg"]) for error in group))
        wanted = parts[0] + "".join(
            " or " + part.removeprefix("must be ").removeprefix("must ") for part in parts[1:]
        )
    on_key = first["loc"][-1:] == ("[key]",)
    value = target[-1] if on_key and target else _walk(data, target)[1]
    subject = f"{name} key " if on_key else f"{name} " if name else ""
    return f"{owner}: {subject}{wanted}, got {_shown(value)}"


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
