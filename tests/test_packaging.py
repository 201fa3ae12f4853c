"""The wheel carries everything the package needs, and runs the demo where it is installed.

An editable install reads templates, migrations, examples and data files from
the source tree, so it hides a file that the wheel leaves out; this builds the
wheel and installs it into a new virtual environment, as a user would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

pytestmark = pytest.mark.slow


def _tracked(under: str = "") -> list[str]:
    """The files git tracks (under `under`), as they are in the work tree."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", under or "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line and (ROOT / line).is_file()]


def _tracked_package_files() -> set[str]:
    """Every file of src/accordwatch, as a path inside the wheel."""
    return {str(Path(p).relative_to("src")) for p in _tracked("src/accordwatch")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the project's files: a build/ folder left in the work
    # tree by an earlier build would put back files the package data leaves out.
    tree = tmp_path_factory.mktemp("tree")
    for name in _tracked():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(tree)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("accordwatch-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        held = set(whl.namelist())
    missing = sorted(_tracked_package_files() - held)
    assert missing == [], f"the wheel leaves out {missing}"


def test_the_demo_runs_from_the_wheel_in_a_new_virtual_environment(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    # Only the wheel may supply accordwatch there: a PYTHONPATH would put a source tree first.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=600,
        env=env,
    )
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import accordwatch; print(accordwatch.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(venv) in where and str(SRC) not in where
    run = tmp_path / "run"
    run.mkdir()
    demo = subprocess.run(
        [str(venv / "bin" / "accordwatch"), "demo"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    home = run / "accordwatch-demo"
    assert list((home / "report").glob("report-*.html"))
    assert list(home.glob("roadmap-*.png"))
    # The installed package's migrations and templates serve a later command too.
    audit = subprocess.run(
        [str(venv / "bin" / "accordwatch"), "--home", str(home), "log", "audit"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert audit.returncode == 0, audit.stderr
