"""The exported log: one JSON Lines file that anyone can audit offline.

    {"format": "accordwatch/log-export/v1", "origin": ..., "log_key": <vkey>, "size": N,
     "checkpoints": K, "policy": <witness policy text> | null}
    {"checkpoint_size": s, "checkpoint": <signed note>}        (K lines, by size)

Each checkpoint note carries the log's signature and the witnesses'
cosignatures the log collected for it. The header's policy is the one in
force when the log was exported, for reference: a verifier checks the
cosignatures against the policy it trusts (`--policy`).
    {"index": i, "envelope": {...}}                            (N lines, by index)
    {"index": i, "envelope": {...}, "sealed": [{"party", "key_id", "ciphertext"}]}

Envelopes are JSON objects; their leaf bytes are their RFC 8785 canonical
form. Confidential payloads appear only as commitments, with their openings
sealed to each reader's encryption key where they are (`log.sealing`):
ciphertexts anyone may hold, which only their readers open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from accordwatch.errors import InputError
from accordwatch.log.audit import AuditEntry
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.sealed_opening import SealedOpening

FORMAT = "accordwatch/log-export/v1"


@dataclass(frozen=True)
class ExportHeader:
    origin: str
    log_key: str
    size: int
    checkpoints: list[tuple[int, str]]
    policy: str | None = None


def write_export(
    out: IO[str],
    *,
    origin: str,
    log_key: str,
    size: int,
    checkpoints: list[tuple[int, str]],
    envelopes: Iterable[tuple[int, bytes]],
    policy: str | None = None,
    sealed: Mapping[int, Sequence[SealedOpening]] | None = None,
) -> int:
    header = {
        "format": FORMAT,
        "origin": origin,
        "log_key": log_key,
        "size": size,
        "checkpoints": len(checkpoints),
        "policy": policy,
    }
    out.write(json.dumps(header) + "\n")
    for cp_size, note in checkpoints:
        out.write(json.dumps({"checkpoint_size": cp_size, "checkpoint": note}) + "\n")
    count = 0
    for index, envelope in envelopes:
        # The stored bytes are canonical JSON: embed them as they are.
        held = sealed.get(index) if sealed is not None else None
        extra = (
            ',"sealed":' + json.dumps([s.to_json() for s in held], separators=(",", ":"))
            if held
            else ""
        )
        out.write(f'{{"index":{index},"envelope":{envelope.decode("utf-8")}{extra}}}\n')
        count += 1
    return count


def _line(text: str, path: Path, number: int) -> dict[str, Any]:
    obj = parse_json(text, where=f"{path}:{number}")
    if not isinstance(obj, dict):
        raise InputError("expected a JSON object", where=f"{path}:{number}")
    return obj


def read_export(path: Path) -> tuple[ExportHeader, Iterator[AuditEntry]]:
    """Read the header and checkpoints now; stream the entries."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read exported log: {exc.strerror}", where=str(path)) from exc
    first = fh.readline()
    if not first:
        raise InputError("exported log is empty", where=str(path))
    head = _line(first, path, 1)
    if head.get("format") != FORMAT:
        raise InputError(f"not an accordwatch log export (format {FORMAT})", where=f"{path}:1")
    try:
        count = int(head["checkpoints"])
        policy = head.get("policy")
        header = ExportHeader(
            str(head["origin"]),
            str(head["log_key"]),
            int(head["size"]),
            [],
            policy if isinstance(policy, str) else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"export header lacks {exc}", where=f"{path}:1") from exc
    for n in range(count):
        obj = _line(fh.readline(), path, n + 2)
        try:
            header.checkpoints.append((int(obj["checkpoint_size"]), str(obj["checkpoint"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError("malformed checkpoint line", where=f"{path}:{n + 2}") from exc

    def entries() -> Iterator[AuditEntry]:
        with fh:
            for number, text in enumerate(fh, start=count + 2):
                obj = _line(text, path, number)
                if not isinstance(obj.get("index"), int) or "envelope" not in obj:
                    raise InputError("expected index and envelope", where=f"{path}:{number}")
                yield AuditEntry(
                    obj["index"], canonical_json(obj["envelope"]), sealed=bool(obj.get("sealed"))
                )

    return header, entries()
