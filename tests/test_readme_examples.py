"""The README's commands, and those the demo prints at its end, work as printed.

As datasette tests its documentation against its code:

- every `accordwatch ...` line of the README's shell blocks names a command that
  exists, with options it takes (`key rotate` listed but missing fails here);
- every such line that needs nothing filled in (no `FILE`, `[--option]`, `a|b`
  or `...`) runs, in the README's order, against a copy of the demo workspace
  from the folder that holds it, so that what one example writes (`-o x.yaml`)
  the next one reads; the few that need a context the demo does not give (a
  fresh workspace, a file of one's own) are listed below with the reason;
- every command the demo's closing lines print runs as printed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from accordwatch.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"

#: README lines that run only in a context the demo does not give, and why
NEEDS_CONTEXT = {
    "accordwatch init": "makes a new workspace (the demo's folder already holds one)",
    "accordwatch init --database-url": "needs a PostgreSQL database of one's own",
    "accordwatch party add dprk": "the demo registered dprk already",
    "accordwatch key new --party dprk --out": "writes a key file that exists after one run",
    "accordwatch key register": "registers a key made on the party's machine (the demo's "
    "parties have theirs)",
    "accordwatch key rotate": "rotates a key made on the party's machine",
    "accordwatch submit statement.yaml": "needs a statement file of one's own",
    "accordwatch accord check roadmap.yaml": "needs an accord file of one's own",
    "accordwatch accord sign roadmap.yaml": "needs an accord file of one's own",
    "accordwatch accord diff old.yaml new.yaml": "needs two versions of one's own accord",
    "accordwatch step report": "the demo's history reported this step already",
    "accordwatch step verify": "the demo's history verified this step already",
    "accordwatch response record": "the demo answered this occasion already",
    "accordwatch accountancy import reports.yaml": "needs accountancy reports of one's own",
    "accordwatch accountancy balance mba-a": "the demo's area is yb-pu-store",
    "accordwatch inspection plan mba-a": "the demo's area is yb-pu-store",
    "accordwatch inspection record results.yaml": "needs inspection results of one's own",
    "accordwatch declaration import missile.xlsx": "needs a filled-in sheet",
    "accordwatch declaration submit nuclear.yaml": "the demo submitted this declaration already",
    "accordwatch declaration escrow": "the escrow example runs in the demo's escrow workspace",
    "accordwatch declaration reveal": "the escrow example runs in the demo's escrow workspace",
    "accordwatch declaration verify-reveal": "entry 13 of the demo's escrow workspace",
    "accordwatch declaration draw": "the escrow example runs in the demo's escrow workspace",
    "accordwatch declaration verify-draw": "entry 26 of the demo's escrow workspace",
    "accordwatch observation record": "the demo recorded this observation already",
    "accordwatch events import missile_launches.csv": "needs the CNS file of one's own",
    "accordwatch log cosign": "needs the demo's witnesses running",
    "accordwatch --home accordwatch-demo serve": "a server: tested by the service tests",
    "accordwatch --home w-dprk witness": "a witness of one's own, in a folder of its own",
    "accordwatch token revoke": "needs a token id",
    "accordwatch openings seal": "converts a workspace made before sealing (the demo's is sealed)",
    "accordwatch share": "needs an inspectorate added later and a confidential entry",
    "accordwatch log get 17 --as iaea2": "needs the inspectorate added later",
    "accordwatch receipt verify receipt.json": "needs the log key and policy in variables",
}


#: README lines whose documented exit code is not 0
EXIT_CODES = {
    # an assessment that finds errors exits 1, as `accord assess --help` says
    "accordwatch accord assess weak-freeze.yaml": 1,
}


def readme_commands(*, shell: bool = False) -> list[str]:
    """Every `accordwatch ...` line of the README's shell blocks, continuations joined.

    With `shell`, also the `sed` lines that prepare a file for the next example.
    """
    text = README.read_text("utf-8")
    out = []
    for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            line = re.sub(r"\s+#.*$", "", line)  # a comment after the command
            for prefix in (".venv/bin/accordwatch ", "accordwatch "):
                if line.startswith(prefix):
                    out.append("accordwatch " + line.removeprefix(prefix))
            if shell and line.startswith("sed "):
                out.append(line)
    return out


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)[1:]
    except ValueError:
        return command.split()[1:]


def _is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def _resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The command the words name, and the words after its path."""
    command: Any = typer.main.get_command(app)
    rest = list(words)
    while rest and _is_group(command):
        if rest[0].startswith("-"):
            option = rest.pop(0)
            # global options that take a value
            if option in ("--home", "--database-url", "--log-level") and rest:
                rest.pop(0)
            continue
        found = command.commands.get(rest[0])
        if found is None:
            break
        command = found
        rest.pop(0)
    return command, rest


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_command_exists_with_its_options(command: str) -> None:
    words = _words(command)
    found, rest = _resolve(words)
    assert not _is_group(found), f"{command!r} names no command of {found.name}"
    known = {opt for p in found.params for opt in (*p.opts, *p.secondary_opts)}
    for word in rest:
        if word.startswith("--") and not word.startswith("--]"):
            name = word.split("=", 1)[0].strip("[]")
            assert name in known, f"{command!r}: {found.name} takes no {name}"


