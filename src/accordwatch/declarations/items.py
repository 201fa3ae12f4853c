"""Item tracking: every record that names one item, by its unique identifier.

An item (a missile, a launcher, a batch of material, a site) keeps its
identifier for its whole life, so its history is every log entry that names
it: each declaration that lists it (with what it said of the item then), and
every other record, such as an inspection finding or an observed event, with
a field whose value is the identifier. Other records are searched field by
field without knowing their schema, so records of any type are found.

Pure: payloads in, descriptions out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from accordwatch.declarations.base import FieldPath, entry_fields, path_text
from accordwatch.declarations.reading import Declaration
from accordwatch.timeutil import format_time

#: the sections of a declaration whose entries an identifier names
_KEYS = {"uid", "id", "batch"}


@dataclass(frozen=True)
class Mention:
    index: int
    time: datetime
    party: str
    record_type: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": self.index,
            "time": format_time(self.time),
            "party": self.party,
            "record_type": self.record_type,
            "text": self.text,
        }


def _walk(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _walk(item, (*path, n))
    else:
        yield path, value


def _same(value: Any, uid: str) -> bool:
    return isinstance(value, str) and value.strip().casefold() == uid.strip().casefold()


def payload_mentions(payload: Any, uid: str) -> list[str]:
    """Where a payload names `uid`: the field paths whose value it is."""
    return [
        f"{path_text(path)} = {value}" for path, value in _walk(payload, ()) if _same(value, uid)
    ]


def _scalars(entry: Any) -> str:
    parts = []
    for name, value in entry_fields(entry).items():
        if value is None or value == "" or value == [] or isinstance(value, BaseModel):
            continue
        parts.append(f"{name} {getattr(value, 'value', value)}")
    return ", ".join(parts)


def declaration_mentions(declaration: Declaration, uid: str) -> list[str]:
    """What a declaration says of the item `uid` (an entry it keys, or a field naming it)."""
    head = f"{declaration.program} declaration {declaration.id} as of {declaration.as_of}"
    out = []
    for name in type(declaration).model_fields:
        value = getattr(declaration, name)
        if not isinstance(value, list) or name == "declared_empty" or name == "sources":
            continue
        for n, entry in enumerate(value):
            fields = entry_fields(entry)
            keys = {k: v for k, v in fields.items() if k in _KEYS}
            if any(_same(v, uid) for v in keys.values()):
                out.append(f"{head}: {name}[{n}]: {_scalars(entry)}")
            else:
                named = [k for k, v in fields.items() if _same(v, uid)]
                if named:
                    out.append(f"{head}: {name}[{n}].{named[0]} names it: {_scalars(entry)}")
    return out
