"""Item 6: another local user cannot read the workspace or the confidential files written.

The attacker is any other account on the machine: it reads whatever the
workspace folder, the SQLite database (with its `-wal` and `-shm` files), the
settings and the files written with `--out` let the world or the group read.
Every file is 0600 and every folder accordwatch creates 0700, under the
usual umask 022.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.examples import declaration_example_path, example_path

STORE = "yb-pu-store"


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The default umask of most systems, which leaves new files readable by all."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """Every path under `root` (itself included) with its permission bits, in octal."""
    paths = [root, *root.rglob("*")]
    return {str(p.relative_to(root)): oct(p.stat().st_mode & 0o777) for p in paths}


def readable_by_others(root: Path) -> dict[str, str]:
    """The paths under `root` that are not 0600 (files) or 0700 (folders)."""
    found = {}
    for name, mode in modes(root).items():
        path = root / name
        expected = 0o700 if path.is_dir() else 0o600
        if int(mode, 8) != expected:
            found[name] = mode
    return found


def run(home: Path, *args: str) -> None:
    main(["--home", str(home), *args])


def test_init_and_commands_keep_the_workspace_private(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    run(home, "init")
    for name, role in (("dprk", "declarant"), ("iaea", "inspectorate")):
        run(home, "party", "add", name, "--role", role)
        run(home, "key", "new", "--party", name)
    run(
        home, "declaration", "submit", str(declaration_example_path("dprk-nuclear")), "--as", "dprk"
    )
    # While a process has the database open, SQLite keeps its -wal and -shm files:
    # hold a connection as the running service would, and write through the command line.
    held = sqlite3.connect(home / "accordwatch.db")
    held.execute("SELECT count(*) FROM entries").fetchone()
    try:
        run(home, "party", "add", "usa", "--role", "party")
        names = set(modes(home))
        assert {"accordwatch.db", "accordwatch.db-wal", "accordwatch.db-shm"} <= names
        assert {"accordwatch.toml", "keys"} <= names
        assert readable_by_others(home) == {}
    finally:
        held.close()


def test_confidential_outputs_are_private(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    out = tmp_path / "out"  # outside the workspace, where the user asks for them
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    run(home, "init")
    for name, role in (("dprk", "declarant"), ("iaea", "inspectorate")):
        run(home, "party", "add", name, "--role", role)
        run(home, "key", "new", "--party", name)
    declaration = out / "declaration.yaml"
    run(home, "declaration", "example", "dprk-nuclear", "--out", str(declaration))
    run(
        home,
        "declaration",
        "submit",
        str(declaration),
        "--as",
        "dprk",
        "--receipt",
        str(out / "receipt.json"),
    )
    run(
        home,
        "declaration",
        "template",
        "--program",
        "nuclear",
        "--from",
        str(declaration),
        "--out",
        str(out / "declaration.xlsx"),
    )
    run(home, "declaration", "import", str(declaration), "--out", str(out / "declaration.json"))
    draft = tmp_path / "draft.yaml"
    draft.write_text("record_type: statement\nconfidential: true\npayload: {subject: s}\n")
    run(home, "envelope", "sign", str(draft), "--as", "iaea", "--out", str(out / "signed.json"))
    reports = tmp_path / "accountancy.yaml"
    shutil.copyfile(example_path("dprk-roadmap").parent / "dprk-accountancy.yaml", reports)
    run(home, "accountancy", "import", str(reports), "--as", "dprk")
    run(home, "accountancy", "balance", STORE, "--chart", str(out / "safeguards"))
    selection = out / "inspection-selection.json"
    run(
        home,
        "inspection",
        "plan",
        STORE,
        "--as",
        "iaea",
        "--date",
        "2022-01-14",
        "--out",
        str(selection),
    )
    run(home, "log", "export", str(out / "export.jsonl"))
    run(home, "report", "--format", "md", "--out", str(out / "report"))
    run(home, "report", "--format", "html", "--out", str(out / "report"))
    written = {n for n in modes(out) if (out / n).is_file()}
    assert {
        "declaration.yaml",
        "receipt.json",
        "declaration.xlsx",
        "declaration.json",
        "signed.json",
        "inspection-selection.json",
        "export.jsonl",
        "safeguards/yb-pu-store-pu-balance.png",
        "safeguards/yb-pu-store-pu-balance.svg",
    } <= written
    assert any(n.startswith("report/report-") and n.endswith(".md") for n in written)
    # The folder the user made keeps its mode; what accordwatch wrote in it does not leak.
    assert readable_by_others(out) == {".": "0o755"}
    assert readable_by_others(home) == {}


def test_an_existing_file_written_over_becomes_private(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    run(home, "init")
    target = tmp_path / "declaration.yaml"
    target.write_text("old\n")
    target.chmod(0o644)
    run(home, "declaration", "example", "dprk-nuclear", "--out", str(target))
    assert oct(target.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_the_demo_workspace_is_private(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    main(["demo", "--home", str(home)])
    assert {"accordwatch.db", "report", "policy.txt"} <= set(modes(home))
    # the parties' folders: their keys, witnesses and nodes
    nodes = Nodes(home)
    names = set(modes(nodes.folder("iaea")))
    assert {"accordwatch.db", "inspection-selection.json", "report", "safeguards"} <= names
    assert "safeguards/yb-pu-store-pu-balance.png" in names
    for folder in (home, nodes.root, tmp_path / "demo-escrow"):
        assert readable_by_others(folder) == {}