def runnable(command: str) -> bool:
    """Nothing to fill in: no placeholder in capitals, no [optional] part, a|b or ..."""
    words = _words(command)
    if any(ch in command for ch in "[]|<>$") or "..." in command:
        return False
    return not any(re.fullmatch(r"[A-Z][A-Z0-9_.-]+", w) for w in words)


def needs_context(command: str) -> str | None:
    for prefix, why in NEEDS_CONTEXT.items():
        if command.startswith(prefix):
            return why
    return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo workspace in a folder of its own, and what the demo printed."""
    base = tmp_path_factory.mktemp("readme")
    run = subprocess.run(
        [sys.executable, "-m", "accordwatch", "demo"],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return base, run.stdout


def _run(command: str, cwd: Path, home: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ACCORDWATCH_HOME"}
    env["COLUMNS"] = "100"
    if home is not None:
        env["ACCORDWATCH_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "accordwatch", *_words(command)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_examples_run_against_the_demo(demo: tuple[Path, str], tmp_path: Path) -> None:
    base, _ = demo
    work = tmp_path / "work"
    shutil.copytree(base, work)
    home = work / "accordwatch-demo"
    failures = []
    ran = 0
    for command in readme_commands(shell=True):
        if command.startswith("sed "):
            subprocess.run(command, shell=True, cwd=work, check=True, timeout=60)
            continue
        if not runnable(command) or needs_context(command) is not None:
            continue
        done = _run(command, work, home)
        ran += 1
        expected = next((c for p, c in EXIT_CODES.items() if command.startswith(p)), 0)
        if done.returncode != expected:
            failures.append(f"{command}\n    -> {done.returncode}: {done.stderr.strip()[-300:]}")
    assert ran >= 20, "the README's runnable examples are found"
    assert not failures, "\n".join(failures)


def test_the_demo_s_closing_commands_run_as_printed(demo: tuple[Path, str], tmp_path: Path) -> None:
    base, printed = demo
    work = tmp_path / "work"
    shutil.copytree(base, work)
    commands = [
        line.strip()
        for line in printed.splitlines()
        if line.startswith("  accordwatch ") and "serve" not in line
    ]
    commands = [re.sub(r"\s+#.*$", "", c) for c in commands]
    assert len(commands) >= 8
    for command in commands:
        # as printed: from the demo's folder, each naming its workspace itself
        done = _run(command, work, None)
        assert done.returncode == 0, f"{command}: {done.stdout[-300:]} {done.stderr[-500:]}"


def test_the_item_history_example_finds_the_item(demo: tuple[Path, str], tmp_path: Path) -> None:
    base, _ = demo
    work = tmp_path / "work"
    shutil.copytree(base, work)
    # on the IAEA's node, which reads as the IAEA
    done = _run("accordwatch item history CAN-016", work, work / "accordwatch-demo-nodes" / "iaea")
    assert done.returncode == 0, done.stderr
    assert "no entry names" not in done.stdout.lower()
    # the declarant's inventories, the inspectorate's plan and its report
    for record in ("accountancy.physical-inventory", "inspection.plan", "inspection.report"):
        assert record in done.stdout


def test_readme_setup_commands_name_the_virtual_environment() -> None:
    text = README.read_text("utf-8")
    first = text.split("```sh", 1)[1].split("```", 1)[0]
    assert ".venv/bin/accordwatch demo" in first
    assert ".venv/bin/python -m pytest" in first


def test_envelope_verify_is_offline_as_the_readme_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import json
    from datetime import UTC, datetime

    from accordwatch.log.envelope import seal
    from accordwatch.log.keys import SigningKey

    key = SigningKey.generate()
    signed = seal(
        log="test.local/log",
        record_type="statement",
        party="dprk",
        key=key,
        time=datetime(2021, 1, 1, tzinfo=UTC),
        payload={"subject": "offline"},
    )
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(signed.to_json()))
    monkeypatch.chdir(tmp_path)
    # No workspace here: one line that names the offline ways.
    done = _run(f"accordwatch envelope verify {path}", tmp_path, None)
    assert done.returncode == 3 and len(done.stderr.strip().splitlines()) == 1
    assert "--log EXPORT" in done.stderr and "--public-key" in done.stderr
    public = base64.b64encode(key.public_key).decode()
    done = _run(f"accordwatch envelope verify {path} --public-key {public}", tmp_path, None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valid: statement signed by dprk")
