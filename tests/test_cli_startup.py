"""The command line starts without the heavy libraries it does not need.

`--help`, `--version` and the light commands run in a fresh interpreter, as
the `accordwatch` console script runs them, and the libraries that only some
commands use (statistics, charts, PDF, spreadsheets, the web service) must not
have been imported when the command ends.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import accordwatch
from accordwatch.cli import main

FORBIDDEN = (
    "scipy",
    "matplotlib",
    "fpdf",
    "openpyxl",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
)
MARKER = "loaded-modules:"
# Runs the command line as the console script does, then names the forbidden
# top-level packages in sys.modules, whether the command succeeded or not.
PROBE = f"""
import json, sys
from accordwatch.cli import main
try:
    main(sys.argv[1:])
finally:
    loaded = sorted({{name.partition(".")[0] for name in sys.modules}} & set({FORBIDDEN!r}))
    print("{MARKER}" + json.dumps(loaded), file=sys.stderr)
"""
SRC = Path(accordwatch.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace made by `accordwatch init`, with a party, its key and a statement."""
    folder = tmp_path_factory.mktemp("startup")
    home = folder / "ws"
    opt = ["--home", str(home)]
    main([*opt, "init"])
    main([*opt, "party", "add", "usa", "--role", "party"])
    main([*opt, "key", "new", "--party", "usa"])
    draft = folder / "draft.yaml"
    draft.write_text("record_type: statement\npayload: {subject: start-up, text: light}\n")
    main([*opt, "submit", str(draft), "--as", "usa"])
    return home


def run(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the command line in a fresh interpreter; its result and the forbidden modules loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORDWATCH_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith(MARKER)]
    assert lines, f"no report from the probe:\n{done.stderr}"
    return done, json.loads(lines[-1].removeprefix(MARKER))


CASES = [
    (["--help"], "A system of record for denuclearization accords"),
    (["--version"], f"accordwatch {accordwatch.__version__}"),
    (["log", "checkpoint"], "accordwatch"),
    (["log", "get", "1"], '"leaf_hash"'),
    (["log", "prove", "1"], '"proof"'),
    (["party", "list"], "usa"),
    # The help of the commands that do use them must not load them either.
    (["report", "--help"], "--format"),
    (["serve", "--help"], "--workers"),
    (["declaration", "--help"], "template"),
    (["safeguards", "evaluate", "--help"], "--chart"),
    (["witness", "serve", "--help"], "--workers"),
    (["fork", "verify", "--help"], "fork evidence file"),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_light_commands_import_no_heavy_library(home: Path, args: list[str], expected: str) -> None:
    cwd = home.parent
    workspace = [] if args[0].startswith("--") else ["--home", str(home)]
    done, loaded = run([*workspace, *args], cwd)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert loaded == [], f"accordwatch {' '.join(args)} imported {', '.join(loaded)}"


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--version"])
    assert capsys.readouterr().out == f"accordwatch {accordwatch.__version__}\n"


def test_balance_command_defaults_are_the_statistics_defaults() -> None:
    # cli.accountancy writes them out rather than importing the NumPy module that holds them.
    from accordwatch.cli.accountancy import balance
    from accordwatch.safeguards.material_balance import Settings

    options = inspect.signature(balance).parameters
    written = tuple(options[name].default.default for name in ("k", "k_ref", "h"))
    defaults = Settings()
    assert written == (defaults.k, defaults.K, defaults.h)
