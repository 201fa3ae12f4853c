"""An accord's own obligations: checked in the file, in force with the accord, evaluated
with the resolutions, and shown by the command line, the API and the dashboard."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.compliance.events import Event
from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.compliance.violations import evaluate
from accordwatch.examples import example_path
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.accord_check import load_accord
from accordwatch.roadmap.diff import diff_accords
from accordwatch.roadmap.history import Report, RoadmapRecord, Signature, VerificationResult
from accordwatch.roadmap.obligations import accord_obligations, obligations_as_of
from accordwatch.service.api.app import create_app
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log
from tests.test_compliance import launch

ACCORD = """\
id: test-freeze
title: Test freeze
parties:
  - {id: dprk, name: DPRK, role: inspected}
  - {id: usa, name: USA, role: counterpart}
  - {id: iaea, name: IAEA, role: inspectorate}
phases:
  - {id: freeze, title: Freeze, ends: 2021-12-31}
steps:
  - id: freeze-tests
    title: Freeze tests
    phase: freeze
    party: dprk
    kind: freeze
    deadline: 2021-03-31
    verification: {method: inspectorate, by: iaea}
  - id: relief
    title: Relief
    phase: freeze
    party: usa
    kind: concession
    deadline: end of phase
    requires: [freeze-tests]
    verification: {method: acknowledgment, by: dprk}
obligations:
  - id: no-nuclear-tests
    party: dprk
    text: No nuclear test.
    rule: {type: nuclear_test}
  - id: no-icbm-launches
    party: dprk
    effective: freeze-tests verified
    text: No ICBM launch once the freeze is verified.
    rule:
      all:
        - {type: missile_launch}
        - {attribute: missile_class, in: [ICBM]}
  - id: usa-no-tests
    party: usa
    effective: 2019-01-01
    ends: 2021-06-30
    text: No nuclear test by the United States either (until mid-2021).
    rule: {type: nuclear_test}
