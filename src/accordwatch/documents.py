"""Read YAML documents into plain data, keeping where every key and value was written.

Every YAML file accordwatch reads goes through `read_yaml`: accord files,
obligations files, declarations, scenarios, the measurement table and the
drafts the command line signs. It returns a `Document`: the data (mappings,
lists and scalars, as PyYAML's safe loader builds them), and the 1-based line
and column of every value and mapping key, by pointer (the keys and indices
from the top, e.g. `("steps", 3, "deadline")`), so that a caller can say
where a problem is: `Document.where(("steps", 3, "deadline"))` is
`file.yaml:52:15`.

Dates: with `dates="text"` (the default) a date stays the text it was
written as, so the data is JSON-like and a schema parses (and reports) dates
itself; with `dates="date"` it is a `datetime.date` (a `datetime` when it has
a time), as PyYAML reads it.

Duplicate keys: with `duplicates="last"` the last value of a key wins, as in
PyYAML and JSON readers; with `duplicates="refuse"` the first value is kept
and the later key is a problem ("duplicate key 'x' (first at line 3)").

What cannot be read at all raises `DocumentError`, an `InputError` whose
`where` is `file:line:column`: text that is not UTF-8 (or UTF-16 with a byte
order mark), YAML syntax, several documents in one file, values nested
beyond what the parser can follow, and aliases that expand the document
beyond `MAX_REPEATED` repeated values. Problems that leave the rest readable
(a duplicate key, a key that is a list or mapping, an unsupported tag, a
merge (`<<`) of something that is not a mapping, an alias to a value that
contains it, values nested more than `MAX_DEPTH` deep) raise the same way,
or with `lenient=True` are listed in `Document.issues` and reading goes on,
so that a checker can report every problem of a file at once (a checker
refuses a null key too, which PyYAML and JSON-like readers take). A scalar that
its tag cannot build (`!!int x`) is an "invalid value" error, or with
`lenient=True` stays the text it was written as, for a schema to report.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from accordwatch.errors import InputError

#: Where a value sits in a document: keys and indices from the top, e.g. ("steps", 3, "deadline").
Pointer = tuple[Any, ...]
#: A 1-based (line, column) in the text.
Position = tuple[int, int]
DateMode = Literal["text", "date"]
DuplicateKeys = Literal["last", "refuse"]
IssueKind = Literal["duplicate-key", "key", "tag", "merge", "alias", "depth"]
ErrorKind = Literal["encoding", "syntax", "too-deep", "too-large", "issue", "value"]

#: values nested deeper than this are a problem (documents here are a few levels deep)
MAX_DEPTH = 64
#: aliases may repeat at most this many values: a few lines can otherwise expand enormously
MAX_REPEATED = 200_000

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STANDARD_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
# What PyYAML's scalar constructors raise for a value their tag cannot build.
_VALUE_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, LookupError, AttributeError)


class _DatesAsText(yaml.SafeLoader):
    """Safe YAML that leaves dates as the text they were written as."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_LOADERS: dict[DateMode, type[yaml.SafeLoader]] = {"text": _DatesAsText, "date": yaml.SafeLoader}


class DocumentError(InputError):
    """A document that cannot be read: what is wrong (`problem`), at `line` and `column`.

    `kind` says what went wrong: "encoding" (not UTF-8 text), "syntax" (YAML
    syntax, with the construct it was in as `context` when the parser names
    one), "too-deep" (nesting beyond what the parser follows), "too-large"
    (aliases repeat too many values), "issue" (one of the problems that
    `lenient=True` would list instead) or "value" (a scalar its tag cannot
    build). The message is `malformed YAML: <problem>` (`invalid value in
    YAML: <problem>` for a value), at `source:line:column`.
    """

    def __init__(
        self,
        kind: ErrorKind,
        problem: str,
        *,
        source: str,
        position: Position,
        context: str | None = None,
    ) -> None:
        self.kind = kind
        self.problem = problem
        self.line, self.column = position
        self.context = context
        prefix = "invalid value in YAML" if kind == "value" else "malformed YAML"
        super().__init__(f"{prefix}: {problem}", where=f"{source}:{self.line}:{self.column}")


@dataclass(frozen=True)
class Issue:
    """A problem that leaves the rest of the document readable, at a 1-based line and column."""

    kind: IssueKind
    message: str
    line: int
    column: int


