"""The report on the real CNS data, pinned per year; responses and the window, on a test history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from accordwatch.compliance.event_files import parse_events
from accordwatch.compliance.events import Event
from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.compliance.records import EventRecord
from accordwatch.compliance.report import build_report
from accordwatch.compliance.responses import Response, first_responses, resolve_targets
from accordwatch.compliance.violations import Evaluation, evaluate
from accordwatch.errors import InputError, NotFoundError
from accordwatch.reports.compliance_tables import report_tables, summary_lines
from accordwatch.sources.compliance import event_from
from tests.conftest import SHARED

AS_OF = date(2026, 11, 1)

# Checked by hand against missile_launches.csv for 2009, 2012, 2014, 2016, 2017 and 2019
# (an event is the rows sharing a date and a site; see the module docstring of events_cns).
EVENTS_PER_YEAR = {
    2009: 1, 2012: 2, 2013: 3, 2014: 11, 2015: 7, 2016: 16, 2017: 14, 2019: 13, 2020: 4,
    2021: 5, 2022: 18, 2023: 14, 2024: 9, 2025: 3, 2026: 5,
}  # fmt: skip
MISSILES_PER_YEAR = {
    2009: 7, 2012: 2, 2013: 6, 2014: 19, 2015: 15, 2016: 24, 2017: 20, 2019: 26, 2020: 9,
    2021: 6, 2022: 29, 2023: 23, 2024: 37, 2025: 4, 2026: 23,
}  # fmt: skip
UNCERTAIN_EVENTS = {2017: 1, 2019: 1, 2022: 21, 2023: 6, 2024: 3, 2025: 4, 2026: 2}
UNCERTAIN_MISSILES = {2017: 1, 2019: 1, 2022: 40, 2023: 10, 2024: 4, 2025: 7, 2026: 2}


def cns_events() -> list[Event]:
    path = SHARED / "data" / "missile_launches.csv"
    parsed = parse_events(path.read_bytes(), file=str(path), fmt="cns")
    assert not parsed.problems
    return [event_from(i, EventRecord.model_validate(r.payload)) for i, r in enumerate(parsed.rows)]


@pytest.fixture(scope="module")
def cns() -> Evaluation:
    return evaluate(cns_events(), builtin_obligations(), AS_OF)


def test_violations_per_year_by_event(cns: Evaluation) -> None:
    report = build_report(cns, [], unit="event")
    assert {y.year: y.tally.violations for y in report.by_year if y.tally.violations} == (
        EVENTS_PER_YEAR
    )
    assert {y.year: y.tally.uncertain for y in report.by_year if y.tally.uncertain} == (
        UNCERTAIN_EVENTS
    )
    assert report.totals.violations == sum(EVENTS_PER_YEAR.values()) == 125
    assert report.totals.uncertain == 38
    assert report.overview["events"] == 176 and report.overview["missiles"] == 339
    assert report.overview["unclassified_events"] == 40
    assert report.overview["unclassified_missiles"] == 66
    # nothing answered in a log without responses: every window has closed by 2026-11-01
    assert report.states == {"answered": 0, "late": 0, "unanswered": 125, "open": 0}


def test_violations_per_year_by_missile(cns: Evaluation) -> None:
    report = build_report(cns, [], unit="missile")
    assert {y.year: y.tally.violations for y in report.by_year if y.tally.violations} == (
        MISSILES_PER_YEAR
    )
    assert {y.year: y.tally.uncertain for y in report.by_year if y.tally.uncertain} == (
        UNCERTAIN_MISSILES
    )
    assert report.totals.violations == 250 and report.totals.uncertain == 65


def test_one_year_by_instrument_type_and_class(cns: Evaluation) -> None:
    report = build_report(cns, [], unit="event", year=2016)
    assert [(y.year, y.tally.violations) for y in report.by_year] == [(2016, 16)]
    by_instrument = {g.key: g.tally.violations for g in report.by_instrument}
    # 1718 forbids ballistic missiles only; from 1874 on the February satellite launch counts
    assert by_instrument["unsc-1718"] == 15 and by_instrument["unsc-1874"] == 16
    # 2270 was adopted on 2 March 2016: the launches of 7 February are before it
    assert by_instrument["unsc-2270"] == 15
    assert "unsc-2321" not in by_instrument  # adopted on 30 November, after the last launch
    assert {g.key: g.tally.violations for g in report.by_type} == {
        "missile_launch": 15,
        "satellite_launch": 1,
    }
    classes = {g.key: g.tally.violations for g in report.by_class}
    assert classes == {"IRBM": 7, "SRBM": 2, "MRBM": 4, "SLBM": 3, "SLV": 1}
    missiles = build_report(cns, [], unit="missile", year=2016)
    assert {g.key: g.tally.violations for g in missiles.by_class} == {
        "IRBM": 8, "SRBM": 4, "MRBM": 8, "SLBM": 3, "SLV": 1,
    }  # fmt: skip


def test_satellite_launches_of_2012_violate_1874(cns: Evaluation) -> None:
    found = [v for v in cns.violations() if v.on.year == 2012]
    assert {v.occurrence for v in found} == {"cns:2012-04-13:sohae", "cns:2012-12-12:sohae"}
    assert {v.instrument for v in found} == {"unsc-1874"}
    evidence = found[0].evidence[0]
    assert evidence.source is not None and evidence.source.row == "32"
    assert evidence.source.file == "missile_launches.csv"


def _response(index: int, to: list[str], kind: str, on: date) -> Response:
    return Response(index, datetime(2026, 1, 1, tzinfo=UTC), "obs", tuple(to), kind, on)


def test_violations_without_response_within_the_window() -> None:
    events = [e for e in cns_events() if e.on.year == 2016]
    ev = evaluate(events, builtin_obligations(), date(2016, 12, 31))
    violations = ev.violations()

    def of(day: str) -> list[str]:
        return resolve_targets([f"cns:{day}"], violations, date(2016, 12, 31))

    responses = [
        _response(1, of("2016-02-07:sohae"), "sc-resolution", date(2016, 3, 2)),  # 24 days
        _response(2, of("2016-03-10:hwangju"), "diplomatic-protest", date(2016, 7, 1)),  # late
        _response(3, of("2016-03-18:sunchon"), "none-decided", date(2016, 3, 20)),  # no response
        _response(4, of("2016-04-15:wonsan")[:1], "sc-statement", date(2016, 4, 16)),
        _response(5, of("2016-04-15:wonsan"), "sc-resolution", date(2016, 6, 1)),  # not first
    ]
    report = build_report(ev, responses, unit="event", window=90)
    lines = {e.occurrence: e for e in report.events}
    assert lines["cns:2016-02-07:sohae"].first is not None
    assert lines["cns:2016-02-07:sohae"].first.days == 24
    assert lines["cns:2016-04-15:wonsan"].first is not None
    assert lines["cns:2016-04-15:wonsan"].first.response.kind == "sc-statement"
    assert lines["cns:2016-03-10:hwangju"].state == "late"
    assert lines["cns:2016-03-18:sunchon"].state == "unanswered"
    assert lines["cns:2016-03-18:sunchon"].considered
    # October launches: their 90 days have not run out on 31 December
    assert lines["cns:2016-10-19:panghyon-ab"].state == "open"
    assert report.states == {"answered": 2, "late": 1, "unanswered": 11, "open": 2}
    assert report.without_response == 12
    assert report.by_year[0].to_json()["without_response_within_window"] == 12
    # a shorter window makes the February answer late too
    assert build_report(ev, responses, unit="event", window=20).states["late"] == 2
    # per missile the same states weigh each event by its missiles
    missiles = build_report(ev, responses, unit="missile", window=90)
    assert missiles.states == {"answered": 2, "late": 2, "unanswered": 18, "open": 2}
    # a year later the October windows have closed
    later = build_report(
        evaluate(events, builtin_obligations(), date(2017, 6, 1)), responses, unit="event"
    )
    assert later.states["open"] == 0 and later.without_response == 14
    tables = report_tables(report)
    assert tables[0].title.startswith("Violations per year, counted in events")
    assert any("without any response within 90 days: 12 events" in s for s in summary_lines(report))


def test_responses_name_known_violations_dated_after_them(cns: Evaluation) -> None:
    violations = cns.violations()
    with pytest.raises(NotFoundError, match="no violation or event 'cns:2016-02-08:sohae'"):
        resolve_targets(["cns:2016-02-08:sohae"], violations, date(2016, 3, 2))
    with pytest.raises(InputError, match="before the violation"):
        resolve_targets(["cns:2016-02-07:sohae"], violations, date(2016, 2, 6))
    one = "cns:2016-02-07:sohae/unsc-1874-bm-technology"
    assert resolve_targets([one, one], violations, date(2016, 3, 2)) == [one]
    early = _response(1, [one], "sc-statement", date(2016, 2, 1))
    assert first_responses(violations, [early]) == {}


def test_report_json_says_what_it_counts(cns: Evaluation, tmp_path: Path) -> None:
    data = build_report(cns, [], unit="missile", year=2019).to_json()
    for section in ("totals", "by_year", "by_instrument", "by_type", "by_class"):
        assert data[section]["counted_per"] == "missile"
    assert data["totals"]["violations"] == 26 and data["totals"]["uncertain"] == 1
    event = data["events"][0]
    assert event["status"] == "uncertain" and event["occurrence"] == "cns:2019-04-17:unknown"
    assert event["violations"][0]["evidence"][0]["row"] == "119"
