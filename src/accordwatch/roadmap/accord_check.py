"""Check an accord file and say where every problem is.

`load_accord` reads the YAML text of an accord file and returns a
`CheckResult`: the parsed `Accord` when the file is sound, and every problem
found, each with its line and column (1-based) and reported once. Bad files
never raise; only a file that cannot be read at all (`check_file`) raises
`InputError`.

The check runs in three layers, each on what the one before could read:

1. YAML. The text is composed into a node tree (so every key and value keeps
   its position) and then built into plain data by hand, which catches what
   PyYAML lets pass silently: duplicate keys (the first value is kept and
   checked) and unsupported tags. A syntax error is one problem at its mark.
2. Schema. The data is validated by the pydantic `Accord` model; each error's
   `loc` is located at the nearest position recorded for it (the key for an
   unknown field, the enclosing mapping for a missing one) and worded plainly.
3. Meaning. Cross-references and the schedule are checked on a lenient view of
   every party, phase and step, so that one mistyped field hides nothing else:

   - duplicate party, phase and step ids (error, at the duplicate);
   - a step's `party`, `phase` or `verification.by` that is not declared, a
     `requires` entry or relative deadline naming an unknown step (error);
   - cycles through `requires` and relative deadlines (error, one per cycle,
     at the first step of the cycle in file order, naming the cycle);
   - steps without a way to be verified (error): `inspectorate` and
     `declaration accepted` need a party whose role is inspectorate,
     `acknowledgment` a party other than the acting one, and no party verifies
     its own step;
   - deadlines that cannot be met (error, see below);
   - phases whose `ends` dates are not in order (error);
   - a concession with empty `requires` (warning: not tied to a verified step);
   - a fixed deadline after the end of its step's phase (warning);
   - a party that never acts or verifies (warning);
   - obligations (the accord's `obligations` section): duplicate ids, a
     bound `party` that is not declared, an `effective` naming an unknown
     step, and `ends` before a fixed `effective` date (errors). A malformed
     `rule` is a schema error located inside the rule (`rule.any[1].in`).

Deadlines that cannot be met. Every deadline is given a *scheduled date*: a
fixed date is itself, `end of phase` is the phase's `ends`, and
`Nd after X reported|verified` is X's scheduled date plus N days, that is the
date it falls on when X is taken on its own deadline and verified at once
(verification windows are not added, so this is the earliest date the
deadline falls on when X uses its full time). A step that `requires` X may
only be taken once X is verified; if its scheduled date is before X's, the
schedule asks for it before X is even due, and that is an error. Steps in a
cycle, or counting from an unknown step, have no scheduled date and are not
compared.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from accordwatch.compliance.obligations import builtin_obligations, rule_pointer
from accordwatch.compliance.rules import RuleError
from accordwatch.errors import InputError
from accordwatch.log.records import NAME_PATTERN
from accordwatch.roadmap.accord import (
    Accord,
    AccordObligation,
    AccordRole,
    Deadline,
    EntryIntoForce,
    FixedDeadline,
    FixedStart,
    Party,
    Phase,
    PhaseEndDeadline,
    RelativeDeadline,
    Start,
    Step,
    StepKind,
    StepStart,
    Verification,
    VerificationMethod,
    parse_deadline,
    parse_start,
)

Severity = Literal["error", "warning"]
#: Where a value sits in the data: keys and indices from the top, e.g. ("steps", 3, "deadline").
Pointer = tuple[Any, ...]
Position = tuple[int, int]

_ID = re.compile(NAME_PATTERN)
_MAX_NODES = 200_000  # aliases can make a small file expand enormously
_MAX_DEPTH = 64  # an accord file is a few levels deep
_STANDARD_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Problem:
    """One problem found in an accord file, at a 1-based line and column."""

    severity: Severity
    message: str
    line: int
    column: int
    source: str

    def format(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass
class CheckResult:
    """The outcome of checking one accord file.

    `accord` is the parsed accord only when no error was found (warnings are
    allowed): a non-None accord has resolvable references and no cycles, so
    the road map engine may rely on it.
    """

    source: str
    problems: list[Problem] = field(default_factory=list)
    accord: Accord | None = None

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings do not count)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        return (
            f"{self.source}: {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}"
        )

    def format(self) -> str:
        """One line per problem, in file order: `FILE:LINE:COL: error: message`."""
        return "\n".join(problem.format() for problem in self.problems)


def check_file(path: str | os.PathLike[str]) -> CheckResult:
    """Check the accord file at `path`; raises `InputError` only if it cannot be read."""
    source = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        message = f"cannot read the accord file: {exc.strerror or exc}"
        raise InputError(message, where=source) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})"
        return CheckResult(source, [Problem("error", message, line, column, source)])
    return load_accord(text, source)


def load_accord(text: str, source: str = "<accord>") -> CheckResult:
    """Parse and check the YAML text of an accord file; never raises for bad content."""
    report = _Report(source)
    document = _read_yaml(text, report)
    if document is None:
        return report.result(None)
    report.positions = document
    accord = _validate(document.data, report)
    _Semantics(document.data, report).check()
    return report.result(accord if not report.has_errors else None)


# --- collecting problems ------------------------------------------------------------------------


@dataclass
class _Document:
    data: Any
    values: dict[Pointer, Position] = field(default_factory=dict)
    keys: dict[Pointer, Position] = field(default_factory=dict)

    def locate(self, at: Pointer, *, key: bool = False) -> Position:
        """The position of `at`, or of the nearest enclosing value that has one."""
        if key and at in self.keys:
            return self.keys[at]
        for end in range(len(at), -1, -1):
            position = self.values.get(at[:end])
            if position is not None:
                return position
        return (1, 1)


class _Report:
    def __init__(self, source: str) -> None:
        self.source = source
        self.positions = _Document(None)
        self.problems: list[Problem] = []
        self._seen: set[tuple[Severity, str, int, int]] = set()

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def add_at(self, severity: Severity, message: str, position: Position) -> None:
        line, column = position
        if (severity, message, line, column) not in self._seen:
            self._seen.add((severity, message, line, column))
            self.problems.append(Problem(severity, message, line, column, self.source))

    def error(self, at: Pointer, message: str, *, key: bool = False) -> None:
        self.add_at("error", message, self.positions.locate(at, key=key))

    def warning(self, at: Pointer, message: str, *, key: bool = False) -> None:
        self.add_at("warning", message, self.positions.locate(at, key=key))

    def result(self, accord: Accord | None) -> CheckResult:
        problems = sorted(self.problems, key=lambda p: (p.line, p.column))
        return CheckResult(self.source, problems, accord)


# --- layer 1: YAML with positions ---------------------------------------------------------------


def _position(mark: yaml.Mark | None) -> Position:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _position_in(text: str, index: int) -> Position:
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _read_yaml(text: str, report: _Report) -> _Document | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        message = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context and exc.context_mark is not None:
            message = f"{message} ({exc.context} at line {exc.context_mark.line + 1})"
        report.add_at("error", f"YAML syntax: {message}", _position(exc.problem_mark))
        return None
    except yaml.reader.ReaderError as exc:
        message = f"YAML syntax: character {exc.character!r} is not allowed in YAML"
        report.add_at("error", message, _position_in(text, exc.position))
        return None
    except yaml.YAMLError as exc:
        report.add_at("error", f"YAML syntax: {' '.join(str(exc).split())}", (1, 1))
        return None
    except RecursionError:
        report.add_at("error", "YAML is nested too deeply", (1, 1))
        return None
    if root is None:
        report.add_at("error", "the file is empty: an accord file is a YAML mapping", (1, 1))
        return None
    builder = _Builder(report)
    try:
        data = builder.build(root, (), 0)
    except _TooLargeError:
        report.add_at("error", "the file expands to too many values (aliases?)", (1, 1))
        return None
    return _Document(data, builder.values, builder.keys)


class _TooLargeError(Exception):
    pass


class _Builder:
    """Plain data from a composed YAML node tree, recording where each value came from."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.values: dict[Pointer, Position] = {}
        self.keys: dict[Pointer, Position] = {}
        self._constructor = yaml.constructor.SafeConstructor()
        self._active: set[int] = set()
        self._count = 0

    def build(self, node: yaml.Node, at: Pointer, depth: int) -> Any:
        self._count += 1
        if self._count > _MAX_NODES:
            raise _TooLargeError
        self.values.setdefault(at, _position(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if depth > _MAX_DEPTH:
            self.report.add_at("error", "values are nested too deeply", _position(node.start_mark))
            return None
        if id(node) in self._active:
            message = "a YAML alias refers to a value that contains it"
            self.report.add_at("error", message, _position(node.start_mark))
            return None
        if node.tag not in _STANDARD_COLLECTION_TAGS:
            self._unsupported_tag(node)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*at, i), depth + 1) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, at, depth)
        finally:
            self._active.discard(id(node))

    def _unsupported_tag(self, node: yaml.Node) -> None:
        message = f"YAML tag {node.tag!r} is not supported in accord files"
        self.report.add_at("error", message, _position(node.start_mark))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            self._unsupported_tag(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            # An implicit type that does not hold (e.g. 2020-13-45 looks like a date):
            # keep the text, and let the schema say what is wrong with it, once.
            pass
        return str(node.value)

    def _mapping(self, node: yaml.MappingNode, at: Pointer, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or not _hashable(key):
                message = "a mapping key must be a plain value, not empty, a list or a mapping"
                self.report.add_at("error", message, _position(key_node.start_mark))
                continue
            if key in first_line:
                message = f"duplicate key {key!r} (first at line {first_line[key]}): remove one"
                self.report.add_at("error", message, _position(key_node.start_mark))
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.keys.setdefault((*at, key), _position(key_node.start_mark))
            result[key] = self.build(value_node, (*at, key), depth + 1)
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    message = "a YAML merge ('<<') must name a mapping or a list of mappings"
                    self.report.add_at("error", message, _position(source.start_mark))
                    continue
                merged = self.build(source, at, depth + 1)
                for key, value in (merged if isinstance(merged, dict) else {}).items():
                    result.setdefault(key, value)
        return result


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --- layer 2: the schema ------------------------------------------------------------------------


def _validate(data: Any, report: _Report) -> Accord | None:
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
    # Anything left names a member of a union (e.g. the 'str' and 'date' of a deadline).
    return found, False


def _owner(data: Any, at: Pointer) -> tuple[str, Pointer]:
    """How to name the party, phase or step that `at` lies in, and the path inside it."""
    if len(at) >= 2 and at[0] in _ITEM_NOUNS and isinstance(at[1], int):
        _, item = _walk(data, at[:2])
        ident = item.get("id") if isinstance(item, dict) else None
        noun = _ITEM_NOUNS[at[0]]
        name = f"{noun} {ident!r}" if isinstance(ident, str) else f"{noun} {at[1] + 1}"
        return name, at[2:]
    return "accord", at


_ITEM_NOUNS = {
    "parties": "party",
    "phases": "phase",
    "steps": "step",
    "obligations": "obligation",
}


def _model_at(at: Pointer) -> type[BaseModel] | None:
    shape = tuple("#" if isinstance(part, int) else part for part in at)
    models: dict[tuple[Any, ...], type[BaseModel]] = {
        (): Accord,
        ("parties", "#"): Party,
        ("phases", "#"): Phase,
        ("steps", "#"): Step,
        ("steps", "#", "verification"): Verification,
        ("obligations", "#"): AccordObligation,
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


# --- layer 3: meaning ---------------------------------------------------------------------------


def _an_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.match(value) else None


# Read dates as the schema does (a date, its ISO text, or a datetime at midnight).
_DATE: TypeAdapter[date] = TypeAdapter(date)
_DEADLINE: TypeAdapter[str | date] = TypeAdapter(str | date)


def _a_date(value: Any) -> date | None:
    try:
        return _DATE.validate_python(value)
    except ValidationError:
        return None


@dataclass(frozen=True)
class _PartyView:
    index: int
    id: str
    role: AccordRole | None


@dataclass(frozen=True)
class _PhaseView:
    index: int
    id: str
    ends: date | None


@dataclass(frozen=True)
class _StepView:
    """What can be read of one step, each field None when it cannot (the schema says why)."""

    index: int
    id: str
    party: str | None
    phase: str | None
    kind: StepKind | None
    due: Deadline | None
    requires: tuple[tuple[int, str], ...]
    has_requires: bool
    method: VerificationMethod | None
    by: str | None

    @property
    def at(self) -> Pointer:
        return ("steps", self.index)

    @property
    def due_days(self) -> int:
        return self.due.days if isinstance(self.due, RelativeDeadline) else 0

    @staticmethod
    def read(index: int, item: dict[Any, Any], ident: str) -> _StepView:
        verification = item.get("verification")
        verification = verification if isinstance(verification, dict) else {}
        requires = item.get("requires")
        entries = tuple(
            (j, ref)
            for j, value in enumerate(requires if isinstance(requires, list) else [])
            if (ref := _an_id(value)) is not None
        )
        return _StepView(
            index=index,
            id=ident,
            party=_an_id(item.get("party")),
            phase=_an_id(item.get("phase")),
            kind=_enum(StepKind, item.get("kind")),
            due=_deadline(item.get("deadline")),
            requires=entries,
            has_requires=bool(requires),
            method=_enum(VerificationMethod, verification.get("method")),
            by=_an_id(verification.get("by")),
        )


@dataclass(frozen=True)
class _ObligationView:
    """What can be read of one obligation, each field None when it cannot."""

    index: int
    id: str
    party: str | None
    start: Start | None
    ends: date | None

    @property
    def at(self) -> Pointer:
        return ("obligations", self.index)

    @staticmethod
    def read(index: int, item: dict[Any, Any], ident: str) -> _ObligationView:
        try:
            start: Start | None = parse_start(
                _DEADLINE.validate_python(item.get("effective", "entry into force"))
            )
        except ValueError:  # the schema says why
            start = None
        return _ObligationView(
            index, ident, _an_id(item.get("party")), start, _a_date(item.get("ends"))
        )


_E = TypeVar("_E", StepKind, VerificationMethod, AccordRole)


def _enum(kind: type[_E], value: Any) -> _E | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _deadline(value: Any) -> Deadline | None:
    try:
        return parse_deadline(_DEADLINE.validate_python(value))
    except ValueError:  # pydantic's ValidationError is a ValueError too
        return None


_BY_INSPECTORATE = (VerificationMethod.INSPECTORATE, VerificationMethod.DECLARATION_ACCEPTED)


def _undeclared(ident: str, declared: list[str]) -> str:
    close = difflib.get_close_matches(ident, declared, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{ident!r} is not declared{hint}"


@dataclass(frozen=True)
class _Edge:
    target: str
    at: Pointer
    via_deadline: bool


class _Semantics:
    def __init__(self, data: Any, report: _Report) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.report = report
        self.parties: dict[str, _PartyView] = {}
        self.phases: dict[str, _PhaseView] = {}
        self.steps: dict[str, _StepView] = {}
        self.all_steps: list[_StepView] = []  # including duplicates, which are checked too
        self.obligations: list[_ObligationView] = []

    def check(self) -> None:
        self._read()
        self._references()
        in_cycle = self._cycles()
        self._verification()
        self._phase_order()
        self._schedule(in_cycle)
        self._concessions()
        self._idle_parties()
        self._obligations()
        self._instrument_id()

    def _items(self, key: str) -> Iterator[tuple[int, dict[Any, Any], str]]:
        """(index, item, id) of each entry of a top-level list; duplicate ids reported here."""
        items = self.data.get(key)
        first: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else []):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(ident, str):
                continue
            at = (key, index, "id")
            if ident in first:
                line = self.report.positions.locate((key, first[ident], "id"))[0]
                noun = _ITEM_NOUNS[key]
                self.report.error(at, f"duplicate {noun} id {ident!r} (first at line {line})")
            else:
                first[ident] = index
            yield index, item, ident

    def _read(self) -> None:
        for index, item, ident in self._items("parties"):
            party = _PartyView(index, ident, _enum(AccordRole, item.get("role")))
            self.parties.setdefault(ident, party)
        for index, item, ident in self._items("phases"):
            self.phases.setdefault(ident, _PhaseView(index, ident, _a_date(item.get("ends"))))
        for index, item, ident in self._items("steps"):
            step = _StepView.read(index, item, ident)
            self.all_steps.append(step)
            self.steps.setdefault(ident, step)
        for index, item, ident in self._items("obligations"):
            self.obligations.append(_ObligationView.read(index, item, ident))

    def _references(self) -> None:
        parties, steps = list(self.parties), list(self.steps)
        for step in self.all_steps:
            name = f"step {step.id!r}"
            if step.party is not None and step.party not in self.parties:
                message = f"acting party {_undeclared(step.party, parties)}"
                self.report.error((*step.at, "party"), f"{name}: {message}")
            if step.by is not None and step.by not in self.parties:
                message = f"verifying party {_undeclared(step.by, parties)}"
                self.report.error((*step.at, "verification", "by"), f"{name}: {message}")
            if step.phase is not None and step.phase not in self.phases:
                message = f"phase {_undeclared(step.phase, list(self.phases))}"
                self.report.error((*step.at, "phase"), f"{name}: {message}")
            for j, ref in step.requires:
                if ref not in self.steps:
                    message = f"required step {_undeclared(ref, steps)}"
                    self.report.error((*step.at, "requires", j), f"{name}: {message}")
            if isinstance(step.due, RelativeDeadline) and step.due.step not in self.steps:
                message = f"deadline counts from step {_undeclared(step.due.step, steps)}"
                self.report.error((*step.at, "deadline"), f"{name}: {message}")

    def _edges(self, step: _StepView) -> list[_Edge]:
        edges: dict[str, _Edge] = {}
        for j, ref in step.requires:
            if ref in self.steps:
                edges.setdefault(ref, _Edge(ref, (*step.at, "requires", j), False))
        if isinstance(step.due, RelativeDeadline) and step.due.step in self.steps:
            ref = step.due.step
            edges.setdefault(ref, _Edge(ref, (*step.at, "deadline"), True))
        return list(edges.values())

    def _cycles(self) -> set[str]:
        """Report each cycle once; return the ids of all steps on a cycle."""
        graph = {ident: self._edges(step) for ident, step in self.steps.items()}
        on_cycle: set[str] = set()
        for component in _strongly_connected(graph):
            first = min(component, key=lambda ident: self.steps[ident].index)
            if len(component) == 1 and not any(e.target == first for e in graph[first]):
                continue
            on_cycle.update(component)
            path = _shortest_cycle(graph, first, component)
            chain = " -> ".join([first, *(edge.target for edge in path)])
            waits = [
                f"{source!r} counts its deadline from {edge.target!r}"
                for source, edge in zip([first, *(e.target for e in path)], path, strict=False)
                if edge.via_deadline
            ]
            if waits:
                message = f"requires and deadlines form a cycle: {chain} ({'; '.join(waits)})"
            else:
                message = f"requires form a cycle: {chain}"
            self.report.error(path[0].at, f"{message}; none of these steps can be taken")
        return on_cycle

    def _verification(self) -> None:
        for step in self.all_steps:
            verifier = self.parties.get(step.by) if step.by is not None else None
            if verifier is None:
                continue
            at = (*step.at, "verification", "by")
            name = f"step {step.id!r}"
            if step.by == step.party:
                message = f"no way to verify: {step.by!r} cannot verify a step it takes itself"
                self.report.error(at, f"{name}: {message}")
                continue
            needs_inspectorate = step.method in _BY_INSPECTORATE
            if needs_inspectorate and verifier.role not in (None, AccordRole.INSPECTORATE):
                role = verifier.role.value if verifier.role is not None else ""
                method = step.method.value if step.method is not None else ""
                self.report.error(
                    at,
                    f"{name}: no way to verify: method {method!r} needs a party with role "
                    f"'inspectorate', but {verifier.id!r} is {role!r}",
                )

    def _phase_order(self) -> None:
        latest: _PhaseView | None = None
        for phase in sorted(self.phases.values(), key=lambda p: p.index):
            if phase.ends is None:
                continue
            if latest is not None and latest.ends is not None and phase.ends <= latest.ends:
                self.report.error(
                    ("phases", phase.index, "ends"),
                    f"phase {phase.id!r} ends {phase.ends.isoformat()}, not after phase "
                    f"{latest.id!r} ({latest.ends.isoformat()}): list phases in the order they end",
                )
            else:
                latest = phase

    def _scheduled(self, in_cycle: set[str]) -> dict[str, date]:
        """The scheduled date of every deadline that has one (see the module docstring)."""
        dates: dict[str, date] = {}
        relative: dict[str, RelativeDeadline] = {}
        for step in self.steps.values():
            if isinstance(step.due, FixedDeadline):
                dates[step.id] = step.due.on
            elif isinstance(step.due, PhaseEndDeadline) and step.phase in self.phases:
                ends = self.phases[step.phase].ends
                if ends is not None:
                    dates[step.id] = ends
            elif isinstance(step.due, RelativeDeadline) and step.id not in in_cycle:
                relative[step.id] = step.due
        for ident in list(relative):
            chain = []  # steps whose deadline counts from the next one, back to a known date
            while ident in relative and ident not in dates:
                chain.append(ident)
                ident = relative.pop(ident).step
            base = dates.get(ident)
            for counted in reversed(chain):
                if base is None:
                    break
                try:
                    base = dates[counted] = base + timedelta(days=self.steps[counted].due_days)
                except OverflowError:
                    base = None
                    self.report.error(
                        (*self.steps[counted].at, "deadline"),
                        f"step {counted!r}: deadline falls beyond the last representable date",
                    )
        return dates

    def _schedule(self, in_cycle: set[str]) -> None:
        dates = self._scheduled(in_cycle)
        for step in self.steps.values():
            due = dates.get(step.id)
            if due is None:
                continue
            late = [
                ref
                for _, ref in step.requires
                if ref != step.id
                and ref in dates
                and dates[ref] > due
                and not (ref in in_cycle and step.id in in_cycle)
            ]
            if late:
                counted = (
                    f" (counting from {step.due.step!r} taken on its deadline)"
                    if isinstance(step.due, RelativeDeadline)
                    else ""
                )
                names = ", ".join(f"{ref!r} (due {dates[ref].isoformat()})" for ref in late)
                self.report.error(
                    (*step.at, "deadline"),
                    f"step {step.id!r}: deadline {due.isoformat()}{counted} cannot be met: it "
                    f"falls before the deadline of {names}, which must be verified first",
                )
            phase = self.phases.get(step.phase) if step.phase is not None else None
            fixed = step.due.on if isinstance(step.due, FixedDeadline) else None
            if fixed is not None and phase is not None and phase.ends and fixed > phase.ends:
                self.report.warning(
                    (*step.at, "deadline"),
                    f"step {step.id!r}: due {fixed.isoformat()}, after its phase "
                    f"{phase.id!r} ends ({phase.ends.isoformat()})",
                )

    def _concessions(self) -> None:
        for step in self.all_steps:
            if step.kind is StepKind.CONCESSION and not step.has_requires:
                self.report.warning(
                    step.at,
                    f"step {step.id!r}: concession not tied to any verified step "
                    "(its 'requires' is empty)",
                )

    def _idle_parties(self) -> None:
        active = {s.party for s in self.all_steps} | {s.by for s in self.all_steps}
        for party in self.parties.values():
            if party.id not in active:
                self.report.warning(
                    ("parties", party.index), f"party {party.id!r} never acts or verifies a step"
                )

    def _obligations(self) -> None:
        for ob in self.obligations:
            name = f"obligation {ob.id!r}"
            if ob.party is not None and ob.party not in self.parties:
                message = f"bound party {_undeclared(ob.party, list(self.parties))}"
                self.report.error((*ob.at, "party"), f"{name}: {message}")
            start = ob.start
            if isinstance(start, StepStart) and start.step not in self.steps:
                message = f"takes effect from step {_undeclared(start.step, list(self.steps))}"
                self.report.error((*ob.at, "effective"), f"{name}: {message}")
            if isinstance(start, FixedStart) and ob.ends is not None and ob.ends < start.on:
                self.report.error(
                    (*ob.at, "ends"),
                    f"{name}: ends ({ob.ends.isoformat()}) before it takes effect "
                    f"({start.on.isoformat()})",
                )

    def _instrument_id(self) -> None:
        # In force, the accord is an instrument beside the shipped resolutions,
        # under its own id: the two must not share one.
        accord_id = self.data.get("id")
        if isinstance(accord_id, str) and accord_id in _shipped_instrument_ids():
            self.report.error(
                ("id",),
                f"accord id {accord_id!r} is the id of a shipped instrument (a Security "
                "Council resolution); compliance could not tell the two apart",
            )


@cache
def _shipped_instrument_ids() -> frozenset[str]:
    return frozenset(i.id for i in builtin_obligations().instruments)


def _strongly_connected(graph: dict[str, list[_Edge]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            edges = graph[node]
            if next_edge < len(edges):
                work.append((node, next_edge + 1))
                target = edges[next_edge].target
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _shortest_cycle(graph: dict[str, list[_Edge]], start: str, within: list[str]) -> list[_Edge]:
    """The edges of a shortest cycle from `start` back to itself inside one component."""
    allowed = set(within)
    came_by: dict[str, _Edge] = {}
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in graph[node]:
            if edge.target not in allowed:
                continue
            if edge.target == start:
                path = [edge]
                while node != start:
                    path.append(came_by[node])
                    node = previous[node]
                return path[::-1]
            if edge.target not in came_by:
                came_by[edge.target] = edge
                previous[edge.target] = node
                queue.append(edge.target)
    raise AssertionError("a strongly connected component always has a cycle")
