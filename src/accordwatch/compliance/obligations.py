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

from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accordwatch.compliance.rules import Rule, RuleError, describe, parse_rule
from accordwatch.documents import Document, read_yaml
from accordwatch.errors import InputError
from accordwatch.log.records import NAME_PATTERN
from accordwatch.validation_messages import describe as describe_error

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
    located = read_yaml(text, source=file)
    data = located.data
    if isinstance(data, dict):
        # `x-...` keys hold YAML anchors (shared rules) and are otherwise ignored
        data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    head = _fields(_FileFields, data, located, [], "obligations file")
    if head.format != FORMAT:
        raise InputError(
            f"format {head.format!r} is not {FORMAT!r}", where=located.where(["format"])
        )
    instruments: dict[str, Instrument] = {}
    for i, raw in enumerate(head.instruments):
        path: list[Any] = ["instruments", i]
        fi = _fields(_InstrumentFields, raw, located, path, f"instrument {i + 1}")
        if fi.id in instruments:
            raise InputError(
                f"instrument id {fi.id!r} is used twice", where=located.where([*path, "id"])
            )
        instruments[fi.id] = Instrument(
            fi.id, fi.title, fi.kind, fi.adopted, fi.binding, fi.basis, fi.note, tuple(fi.sources)
        )
    obligations: dict[str, Obligation] = {}
    for i, raw in enumerate(head.obligations):
        ob = _obligation(raw, ["obligations", i], instruments, located)
        if ob.id in obligations:
            raise InputError(
                f"obligation id {ob.id!r} is used twice",
                where=located.where(["obligations", i, "id"]),
            )
        obligations[ob.id] = ob
    return Obligations(tuple(instruments.values()), tuple(obligations.values()), (file,))


def _obligation(
    raw: Any, path: list[Any], instruments: dict[str, Instrument], located: Document
) -> Obligation:
    f = _fields(_ObligationFields, raw, located, path, f"obligation {path[-1] + 1}")
    label = f"obligation {f.id}"
    instrument = instruments.get(f.instrument)
    if instrument is None:
        raise InputError(
            f"{label}: unknown instrument {f.instrument!r}",
            where=located.where([*path, "instrument"]),
        )
    effective = f.effective or instrument.adopted
    if effective < instrument.adopted:
        raise InputError(
            f"{label}: takes effect on {effective}, before its instrument "
            f"{instrument.id} was adopted ({instrument.adopted})",
            where=located.where([*path, "effective"]),
        )
    if f.ends is not None and f.ends < effective:
        raise InputError(
            f"{label}: ends ({f.ends}) before it takes effect ({effective})",
            where=located.where([*path, "ends"]),
        )
    try:
        rule = parse_rule(f.rule)
    except RuleError as exc:
        raise InputError(
            f"{label}: {exc.path}: {exc.message}",
            where=located.where([*path, *rule_pointer(exc.path)]),
        ) from None
    return Obligation(f.id, instrument, f.party, effective, f.ends, f.text, rule)


def _fields(model: type[M], data: Any, located: Document, path: list[Any], label: str) -> M:
    if not isinstance(data, dict):
        raise InputError(f"{label} must be a mapping", where=located.where(path))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        # an unknown field is placed at its key, anything else at its value
        on_key = first["type"] == "extra_forbidden"
        raise InputError(
            f"{label}: {describe_error(first, known=model.model_fields)}",
            where=located.where([*path, *loc], key=on_key),
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
