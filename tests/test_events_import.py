"""Reading event files: the CNS layout, csv and json, bad rows, and what a re-import adds."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest

from accordwatch.compliance.event_cns import COLUMNS
from accordwatch.compliance.event_files import KnownRow, parse_events, plan_import
from accordwatch.compliance.events import ATTRIBUTES, EVENT_TYPES
from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.compliance.records import EventRecord
from accordwatch.compliance.violations import evaluate
from accordwatch.data import DEMO_EVENTS, data_text
from accordwatch.errors import InputError
from accordwatch.sources.compliance import event_from
from tests.conftest import SHARED

CNS_FILE = SHARED / "data" / "missile_launches.csv"


def cns_bytes() -> bytes:
    return CNS_FILE.read_bytes()


def test_every_event_type_declares_its_attributes() -> None:
    for t in EVENT_TYPES.values():
        assert t.attributes <= ATTRIBUTES.keys(), t.name
        assert t.covers <= EVENT_TYPES.keys()


def test_the_cns_file_reads_whole() -> None:
    parsed = parse_events(cns_bytes(), file=str(CNS_FILE), fmt="cns")
    assert parsed.problems == []
    assert len(parsed.rows) == 339
    types = Counter(r.payload["type"] for r in parsed.rows)
    assert types == {"missile_launch": 264, "unclassified_launch": 66, "satellite_launch": 9}
    assert len({r.payload["occurrence"] for r in parsed.rows}) == 176
    first = parsed.rows[0].payload
    assert first["event_id"] == "cns:1"
    assert first["source"]["line"] == 2 and first["source"]["content"]["row_id"] == "1"
    months = [r.payload for r in parsed.rows if r.payload["precision"] == "month"]
    assert [(p["on"], p["source"]["content"]["date"]) for p in months][:2] == [
        ("1984-09-01", "1984-09"),
        ("1984-09-01", "1984-09"),
    ]
    row_119 = parsed.rows[118].payload
    assert row_119["type"] == "unclassified_launch"
    assert "site" not in row_119["attributes"]  # the source says "unknown"
    for row in parsed.rows:  # every payload is a valid event record
        EventRecord.model_validate(row.payload)


def _cns_text(replace: tuple[str, str] | None = None, header: str | None = None) -> bytes:
    lines = CNS_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join([header or lines[0], *lines[1:40]])
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1], 1)
    return text.encode()


@pytest.mark.parametrize(
    ("header", "where", "message"),
    [
        (",".join([*COLUMNS, "bearing"]) + "\n", "f.csv:1:20", "unknown column 'bearing'"),
        (",".join(c for c in COLUMNS if c != "missile_type") + "\n", "f.csv:1", "missing column"),
    ],
)
def test_a_bad_cns_header_stops_the_file(header: str, where: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_events(_cns_text(header=header), file="f.csv", fmt="cns")
    assert caught.value.where == where and message in caught.value.message


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("\n33,2012-12-12,", "\n33,2012-12-32,", "f.csv:34:2", "not a calendar date"),
        ("\n33,2012-12-12,", "\n33,12/12/2012,", "f.csv:34:2", "is not YYYY-MM-DD"),
        (",SLV,sohae", ",Rocket,sohae", "f.csv:33:8", "missile_type 'Rocket'"),
        ("\n33,", "\nthirty-three,", "f.csv:34:1", "not a whole number"),
    ],
)
def test_bad_cns_rows_are_named_by_line_and_column(
    old: str, new: str, where: str, message: str
) -> None:
    parsed = parse_events(_cns_text((old, new)), file="f.csv", fmt="cns")
    assert len(parsed.problems) == 1
    assert parsed.problems[0].where == where
    assert message in parsed.problems[0].message
    assert len(parsed.rows) == 38


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown format 'xml'"):
        parse_events(b"", file="f", fmt="xml")


CSV = """source,id,type,date,actor,site,missile_class,distance_km,yield_kt,count
obs,1,missile_launch,2019-05-04,dprk,hodo,SRBM,240,,2
obs,2,nuclear_test,2017-09-03,dprk,punggye-ri,,,100,
obs,3,observation,2024-01-01,dprk,yongbyon,,,,
"""


def test_generic_csv() -> None:
    parsed = parse_events(CSV.encode(), file="e.csv", fmt="csv")
    assert parsed.problems == []
    payloads = [r.payload for r in parsed.rows]
    assert [p["event_id"] for p in payloads] == ["obs:1", "obs:2", "obs:3"]
    assert payloads[0]["count"] == 2 and payloads[0]["attributes"]["distance_km"] == 240
    assert payloads[0]["occurrence"] == "obs:2019-05-04:hodo"
    assert payloads[1]["attributes"] == {"site": "punggye-ri", "yield_kt": 100}


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("hodo,SRBM,240", "hodo,SRBM,far", "e.csv:2:8", "'far' is not a number"),
        ("punggye-ri,,,100", "punggye-ri,ICBM,,100", "e.csv:3:7", "nuclear_test has no attribute"),
        ("2019-05-04", "May 2019", "e.csv:2:4", "is not YYYY-MM-DD"),
        (",2\n", ",2.5\n", "e.csv:2:10", "not a whole number"),
        ("obs,2,nuclear_test", "OBS!,2,nuclear_test", "e.csv:3:1", "must be a short id"),
        ("obs,3,observation", "obs,1,observation", "e.csv:4", "appears twice"),
    ],
)
def test_bad_csv_rows(old: str, new: str, where: str, message: str) -> None:
    parsed = parse_events(CSV.replace(old, new).encode(), file="e.csv", fmt="csv")
    assert [p.where for p in parsed.problems] == [where], parsed.problems
    assert message in parsed.problems[0].message


def test_csv_layout_faults() -> None:
    with pytest.raises(InputError) as caught:
        parse_events(CSV.replace("yield_kt", "yeild_kt").encode(), file="e.csv", fmt="csv")
    assert caught.value.where == "e.csv:1:9"
    with pytest.raises(InputError, match="no actor column"):
        parse_events(b"source,id,type,date\nobs,1,observation,2020-01-01\n", file="e", fmt="csv")
    ok = parse_events(
        b"source,id,type,date\nobs,1,observation,2020-01\n", file="e", fmt="csv", actor="iran"
    )
    assert ok.rows[0].payload["actor"] == "iran" and ok.rows[0].payload["precision"] == "month"


def test_json_events_and_their_faults() -> None:
    doc = {
        "source": {"id": "obs", "name": "An observer"},
        "actor": "dprk",
        "events": [
            {
                "id": "a",
                "type": "satellite_launch",
                "date": "2023-05-30",
                "attributes": {"missile_class": "SLV", "site": "sohae"},
            },
            {"id": "b", "type": "missile_launch", "date": "2023-13-01"},
            {"id": "c", "type": "missile_launch", "date": "2023-01-01", "colour": "red"},
            {"id": "d", "type": "missile_launch", "date": "2023-01-01", "attributes": {"rnage": 5}},
        ],
    }
    parsed = parse_events(json.dumps(doc).encode(), file="e.json", fmt="json")
    assert [r.event_id for r in parsed.rows] == ["obs:a"]
    assert [p.where for p in parsed.problems] == [
        "e.json: events[1].date",
        "e.json: events[2].colour",
        "e.json: events[3].attributes.rnage",
    ]
    with pytest.raises(InputError, match="malformed JSON"):
        parse_events(b"{", file="e.json", fmt="json")


def test_a_reimport_adds_nothing_and_a_corrected_row_supersedes() -> None:
    original = parse_events(cns_bytes(), file="m.csv", fmt="cns")
    known = [
        KnownRow(100 + i, r.event_id, r.source_id, r.digest) for i, r in enumerate(original.rows)
    ]
    again = plan_import(original.rows, known)
    assert again.payloads == [] and again.unchanged == 339

    corrected_text = cns_bytes().replace(
        b"\n33,2012-12-12,,,,unha-3,Unha-3,SLV,", b"\n33,2012-12-12,00:49,,,unha-3,Unha-3,SLV,"
    )
    corrected = parse_events(corrected_text, file="m.csv", fmt="cns")
    plan = plan_import(corrected.rows, known)
    assert plan.new == [] and plan.unchanged == 338
    assert [(p["event_id"], p["supersedes"]) for p in plan.corrections] == [("cns:33", 132)]
    # once corrected, the old file again adds nothing
    known.append(KnownRow(500, "cns:33", "cns", corrected.rows[32].digest))
    assert plan_import(original.rows, known).payloads == []
    assert plan_import(corrected.rows, known).payloads == []


def test_the_demo_events_file() -> None:
    parsed = parse_events(data_text(DEMO_EVENTS).encode(), file=DEMO_EVENTS, fmt="json")
    assert parsed.problems == []
    events = [
        event_from(i, EventRecord.model_validate(r.payload)) for i, r in enumerate(parsed.rows)
    ]
    found = evaluate(events, builtin_obligations(), date(2026, 1, 1)).violations()
    first: dict[str, set[str]] = {}
    for v in found:
        first.setdefault(v.occurrence, set()).add(v.instrument)
    # 2006 launches and the first test came before any binding resolution; the
    # 2009 satellite launch before 1874; the 2009 test broke 1718
    assert not any(o.split(":")[1].startswith(("2006", "2009-04")) for o in first)
    assert first["usgs-iris:2009-05-25:punggye-ri"] == {"unsc-1718"}
    assert first["cns-demo:2012-12-12:sohae"] == {"unsc-1874"}
    uncertain = [v for v in found if not v.certain]
    assert {v.occurrence for v in uncertain} == {
        "cns-demo:2019-04-17:unknown",
        "cns-demo:2022-11-01:uiju",
    }


def test_the_digest_of_a_csv_row_is_that_of_its_canonical_json() -> None:
    import hashlib

    from accordwatch.compliance.events import content_digest
    from accordwatch.log.canonical import canonical_json

    rows: list[dict[str, Any]] = [
        {"row_id": "1", "description": 'He said "Hwasong" \u00e9\u4e2d\U0001f680\n\t\x01'},
        {"b": "", "a": "x", "\u00e9": "non-ASCII key"},
        {"id": "a", "count": 3, "attributes": {"yield_kt": 1.5}},
    ]
    for row in rows:
        assert content_digest(row) == hashlib.sha256(canonical_json(row)).hexdigest()