"""

SIGNED = date(2021, 1, 10)  # the last signature: entry into force
AS_OF = date(2026, 11, 1)


def accord(text: str = ACCORD) -> Accord:
    result = load_accord(text, "test.yaml")
    assert result.accord is not None, result.format()
    return result.accord


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def signed(a: Accord, last: date = SIGNED) -> list[RoadmapRecord]:
    return [
        Signature(1, noon(date(2021, 1, 4)), "usa", a),
        Signature(2, noon(date(2021, 1, 5)), "iaea", a),
        Signature(3, noon(last), "dprk", a),
    ]


def nuclear_test(on: date, actor: str = "dprk") -> Event:
    return launch(on, None, "nuclear_test", site="punggye-ri", actor=actor)


# --- the accord file --------------------------------------------------------------------------


def problems(text: str) -> list[str]:
    return [f"{p.line}:{p.column}: {p.message}" for p in load_accord(text, "t.yaml").problems]


def test_the_obligations_section_parses_and_keeps_its_text() -> None:
    a = accord()
    assert [o.id for o in a.obligations] == ["no-nuclear-tests", "no-icbm-launches", "usa-no-tests"]
    assert a.obligations[0].effective == "entry into force"  # the default
    assert a.model_dump(mode="json")["obligations"][1]["rule"]["all"][1]["in"] == ["ICBM"]


def test_an_accord_without_obligations_keeps_its_digest() -> None:
    """Versions signed before accords had obligations still match their digest."""
    without = ACCORD.split("obligations:")[0]
    a = accord(without)
    assert "obligations" not in a.model_dump(mode="json")
    assert Accord.model_validate(a.model_dump(mode="json")).digest() == a.digest()
    assert accord().digest() != a.digest()


def test_an_accord_may_not_take_the_id_of_a_shipped_resolution() -> None:
    """In force, the accord is an instrument beside the resolutions, under its own id."""
    assert problems(ACCORD.replace("id: test-freeze", "id: unsc-1718", 1)) == [
        "1:5: accord id 'unsc-1718' is the id of a shipped instrument (a Security Council "
        "resolution); compliance could not tell the two apart"
    ]


def test_bad_obligations_are_located_by_line_and_column() -> None:
    text = ACCORD.replace("    party: usa\n    effective: 2019-01-01\n", "    party: rus\n")
    text = text.replace("effective: freeze-tests verified", "effective: freeze-test verified")
    text = text.replace("in: [ICBM]}", "within: [ICBM]}")
    text = text.replace(
        "rule: {type: nuclear_test}\n  - id: no-icbm", "rule: {type: nuke}\n  - id: no-icbm"
    )
    text += "  - id: no-nuclear-tests\n    party: dprk\n    text: again\n    rule: {not: {}}\n"
    text += "    effective: sometime\n"
    found = problems(text)
    assert found == [
        "29:18: obligation 'no-nuclear-tests': rule.type: unknown event type 'nuke' (known: "
        "missile_launch, satellite_launch, unclassified_launch, nuclear_test, observation)",
        "32:16: obligation 'no-icbm-launches': takes effect from step 'freeze-test' is not "
        "declared (did you mean 'freeze-tests'?)",
        "37:11: obligation 'no-icbm-launches': rule.all[1]: an attribute test needs exactly one "
        "of eq, in, gt, gte, lt, lte, known",
        "39:12: obligation 'usa-no-tests': bound party 'rus' is not declared (did you mean 'usa'?)",
        "43:9: duplicate obligation id 'no-nuclear-tests' (first at line 26)",
        "46:17: obligation 'no-nuclear-tests': rule.not: a rule must be a mapping (type, "
        "attribute, all, any or not)",
        "47:16: obligation 'no-nuclear-tests': effective 'sometime' must be 'entry into force', "
        "a date (YYYY-MM-DD), 'deadline of STEP', or 'STEP reported|verified'",
    ]


def test_an_obligation_cannot_end_before_it_takes_effect() -> None:
    text = ACCORD.replace("ends: 2021-06-30", "ends: 2018-06-30")
    assert problems(text) == [
        "41:11: obligation 'usa-no-tests': ends (2018-06-30) before it takes effect (2019-01-01)"
    ]


def test_unknown_fields_of_an_obligation_are_named() -> None:
    text = ACCORD.replace(
        "    text: No nuclear test.\n", "    text: No nuclear test.\n    from: x\n"
    )
    assert problems(text) == ["29:5: obligation 'no-nuclear-tests': unknown field 'from'"]


def test_the_dprk_example_forbids_tests_and_long_range_launches() -> None:
    example = yaml.safe_load(example_path("dprk-roadmap").read_text("utf-8"))
    effective = {o["id"]: o["effective"] for o in example["obligations"]}
    assert effective == {
        "nuclear-test-moratorium": "entry into force",
        "long-range-launch-moratorium": "deadline of freeze-missile-tests",
    }


def test_an_amendment_of_the_obligations_is_in_the_diff() -> None:
    amended = ACCORD.replace("effective: freeze-tests verified", "effective: 2021-06-01")
    amended = amended.split("  - id: usa-no-tests")[0]
    changes = [c.describe() for c in diff_accords(accord(), accord(amended))]
    assert changes == [
        "obligation usa-no-tests: removed",
        "obligation no-icbm-launches: effective freeze-tests verified -> 2021-06-01",
    ]


# --- in force, and evaluated --------------------------------------------------------------------


def test_no_obligations_before_the_accord_is_in_force() -> None:
    records = signed(accord())
    assert accord_obligations(records, date(2021, 1, 9)).obligations == ()
    assert accord_obligations(records[:2], AS_OF).obligations == ()  # dprk never signed
    found = accord_obligations(records, SIGNED)
    assert [o.id for o in found.obligations] == [
        "test-freeze.no-nuclear-tests",
        "test-freeze.usa-no-tests",
    ]
    (instrument,) = found.instruments
    assert (instrument.id, instrument.kind, instrument.adopted, instrument.binding) == (
        "test-freeze",
        "accord",
        SIGNED,
        True,
    )


def test_obligations_bind_from_entry_into_force_and_only_their_party() -> None:
    records = signed(accord())
    events = [
        nuclear_test(date(2020, 6, 1)),  # before the accord: only the resolutions
        nuclear_test(date(2021, 1, 9)),  # the day before entry into force
        nuclear_test(date(2021, 1, 10)),  # the day it enters into force
        nuclear_test(date(2021, 5, 1), actor="usa"),  # binds the usa until 2021-06-30
        nuclear_test(date(2021, 8, 1), actor="usa"),  # after its obligation ended
    ]
    obligations = obligations_as_of(records, AS_OF)
    found = evaluate(events, obligations, AS_OF).violations()
    by_accord = sorted((v.on, v.obligation.id) for v in found if v.instrument == "test-freeze")
    assert by_accord == [
        (date(2021, 1, 10), "test-freeze.no-nuclear-tests"),
        (date(2021, 5, 1), "test-freeze.usa-no-tests"),
    ]
    # the resolutions are judged as before: every dprk test, no usa test
    unsc = {v.on for v in found if v.instrument.startswith("unsc-")}
    assert unsc == {date(2020, 6, 1), date(2021, 1, 9), date(2021, 1, 10)}
    without = evaluate(events, builtin_obligations(), AS_OF).violations()
    assert [v.id for v in without] == [v.id for v in found if v.instrument.startswith("unsc-")]


def test_a_fixed_date_before_entry_into_force_binds_from_entry_into_force() -> None:
    records = signed(accord())
    usa = next(o for o in accord_obligations(records, AS_OF).obligations if o.party == "usa")
    assert (usa.effective, usa.ends) == (SIGNED, date(2021, 6, 30))


def test_an_obligation_from_a_step_binds_once_the_step_is_verified() -> None:
    a = accord()
    records = [
        *signed(a),
        Report(4, noon(date(2021, 3, 1)), "dprk", a.id, "freeze-tests", date(2021, 3, 1)),
        VerificationResult(
            5, noon(date(2021, 4, 15)), "iaea", a.id, "freeze-tests", date(2021, 4, 15), True
        ),
    ]
    icbm = "test-freeze.no-icbm-launches"
    assert icbm not in {o.id for o in accord_obligations(records, date(2021, 4, 14)).obligations}
    (bound,) = [o for o in accord_obligations(records, AS_OF).obligations if o.id == icbm]
    assert bound.effective == date(2021, 4, 15)
    events = [
        launch(date(2021, 4, 1), "ICBM"),
        launch(date(2021, 5, 1), "ICBM"),
        launch(date(2021, 6, 1)),
    ]
    found = evaluate(events, obligations_as_of(records, AS_OF), AS_OF).violations()
    assert [(v.on, v.certain) for v in found if v.obligation.id == icbm] == [
        (date(2021, 5, 1), True)
    ]


def test_the_deadline_of_a_step_and_an_unclassified_launch() -> None:
    a = accord(
        ACCORD.replace("effective: freeze-tests verified", "effective: deadline of freeze-tests")
    )
    records = signed(a)
    (bound,) = [o for o in accord_obligations(records, AS_OF).obligations if "icbm" in o.id]
    assert bound.effective == date(2021, 3, 31)
    unknown = launch(date(2021, 5, 1), None, "unclassified_launch")
    found = evaluate([unknown], obligations_as_of(records, AS_OF), AS_OF).violations()
    assert {(v.obligation.id, v.certain) for v in found if v.instrument == a.id} == {
        ("test-freeze.no-icbm-launches", False)
    }


def test_the_version_in_force_gives_the_obligations() -> None:
    first = accord()
    amended = accord(ACCORD.replace("text: No nuclear test.", "text: No nuclear test at all."))
    records = [
        *signed(first),
        Signature(4, noon(date(2022, 1, 3)), "usa", amended),
        Signature(5, noon(date(2022, 1, 4)), "iaea", amended),
        Signature(6, noon(date(2022, 1, 5)), "dprk", amended),
    ]
    before = accord_obligations(records, date(2021, 12, 31)).obligations
    after = accord_obligations(records, AS_OF).obligations
    assert before[0].text == "No nuclear test."
    assert after[0].text == "No nuclear test at all."
    # entry into force is the accord's, not the amendment's: the freeze carries over
    assert after[0].effective == SIGNED and after[0].instrument.adopted == SIGNED


# --- through the log: command line, API, dashboard ------------------------------------------------


EVENTS = {
    "source": {"id": "test", "name": "Test events"},
    "actor": "dprk",
    "events": [
        {"id": "t-2020", "type": "nuclear_test", "date": "2020-09-01", "attributes": {}},
        {"id": "t-2021", "type": "nuclear_test", "date": "2021-09-01", "attributes": {}},
        {
            "id": "l-2021",
            "type": "missile_launch",
            "date": "2021-10-01",
            "attributes": {"missile_class": "SRBM"},
        },
    ],
}


@pytest.fixture
def logged(early_workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace with the test accord signed in January 2021 and three events."""
    workspace = early_workspace
    log = Log.open(workspace)
    for name, role in (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate")):
        log.add_party(name, role)
    a = accord()
    payload = {"accord_id": a.id, "digest": a.digest(), "accord": a.model_dump(mode="json")}
    for record in signed(a):
        assert isinstance(record, Signature)
        log.submit_at(record.logged_at, record.party, "accord.signature", payload)
    # the rest is logged, and read, today
    with log.clock_at(utc_now()):
        pass
    home = ["--home", str(workspace.home)]
    main([*home, "party", "add", "cns", "--role", "observer"])
    main([*home, "key", "new", "--party", "cns"])
    events = tmp_path / "events.json"
    events.write_text(json.dumps(EVENTS), "utf-8")
    main([*home, "events", "import", str(events), "--format", "json", "--as", "cns"])
    return workspace


def cli_json(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    main(["--home", str(ws.home), *args, "--format", "json"])
    return json.loads(capsys.readouterr().out)


def test_the_cli_reports_accord_violations(
    logged: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluated = cli_json(logged, capsys, "compliance", "evaluate")
    accord_found = [v for v in evaluated["violations"] if v["instrument"] == "test-freeze"]
    assert [(v["date"], v["obligation"]) for v in accord_found] == [
        ("2021-09-01", "test-freeze.no-nuclear-tests")
    ]
    assert accord_found[0]["instrument_title"] == "Test freeze"

    report = cli_json(logged, capsys, "compliance", "report", "--by", "event")
    rows = {r["key"]: r for r in report["by_instrument"]["rows"]}
    assert (rows["test-freeze"]["violations"], rows["test-freeze"]["uncertain"]) == (1, 0)
    assert any(f.startswith("accord test-freeze") for f in report["obligation_files"])
    tested = [e for e in report["events"] if e["date"] == "2021-09-01"]
    assert len(tested) == 1 and "test-freeze" in tested[0]["instruments"]
    before = [e for e in report["events"] if e["date"] == "2020-09-01"]
    assert len(before) == 1 and "test-freeze" not in before[0]["instruments"]
    # the totals count events, whichever instruments they break: three, as without the accord
    assert report["totals"]["violations"] == 3

    # as of a day before entry into force, the accord binds nothing
    early = cli_json(logged, capsys, "compliance", "obligations", "--as-of", "2021-01-09")
    assert not any(o["instrument"] == "test-freeze" for o in early["obligations"])
    listed = cli_json(logged, capsys, "compliance", "obligations")["obligations"]
    assert {o["id"]: o["effective"] for o in listed if o["instrument"] == "test-freeze"} == {
        "test-freeze.no-nuclear-tests": "2021-01-10",
        "test-freeze.usa-no-tests": "2021-01-10",
    }


def test_obligations_outside_a_workspace_are_the_shipped_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no workspace there is no accord in force: the resolutions, and a note saying so."""
    capsys.readouterr()
    main(["--home", str(tmp_path / "none"), "compliance", "obligations", "--format", "json"])
    out = capsys.readouterr()
    listed = json.loads(out.out)
    assert {o["id"] for o in listed["obligations"]} == {
        o.id for o in builtin_obligations().obligations
    }
    assert out.err.count("\n") == 1 and "no accord's obligations are included" in out.err


def test_api_and_dashboard_show_accord_violations(logged: Workspace) -> None:
    client = TestClient(create_app(logged))
    page = client.get("/compliance.json").json()
    rows = {r["key"]: r for r in page["by_instrument"]["rows"]}
    assert rows["test-freeze"]["violations"] == 1 and rows["test-freeze"]["binding"]
    assert client.get("/api/compliance/report").json()["by_instrument"] == page["by_instrument"]
    violations = client.get("/api/compliance/violations").json()["violations"]
    assert [v["obligation"] for v in violations if v["instrument"] == "test-freeze"] == [
        "test-freeze.no-nuclear-tests"
    ]
    html = client.get("/compliance").text
    assert "<td>test-freeze</td><td>Test freeze</td><td>yes</td><td>1</td><td>0</td>" in html
    overview = client.get("/overview.json").json()["violations"]
    # the accord's included, counted per event as the compliance page counts them
    assert overview["violations"] == page["totals"]["violations"] > 0
    assert overview["uncertain"] == page["totals"]["uncertain"]


def test_the_printed_report_lists_the_accord_as_an_instrument(
    logged: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    main(["--home", str(logged.home), "report", "--format", "md", "--out", str(out)])
    (written,) = out.glob("report-*.md")
    text = written.read_text("utf-8")
    assert "| test-freeze | Test freeze | yes | 1 | 0 |" in text
    line = next(x for x in text.splitlines() if x.startswith("- 2021-09-01 "))
    assert "test-freeze" in line
