"""The declarant's escrow file: every item and salt of an escrow, kept to open its parts.

JSON Lines, the items grouped by part so that one part is read without the rest:

    {"format": "accordwatch/escrow/v1", "record": <the escrow payload>,
     "parts": [{"name": ..., "declared": N, "offset": BYTES, "length": BYTES}, ...]}
    {"salt": <hex>, "item": <canonical item>}        (one line per item, part by part)

Offsets count from the end of the first line. Whoever holds the file can open
any part, so the file is the declarant's alone (written 0600 in its
workspace). Pure: bytes in and out; the shell reads and writes the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from accordwatch.declarations.escrow import Escrow, EscrowPart, escrow_root
from accordwatch.errors import InputError
from accordwatch.log.canonical import parse_json

FORMAT = "accordwatch/escrow/v1"
_SALT = b'{"salt":"'
_ITEM = b'","item":'


@dataclass(frozen=True)
class PartIndex:
    name: str
    declared: int
    offset: int
    length: int


@dataclass(frozen=True)
class EscrowFileHeader:
    record: dict[str, Any]
    parts: tuple[PartIndex, ...]

    def part(self, name: str) -> PartIndex:
        for part in self.parts:
            if part.name == name:
                return part
        known = ", ".join(p.name for p in self.parts)
        raise InputError(f"the escrow has no part {name!r} (parts: {known})")


def _body(part: EscrowPart) -> bytes:
    return b"".join(
        b'{"salt":"%s","item":%s}\n' % (salt.hex().encode(), data)
        for salt, data in zip(part.salts, part.items, strict=True)
    )


def write_escrow_file(out: IO[bytes], escrow: Escrow, record: dict[str, Any]) -> None:
    """Write the escrow file of `escrow`, whose public record is `record`."""
    bodies = [_body(p) for p in escrow.parts]
    index, offset = [], 0
    for part, body in zip(escrow.parts, bodies, strict=True):
        index.append(
            {"name": part.name, "declared": part.declared, "offset": offset, "length": len(body)}
        )
        offset += len(body)
    header = {"format": FORMAT, "record": record, "parts": index}
    out.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
    for body in bodies:
        out.write(body)


def read_header(fh: IO[bytes], where: str) -> EscrowFileHeader:
    head = parse_json(fh.readline(), where=f"{where}:1")
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise InputError(f"not an accordwatch escrow file ({FORMAT})", where=where)
    try:
        parts = tuple(
            PartIndex(str(p["name"]), int(p["declared"]), int(p["offset"]), int(p["length"]))
            for p in head["parts"]
        )
        record = head["record"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed escrow file header ({exc})", where=where) from None
    if not isinstance(record, dict):
        raise InputError("malformed escrow file header (record)", where=where)
    return EscrowFileHeader(record, parts)


def read_part(fh: IO[bytes], header: EscrowFileHeader, name: str, where: str) -> EscrowPart:
    """One part of an escrow file, its items checked to be canonical."""
    index = header.part(name)
    start = fh.tell()
    fh.seek(start + index.offset)
    body = fh.read(index.length)
    fh.seek(start)
    items, salts = [], []
    for n, line in enumerate(_lines(body)):
        # Lines are as `_body` writes them: the item's canonical bytes stand in
        # the line as they are; the part's root, checked before it is opened
        # (`reveal_part`), proves them unchanged.
        if not (line.startswith(_SALT) and line[9 + 64 : 9 + 64 + len(_ITEM)] == _ITEM):
            raise InputError(f"malformed item {n} of part {name}", where=where)
        try:
            salts.append(bytes.fromhex(line[9 : 9 + 64].decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            raise InputError(f"malformed salt of item {n} of part {name}", where=where) from None
        items.append(line[9 + 64 + len(_ITEM) : -1])
    return EscrowPart(name, tuple(items), tuple(salts), index.declared)


def _lines(body: bytes) -> Iterator[bytes]:
    for line in body.split(b"\n"):
        if line:
            yield line


def read_escrow(fh: IO[bytes], where: str) -> tuple[EscrowFileHeader, Escrow]:
    """The whole escrow held in a file, checked against the root its record names."""
    header = read_header(fh, where)
    parts = tuple(read_part(fh, header, p.name, where) for p in header.parts)
    commitments = tuple(p.commitment() for p in parts)
    root = escrow_root(commitments)
    if root.hex() != header.record.get("root"):
        raise InputError("the items and salts do not hash to the escrow's root", where=where)
    return header, Escrow(parts, commitments, root)
