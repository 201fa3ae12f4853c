"""Running `accordwatch` in-process for the audit attacks, and tampering with its database."""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from accordwatch.cli import main
from accordwatch.workspace import Workspace

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ERROR_PREFIX = "accordwatch: error: "


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def flat(self) -> str:
        """Stdout with rich's line wrapping undone."""
        return " ".join(self.out.split())


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    """Run the command line as a user would; an escaping exception counts as a traceback."""
    capsys.readouterr()
    code = 0
    crash = ""
    saved = {k: v for k, v in os.environ.items() if k.startswith("ACCORDWATCH_")}
    try:
        for name in saved:
            if name != "ACCORDWATCH_TEST_PG_URL":
                del os.environ[name]
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except Exception:
        code, crash = 1, "Traceback (most recent call last):\n" + traceback.format_exc()
    finally:
        os.environ.update(saved)
    out, err = capsys.readouterr()
    return Run(code, ANSI.sub("", out), ANSI.sub("", err) + crash)


def one_line_error(run: Run, *needles: str) -> str:
    """The run failed with one line on stderr, naming every needle."""
    assert run.code != 0, run.out
    assert "Traceback" not in run.err, run.err
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(ERROR_PREFIX), run.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def tamper(ws: Workspace, statement: str, **params: Any) -> None:
    """Change the database behind the log's back, with nothing but its URL (or file)."""
    engine = sa.create_engine(ws.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()
