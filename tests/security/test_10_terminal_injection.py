"""Item 10: record text cannot drive the terminal of whoever lists it.

An observer logs an event whose texts hold Rich markup (a hidden link,
reverse video) and terminal escape sequences (the window title, a colour, a
C1 control); a party records a response and the registrar a party with such
text too. Each command that shows them runs as a user runs it, its output
read through a pipe: no escape or control byte comes out, and the markup is
shown as written instead of being acted on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accordwatch.cli import main
from tests.security.hostile_records import TERMINAL_TEXT, workspace_with_event

CONTROLS = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n"}
COMMANDS = [
    ["events", "list"],
    ["compliance", "evaluate"],
    ["compliance", "report", "--by", "event"],
    ["response", "list"],
    ["party", "list"],
    ["events", "list", "--format", "json"],
    ["log", "get", "7"],
]


def run(home: Path, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from accordwatch.cli import main; main()",
            "--home",
            str(home),
            *args,
        ],
        capture_output=True,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "400"},
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("terminal")
    home = workspace_with_event(folder, TERMINAL_TEXT)
    opt = ["--home", str(home)]
    main(
        [
            *opt,
            "response",
            "record",
            "--to",
            f"watch:{TERMINAL_TEXT}",
            "--kind",
            "sc-statement",
            "--on",
            "2019-05-06",
            "--as",
            "unsc",
            "--by",
            TERMINAL_TEXT,
            "--reference",
            TERMINAL_TEXT,
        ]
    )
    main([*opt, "party", "add", "press", "--role", "observer", "--display-name", TERMINAL_TEXT])
    return home


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_record_text_is_shown_as_text(home: Path, args: list[str]) -> None:
    done = run(home, args)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode("utf-8")
    assert "hidden" in out  # the hostile text is listed
    assert sorted({repr(c) for c in out if c in CONTROLS}) == []
    if "json" not in args and args[0] != "log":
        # Rich markup is printed as written, not acted on
        assert "[link=http://evil]" in out and "[reverse]hidden" in out
