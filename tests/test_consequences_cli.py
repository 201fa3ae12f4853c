"""The accord's consequences on the command line: `status` lists them, `response record` answers."""

from __future__ import annotations

import json

import pytest

from accordwatch.cli import main
from accordwatch.examples import example_path
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.scenario import parse_scenario
from accordwatch.workspace import Workspace
from tests.helpers import Log

PARTIES = [("dprk", "declarant"), ("usa", "party"), ("rok", "party"), ("iaea", "inspectorate")]


@pytest.fixture
def history(early_workspace: Workspace) -> Log:
    log = Log.open(early_workspace)
    for name, role in PARTIES:
        key = log.add_party(name, role)
        key.write(early_workspace.party_key_path(name, key.key_id))  # for `--as` on the CLI
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None
    text = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    log.replay(parse_scenario(text, accord))
    return log


def run(log: Log, *args: str) -> None:
    main(["--home", str(log.ws.home), *args])


def status_json(log: Log, capsys: pytest.CaptureFixture[str], day: str) -> dict[str, object]:
    capsys.readouterr()
    run(log, "status", "--as-of", day, "--format", "json")
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def fails(log: Log, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        run(log, *args)
    assert caught.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("accordwatch: error: ") and "\n" not in err, err
    return err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_status_lists_consequences_and_a_response_answers_one(
    history: Log, capsys: pytest.CaptureFixture[str]
) -> None:
    before = status_json(history, capsys, "2021-12-31")
    consequences = before["consequences"]
    assert isinstance(consequences, dict)
    assert consequences["totals"]["triggered"] == 2
    assert consequences["totals"]["without_response_within_window"] == 2
    findings = before["findings"]
    assert isinstance(findings, list)
    suspended = [f for f in findings if f["kind"] == "concession while suspended"]
    assert [f["step"] for f in suspended] == ["usa-liaison-office"]
    assert all(isinstance(i, int) for i in suspended[0]["indices"])

    # Answer the exercises consequence, dated within its 30 days.
    run(
        history,
        "response", "record", "--to", "resume-exercises/2021-02-15",
        "--kind", "resumed-exercise", "--on", "2021-03-10", "--as", "usa",
    )  # fmt: skip
    assert "to 1 triggered consequence(s)" in capsys.readouterr().out
    after = status_json(history, capsys, "2021-12-31")["consequences"]
    assert isinstance(after, dict)
    occasions = {o["id"]: o for c in after["consequences"] for o in c["occasions"]}
    answered = occasions["resume-exercises/2021-02-15"]
    assert answered["state"] == "answered" and answered["response"]["days"] == 23
    assert answered["cleared_on"] == "2021-04-20"
    assert occasions["enforce-sanctions/2021-01-30"]["state"] == "unanswered"
    assert after["totals"]["without_response_within_window"] == 1

    # As of a date before the trigger, nothing is triggered yet.
    early = status_json(history, capsys, "2021-01-15")["consequences"]
    assert isinstance(early, dict) and early["totals"]["triggered"] == 0

    capsys.readouterr()
    run(history, "status", "--as-of", "2021-12-31")
    text = capsys.readouterr().out
    assert "resume-exercises/2021-02-15" in text and "answered" in text
    assert "enforce-sanctions/2021-01-30" in text and "unanswered" in text
    assert "concession while suspended" in text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_response_to_a_consequence_not_triggered_is_refused(
    history: Log, capsys: pytest.CaptureFixture[str]
) -> None:
    size = history.ledger.size()
    err = fails(
        history, capsys,
        "response", "record", "--to", "suspend-inspector-access/2021-01-31",
        "--kind", "other", "--on", "2021-02-10", "--as", "dprk",
    )  # fmt: skip
    assert "no triggered consequence 'suspend-inspector-access/2021-01-31'" in err
    err = fails(
        history, capsys,
        "response", "record", "--to", "enforce-sanctions/2021-01-30",
        "--kind", "sanctions-designation", "--on", "2021-01-20", "--as", "usa",
    )  # fmt: skip
    assert "before the consequence enforce-sanctions/2021-01-30 was triggered" in err
    assert history.ledger.size() == size
