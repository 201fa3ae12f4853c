"""The DPRK road map, signed by its parties, with its scripted history, through the log."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.examples import example_path
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.scenario import parse_scenario
from accordwatch.roadmap.status import FindingKind, Status, evaluate
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.workspace import Workspace
from tests.helpers import Log

PARTIES = [("dprk", "declarant"), ("usa", "party"), ("rok", "party"), ("iaea", "inspectorate")]


def _accord() -> Accord:
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None
    return accord


@pytest.fixture
def history(early_workspace: Workspace) -> Log:
    log = Log.open(early_workspace)
    for name, role in PARTIES:
        log.add_party(name, role)
    text = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    events = parse_scenario(text, _accord())
    log.replay(events)
    return log


def _as_of(log: Log, day: str) -> Status:
    return evaluate(roadmap_records(Snapshot.latest(log.ledger)), date.fromisoformat(day))


def _kinds(status: Status, kind: FindingKind) -> set[tuple[str | None, str | None]]:
    return {(f.step, f.party) for f in status.findings if f.kind is kind}


def test_not_in_force_until_every_party_signed(history: Log) -> None:
    status = _as_of(history, "2020-01-05")
    assert status.in_force is None
    assert status.signatures[0].missing == ("dprk",)
    assert _as_of(history, "2020-01-06").in_force is not None


def test_premature_concession_and_concessions_ahead(history: Log) -> None:
    status = _as_of(history, "2020-02-20")
    assert status.step("usa-suspend-exercises").status == "verified"
    premature = [f for f in status.findings if f.kind is FindingKind.PREMATURE_CONCESSION]
    assert [f.step for f in premature] == ["usa-suspend-exercises"]
    assert "freeze-nuclear-tests" in premature[0].message
    assert "freeze-missile-tests" in premature[0].message
    assert [(p.start, p.end) for p in status.ahead] == [(date(2020, 2, 15), None)]
    later = _as_of(history, "2020-03-01")
    assert [(p.start, p.end) for p in later.ahead] == [(date(2020, 2, 15), date(2020, 2, 24))]


def test_missed_deadlines_on_both_sides_and_a_dispute(history: Log) -> None:
    status = _as_of(history, "2021-03-01")
    assert status.step("declare-nuclear").status == "disputed"
    missile = status.step("declare-missile")
    assert missile.status == "overdue" and missile.days_late == 60
    relief = status.step("usa-sanctions-relief-1")
    assert relief.status == "verified" and relief.days_late == 25
    missed = _kinds(status, FindingKind.MISSED_DEADLINE)
    assert ("declare-missile", "dprk") in missed
    assert ("usa-sanctions-relief-1", "usa") in missed
    assert ("grant-access-yongbyon", "iaea") in _kinds(status, FindingKind.UNVERIFIED_TOO_LONG)


def test_dispute_resolved_and_balance_at_year_end(history: Log) -> None:
    status = _as_of(history, "2021-12-31")
    assert status.step("declare-nuclear").status == "verified"
    assert status.step("declare-missile").days_late == 74
    last = status.balance[-1]
    assert (last.verified_weight, last.concession_weight) == (28.0, 10.0)
    dprk = next(p for p in status.parties if p.id == "dprk")
    assert dprk.overdue == 2
    assert status.counts == {
        "verified": 13,
        "disputed": 0,
        "reported": 1,
        "overdue": 2,
        "open": 8,
        "waiting for prerequisites": 11,
    }


def test_earlier_status_unchanged_by_later_entries(history: Log) -> None:
    before = _as_of(history, "2020-06-30").to_json()
    history.statement("usa", "a later entry")
    assert _as_of(history, "2020-06-30").to_json() == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_status_json_and_timeline(
    history: Log, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = ["--home", str(history.ws.home)]
    main([*home, "status", "--as-of", "2021-03-01", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert out["accord_id"] == "dprk-roadmap"
    steps = {s["id"]: s for s in out["steps"]}
    assert steps["declare-nuclear"]["status"] == "disputed"
    main([*home, "status", "--as-of", "2021-12-31", "--timeline", "--out", str(tmp_path)])
    assert (tmp_path / "roadmap-dprk-roadmap-2021-12-31.png").stat().st_size > 10_000
    svg = (tmp_path / "roadmap-dprk-roadmap-2021-12-31.svg").read_text()
    assert "<svg" in svg and "declare-nuclear" in svg