@dataclass
class Document:
    """The data of a YAML document, and where each of its values and mapping keys was written."""

    source: str
    data: Any
    #: True when the text holds no document at all (only comments or blank lines)
    empty: bool = False
    values: dict[Pointer, Position] = field(default_factory=dict)
    keys: dict[Pointer, Position] = field(default_factory=dict)
    #: with `lenient=True`, the problems met on the way, in the order they were met
    issues: list[Issue] = field(default_factory=list)

    def position(self, at: Sequence[Any], *, key: bool = False) -> Position | None:
        """Where `at` is, or the nearest enclosing value that is; None in an empty document.

        With `key`, where the key of the mapping member `at` is, when it is one.
        """
        at = tuple(at)
        if key and at in self.keys:
            return self.keys[at]
        for end in range(len(at), -1, -1):
            found = self.values.get(at[:end])
            if found is not None:
                return found
        return None

    def where(self, at: Sequence[Any], *, key: bool = False) -> str:
        """`source:line:column` of `at` (see `position`), or the source alone."""
        found = self.position(at, key=key)
        return f"{self.source}:{found[0]}:{found[1]}" if found else self.source


def read_yaml(
    text: str | bytes,
    *,
    source: str,
    dates: DateMode = "text",
    duplicates: DuplicateKeys = "last",
    lenient: bool = False,
) -> Document:
    """Read one YAML document; raises `DocumentError` (an `InputError`) for what cannot be read.

    Bytes are UTF-8, or UTF-16 when they start with its byte order mark.
    """
    if isinstance(text, bytes):
        text = _decoded(text, source)
    try:
        root = yaml.compose(text, Loader=_LOADERS[dates])
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "not valid YAML"
        context = None
        if exc.problem and exc.context and exc.context_mark is not None:
            context = f"{exc.context} at line {exc.context_mark.line + 1}"
        raise DocumentError(
            "syntax", problem, source=source, position=_position(exc.problem_mark), context=context
        ) from exc
    except yaml.reader.ReaderError as exc:
        problem = f"character {exc.character!r} is not allowed in YAML"
        position = _position_in(text, exc.position)
        raise DocumentError("syntax", problem, source=source, position=position) from exc
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise DocumentError("syntax", problem, source=source, position=(1, 1)) from exc
    except RecursionError:
        problem = "YAML is nested too deeply"
        raise DocumentError("too-deep", problem, source=source, position=(1, 1)) from None
    if root is None:
        return Document(source, None, empty=True)
    builder = _Builder(source, duplicates, lenient)
    data = builder.build(root, (), 0)
    return Document(source, data, False, builder.values, builder.keys, builder.issues)


def _decoded(raw: bytes, source: str) -> str:
    # PyYAML's own choice: UTF-16 when a byte order mark says so, UTF-8 otherwise.
    # The mark stays in the text, where the parser skips it, so columns count it as PyYAML does.
    if raw.startswith(codecs.BOM_UTF16_LE):
        encoding = "utf-16-le"
    elif raw.startswith(codecs.BOM_UTF16_BE):
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":  # the line and byte where the text stops being UTF-8
            line = raw.count(b"\n", 0, exc.start) + 1
            position = (line, exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1)
        else:
            before = raw[: exc.start].decode(encoding, errors="replace")
            position = _position_in(before, len(before))
        name = "UTF-8" if encoding == "utf-8" else "UTF-16"
        problem = f"the file is not {name} text (byte 0x{raw[exc.start]:02x})"
        raise DocumentError("encoding", problem, source=source, position=position) from None


