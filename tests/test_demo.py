"""The README's first command: the demo runs end to end and leaves a workspace that audits."""

from __future__ import annotations

from pathlib import Path

import pytest

from accordwatch.cli import main


@pytest.mark.slow
def test_demo_runs_and_its_log_audits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "demo"
    main(["demo", "--home", str(home)])
    out = capsys.readouterr().out
    for expected in (
        "refused",  # the revoked key
        "premature concession",
        "concessions ran ahead",
        "answered",  # the Council's responses of 2017
        "high-enriched uranium element mass: 245000 g -> 305000 g",
    ):
        assert expected in out
    assert (home / "roadmap-dprk-roadmap-2021-12-31.png").stat().st_size > 10_000
    main(["--home", str(home), "log", "audit"])
    assert "audit ok" in capsys.readouterr().out
    main(["demo", "--home", str(home)])  # a second run replaces its own workspace
