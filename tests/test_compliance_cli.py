"""Events, violations and responses through the log and the command line, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.compliance.events import current_events
from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.compliance.violations import evaluate
from accordwatch.sources.appending import Signer
from accordwatch.sources.compliance import append_events, compliance_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.workspace import Workspace
from tests.conftest import SHARED
from tests.helpers import Log

CNS_FILE = SHARED / "data" / "missile_launches.csv"


def run(ws: Workspace, *args: str) -> None:
    main(["--home", str(ws.home), *args])


def fails(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        run(ws, *args)
    assert caught.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("accordwatch: error: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


def setup_parties(ws: Workspace) -> None:
    for name, role in (("cns", "observer"), ("usa", "party"), ("dprk", "declarant")):
        run(ws, "party", "add", name, "--role", role)
        run(ws, "key", "new", "--party", name)


def size(ws: Workspace) -> int:
    return ws.ledger().size()


def test_import_evaluate_respond_report(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws = workspace
    setup_parties(ws)
    capsys.readouterr()
    run(ws, "events", "import", str(CNS_FILE), "--format", "cns", "--as", "cns")
    assert "339 new event(s), 0 correction(s), 0 already in the log" in capsys.readouterr().out
    before = size(ws)
    run(ws, "events", "import", str(CNS_FILE), "--format", "cns", "--as", "cns")
    assert "0 new event(s), 0 correction(s), 339 already in the log" in capsys.readouterr().out
    assert size(ws) == before

    # a corrected row supersedes the old one; both stay in the log
    corrected = tmp_path / "missile_launches.csv"
    corrected.write_bytes(
        CNS_FILE.read_bytes().replace(b"\n120,2019-05-04,01:54,", b"\n120,2019-05-04,00:06,", 1)
    )
    run(ws, "events", "import", str(corrected), "--format", "cns", "--as", "cns")
    assert "0 new event(s), 1 correction(s), 338 already" in capsys.readouterr().out
    records = compliance_records(Snapshot.latest(ws.ledger()))
    assert len(records.events) == 340
    now = current_events(records.events, date.today())
    assert len(now.events) == 339 and now.superseded == 1
    fixed = next(e for e in now.events if e.event_id == "cns:120")
    assert fixed.attributes["time_utc"] == "00:06" and len(fixed.superseded) == 1

    # responses: to named violations, or to every violation of an event
    v2087 = "cns:2012-12-12:sohae/unsc-1874-bm-technology"
    run(
        ws,
        "response",
        "record",
        "--to",
        v2087,
        "--kind",
        "sc-resolution",
        "--on",
        "2013-01-22",
        "--as",
        "usa",
        "--by",
        "UN Security Council",
        "--reference",
        "S/RES/2087 (2013)",
    )
    assert "to 1 violation(s)" in capsys.readouterr().out
    run(
        ws,
        "response",
        "record",
        "--to",
        "cns:2016-02-07:sohae",
        "cns:2014-02-27:kittaeryong",
        "--kind",
        "sc-resolution",
        "--on",
        "2016-03-02",
        "--as",
        "usa",
    )
    assert "to 7 violation(s)" in capsys.readouterr().out  # 3 + 4 obligations in force
    run(
        ws,
        "response",
        "record",
        "--to",
        "cns:2019-05-04:hodo",
        "--kind",
        "none-decided",
        "--on",
        "2019-05-10",
        "--as",
        "usa",
    )

    assert "unknown violation" not in fails(
        ws,
        capsys,
        "response",
        "record",
        "--to",
        "cns:2019-05-05:hodo",
        "--kind",
        "sc-statement",
        "--on",
        "2019-05-10",
        "--as",
        "usa",
    )
    err = fails(
        ws,
        capsys,
        "response",
        "record",
        "--to",
        v2087,
        "--kind",
        "sc-statement",
        "--on",
        "2012-12-01",
        "--as",
        "usa",
    )
    assert "before the violation" in err
    err = fails(
        ws,
        capsys,
        "response",
        "record",
        "--to",
        v2087,
        "--kind",
        "tweet",
        "--on",
        "2013-01-01",
        "--as",
        "usa",
    )
    assert "--kind must be one of" in err

    capsys.readouterr()
    run(ws, "compliance", "report", "--by", "event", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["counted_per"] == "event"
    years = {row["year"]: row for row in report["by_year"]["rows"]}
    assert years[2012]["violations"] == 2 and years[2012]["answered"] == 1
    assert years[2016]["violations"] == 16 and years[2016]["answered"] == 1
    assert years[2014]["late"] == 1 and years[2014]["unanswered"] == 10
    assert years[2019]["violations"] == 13 and years[2019]["unanswered"] == 13
    assert report["totals"]["answered"] == 2 and report["totals"]["late"] == 1
    assert report["totals"]["without_response_within_window"] == 123
    event = next(e for e in report["events"] if e["occurrence"] == "cns:2012-12-12:sohae")
    assert event["first_response"]["days"] == 41
    assert event["first_response"]["reference"] == "S/RES/2087 (2013)"
    hodo = next(e for e in report["events"] if e["occurrence"] == "cns:2019-05-04:hodo")
    assert hodo["first_response"] is None and hodo["considered_without_decision"]

    run(ws, "compliance", "report", "--year", "2019", "--by", "missile")
    out = capsys.readouterr().out
    assert "counted in missiles" in out and "violations of binding obligations: 26 missiles" in out

    run(ws, "compliance", "chart", "--out", str(tmp_path / "charts"))
    assert "chart: " in capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert [f.rsplit(".", 1)[1] for f in files] == ["png", "svg"]
    assert (tmp_path / "charts" / files[0]).read_bytes()[:4] == b"\x89PNG"

    run(ws, "compliance", "evaluate", "--format", "json")
    evaluated = json.loads(capsys.readouterr().out)
    ids = {v["id"] for v in evaluated["violations"]}
    assert v2087 in ids and evaluated["events"] == 339
    # as of a day before any event occurred, there is nothing to judge
    run(ws, "compliance", "evaluate", "--as-of", "1984-01-01", "--format", "json")
    assert json.loads(capsys.readouterr().out)["violations"] == []

    run(ws, "events", "list", "--year", "2012")
    assert "cns:2012-12-12:sohae" in capsys.readouterr().out
    run(ws, "response", "list", "--format", "json")
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_bad_files_import_nothing_unless_told(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws = workspace
    setup_parties(ws)
    text = CNS_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        text.replace("\n33,2012-12-12,", "\n33,2012-12-34,", 1).replace(
            "\n40,2014-02-27,", "\n40,27 Feb 2014,", 1
        ),
        encoding="utf-8",
    )
    before = size(ws)
    err = fails(ws, capsys, "events", "import", str(bad), "--format", "cns", "--as", "cns")
    assert f"{bad}:34:2: column date: date '2012-12-34' is not a calendar date" in err
    assert "nothing imported (and 1 more bad row(s)" in err
    assert size(ws) == before

    err = fails(ws, capsys, "events", "import", str(bad), "--format", "xml", "--as", "cns")
    assert "--format must be one of cns, csv, json" in err
    extra = tmp_path / "extra.csv"
    extra.write_text(text.replace("description\n", "description,bearing\n", 1), encoding="utf-8")
    err = fails(ws, capsys, "events", "import", str(extra), "--format", "cns", "--as", "cns")
    assert f"{extra}:1:20: unknown column 'bearing'" in err
    err = fails(ws, capsys, "events", "import", str(CNS_FILE), "--format", "cns", "--as", "dprk")
    assert "may not submit event" in err
    assert size(ws) == before

    run(ws, "events", "import", str(bad), "--format", "cns", "--as", "cns", "--skip-bad-rows")
    captured = capsys.readouterr()
    assert "337 new event(s)" in captured.out and "2 bad row(s) skipped" in captured.out
    assert f"skipped {bad}:41:2: column date" in captured.err
    assert size(ws) == before + 337


def test_obligation_files_given_on_the_command_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws = workspace
    setup_parties(ws)
    demo = tmp_path / "demo.json"
    run(ws, "events", "example", "--out", str(demo))
    run(ws, "events", "import", str(demo), "--format", "json", "--as", "cns")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: accordwatch/obligations/v1\n"
        "instruments:\n"
        "  - {id: m, title: M, kind: accord clause, adopted: 2017-01-01, binding: true}\n"
        "obligations:\n"
        "  - {id: x, instrument: m, party: dprk, text: T, rule: {attribute: range, gt: 1}}\n",
        encoding="utf-8",
    )
    err = fails(ws, capsys, "compliance", "evaluate", "--obligations", str(bad))
    assert f"{bad}:5:" in err and "no event type has attribute 'range'" in err
    good = tmp_path / "good.yaml"
    good.write_text(bad.read_text().replace("range, gt: 1", "distance_km, gt: 900"))
    run(ws, "compliance", "evaluate", "--obligations", str(good), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    mine = [v for v in data["violations"] if v["obligation"] == "x" and v["status"] == "violation"]
    # the demo's two ICBM launches of 2017 flew 933 and 950 km
    assert sorted(v["date"] for v in mine) == ["2017-07-04", "2017-11-28"]
    run(ws, "compliance", "obligations", "--format", "json")
    listed = json.loads(capsys.readouterr().out)["obligations"]
    assert len(listed) == len(builtin_obligations().obligations)


def test_append_events_in_batches_and_read_back(workspace: Workspace) -> None:
    log = Log.open(workspace)
    key = log.add_party("monitor", "observer")
    from accordwatch.compliance.event_files import parse_events

    parsed = parse_events(CNS_FILE.read_bytes(), file=str(CNS_FILE), fmt="cns")
    log.ledger.clock = lambda: datetime(2026, 1, 2, tzinfo=UTC)
    added = append_events(
        log.ledger, [r.payload for r in parsed.rows], signer=Signer("monitor", key), batch=100
    )
    assert added == 339
    records = compliance_records(Snapshot.latest(log.ledger))
    assert [e.event.event_id for e in records.events[:2]] == ["cns:1", "cns:2"]
    assert {e.party for e in records.events} == {"monitor"}
    events = current_events(records.events, date(2026, 1, 2)).events
    # events are dated by their occurrence, whenever the log learnt of them
    assert current_events(records.events, date(1984, 4, 8)).events == []
    assert len(current_events(records.events, date(2026, 1, 1)).events) == len(events)
    found = evaluate(events, builtin_obligations(), date(2026, 1, 2)).violations()
    # as of 2 January 2026: the 5 violating events of 2026 are yet to come
    assert sum(v.certain for v in found if v.instrument == "unsc-1874") == 125 - 5
