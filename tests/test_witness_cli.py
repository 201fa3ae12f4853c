"""The witness's commands: what they print, and one line for each mistake."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from accordwatch.log.cosignature import Algorithm, CosignerKey
from accordwatch.witness.clock import Clock
from accordwatch.witness.home import WitnessHome
from tests.helpers import one_line_error
from tests.witness_logs import TestLog, cli


def test_init_prints_the_key_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ["--home", str(tmp_path / "w")]
    run = cli([*home, "witness", "init", "--name", "witness.example/w1"], capsys)
    assert run.code == 0, run.err
    key = CosignerKey.parse(run.out)
    assert run.out.count("\n") == 1
    assert key.algorithm is Algorithm.ML_DSA_44  # the specification's recommendation
    assert cli([*home, "witness", "key"], capsys).out == run.out
    key_file = tmp_path / "w" / "witness.key"
    before = key_file.read_bytes()
    one_line_error(cli([*home, "witness", "init", "--name", "other"], capsys), "already exists")
    assert key_file.read_bytes() == before


def test_mistakes_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = ["--home", str(tmp_path / "w")]
    one_line_error(cli([*home, "witness", "key"], capsys), "no witness here")
    one_line_error(cli([*home, "witness", "list"], capsys), "no witness here")
    one_line_error(cli([*home, "witness", "init", "--name", "a b"], capsys), "invalid witness name")
    one_line_error(
        cli([*home, "witness", "init", "--name", "w", "--algorithm", "rsa"], capsys),
        "unknown cosignature algorithm",
    )
    one_line_error(
        cli(
            [*home, "witness", "init", "--name", "w", "--simulated-clock-file", "/nonexistent"],
            capsys,
        ),
        "cannot read the clock file",
    )
    assert not (tmp_path / "w").exists()  # nothing half-made
    assert (
        cli([*home, "witness", "init", "--name", "w", "--algorithm", "ed25519"], capsys).code == 0
    )
    one_line_error(cli([*home, "witness", "trust", "not-a-key"], capsys), "malformed")
    log = TestLog()
    assert cli([*home, "witness", "trust", log.vkey], capsys).code == 0
    one_line_error(cli([*home, "witness", "trust", log.vkey], capsys), "already trusted")
    one_line_error(cli([*home, "witness", "list", "--format", "xml"], capsys), "--format")
    one_line_error(cli([*home, "witness", "serve", "--port", "0"], capsys), "--port")
    one_line_error(cli(["fork", "verify", str(tmp_path / "none.json")], capsys), "cannot read")
    (tmp_path / "e.json").write_text(
        json.dumps(
            {"format": "accordwatch/fork-evidence@v1", "checkpoints": "ab", "log_key": log.vkey}
        )
    )
    one_line_error(cli(["fork", "verify", str(tmp_path / "e.json")], capsys), "two signed notes")


def test_list_and_evidence_when_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = ["--home", str(tmp_path / "w")]
    cli([*home, "witness", "init", "--name", "w", "--algorithm", "ed25519"], capsys)
    assert "no trusted logs" in cli([*home, "witness", "list"], capsys).out
    log = TestLog()
    cli([*home, "witness", "trust", log.vkey], capsys)
    listed = cli([*home, "witness", "list"], capsys).out
    assert log.origin in listed and "nothing cosigned yet" in listed
    assert json.loads(cli([*home, "witness", "evidence", "--format", "json"], capsys).out) == []


def test_the_simulated_clock_is_read_from_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock_file = tmp_path / "clock"
    clock_file.write_text("2020-02-01T09:00:00Z\n")
    folder = tmp_path / "w"
    run = cli(
        [
            "--home",
            str(folder),
            "witness",
            "init",
            "--name",
            "w",
            "--algorithm",
            "ed25519",
            "--simulated-clock-file",
            str(clock_file),
        ],
        capsys,
    )
    assert run.code == 0, run.err
    assert stat.S_IMODE((folder / "witness.toml").stat().st_mode) == 0o600
    clock = WitnessHome.at(folder).clock()
    assert clock.now() == 1580547600
    clock_file.write_text("2020-02-01T10:00:00Z")
    assert clock.iso() == "2020-02-01T10:00:00Z"
    assert Clock().now() > 1580547600