def _position(mark: yaml.Mark | None) -> Position:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _position_in(text: str, index: int) -> Position:
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class _Builder:
    """Plain data from a composed node tree, recording where each value came from.

    PyYAML's constructor would build the data too, but it forgets positions,
    keeps the last of two equal keys silently and follows aliases into
    structures that contain themselves; building by hand keeps positions and
    lets a checker hear of each such problem and go on.
    """

    def __init__(self, source: str, duplicates: DuplicateKeys, lenient: bool) -> None:
        self.source = source
        self.refuse_duplicates = duplicates == "refuse"
        self.lenient = lenient
        self.values: dict[Pointer, Position] = {}
        self.keys: dict[Pointer, Position] = {}
        self.issues: list[Issue] = []
        self._constructor = yaml.constructor.SafeConstructor()
        self._active: set[int] = set()
        self._built: set[int] = set()
        self._repeated = 0

    def _issue(self, kind: IssueKind, message: str, node: yaml.Node) -> None:
        position = _position(node.start_mark)
        if not self.lenient:
            raise DocumentError("issue", message, source=self.source, position=position)
        self.issues.append(Issue(kind, message, *position))

    def build(self, node: yaml.Node, at: Pointer, depth: int) -> Any:
        # A node built before is reached again through an alias: count the copy.
        if id(node) in self._built:
            self._repeated += 1
            if self._repeated > MAX_REPEATED:
                message = "the file expands to too many values (aliases?)"
                raise DocumentError("too-large", message, source=self.source, position=(1, 1))
        else:
            self._built.add(id(node))
        self.values.setdefault(at, _position(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if depth > MAX_DEPTH:
            self._issue("depth", "values are nested too deeply", node)
            return None
        if id(node) in self._active:
            self._issue("alias", "a YAML alias refers to a value that contains it", node)
            return None
        if node.tag not in _STANDARD_COLLECTION_TAGS:
            if not self.lenient:
                return self._construct(node)
            self._issue("tag", f"YAML tag {node.tag!r} is not supported", node)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*at, i), depth + 1) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, at, depth)
        finally:
            self._active.discard(id(node))

    def _construct(self, node: yaml.Node) -> Any:
        """What PyYAML's safe constructor makes of a node, its refusal told as a `DocumentError`."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:  # an unknown tag, base64 that is not
            problem = exc.problem or "not valid YAML"
            position = _position(exc.problem_mark)
            raise DocumentError("issue", problem, source=self.source, position=position) from exc
        except _VALUE_ERRORS as exc:  # a type that does not hold: `!!int x`, 2020-13-45
            if isinstance(exc, ValueError | OverflowError | TypeError):
                problem = str(exc)
            else:  # PyYAML fails on these without saying why
                problem = f"{node.value!r} cannot be read as {node.tag}"
            position = _position(node.start_mark)
            raise DocumentError("value", problem, source=self.source, position=position) from exc

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if not self.lenient:
            return self._construct(node)
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            self._issue("tag", f"YAML tag {node.tag!r} is not supported", node)
        except _VALUE_ERRORS:
            # Keep the text, and let the schema say what is wrong with it, once.
            pass
        return str(node.value)

    def _key(self, node: yaml.Node) -> tuple[bool, Any]:
        """(True, key) for a key that can be one, else (False, None) once the problem is told."""
        key = self._scalar(node) if isinstance(node, yaml.ScalarNode) else None
        plain = isinstance(node, yaml.ScalarNode) and _hashable(key)
        # A null key is PyYAML's and JSON-like readers' business; a checker refuses it.
        if plain and (key is not None or not self.lenient):
            return True, key
        if self.lenient:
            message = "a mapping key must be a plain value, not empty, a list or a mapping"
        else:  # PyYAML's words, as readers of these documents have always been told
            message = "found unhashable key"
        self._issue("key", message, node)
        return False, None

    def _mapping(self, node: yaml.MappingNode, at: Pointer, depth: int) -> dict[Any, Any]:
        members: list[tuple[Any, yaml.Node, yaml.Node]] = []
        merges: list[yaml.Node] = []
        first_line: dict[Any, int] = {}
        last: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            ok, key = self._key(key_node)
            if not ok:
                continue
            if key in first_line and self.refuse_duplicates:
                message = f"duplicate key {key!r} (first at line {first_line[key]}): remove one"
                self._issue("duplicate-key", message, key_node)
                continue
            first_line.setdefault(key, key_node.start_mark.line + 1)
            last[key] = len(members)
            members.append((key, key_node, value_node))
        explicit: dict[Any, Any] = {}
        for key, _, _ in members:
            if key in explicit:
                continue
            # in file order of first appearance, with the value (and place) of the last
            _, key_node, value_node = members[last[key]]
            self.keys.setdefault((*at, key), _position(key_node.start_mark))
            explicit[key] = self.build(value_node, (*at, key), depth + 1)
        if not merges:
            return explicit
        merged: dict[Any, Any] = {}
        # Of several `<<` keys the one that wins is the first (when duplicates are
        # refused) or the last (PyYAML's); of a list of mappings, always the first.
        for merge in merges if self.refuse_duplicates else merges[::-1]:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    message = "a YAML merge ('<<') must name a mapping or a list of mappings"
                    self._issue("merge", message, source)
                    continue
                built = self.build(source, at, depth + 1)
                for key, value in (built if isinstance(built, dict) else {}).items():
                    merged.setdefault(key, value)
        # Merged keys first, then those written here, which win: PyYAML's order.
        return {**merged, **explicit}
