"""The CNS reader keeps `date_kst` beside the UTC date; a response may name an event by either."""

from __future__ import annotations

from datetime import date

import pytest

from accordwatch.compliance.event_files import parse_events
from accordwatch.compliance.events import Event, occurrence_aliases
from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.compliance.records import EventRecord
from accordwatch.compliance.responses import resolve_targets
from accordwatch.compliance.violations import evaluate
from accordwatch.errors import NotFoundError
from accordwatch.sources.compliance import event_from
from tests.test_events_import import CNS_FILE, cns_bytes


def _events() -> list[Event]:
    parsed = parse_events(cns_bytes(), file=str(CNS_FILE), fmt="cns")
    return [event_from(i, EventRecord.model_validate(r.payload)) for i, r in enumerate(parsed.rows)]


def test_date_kst_is_kept_beside_the_utc_date() -> None:
    events = {e.event_id: e for e in _events()}
    # 2016-04-15 20:33 UTC was 16 April in Korea
    late = [e for e in events.values() if e.on == date(2016, 4, 15)]
    assert late and all(e.attributes["date_kst"] == "2016-04-16" for e in late)
    # no time, no Korean date: the attribute is left out, not guessed
    assert all("date_kst" not in e.attributes for e in events.values() if e.on.year == 1984)
    kst = sum(1 for e in events.values() if "date_kst" in e.attributes)
    assert kst == 255


def _cns(date_text: str, kst: str) -> bytes:
    header = CNS_FILE.read_text("utf-8").splitlines()[0]
    cells = dict.fromkeys(header.split(","), "")
    cells.update(
        row_id="1",
        date=date_text,
        time_utc="20:33",
        date_kst=kst,
        missile_type="IRBM",
        facility_id="wonsan",
    )
    return (header + "\n" + ",".join(cells.values()) + "\n").encode()


@pytest.mark.parametrize(
    ("kst", "message"),
    [
        ("16 April", "date_kst '16 April' is not a date (YYYY-MM-DD)"),
        ("2016-04-18", "date_kst 2016-04-18 is not the UTC date 2016-04-15 or the day after"),
        ("2016-04-14", "is not the UTC date 2016-04-15 or the day after (UTC+9)"),
    ],
)
def test_a_wrong_date_kst_is_named_by_line_and_column(kst: str, message: str) -> None:
    parsed = parse_events(_cns("2016-04-15", kst), file="f.csv", fmt="cns")
    assert [p.where for p in parsed.problems] == ["f.csv:2:4"]
    assert message in parsed.problems[0].message
    ok = parse_events(_cns("2016-04-15", "2016-04-16"), file="f.csv", fmt="cns")
    assert ok.problems == [] and ok.rows[0].payload["attributes"]["date_kst"] == "2016-04-16"


def test_a_response_names_an_event_by_either_date() -> None:
    events = _events()
    found = evaluate(events, builtin_obligations(), date(2017, 1, 1)).violations()
    aliases = occurrence_aliases(events)
    utc = [v for v in found if v.occurrence.startswith("cns:2016-04-15:")]
    assert utc
    occurrence = utc[0].occurrence
    kst_name = occurrence.replace("2016-04-15", "2016-04-16")
    assert occurrence in aliases[kst_name]
    day = date(2016, 5, 1)
    by_utc = resolve_targets([occurrence], found, day, aliases)
    assert resolve_targets([kst_name], found, day, aliases) == by_utc
    # a violation too: <event>/<obligation>, with the event by its Korean date
    one = utc[0].id
    assert resolve_targets([one.replace(occurrence, kst_name)], found, day, aliases) == [one]
    # without the names, the Korean date names nothing
    with pytest.raises(NotFoundError, match="no violation or event"):
        resolve_targets([kst_name], found, day)
