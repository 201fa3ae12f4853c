"""Match rules: which events an obligation forbids, written as data and never run as code.

A rule is a small tree read from an obligations file:

    {type: missile_launch}                      # or a list of types
    {attribute: missile_class, in: [ICBM, IRBM]}  # also eq, gt, gte, lt, lte, known
    {all: [rule, ...]}   {any: [rule, ...]}   {not: rule}

Matching is three-valued (Kleene): a rule is true, false or unknown for an
event. An attribute the source gives as unknown makes a test on it unknown; an
attribute the event's type does not have makes it false; a type test on an
`unclassified_launch` is unknown when the listed types take in only some of
what it may be. `all` is false if any part is false, true if all are true,
unknown otherwise; `any` the other way round; `not` swaps true and false.
Text compares ignoring case.

The same rules run two ways that must agree: `match` on one event (for
explanations and tests) and `compile_rule` on a whole `EventTable` at once
(NumPy boolean arrays, for the evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from accordwatch.compliance.events import ATTRIBUTES, EVENT_TYPES, AttributeKind, Event

if TYPE_CHECKING:
    from accordwatch.compliance.event_table import EventTable

Mask = npt.NDArray[np.bool_]
TruthArray = npt.NDArray[np.int8]

_TEXT_OPS = ("eq", "in")
_NUMBER_OPS = ("eq", "in", "gt", "gte", "lt", "lte")
_OPS = ("eq", "in", "gt", "gte", "lt", "lte", "known")


class Truth(IntEnum):
    """Kleene truth values, ordered so that `and` is min, `or` is max, `not` is 2 - x."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


