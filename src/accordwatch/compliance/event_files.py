"""Importing an events file: its format's reader, the schema check, and the plan against the log.

The formats are `cns` (`event_cns`), `csv` (`event_csv`) and `json`
(`event_json`); each turns rows into event payloads with what `event_rows`
shares. Structural faults (an unknown column, a missing one, an unknown
format) stop the whole file; row faults are collected, so that the caller
imports nothing, or with `--skip-bad-rows` the rest, listing what was skipped.

`plan_import` decides, against what the log holds, which rows are new, which
correct an earlier version and which are already there. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from accordwatch.compliance.event_cns import parse_cns
from accordwatch.compliance.event_csv import parse_csv
from accordwatch.compliance.event_json import parse_json_events
from accordwatch.compliance.event_rows import Parsed, ParsedRow, Problem
from accordwatch.errors import InputError

FORMATS = ("cns", "csv", "json")


def _unique(parsed: Parsed) -> Parsed:
    """A row key used twice in one file is a fault of the second row."""
    seen: dict[str, str] = {}
    kept: list[ParsedRow] = []
    for row in parsed.rows:
        first = seen.get(row.event_id)
        if first is not None:
            parsed.problems.append(
                Problem(row.where, f"row {row.event_id} appears twice (first at {first})")
            )
            continue
        seen[row.event_id] = row.where
        kept.append(row)
    parsed.rows = kept
    return parsed


def parse_events(data: bytes, *, file: str, fmt: str, actor: str | None = None) -> Parsed:
    """Parse an events file of format `cns`, `csv` or `json`."""
    if fmt == "cns":
        return _unique(parse_cns(data, file=file, actor=actor or "dprk"))
    if fmt == "csv":
        return _unique(parse_csv(data, file=file, actor=actor))
    if fmt == "json":
        return _unique(parse_json_events(data, file=file, actor=actor))
    raise InputError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})", where="--format")


def checked(parsed: Parsed) -> Parsed:
    """Check every row against the `event` record schema; a row that fails becomes a problem."""
    from accordwatch.compliance.records import EVENT

    event_type = EVENT
    out = Parsed(problems=list(parsed.problems))
    for row in parsed.rows:
        try:
            event_type.parse_payload(row.payload, where=row.where)
        except InputError as exc:
            out.problems.append(Problem(row.where, exc.message))
            continue
        out.rows.append(row)
    return out


@dataclass(frozen=True)
class KnownRow:
    """An event row the log already holds."""

    index: int
    event_id: str
    source_id: str
    digest: str


@dataclass
class ImportPlan:
    new: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return self.new + self.corrections


def plan_import(rows: Iterable[ParsedRow], known: Iterable[KnownRow]) -> ImportPlan:
    """New rows, corrections (same row key, new content) and rows already in the log."""
    logged = sorted(known, key=lambda k: k.index)
    held = {(k.source_id, k.digest) for k in logged}
    latest: dict[str, int] = {}
    for k in logged:
        latest[k.event_id] = k.index
    plan = ImportPlan()
    for row in rows:
        if (row.source_id, row.digest) in held:
            plan.unchanged += 1
        elif row.event_id in latest:
            plan.corrections.append({**row.payload, "supersedes": latest[row.event_id]})
        else:
            plan.new.append(row.payload)
    return plan
