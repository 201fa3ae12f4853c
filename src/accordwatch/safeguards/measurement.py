"""The measurement error model: methods and their relative random and systematic errors.

An observed value is `true x (1 + random + systematic)`. The random error is
drawn afresh for every measurement; the systematic error is shared by every
measurement made with the same method at the same location, across periods,
until a recalibration starts a new one. Both are normal with mean zero and the
method's relative standard deviations (`random_rsd`, `systematic_rsd`).

The package ships a table of methods with their sources
(`accordwatch/data/measurement_methods.yaml`); users override or extend it,
for every material balance area or for one, with a file of the same shape:

    methods:                 # for every MBA
      weighing-load-cell: {random_rsd: 0.0003, systematic_rsd: 0.0002, source: "..."}
    mbas:
      mba-a:                 # for one MBA only
        methods:
          titration-davies-gray: {random_rsd: 0.0008, systematic_rsd: 0.0005}

A method key may join methods with `+` (a weighing and an analysis): their
relative standard deviations add in quadrature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib.resources import files
from typing import Any

from accordwatch.documents import read_yaml
from accordwatch.errors import InputError, NotFoundError

PACKAGE_TABLE = "measurement_methods.yaml"


@dataclass(frozen=True)
class Method:
    key: str
    name: str
    random_rsd: float
    systematic_rsd: float
    source: str = ""
    reference: str = ""
    measures: str = ""


@dataclass(frozen=True)
class MethodTable:
    """Methods by key, with the sources they cite."""

    methods: Mapping[str, Method]
    sources: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, key: str, *, where: str | None = None) -> Method:
        """The method `key`; `a+b` combines methods a and b in quadrature."""
        parts = [p.strip() for p in key.split("+")]
        found = []
        for part in parts:
            method = self.methods.get(part)
            if method is None:
                known = ", ".join(sorted(self.methods))
                raise NotFoundError(
                    f"unknown measurement method {part!r} (known: {known})", where=where
                )
            found.append(method)
        if len(found) == 1:
            return found[0]
        return Method(
            key=key,
            name=" + ".join(m.name for m in found),
            random_rsd=math.hypot(*(m.random_rsd for m in found)),
            systematic_rsd=math.hypot(*(m.systematic_rsd for m in found)),
            source="; ".join(dict.fromkeys(m.source for m in found if m.source)),
        )

    def cited(self, method: Method) -> str:
        """The full citation of a method's source (its key when the table has no text for it)."""
        return "; ".join(self.sources.get(s.strip(), s.strip()) for s in method.source.split(";"))

    def overridden(self, doc: Any, *, mba: str | None, where: str) -> MethodTable:
        """This table with an override file applied: its `methods`, then `mbas.<mba>.methods`."""
        if not isinstance(doc, dict):
            raise InputError(
                "a methods file must be a mapping with methods and/or mbas", where=where
            )
        extra = set(doc) - {"methods", "mbas", "sources"}
        if extra:
            raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=where)
        table = self._with(doc.get("methods") or {}, doc.get("sources") or {}, f"{where}: methods")
        mbas = doc.get("mbas") or {}
        if not isinstance(mbas, dict):
            raise InputError("mbas must map MBA names to {methods: ...}", where=where)
        if mba is not None and mba in mbas:
            entry = mbas[mba]
            if not isinstance(entry, dict) or set(entry) - {"methods"}:
                raise InputError(f"mbas.{mba} must be {{methods: ...}}", where=where)
            table = table._with(entry.get("methods") or {}, {}, f"{where}: mbas.{mba}.methods")
        return table

    def _with(self, methods: Any, sources: Any, where: str) -> MethodTable:
        if not isinstance(methods, dict) or not isinstance(sources, dict):
            raise InputError("methods and sources must be mappings", where=where)
        merged = dict(self.methods)
        for key, spec in methods.items():
            merged[str(key)] = _method(str(key), spec, merged.get(str(key)), f"{where}.{key}")
        return MethodTable(merged, {**self.sources, **{str(k): str(v) for k, v in sources.items()}})


def _rsd(spec: dict[str, Any], name: str, where: str) -> float:
    value = spec[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} must be a number (a fraction: 0.001 is 0.1 %)", where=where)
    if not 0 <= value < 1 or math.isnan(value):
        raise InputError(f"{name} must be at least 0 and below 1, not {value}", where=where)
    return float(value)


def _method(key: str, spec: Any, base: Method | None, where: str) -> Method:
    if "+" in key or not key.strip():
        raise InputError("a method key must be non-empty and cannot contain '+'", where=where)
    if not isinstance(spec, dict):
        raise InputError(
            "a method must be a mapping with random_rsd and systematic_rsd", where=where
        )
    allowed = {"name", "measures", "random_rsd", "systematic_rsd", "source", "reference"}
    extra = set(spec) - allowed
    if extra:
        raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=where)
    if base is None:
        missing = {"random_rsd", "systematic_rsd"} - set(spec)
        if missing:
            raise InputError(f"a new method needs {' and '.join(sorted(missing))}", where=where)
        base = Method(key=key, name=key, random_rsd=0.0, systematic_rsd=0.0)
    changes: dict[str, Any] = {
        name: _rsd(spec, name, where) for name in ("random_rsd", "systematic_rsd") if name in spec
    }
    for text in ("name", "measures", "source", "reference"):
        if text in spec:
            changes[text] = str(spec[text])
    if ("random_rsd" in spec or "systematic_rsd" in spec) and "source" not in spec:
        # Changed values no longer come from the shipped source.
        changes["source"] = "user override"
        changes["reference"] = ""
    return replace(base, **changes)


def load_package_table() -> MethodTable:
    """The table shipped with accordwatch."""
    text = files("accordwatch").joinpath("data", PACKAGE_TABLE).read_text("utf-8")
    doc = read_yaml(text, source=PACKAGE_TABLE, dates="date").data
    empty = MethodTable({}, {})
    return empty._with(doc["methods"], doc["sources"], PACKAGE_TABLE)


def relative_sds(table: MethodTable, key: str, *, where: str | None = None) -> tuple[float, float]:
    """(random_rsd, systematic_rsd) of a method key."""
    method = table.lookup(key, where=where)
    return method.random_rsd, method.systematic_rsd
