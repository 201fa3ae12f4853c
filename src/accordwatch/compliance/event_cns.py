"""The `cns` format: the CNS North Korea Missile Test Database, one row per missile.

The layout is that of the table built from the `nagix/nk-missile-tests`
files (which come from the James Martin Center for Nonproliferation Studies'
database, published by NTI): the columns in `COLUMNS`, in any order, and no
others. Each row becomes one event:

- `SLV` rows are `satellite_launch`es, `Unknown` rows `unclassified_launch`es
  (the source does not say what was launched), all others `missile_launch`es
  with `missile_class` set to the CNS class (SRBM, MRBM, IRBM, ICBM, SLBM, HGV);
- the event id is `cns:<row_id>`; rows sharing a `date` and a `facility_id`
  are one event (occurrence `cns:<date>:<facility_id>`), counted per missile
  with `count` 1 each;
- `unknown`, `na` and empty cells become unknown attributes; a date given only
  to the month (`1984-09`) is kept with that precision;
- `date_kst`, the day in Korea (UTC+9) when the UTC time is known, is kept
  beside the UTC `date` (attribute `date_kst`): it is the date or the day
  after, and a response may name the event by it;
- the actor is `dprk` unless `--actor` says otherwise.

The whole row, description included, is kept as the source content.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from accordwatch.compliance.event_rows import (
    Parsed,
    ParsedRow,
    Problem,
    RowError,
    build_payload,
    check_header,
    number,
    read_csv,
)

SOURCE = {
    "id": "cns",
    "name": "CNS North Korea Missile Test Database",
    "url": "http://www.nti.org/analysis/articles/cns-north-korea-missile-test-database/",
}
COLUMNS = (
    "row_id",
    "date",
    "time_utc",
    "date_kst",
    "series",
    "missile_id",
    "missile_name",
    "missile_type",
    "facility_id",
    "facility_name",
    "facility_lat",
    "facility_lon",
    "landing_area",
    "apogee_km",
    "distance_km",
    "apogee_raw",
    "distance_raw",
    "outcome",
    "description",
)
REQUIRED = ("row_id", "date", "missile_type", "facility_id")
MISSILE_CLASSES = ("SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "HGV")
OUTCOMES = ("success", "failure", "unknown", "")
_TIME = re.compile(r"^\d{2}:\d{2}$")
_UNKNOWN = ("", "unknown", "na")


def _text(value: str) -> str | None:
    value = value.strip()
    return None if value.casefold() in _UNKNOWN else value


def _korean_date(text: str, utc_text: str) -> str | None:
    """The `date_kst` cell, checked: an ISO date, the UTC date or the day after (UTC+9)."""
    text = text.strip()
    if not text:
        return None
    try:
        kst = date.fromisoformat(text)
    except ValueError:
        raise RowError("date_kst", f"date_kst {text!r} is not a date (YYYY-MM-DD)") from None
    try:
        utc = date.fromisoformat(utc_text)
    except ValueError:
        return text  # a date known to the month: the date column says what is wrong, if anything
    if kst not in (utc, utc + timedelta(days=1)):
        raise RowError(
            "date_kst", f"date_kst {text} is not the UTC date {utc_text} or the day after (UTC+9)"
        )
    return kst.isoformat()


def _row(row: dict[str, str], file: str, line: int, actor: str) -> ParsedRow:
    key = row["row_id"].strip()
    if not key.isdigit():
        raise RowError("row_id", f"row_id {key!r} is not a whole number")
    kind = row["missile_type"].strip()
    if kind == "SLV":
        type_name, missile_class = "satellite_launch", kind
    elif kind == "Unknown":
        type_name, missile_class = "unclassified_launch", None
    elif kind in MISSILE_CLASSES:
        type_name, missile_class = "missile_launch", kind
    else:
        known = ", ".join((*MISSILE_CLASSES, "SLV", "Unknown"))
        raise RowError("missile_type", f"missile_type {kind!r} is not one of {known}")
    time_utc = row.get("time_utc", "").strip()
    if time_utc and not _TIME.match(time_utc):
        raise RowError("time_utc", f"time_utc {time_utc!r} is not HH:MM")
    outcome = row.get("outcome", "").strip()
    if outcome not in OUTCOMES:
        raise RowError("outcome", f"outcome {outcome!r} is not success, failure or unknown")
    date_kst = _korean_date(row.get("date_kst", ""), row["date"].strip())
    facility = row["facility_id"].strip()
    if not facility:
        raise RowError("facility_id", "facility_id is empty (the source writes 'unknown')")
    attributes = {
        "missile_class": missile_class,
        "missile_name": _text(row.get("missile_name", "")),
        "site": _text(facility),
        "site_name": _text(row.get("facility_name", "")),
        "landing_area": _text(row.get("landing_area", "")),
        "apogee_km": number(row.get("apogee_km", ""), "apogee_km"),
        "distance_km": number(row.get("distance_km", ""), "distance_km"),
        "outcome": _text(outcome),
        "time_utc": time_utc or None,
        "date_kst": date_kst,
    }
    date_text = row["date"].strip()
    payload = build_payload(
        source=SOURCE,
        file=file.replace("\\", "/").rsplit("/", 1)[-1],
        row_key=key,
        line=line,
        content=row,
        type_name=type_name,
        date_text=date_text,
        actor=actor,
        attributes=attributes,
        occurrence=f"{date_text}:{facility}",
    )
    return ParsedRow(f"{file}:{line}", payload)


def parse_cns(data: bytes, *, file: str, actor: str) -> Parsed:
    """Parse a file in the CNS layout; row faults are collected, layout faults raised."""
    header, rows = read_csv(data, file)
    check_header(header, COLUMNS, REQUIRED, file, "cns")
    out = Parsed()
    for line, cells in rows:
        if len(cells) != len(header):
            out.problems.append(
                Problem(f"{file}:{line}", f"{len(cells)} cells, the header has {len(header)}")
            )
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            out.rows.append(_row(row, file, line, actor))
        except RowError as exc:
            column = header.index(exc.column) + 1 if exc.column in header else 0
            at = f"{file}:{line}:{column}" if column else f"{file}:{line}"
            out.problems.append(Problem(at, f"column {exc.column}: {exc}"))
    return out
