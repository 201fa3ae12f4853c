"""Timestamps as the log writes them (RFC 3339, UTC, millisecond precision, `Z`), and the clock.

The clock is the process's (`utc_now`) or a simulated one kept in a file
(`clock_from_file`, `read_clock_file`, `set_clock_file`): one ISO 8601 UTC
time, which `accordwatch clock set` moves forward and every process of the
workspace (commands, the service, a witness) reads whenever it asks the time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

from accordwatch.errors import InputError

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})"
)


def utc_now() -> datetime:
    """The process clock. Only the shells read it: they hand it to the core through the
    workspace (`Workspace.clock`), so that everything below them can be run at any time."""
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """`2026-11-29T00:48:22.123Z`; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: object, *, where: str) -> datetime:
    """Parse an RFC 3339 timestamp with an explicit offset into an aware UTC datetime."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        raise InputError(f"time {text!r} is not an RFC 3339 timestamp with a zone", where=where)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise InputError(f"time {text!r} is not a valid date and time", where=where) from exc


def parse_date(text: object, *, where: str) -> date:
    """Parse an ISO 8601 calendar date (`2019-10-05`)."""
    if isinstance(text, date) and not isinstance(text, datetime):
        return text
    if not isinstance(text, str):
        raise InputError(f"date {text!r} is not an ISO 8601 date", where=where)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(
            f"date {text!r} is not an ISO 8601 date (YYYY-MM-DD)", where=where
        ) from exc


def end_of_day(day: date) -> datetime:
    """The last instant of a UTC day: "as of 2019-10-05" includes all of that day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def read_clock_file(path: Path) -> datetime:
    """The time a simulated clock's file holds; a missing or malformed file is an error."""
    try:
        text = path.read_text("utf-8").strip()
    except FileNotFoundError as exc:
        raise InputError(
            "the simulated clock file does not exist (set it: accordwatch clock set TIME)",
            where=str(path),
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the simulated clock file: {exc}", where=str(path)) from exc
    return parse_time(text, where=str(path))


def clock_from_file(path: Path) -> Callable[[], datetime]:
    """A clock reading the simulated time from `path` at each call (another process may move it)."""

    def clock() -> datetime:
        return read_clock_file(path)

    return clock


def set_clock_file(path: Path, moment: datetime) -> datetime | None:
    """Move the simulated clock in `path` to `moment`; the time it held before, if any.

    The clock only moves forward: a time before the one held is refused. The
    file is replaced whole (a reader sees the old time or the new, never half).
    """
    if moment.tzinfo is None:
        raise InputError("the clock's time must name its zone (e.g. 2020-02-01T09:00:00Z)")
    before = read_clock_file(path) if path.exists() else None
    if before is not None and moment < before:
        raise InputError(
            f"the simulated clock only moves forward: {format_time(moment)} is before "
            f"{format_time(before)}",
            where=str(path),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".new")
    try:
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(format_time(moment) + "\n")
        staging.replace(path)
    except OSError as exc:
        raise InputError(
            f"cannot write the simulated clock: {exc.strerror}", where=str(path)
        ) from exc
    return before
