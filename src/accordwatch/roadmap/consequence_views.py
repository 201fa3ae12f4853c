"""A lenient reading of one consequence of an accord file, for the checks of meaning.

As `accord_views` does for steps: every field that can be read is, each
trigger with the pointer to where it is written, so that a mistake in one
part of a consequence hides nothing in the others (the schema check says
what is malformed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accordwatch.documents import Pointer
from accordwatch.log.records import NAME_PATTERN
from accordwatch.roadmap.consequence_terms import COMBINATIONS

_ID = re.compile(NAME_PATTERN)


def _an_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.match(value) else None


@dataclass(frozen=True)
class TriggerView:
    """One single trigger: its kind, what it names (a step or an obligation), where it is."""

    at: Pointer
    kind: str  # overdue, violation or verification
    name: str | None  # the step, or the obligation, it names
    days: int | None = None


@dataclass(frozen=True)
class ConsequenceView:
    index: int
    id: str
    party: str | None
    triggers: tuple[TriggerView, ...]
    #: `any:`/`all:` lists with no trigger in them (they can never fire)
    empty: tuple[Pointer, ...]
    suspends: tuple[tuple[int, str], ...]
    until: str | None

    @property
    def at(self) -> Pointer:
        return ("consequences", self.index)

    @staticmethod
    def read(index: int, item: dict[Any, Any], ident: str) -> ConsequenceView:
        at: Pointer = ("consequences", index)
        triggers: list[TriggerView] = []
        empty: list[Pointer] = []
        _walk(item.get("when"), (*at, "when"), triggers, empty)
        suspends = item.get("suspends")
        until = item.get("until")
        return ConsequenceView(
            index=index,
            id=ident,
            party=_an_id(item.get("party")),
            triggers=tuple(triggers),
            empty=tuple(empty),
            suspends=tuple(
                (j, ref)
                for j, value in enumerate(suspends if isinstance(suspends, list) else [])
                if (ref := _an_id(value)) is not None
            ),
            until=_an_id(until.get("step")) if isinstance(until, dict) else None,
        )


def _walk(value: Any, at: Pointer, out: list[TriggerView], empty: list[Pointer]) -> None:
    if not isinstance(value, dict):
        return
    for kind, body in value.items():
        here = (*at, kind)
        if kind in COMBINATIONS:
            parts = body if isinstance(body, list) else []
            if isinstance(body, list) and not body:
                empty.append(here)
            for i, part in enumerate(parts):
                _walk(part, (*here, i), out, empty)
            continue
        fields = body if isinstance(body, dict) else {}
        if kind == "violation":
            out.append(TriggerView((*here, "obligation"), kind, _an_id(fields.get("obligation"))))
        elif kind in ("overdue", "verification"):
            days = fields.get("days")
            out.append(
                TriggerView(
                    (*here, "step"),
                    kind,
                    _an_id(fields.get("step")),
                    days if isinstance(days, int) and not isinstance(days, bool) else None,
                )
            )
