"""The log's clock is the time that counts: skew both ways, monotonic log time, the two
dates of a view (`--as-of`, `--known-at`, `--log-size`) and the simulated clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accordwatch.cli import main
from accordwatch.examples import example_path
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.scenario import parse_scenario
from accordwatch.sources.snapshot import Snapshot, choose_snapshot
from accordwatch.timeutil import read_clock_file
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import ANSI, Log, Run, one_line_error
from tests.test_compliance_report import EVENTS_PER_YEAR

PARTIES = [("dprk", "declarant"), ("usa", "party"), ("rok", "party"), ("iaea", "inspectorate")]


@dataclass
class Cli:
    ws: Workspace
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = 0
        try:
            main(["--home", str(self.ws.home), *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        out, err = self.capsys.readouterr()
        return Run(code, ANSI.sub("", out), ANSI.sub("", err))

    def json(self, *args: str) -> Any:
        run = self(*args, "--format", "json")
        assert run.code == 0, run.err
        return json.loads(run.out)


@pytest.fixture
def history(early_workspace: Workspace) -> Log:
    """The DPRK road map's scripted history, each entry logged at its own date; keys on disk."""
    log = Log.open(early_workspace)
    for name, role in PARTIES:
        key = log.add_party(name, role)
        key.write(early_workspace.party_key_path(name, key.key_id))
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None
    text = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    log.replay(parse_scenario(text, accord))
    return log


@pytest.fixture
def cli(history: Log, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(history.ws, capsys)


def _clock(log: Log) -> datetime:
    path = log.ws.settings.clock_path
    assert path is not None
    return read_clock_file(path)


@pytest.mark.parametrize(("shift", "word"), [(-1, "before"), (1, "after")])
def test_an_envelope_dated_away_from_the_log_clock_is_refused(
    history: Log, cli: Cli, tmp_path: Path, shift: int, word: str
) -> None:
    now = _clock(history)
    claimed = now + timedelta(days=shift)
    payload = {"accord_id": "dprk-roadmap", "step": "disable-reprocessing", "on": "2021-09-01"}
    submission = history.seal("dprk", "step.report", payload, time=claimed)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(submission.to_json()), "utf-8")
    size = history.ledger.size()
    line = one_line_error(
        cli("submit", str(path)),
        f"envelope time {claimed:%Y-%m-%dT%H:%M:%SZ} is 1 day {word} the log clock "
        f"{now:%Y-%m-%dT%H:%M:%SZ}",
        "allowed skew 300 s",
    )
    assert "report.json" in line
    assert history.ledger.size() == size


