"""Running `accordwatch` in-process for the audit attacks, and tampering with its database."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from accordwatch.cli import main
from accordwatch.workspace import Workspace
from tests.helpers import ANSI, Run


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


def tamper(ws: Workspace, statement: str, **params: Any) -> None:
    """Change the database behind the log's back, with nothing but its URL (or file)."""
    engine = sa.create_engine(ws.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()
