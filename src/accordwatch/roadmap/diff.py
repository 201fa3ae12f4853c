"""Differences between two versions of an accord: what an amendment changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accordwatch.roadmap.accord import Accord

_STEP_FIELDS = ("title", "phase", "party", "kind", "deadline", "requires", "verification", "weight")
_OBLIGATION_FIELDS = ("party", "effective", "ends", "text", "rule")
_CONSEQUENCE_FIELDS = ("party", "when", "respond", "suspends", "until", "text")


@dataclass(frozen=True)
class Change:
    what: str  # "step", "phase", "party", "obligation" or "consequence"
    id: str
    change: str  # "added", "removed" or "changed"
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new), for "changed"

    def describe(self) -> str:
        if self.change != "changed":
            return f"{self.what} {self.id}: {self.change}"
        parts = [f"{name} {_show(old)} -> {_show(new)}" for name, (old, new) in self.fields.items()]
        return f"{self.what} {self.id}: " + "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "id": self.id,
            "change": self.change,
            "fields": {
                k: {"old": _plain(o), "new": _plain(n)} for k, (o, n) in self.fields.items()
            },
        }


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _show(value: Any) -> str:
    plain = _plain(value)
    if isinstance(plain, dict):
        return ", ".join(f"{k}={v}" for k, v in plain.items() if v is not None)
    if isinstance(plain, list):
        return "[" + ", ".join(str(v) for v in plain) + "]"
    return str(plain)


def _compare(
    what: str, old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]
) -> list[Change]:
    changes: list[Change] = []
    for key in old:
        if key not in new:
            changes.append(Change(what, key, "removed", {}))
    for key, item in new.items():
        if key not in old:
            changes.append(Change(what, key, "added", {}))
            continue
        before = old[key]
        diff = {
            f: (getattr(before, f), getattr(item, f))
            for f in fields
            if _plain(getattr(before, f)) != _plain(getattr(item, f))
        }
        if diff:
            changes.append(Change(what, key, "changed", diff))
    return changes


def diff_accords(old: Accord, new: Accord) -> list[Change]:
    """Parties, phases, steps, obligations and consequences added, removed or changed."""
    return (
        _compare(
            "party",
            {p.id: p for p in old.parties},
            {p.id: p for p in new.parties},
            ("name", "role"),
        )
        + _compare(
            "phase", {p.id: p for p in old.phases}, {p.id: p for p in new.phases}, ("title", "ends")
        )
        + _compare("step", {s.id: s for s in old.steps}, {s.id: s for s in new.steps}, _STEP_FIELDS)
        + _compare(
            "obligation",
            {o.id: o for o in old.obligations},
            {o.id: o for o in new.obligations},
            _OBLIGATION_FIELDS,
        )
        + _compare(
            "consequence",
            {c.id: c for c in old.consequences},
            {c.id: c for c in new.consequences},
            _CONSEQUENCE_FIELDS,
        )
    )
