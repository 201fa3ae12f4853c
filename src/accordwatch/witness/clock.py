"""The witness's clock: the real one, or a simulated time read from a file.

A cosignature's timestamp is a POSIX time in seconds. A witness run for a
demonstration or a test may take its time from a file holding one ISO 8601
UTC time (`2020-02-01T09:00:00Z`), read afresh at every cosignature, so
that whoever drives the simulation moves the witness's time by rewriting the
file.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from accordwatch.errors import InputError
from accordwatch.timeutil import parse_time


def read_clock_file(path: Path) -> datetime:
    """The time a simulated clock file holds (one RFC 3339 UTC time)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read the clock file: {exc.strerror}", where=str(path)) from exc
    except UnicodeDecodeError:
        raise InputError("the clock file is not UTF-8 text", where=str(path)) from None
    return parse_time(text, where=str(path))


class Clock:
    """POSIX seconds now, from the system clock or from `simulated_file`."""

    def __init__(self, simulated_file: Path | None = None) -> None:
        self.simulated_file = simulated_file

    def now(self) -> int:
        if self.simulated_file is None:
            return int(time.time())
        return int(read_clock_file(self.simulated_file).timestamp())

    def iso(self, seconds: int | None = None) -> str:
        """`seconds` (default: now) as `2020-02-01T09:00:00Z`."""
        return iso_seconds(self.now() if seconds is None else seconds)


def iso_seconds(seconds: int) -> str:
    """POSIX seconds as `2020-02-01T09:00:00Z`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
