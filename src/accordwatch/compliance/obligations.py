"""Obligations: rules from instruments (resolutions, accords), read from YAML files.

An obligations file lists instruments and the obligations they create:

    format: accordwatch/obligations/v1
    instruments:
      - {id: unsc-1718, title: S/RES/1718 (2006), kind: unsc-resolution,
         adopted: 2006-10-14, binding: true}
    obligations:
      - id: unsc-1718-nuclear-test
        instrument: unsc-1718
        party: dprk                 # who is bound: matched against an event's actor
        effective: 2006-10-14       # default: the instrument's adoption date
        ends: null                  # optional last day in force
        text: must not conduct any further nuclear test
        rule: {type: nuclear_test}  # see accordwatch.compliance.rules

An obligation applies to events dated from `effective` to `ends` (both
included). An instrument that is not binding (`binding: false`, such as a
resolution that demands but was not adopted under Chapter VII) still has its
matches listed, apart from violations. Top-level keys starting with `x-`
are ignored (a place for YAML anchors of shared rules). Every problem is reported with the
file, line and column, and the obligation and field it is in.

The package ships the UN Security Council resolutions on the DPRK
(`accordwatch/data/unsc-dprk-obligations.yaml`); `builtin_obligations` reads it.
An accord file may carry obligations too, with the same fields
(`ObligationTerms`) and rules, the accord being their instrument;
`accord_obligations` turns those of the accords in force into `Obligation`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accordwatch.compliance.rules import Rule, RuleError, describe, parse_rule
from accordwatch.errors import InputError
from accordwatch.log.records import NAME_PATTERN

FORMAT = "accordwatch/obligations/v1"
BUILTIN = "unsc-dprk-obligations.yaml"
M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _InstrumentFields(_Strict):
    id: str = Field(pattern=NAME_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    kind: str = Field(min_length=1, max_length=100)
    adopted: date
    binding: bool
    basis: str = ""
    note: str = ""
    sources: list[str] = Field(default_factory=list)


class ObligationTerms(_Strict):
    """The fields every obligation has, in an obligations file or an accord's `obligations`."""

    id: str = Field(pattern=NAME_PATTERN)
    party: str = Field(
        pattern=NAME_PATTERN, description="who is bound: matched against an event's actor"
    )
    ends: date | None = Field(default=None, description="optional last day in force")
    text: str = Field(min_length=1, max_length=2000)
    rule: dict[str, Any] = Field(description="the events it forbids (compliance_rules)")


class _ObligationFields(ObligationTerms):
    instrument: str
    effective: date | None = None


class _FileFields(_Strict):
    format: str
    title: str = ""
    note: str = ""
    instruments: list[dict[str, Any]]
    obligations: list[dict[str, Any]]


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    kind: str
    adopted: date
    binding: bool
    basis: str = ""
    note: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Obligation:
    id: str
    instrument: Instrument
    party: str
    effective: date
    ends: date | None
    text: str
    rule: Rule

    @property
    def binding(self) -> bool:
        return self.instrument.binding

    def in_force(self, day: date) -> bool:
        return self.effective <= day and (self.ends is None or day <= self.ends)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instrument": self.instrument.id,
            "instrument_title": self.instrument.title,
            "binding": self.binding,
            "party": self.party,
            "effective": self.effective.isoformat(),
            "ends": self.ends.isoformat() if self.ends else None,
            "text": self.text,
            "rule": describe(self.rule),
        }


@dataclass(frozen=True)
class Obligations:
    instruments: tuple[Instrument, ...]
    obligations: tuple[Obligation, ...]
    #: the files they were read from
    files: tuple[str, ...] = ()

    def instrument(self, instrument_id: str) -> Instrument:
        return next(i for i in self.instruments if i.id == instrument_id)


