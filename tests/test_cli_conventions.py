"""The command line behaves like the tools people know, and the road map says what it means.

Version, completion and `python -m`; one table of exit codes; logging to
standard error; one-line errors for settings and in the user's words; the
small answers (already logged, which range was shown, an entry that does not
exist, tokens, passphrases); step records the road map would not count are
refused before they are stored; statuses in plain words; the tutorial's
schedule counting from when it is signed; times that say their zone.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.cli.exit_codes import ERROR_CODES, MEANINGS, ExitCode, code_of, markdown_table
from accordwatch.errors import AccordwatchError
from accordwatch.examples import example_path
from accordwatch.log.envelope import seal
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.history import STATE_MEANINGS, StepState
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace
from tests.helpers import ANSI, Log, Run, one_line_error

README = Path(__file__).resolve().parents[1] / "README.md"
SRC = Path(__file__).resolve().parents[1] / "src"

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    capsys.readouterr()
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return Run(code, ANSI.sub("", out), ANSI.sub("", err))


def home(ws: Workspace) -> list[str]:
    return ["--home", str(ws.home)]


# --- version, completion, python -m ---------------------------------------------------------


def test_python_m_and_version_and_completion() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "accordwatch", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("accordwatch "), done.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "accordwatch", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "complete" in shown.stdout and "accordwatch" in shown.stdout


def test_help_offers_install_completion(capsys: pytest.CaptureFixture[str]) -> None:
    done = run(capsys, "--help")
    assert "--install-completion" in done.out and "--log-level" in done.out


# --- exit codes ---------------------------------------------------------------------------


def _all_subclasses(kind: type[AccordwatchError]) -> list[type[AccordwatchError]]:
    out = []
    for sub in kind.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


def test_exit_codes_are_one_table_without_collisions() -> None:
    values = [code.value for code in ExitCode]
    assert len(values) == len(set(values))
    assert set(MEANINGS) == set(ExitCode)
    # each kind of error has a code of its own, never that of a check's answer or a usage error
    assert len(set(ERROR_CODES.values())) == len(ERROR_CODES)
    kinds: list[type[AccordwatchError]] = [AccordwatchError, *_all_subclasses(AccordwatchError)]
    for kind in kinds:
        code = code_of(kind)
        assert code not in (ExitCode.OK, ExitCode.PROBLEMS_FOUND, ExitCode.USAGE), kind


def test_the_readme_holds_the_table() -> None:
    assert markdown_table() in README.read_text("utf-8")


def test_a_check_a_usage_error_and_bad_input_exit_differently(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    text = example_path("generic-tutorial").read_text("utf-8")
    broken.write_text(text.replace("party: state-a", "party: state-c", 1), "utf-8")
    assert run(capsys, "accord", "check", broken).code == ExitCode.PROBLEMS_FOUND
    assert run(capsys, "no-such-command").code == ExitCode.USAGE
    bad = run(capsys, "accord", "check", tmp_path / "missing.yaml")
    assert bad.code == ExitCode.BAD_INPUT


@sqlite_only
def test_serve_on_a_busy_port_says_so_before_serving(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run(capsys, *home(workspace), "serve", "--port", str(port))
    one_line_error(done, "address already in use", str(port))
    assert done.code == ExitCode.ADDRESS_IN_USE
    assert "serving" not in done.out


# --- logging, settings --------------------------------------------------------------------


@sqlite_only
def test_log_level_logs_to_standard_error(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run(capsys, *home(workspace), "--log-level", "debug", "log", "show")
    assert done.code == 0
    assert "accordwatch: DEBUG:" in done.err and "accordwatch: DEBUG:" not in done.out
    quiet = run(capsys, *home(workspace), "log", "show")
    assert quiet.err == ""
    bad = run(capsys, *home(workspace), "--log-level", "loud", "log", "show")
    one_line_error(bad, "--log-level", "'loud'")


@sqlite_only
def test_a_bad_environment_variable_is_one_line_naming_it(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORDWATCH_MAX_ENTRY_BYTES", "lots")
    done = run(capsys, *home(workspace), "log", "show")
    line = one_line_error(done, "ACCORDWATCH_MAX_ENTRY_BYTES", "'lots'", "whole number")
    assert "pydantic" not in line and done.code == ExitCode.BAD_INPUT


@sqlite_only
def test_settings_file_keys_bad_and_unknown(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workspace.home / "accordwatch.toml"
    original = path.read_text("utf-8")
    path.write_text(original + "max_clock_skew_seconds = -5\n", "utf-8")
    line_number = len(original.splitlines()) + 1
    done = run(capsys, *home(workspace), "log", "show")
    one_line_error(done, f"accordwatch.toml:{line_number}", "max_clock_skew_seconds", "at least 0")
    path.write_text(original + "registar = 'x'\n", "utf-8")
    done = run(capsys, *home(workspace), "log", "show")
    one_line_error(done, "unknown setting 'registar'", "did you mean 'registrar'?")


# --- user words ---------------------------------------------------------------------------


@sqlite_only
def test_party_ids_are_explained_with_a_suggestion(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run(capsys, *home(workspace), "party", "add", "USA", "--role", "party")
    line = one_line_error(done, "lowercase letters, digits, '.', '_' or '-'", "did you mean 'usa'?")
    assert "^[a-z0-9]" not in line


@sqlite_only
def test_a_missing_field_says_missing(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"record_type": "statement", "payload": {"text": "x"}}), "utf-8")
    done = run(capsys, *home(workspace), "submit", draft, "--as", "registrar")
    line = one_line_error(done, "missing: subject")
    assert "Field required" not in line


# --- the small answers --------------------------------------------------------------------


@sqlite_only
def test_submit_again_says_already_logged(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = Log.open(workspace)
    submission = log.seal("registrar", "statement", {"subject": "once"})
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(submission.to_json()), "utf-8")
    first = run(capsys, *home(workspace), "submit", path)
    index = int(re.search(r"at index (\d+)", first.out).group(1))  # type: ignore[union-attr]
    again = run(capsys, *home(workspace), "submit", path)
    assert again.code == 0
    assert f"already logged at index {index}" in " ".join(again.out.split())
    assert workspace.ledger().size() == index + 1


@sqlite_only
def test_log_show_says_which_range_and_how_to_see_more(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    log = Log.open(workspace)
    for n in range(4):
        log.statement("registrar", f"s{n}")
    done = run(capsys, *home(workspace), "log", "show", "--limit", "2")
    flat = " ".join(done.out.split())
    assert "entries 0 to 1 of 5" in flat
    assert "next: accordwatch log show --from 2 --limit 2" in flat
    last = run(capsys, *home(workspace), "log", "show", "--from", "3")
    assert "entries 3 to 4 of 5" in " ".join(last.out.split()) and "end of the log" in last.out
    # every time shown names its zone
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", last.out)
    past = run(capsys, *home(workspace), "log", "show", "--from", "9")
    one_line_error(past, "--from 9 is past the end of the log", "0 to 4")


@sqlite_only
def test_inspection_compare_of_a_missing_entry(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run(capsys, *home(workspace), "inspection", "compare", "9999")
    one_line_error(done, "log entry 9999 does not exist")
    assert done.code == ExitCode.NOT_FOUND


@sqlite_only
def test_token_issue_defaults_the_role_and_takes_years(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    Log.open(workspace).add_party("iaea", "inspectorate")
    done = run(capsys, *home(workspace), "token", "issue", "--party", "iaea", "--expires", "1y")
    assert done.code == 0, done.err
    assert "(inspectorate)" in done.err
    listed = run(capsys, *home(workspace), "token", "list", "--format", "json")
    grant = json.loads(listed.out)[0]
    assert grant["role"] == "inspectorate"
    assert grant["expires_at"][:4] == str(int(grant["issued_at"][:4]) + 1)


@sqlite_only
def test_the_passphrase_names_the_key(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACCORDWATCH_PASSPHRASE", raising=False)
    Log.open(workspace).add_party("usa", "party")
    key = workspace.home / "usa.key"
    done = run(
        capsys, *home(workspace), "key", "new", "--party", "usa", "--out", key, "--passphrase"
    )
    one_line_error(done, "the passphrase of new key", "of usa", str(key))


# --- the road map -------------------------------------------------------------------------

ROLES = {"inspected": "declarant", "counterpart": "party", "inspectorate": "inspectorate"}


def _signed_tutorial(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    accord = check_file(example_path("generic-tutorial")).accord
    assert accord is not None
    for party in accord.parties:
        assert (
            run(
                capsys, *home(workspace), "party", "add", party.id, "--role", ROLES[party.role]
            ).code
            == 0
        )
        assert run(capsys, *home(workspace), "key", "new", "--party", party.id).code == 0
    for party in accord.parties:
        signed = run(
            capsys,
            *home(workspace),
            "accord",
            "sign",
            example_path("generic-tutorial"),
            "--as",
            party.id,
        )
        assert signed.code == 0, signed.err


@sqlite_only
def test_the_tutorial_schedule_starts_when_it_is_signed(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _signed_tutorial(workspace, capsys)
    done = run(capsys, *home(workspace), "status", "--format", "json")
    status = json.loads(done.out)
    entered = status["in_force"]["entered"]
    steps = {s["id"]: s for s in status["steps"]}
    assert steps["a-freeze"]["status"] == StepState.OPEN
    assert steps["b-relief-1"]["status"] == StepState.WAITING
    assert not [s for s in steps.values() if s["status"] == StepState.OVERDUE]
    from datetime import date

    assert date.fromisoformat(steps["a-freeze"]["deadline"]) == date.fromisoformat(
        entered
    ) + timedelta(days=90)
    text = run(capsys, *home(workspace), "status")
    assert "due" not in re.sub(r"overdue|fell due", "", text.out)
    # the dashboard's road map page says what each status means
    page = TestClient(create_app(workspace)).get("/roadmap")
    assert page.status_code == 200
    assert "What each status means" in page.text
    for state, meaning in STATE_MEANINGS.items():
        assert str(state) in page.text and meaning.replace("'", "&#39;") in page.text


def test_status_help_defines_every_status(capsys: pytest.CaptureFixture[str]) -> None:
    done = run(capsys, "status", "--help")
    flat = " ".join(done.out.replace("│", " ").split())
    for state, meaning in STATE_MEANINGS.items():
        assert f"{state}: {meaning}" in flat, state
    readme = " ".join(README.read_text("utf-8").split())
    for state, meaning in STATE_MEANINGS.items():
        assert f"`{state}`: {meaning}" in readme, state


@sqlite_only
def test_step_records_that_would_not_count_are_refused_before_storing(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _signed_tutorial(workspace, capsys)
    size = workspace.ledger().size()
    wrong = run(
        capsys,
        *home(workspace),
        "step",
        "report",
        "a-freeze",
        "--on",
        "2026-01-01",
        "--as",
        "state-b",
    )
    one_line_error(wrong, "step.report refused", "only 'state-a' may report it, not 'state-b'")
    assert wrong.code == ExitCode.NOT_ALLOWED
    early = run(
        capsys,
        *home(workspace),
        "step",
        "verify",
        "a-freeze",
        "--as",
        "agency",
        "--result",
        "verified",
    )
    one_line_error(early, "has not been reported by 'state-a'", "nothing to verify yet")
    assert early.code == ExitCode.CONFLICT
    assert workspace.ledger().size() == size
    # the API refuses them too, with a 4xx, and stores nothing
    log = Log.open(workspace)
    client = TestClient(create_app(workspace))
    for party, record, payload, status in (
        ("state-b", "step.report", {"on": "2026-01-01"}, 403),
        ("agency", "step.verification", {"on": "2026-01-01", "result": "verified"}, 409),
    ):
        from accordwatch.log.keys import SigningKey

        record_key = next(k for k in log.ledger.registry().keys_of(party) if k.active)
        key = SigningKey.read(workspace.party_key_path(party, record_key.key_id))
        submission = seal(
            log=log.ledger.origin,
            record_type=record,
            party=party,
            key=key,
            time=log.ledger.clock(),
            payload={"accord_id": "tutorial-accord", "step": "a-freeze", **payload},
        )
        answer = client.post("/api/submissions", json=submission.to_json())
        assert answer.status_code == status, answer.text
    assert workspace.ledger().size() == size
    # reported by its actor, then verified by its verifier: both are taken
    ok = run(
        capsys,
        *home(workspace),
        "step",
        "report",
        "a-freeze",
        "--on",
        "2026-01-01",
        "--as",
        "state-a",
    )
    assert ok.code == 0, ok.err
    verified = run(
        capsys,
        *home(workspace),
        "step",
        "verify",
        "a-freeze",
        "--as",
        "agency",
        "--result",
        "verified",
    )
    assert verified.code == 0, verified.err
    text = run(capsys, *home(workspace), "status")
    flat = " ".join(text.out.split())
    assert "weight of verified steps 2 against weight of concessions granted 0" in flat