def test_a_view_at_a_known_at_day_does_not_change_when_the_log_grows(
    history: Log, cli: Cli
) -> None:
    asked = ("status", "--as-of", "2021-03-01", "--known-at", "2021-03-01")
    before = cli.json(*asked)
    assert before["as_of"] == before["known_at"] == "2021-03-01"
    assert before["simulated_clock"] is True
    # the log as it stood at the end of 2021-03-01: every entry recorded by then
    recorded = [e.recorded_at for e in history.ledger.entries()]
    end = datetime(2021, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert before["checkpoint"]["size"] == sum(t <= end for t in recorded)
    snapshot = Snapshot.known_at(history.ledger, date(2021, 3, 1))
    assert before["checkpoint"] == snapshot.checkpoint_json()

    assert cli("clock", "set", "2021-11-20T09:00:00Z").code == 0
    reported = cli("step", "report", "disable-reprocessing", "--on", "2021-09-01", "--as", "dprk")
    assert reported.code == 0, reported.err
    assert cli.json(*asked) == before
    # at the checkpoint's size itself, the same answer, save the day it was known at
    at_size = cli.json(
        "status", "--as-of", "2021-03-01", "--log-size", str(before["checkpoint"]["size"])
    )
    assert {k: v for k, v in at_size.items() if k != "known_at"} == {
        k: v for k, v in before.items() if k != "known_at"
    }
    # and without --known-at, the newest log, which knows the report
    latest = cli.json("status", "--as-of", "2021-11-20")
    assert latest["checkpoint"]["size"] == history.ledger.size()
    step = {s["id"]: s for s in latest["steps"]}["disable-reprocessing"]
    assert step["status"] == "reported"


def test_a_report_logged_after_its_deadline_is_late_whatever_day_it_claims(cli: Cli) -> None:
    step_id = "grant-access-special-inspections"  # due 2021-06-30, never reported
    assert cli("clock", "set", "2021-11-20T09:00:00Z").code == 0
    run = cli("step", "report", step_id, "--on", "2021-06-01", "--as", "dprk")
    assert run.code == 0, run.err

    status = cli.json("status", "--as-of", "2021-11-20")
    step = {s["id"]: s for s in status["steps"]}[step_id]
    assert step["status"] == "reported"
    assert step["deadline"] == "2021-06-30"
    assert step["reported_on"] == "2021-11-20"  # the day the log knew it
    assert step["days_late"] == (date(2021, 11, 20) - date(2021, 6, 30)).days
    messages = [f["message"] for f in status["findings"] if f["step"] == step_id]
    assert any(
        "late" in m and "on 2021-06-01 (party's claim), logged 2021-11-20" in m for m in messages
    ), messages

    # as of a day before the log knew it, the step was overdue, whatever the claim
    earlier = cli.json("status", "--as-of", "2021-07-15")
    assert {s["id"]: s for s in earlier["steps"]}[step_id]["status"] == "overdue"
    text = cli("status", "--as-of", "2021-11-20")
    assert "simulated clock" in text.out and "known at 2021-11-20 (log time, UTC day)" in text.flat


def test_log_time_never_goes_back(workspace: Workspace) -> None:
    log = Log.open(workspace)
    later = datetime(2030, 5, 1, 12, tzinfo=UTC)
    first = log.submit_at(later, workspace.settings.registrar, "statement", {"subject": "first"})
    # the clock goes back an hour: the entry is taken (signed at the clock's time) but
    # recorded no earlier than the one before it
    back = later - timedelta(hours=1)
    second = log.submit_at(back, workspace.settings.registrar, "statement", {"subject": "second"})
    entries = [log.ledger.entry(first.index), log.ledger.entry(second.index)]
    assert entries[1].signed_at == back
    assert entries[1].recorded_at == entries[0].recorded_at == later
    times = [e.recorded_at for e in log.ledger.entries()]
    assert times == sorted(times)
    # the view known at the day before the clock's jump has neither entry
    assert Snapshot.known_at(log.ledger, later.date()).size == log.ledger.size()
    assert choose_snapshot(log.ledger, None, first.index + 1).size == first.index + 1


def test_clock_and_view_option_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    shown = cli("clock", "show")
    assert shown.code == 0 and "simulated clock" in shown.out
    assert cli.json("clock", "show")["simulated_clock"] is True
    assert cli("clock", "set", "2021-12-01T09:00:00Z").code == 0
    one_line_error(cli("clock", "set", "2021-01-01T00:00:00Z"), "only moves forward")
    one_line_error(cli("clock", "set", "yesterday"), "not an RFC 3339 timestamp")
    one_line_error(cli("status", "--as-of", "2021-13-01"), "--as-of", "not an ISO 8601 date")
    one_line_error(cli("status", "--known-at", "2019-02-30"), "--known-at")
    one_line_error(cli("status", "--known-at", "2018-01-01"), "did not exist yet")
    one_line_error(cli("status", "--log-size", "99999"), "no checkpoint at size 99999")
    one_line_error(cli("status", "--log-size", "0"), "--log-size")
    one_line_error(
        cli("compliance", "evaluate", "--known-at", "2021-01-01", "--log-size", "5"),
        "not both",
    )
    system = Cli(init_workspace(tmp_path / "system", origin="test.local/system"), cli.capsys)
    assert "system clock" in system("clock", "show").out
    one_line_error(system("clock", "set", "2030-01-01T00:00:00Z"), "system clock")


@pytest.mark.slow
def test_the_demo_counts_the_2019_launches_as_of_2019(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "demo"
    main(["demo", "--home", str(home)])
    out = capsys.readouterr().out
    assert "simulated clock" in out
    ws = Workspace.open(home)
    assert ws.simulated_clock
    cli = Cli(ws, capsys)
    # no entry of the demo is backdated: each is signed within the skew of its log time
    for entry in ws.ledger().entries():
        assert abs(entry.signed_at - entry.recorded_at) <= timedelta(minutes=5)
    times = [e.recorded_at for e in ws.ledger().entries()]
    assert times == sorted(times) and times[0].year == 2019 and times[-1].year == 2022

    evaluated = cli.json("compliance", "evaluate", "--as-of", "2019-12-31")
    assert evaluated["as_of"] == "2019-12-31" and evaluated["simulated_clock"] is True
    assert {"size", "root"} <= set(evaluated["checkpoint"])
    in_2019 = {
        v["occurrence"]
        for v in evaluated["violations"]
        if v["date"].startswith("2019") and v["status"] == "violation"
    }
    assert len(in_2019) == EVENTS_PER_YEAR[2019]

    report = cli.json("compliance", "report", "--by", "event", "--as-of", "2019-12-31")
    rows = {r["year"]: r for r in report["by_year"]["rows"]}
    assert rows[2019]["violations"] == EVENTS_PER_YEAR[2019]
    assert 2022 not in rows  # the 2022 launch had not occurred by the end of 2019
    # as the log stood at the end of 2019, it knew of no launch at all
    early = cli.json("compliance", "report", "--by", "event", "--known-at", "2019-12-31")
    assert early["known_at"] == "2019-12-31" and early["by_year"]["rows"] == []