class _Loader(yaml.SafeLoader):
    """Safe YAML, with dates left as text for the schema to parse (and to report)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Located:
    """Line and column (1-based) of every value in a YAML document, by path."""

    def __init__(self, text: str) -> None:
        self.marks: dict[tuple[Any, ...], tuple[int, int]] = {}
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            return  # the loader reports the syntax error itself
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.marks[(*path, key.value, "<key>")] = (
                    key.start_mark.line + 1,
                    key.start_mark.column + 1,
                )
                self._walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def where(self, file: str, path: Sequence[Any]) -> str:
        for n in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:n]))
            if mark:
                return f"{file}:{mark[0]}:{mark[1]}"
        return file


def rule_pointer(rule_path: str) -> list[Any]:
    """`rule.any[1].attribute` -> ["rule", "any", 1, "attribute"]."""
    out: list[Any] = []
    for part in rule_path.split("."):
        name, *indices = part.replace("]", "").split("[")
        out.append(name)
        out.extend(int(i) for i in indices)
    return out


def load_obligations(text: str, *, file: str) -> Obligations:
    """Read an obligations file, or raise one `InputError` naming file, line and field."""
    located = _Located(text)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        raise InputError(f"malformed YAML: {getattr(exc, 'problem', exc)}", where=at) from exc
    if isinstance(data, dict):
        # `x-...` keys hold YAML anchors (shared rules) and are otherwise ignored
        data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    head = _fields(_FileFields, data, located, file, [], "obligations file")
    if head.format != FORMAT:
        raise InputError(
            f"format {head.format!r} is not {FORMAT!r}", where=located.where(file, ["format"])
        )
    instruments: dict[str, Instrument] = {}
    for i, raw in enumerate(head.instruments):
        path: list[Any] = ["instruments", i]
        fi = _fields(_InstrumentFields, raw, located, file, path, f"instrument {i + 1}")
        if fi.id in instruments:
            raise InputError(
                f"instrument id {fi.id!r} is used twice", where=located.where(file, [*path, "id"])
            )
        instruments[fi.id] = Instrument(
            fi.id, fi.title, fi.kind, fi.adopted, fi.binding, fi.basis, fi.note, tuple(fi.sources)
        )
    obligations: dict[str, Obligation] = {}
    for i, raw in enumerate(head.obligations):
        ob = _obligation(raw, ["obligations", i], instruments, located, file)
        if ob.id in obligations:
            raise InputError(
                f"obligation id {ob.id!r} is used twice",
                where=located.where(file, ["obligations", i, "id"]),
            )
        obligations[ob.id] = ob
    return Obligations(tuple(instruments.values()), tuple(obligations.values()), (file,))


def _obligation(
    raw: Any, path: list[Any], instruments: dict[str, Instrument], located: _Located, file: str
) -> Obligation:
    f = _fields(_ObligationFields, raw, located, file, path, f"obligation {path[-1] + 1}")
    label = f"obligation {f.id}"
    instrument = instruments.get(f.instrument)
    if instrument is None:
        raise InputError(
            f"{label}: unknown instrument {f.instrument!r}",
            where=located.where(file, [*path, "instrument"]),
        )
    effective = f.effective or instrument.adopted
    if effective < instrument.adopted:
        raise InputError(
            f"{label}: takes effect on {effective}, before its instrument "
            f"{instrument.id} was adopted ({instrument.adopted})",
            where=located.where(file, [*path, "effective"]),
        )
    if f.ends is not None and f.ends < effective:
        raise InputError(
            f"{label}: ends ({f.ends}) before it takes effect ({effective})",
            where=located.where(file, [*path, "ends"]),
        )
    try:
        rule = parse_rule(f.rule)
    except RuleError as exc:
        raise InputError(
            f"{label}: {exc.path}: {exc.message}",
            where=located.where(file, [*path, *rule_pointer(exc.path)]),
        ) from None
    return Obligation(f.id, instrument, f.party, effective, f.ends, f.text, rule)


def _fields(
    model: type[M], data: Any, located: _Located, file: str, path: list[Any], label: str
) -> M:
    if not isinstance(data, dict):
        raise InputError(f"{label} must be a mapping", where=located.where(file, path))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        field = ".".join(str(p) for p in loc) or label
        at = [*path, *loc]
        if first["type"] == "extra_forbidden":
            at = [*at, "<key>"]
        raise InputError(
            f"{label}: field {field}: {first['msg']}", where=located.where(file, at)
        ) from None


def read_obligations(path: Path) -> Obligations:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read obligations file: {exc}", where=str(path)) from exc
    return load_obligations(text, file=str(path))


def builtin_obligations() -> Obligations:
    """The UN Security Council resolutions on the DPRK, as shipped in the package."""
    resource = files("accordwatch.data").joinpath(BUILTIN)
    return load_obligations(resource.read_text("utf-8"), file=BUILTIN)


def combine(*sets: Obligations) -> Obligations:
    """Several obligation files as one; ids must not clash between them."""
    instruments: dict[str, Instrument] = {}
    obligations: dict[str, Obligation] = {}
    names: list[str] = []
    for one in sets:
        for ins in one.instruments:
            if ins.id in instruments and instruments[ins.id] != ins:
                raise InputError(
                    f"instrument {ins.id!r} is defined differently in two files",
                    where=", ".join(one.files),
                )
            instruments[ins.id] = ins
        for ob in one.obligations:
            if ob.id in obligations:
                raise InputError(
                    f"obligation {ob.id!r} is defined in two files", where=", ".join(one.files)
                )
            obligations[ob.id] = ob
        names.extend(one.files)
    return Obligations(tuple(instruments.values()), tuple(obligations.values()), tuple(names))
