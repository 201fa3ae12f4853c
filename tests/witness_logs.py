"""Logs for the witness's tests: a signed Merkle log in memory, and its add-checkpoint requests."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import accordwatch
from accordwatch.cli import main
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import MemoryTree, leaf_hash
from accordwatch.log.note import NoteSigner
from accordwatch.log.witness_protocol import AddCheckpoint
from tests.helpers import Run, free_port

SRC = Path(accordwatch.__file__).resolve().parents[1]


@dataclass
class TestLog:
    """A log of `size` leaves signed by its own key, whose origin is the key's name."""

    origin: str = "example.org/test-log"
    size: int = 64
    #: what makes the leaves of two logs of one origin differ
    variant: str = ""
    signer: NoteSigner = field(init=False)
    tree: MemoryTree = field(init=False)

    __test__ = False  # not a test class

    def __post_init__(self) -> None:
        self.signer = NoteSigner(self.origin, SigningKey.generate())
        self.tree = MemoryTree(
            leaf_hash(f"{self.origin} {self.variant}{i}".encode()) for i in range(self.size)
        )

    @property
    def vkey(self) -> str:
        return self.signer.verifier.text()

    def note(self, size: int, root: bytes | None = None) -> str:
        return Checkpoint(self.origin, size, root or self.tree.root(size)).sign(self.signer)

    def request(self, old: int, size: int, *, root: bytes | None = None) -> AddCheckpoint:
        proof = tuple(self.tree.consistency_proof(old, size)) if 0 < old < size else ()
        return AddCheckpoint(old, proof, self.note(size, root))


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the command line in this process; its exit code and output."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return Run(code, out, err)


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORDWATCH_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


@contextmanager
def serving(home: Path, *extra: str) -> Iterator[str]:
    """`accordwatch witness serve` on a free loopback port, until the block ends; its URL."""
    port = free_port()
    command = [sys.executable, "-c", "from accordwatch.cli import main; main()"]
    args = ["--home", str(home), "witness", "serve", "--port", str(port), *extra]
    proc = subprocess.Popen(
        [*command, *args],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stopped_cleanly = False
    try:
        assert proc.stdout is not None
        # the line is written once the port accepts connections
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert "serving at http://127.0.0.1:" in line, (
            line + proc.stderr.read() if proc.stderr else ""
        )
        yield f"http://127.0.0.1:{port}"
        stopped_cleanly = True
    finally:
        proc.terminate()
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
            raise
    # after the block's own failure, that failure is the one to see
    if stopped_cleanly:
        assert code == 0, (code, proc.stderr.read() if proc.stderr else "")