class RuleError(ValueError):
    """A malformed rule; `path` says where in the rule (`rule.any[1].attribute`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class TypeIs:
    types: frozenset[str]


@dataclass(frozen=True)
class AttributeTest:
    attribute: str
    op: str
    values: tuple[str | float, ...] = ()
    known: bool = True
    #: the values as written, for display (text values are matched case-folded)
    labels: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    part: Rule


Rule = TypeIs | AttributeTest | AllOf | AnyOf | Not


def parse_rule(data: Any, path: str = "rule") -> Rule:
    """Read a rule from plain data (parsed YAML or JSON), or raise `RuleError`."""
    if not isinstance(data, dict) or not data:
        raise RuleError(path, "a rule must be a mapping (type, attribute, all, any or not)")
    keys = set(data)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                raise RuleError(path, f"{combinator!r} must stand alone in its rule")
            parts = data[combinator]
            if not isinstance(parts, list) or not parts:
                raise RuleError(f"{path}.{combinator}", "must be a non-empty list of rules")
            parsed = tuple(parse_rule(p, f"{path}.{combinator}[{i}]") for i, p in enumerate(parts))
            return AllOf(parsed) if combinator == "all" else AnyOf(parsed)
    if "not" in keys:
        if keys != {"not"}:
            raise RuleError(path, "'not' must stand alone in its rule")
        return Not(parse_rule(data["not"], f"{path}.not"))
    if "type" in keys:
        if keys != {"type"}:
            raise RuleError(path, "'type' must stand alone in its rule (combine with all)")
        return TypeIs(_types(data["type"], f"{path}.type"))
    if "attribute" in keys:
        return _test(data, path)
    raise RuleError(path, f"unknown rule key(s) {', '.join(sorted(map(str, keys)))}")


def _types(value: Any, path: str) -> frozenset[str]:
    names = value if isinstance(value, list) else [value]
    if not names:
        raise RuleError(path, "must name at least one event type")
    for name in names:
        if name not in EVENT_TYPES:
            raise RuleError(path, f"unknown event type {name!r} (known: {', '.join(EVENT_TYPES)})")
    return frozenset(names)


def _test(data: dict[Any, Any], path: str) -> AttributeTest:
    name = data["attribute"]
    kind = ATTRIBUTES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise RuleError(
            f"{path}.attribute",
            f"no event type has attribute {name!r} (attributes: {', '.join(ATTRIBUTES)})",
        )
    ops = [k for k in data if k != "attribute"]
    if len(ops) != 1 or ops[0] not in _OPS:
        raise RuleError(path, f"an attribute test needs exactly one of {', '.join(_OPS)}")
    op = ops[0]
    value = data[op]
    where = f"{path}.{op}"
    if op == "known":
        if not isinstance(value, bool):
            raise RuleError(where, "must be true or false")
        return AttributeTest(name, op, known=value)
    allowed = _NUMBER_OPS if kind is AttributeKind.NUMBER else _TEXT_OPS
    if op not in allowed:
        raise RuleError(where, f"{name} is {kind} and cannot be compared with {op}")
    values = value if op == "in" else [value]
    if op == "in" and (not isinstance(value, list) or not value):
        raise RuleError(where, "must be a non-empty list")
    for v in values:
        number = isinstance(v, int | float) and not isinstance(v, bool)
        if kind is AttributeKind.NUMBER and not number:
            raise RuleError(where, f"{name} is a number; {v!r} is not")
        if kind is AttributeKind.TEXT and not isinstance(v, str):
            raise RuleError(where, f"{name} is text; {v!r} is not")
    labels = tuple(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
    if kind is AttributeKind.TEXT:
        return AttributeTest(name, op, tuple(str(v).casefold() for v in values), labels=labels)
    return AttributeTest(name, op, tuple(float(v) for v in values), labels=labels)


def describe(rule: Rule) -> str:
    """The rule in words, for listings."""
    if isinstance(rule, TypeIs):
        return "type is " + " or ".join(sorted(rule.types))
    if isinstance(rule, AttributeTest):
        if rule.op == "known":
            return f"{rule.attribute} is {'known' if rule.known else 'not known'}"
        symbol = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}.get(rule.op)
        labels = rule.labels or tuple(f"{v:g}" if isinstance(v, float) else v for v in rule.values)
        if symbol:
            return f"{rule.attribute} {symbol} {labels[0]}"
        return f"{rule.attribute} in [{', '.join(labels)}]"
    if isinstance(rule, Not):
        return f"not ({describe(rule.part)})"
    joiner = " and " if isinstance(rule, AllOf) else " or "
    return "(" + joiner.join(describe(p) for p in rule.parts) + ")"


def attributes_of(rule: Rule) -> frozenset[str]:
    """The attributes a rule reads."""
    if isinstance(rule, AttributeTest):
        return frozenset({rule.attribute})
    if isinstance(rule, TypeIs):
        return frozenset()
    if isinstance(rule, Not):
        return attributes_of(rule.part)
    return frozenset().union(*(attributes_of(p) for p in rule.parts))


def type_truth(types: frozenset[str], event_type: str) -> Truth:
    """Whether an event of `event_type` is one of `types`."""
    wanted = set().union(*(EVENT_TYPES[t].covers for t in types))
    covers = EVENT_TYPES[event_type].covers
    if covers <= wanted:
        return Truth.TRUE
    return Truth.UNKNOWN if covers & wanted else Truth.FALSE


def _compare(op: str, value: str | float, wanted: tuple[str | float, ...]) -> bool:
    if op in ("eq", "in"):
        return value in wanted
    target = wanted[0]
    assert isinstance(value, float) and isinstance(target, float)
    if op == "gt":
        return value > target
    if op == "gte":
        return value >= target
    if op == "lt":
        return value < target
    return value <= target


def _test_truth(test: AttributeTest, event_type: str, attributes: Mapping[str, Any]) -> Truth:
    applies = test.attribute in EVENT_TYPES[event_type].attributes
    value = attributes.get(test.attribute) if applies else None
    if test.op == "known":
        present = applies and value is not None
        return Truth.TRUE if present == test.known else Truth.FALSE
    if not applies:
        return Truth.FALSE
    if value is None:
        return Truth.UNKNOWN
    actual: str | float = (
        str(value).casefold() if ATTRIBUTES[test.attribute] is AttributeKind.TEXT else float(value)
    )
    return Truth.TRUE if _compare(test.op, actual, test.values) else Truth.FALSE


def match(rule: Rule, event: Event) -> Truth:
    """Whether `event` matches `rule`: true, false or unknown."""
    if isinstance(rule, TypeIs):
        return type_truth(rule.types, event.type)
    if isinstance(rule, AttributeTest):
        return _test_truth(rule, event.type, event.attributes)
    if isinstance(rule, Not):
        return Truth(2 - match(rule.part, event))
    if isinstance(rule, AllOf):
        return Truth(min(match(p, event) for p in rule.parts))
    return Truth(max(match(p, event) for p in rule.parts))


class Compiler:
    """Evaluates rules over a whole `EventTable`: one `Truth` value (int8) per event.

    `and` is the element-wise minimum, `or` the maximum and `not` 2 - x, as
    for `match`. Every rule and sub-rule seen is remembered (one byte per
    event each), so a test shared by many obligations is computed once.
    """

    def __init__(self, table: EventTable) -> None:
        self.table = table
        self._memo: dict[Rule, TruthArray] = {}

    def truth(self, rule: Rule) -> TruthArray:
        cached = self._memo.get(rule)
        if cached is None:
            cached = self._memo[rule] = self._compile(rule)
        return cached

    def _compile(self, rule: Rule) -> TruthArray:
        table = self.table
        if isinstance(rule, TypeIs):
            per_type = np.array(
                [int(type_truth(rule.types, name)) for name in table.type_names] or [0],
                dtype=np.int8,
            )
            by_type: TruthArray = per_type[table.type_code]
            return by_type
        if isinstance(rule, AttributeTest):
            return self._test(rule)
        if isinstance(rule, Not):
            return (Truth.TRUE - self.truth(rule.part)).astype(np.int8)
        parts = [self.truth(p) for p in rule.parts]
        if len(parts) == 1:
            return parts[0]
        combine = np.minimum if isinstance(rule, AllOf) else np.maximum
        combined: TruthArray = combine.reduce(parts)
        return combined

    def _test(self, test: AttributeTest) -> TruthArray:
        table = self.table
        given, unknown = table.known_and_unknown(test.attribute)
        if test.op == "known":
            present = given if test.known else ~given
            return present.view(np.int8) * np.int8(Truth.TRUE)
        if ATTRIBUTES[test.attribute] is AttributeKind.TEXT:
            codes, vocabulary = table.text(test.attribute)
            # a lookup table over the codes (shifted by one for -1, unknown) beats np.isin
            table_of = np.zeros(len(vocabulary) + 1, dtype=bool)
            table_of[[vocabulary[v] + 1 for v in test.values if v in vocabulary]] = True
            found = table_of[codes + 1]
        else:
            found = _numeric(test, table.number(test.attribute))
        # not applicable: false (0); applicable but not given: unknown (1); else 2 or 0
        return unknown + (given & found).view(np.int8) * np.int8(Truth.TRUE)


def _numeric(test: AttributeTest, numbers: npt.NDArray[np.float64]) -> Mask:
    values = np.array(test.values, dtype=np.float64)
    found: Mask
    with np.errstate(invalid="ignore"):  # NaN (unknown) compares false, as wanted
        if test.op in ("eq", "in"):
            found = np.isin(numbers, values)
        elif test.op == "gt":
            found = numbers > values[0]
        elif test.op == "gte":
            found = numbers >= values[0]
        elif test.op == "lt":
            found = numbers < values[0]
        else:
            found = numbers <= values[0]
    return found
