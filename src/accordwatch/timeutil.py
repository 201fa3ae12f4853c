"""Timestamps as the log writes them (RFC 3339, UTC, millisecond precision, `Z`), and the clock."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

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
