"""The road map commands end to end: check, sign, report, verify, status, diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.examples import example_path
from accordwatch.roadmap.accord_check import check_file
from accordwatch.workspace import Workspace


def run(ws: Workspace, *args: str) -> None:
    main(["--home", str(ws.home), *args])


def test_tutorial_accord_signed_reported_verified(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    accord = tmp_path / "tutorial.yaml"
    main(["accord", "example", "generic-tutorial", "--out", str(accord)])
    main(["accord", "check", str(accord)])
    roles = {"inspected": "declarant", "counterpart": "party", "inspectorate": "inspectorate"}
    parsed = check_file(accord).accord
    assert parsed is not None
    for party in parsed.parties:
        run(workspace, "party", "add", party.id, "--role", roles[party.role.value])
        run(workspace, "key", "new", "--party", party.id)
    capsys.readouterr()
    for party in parsed.parties[:-1]:
        run(workspace, "accord", "sign", str(accord), "--as", party.id)
    assert "awaiting signatures of" in capsys.readouterr().out
    run(workspace, "accord", "sign", str(accord), "--as", parsed.parties[-1].id)
    assert "it is in force" in capsys.readouterr().out
    first = parsed.steps[0]
    evidence = tmp_path / "photo.txt"
    evidence.write_text("site photograph")
    run(
        workspace,
        "step",
        "report",
        first.id,
        "--on",
        "2020-01-01",
        "--as",
        first.party,
        "--evidence",
        str(evidence),
    )
    run(
        workspace,
        "step",
        "verify",
        first.id,
        "--as",
        first.verification.by,
        "--result",
        "verified",
        "--finding",
        "seen",
        "--on",
        "2020-01-02",
    )
    capsys.readouterr()
    run(workspace, "status", "--format", "json")
    status = json.loads(capsys.readouterr().out)
    assert {s["id"]: s["status"] for s in status["steps"]}[first.id] == "verified"


def test_step_commands_refuse_unknown_steps_and_bad_results(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = example_path("generic-tutorial")
    parsed = check_file(path).accord
    assert parsed is not None
    party = parsed.parties[0]
    run(workspace, "party", "add", party.id, "--role", "declarant")
    run(workspace, "key", "new", "--party", party.id)
    run(workspace, "accord", "sign", str(path), "--as", party.id)
    with pytest.raises(SystemExit) as exc:
        run(workspace, "step", "report", "no-such-step", "--on", "2020-01-01", "--as", party.id)
    assert exc.value.code == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"accordwatch: error: accord {parsed.id!r} has no step 'no-such-step'"]
    with pytest.raises(SystemExit):
        run(workspace, "step", "report", parsed.steps[0].id, "--on", "2020-13-01", "--as", party.id)
    assert "not an ISO 8601 date" in capsys.readouterr().err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_check_exit_codes_and_diff(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = example_path("dprk-roadmap")
    new = tmp_path / "amended.yaml"
    new.write_text(
        old.read_text().replace("deadline: 2020-12-31", "deadline: 2021-03-31", 1), "utf-8"
    )
    main(["accord", "diff", str(old), str(new), "--json"])
    changes = json.loads(capsys.readouterr().out)
    assert len(changes) == 1 and changes[0]["change"] == "changed"
    assert changes[0]["fields"]["deadline"] == {"old": "2020-12-31", "new": "2021-03-31"}
    broken = tmp_path / "broken.yaml"
    broken.write_text(old.read_text().replace("party: usa", "party: ussr", 1), "utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["accord", "check", str(broken)])
    assert exc.value.code == 1
    assert "ussr" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run(workspace, "accord", "sign", str(broken), "--as", "registrar")
