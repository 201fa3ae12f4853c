"""A client generated from `/openapi.json` by an outside generator reads the log, and type-checks.

`openapi-python-client` (the generator many Python users would pick) reads
the schema the running server publishes, writes a typed package, and the
package reads an entry, an inclusion proof and a page of entries from an
`accordwatch serve` process on a loopback port. The proof it hands back is
checked against the log's key, and a short program using the package passes
`mypy --strict`: every answer it reads is a typed model, not a bare dict.

The generator types every operation that declares the bearer scheme as
needing its `AuthenticatedClient`, though the schema says the token is
optional there (an empty security requirement beside the bearer's): the
program reads entries with a token, the test also without one.
"""

from __future__ import annotations

import base64
import importlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accordwatch.log.receipt import Receipt
from accordwatch.workspace import init_workspace
from tests.helpers import Log, free_port
from tests.test_witnessed_log import Process

PACKAGE = "accordwatch_client"
BIN = Path(sys.executable).parent

#: a program an analyst might write with the generated package
PROGRAM = f"""
from {PACKAGE} import AuthenticatedClient, Client
from {PACKAGE}.api.log import get_inclusion_proof, get_log_entry, list_log_entries
from {PACKAGE}.models import InclusionProof, LogEntryPage, LogEntryWithEnvelope


def leaf_and_path(url: str, token: str, index: int) -> tuple[str, list[str], int]:
    # entries are read as the token's party (confidential payloads included); proofs by anyone
    entry = get_log_entry.sync(index, client=AuthenticatedClient(base_url=url, token=token))
    proof = get_inclusion_proof.sync(index, client=Client(base_url=url))
    if not isinstance(entry, LogEntryWithEnvelope) or not isinstance(proof, InclusionProof):
        raise SystemExit("no such entry")
    assert entry.leaf_hash == proof.leaf_hash
    return entry.canonical, proof.proof, proof.tree_size


def record_types(client: AuthenticatedClient) -> list[str]:
    page = list_log_entries.sync(client=client, limit=2)
    if not isinstance(page, LogEntryPage):
        raise SystemExit("no entries")
    following: str | None = page.next_ if isinstance(page.next_, str) else None
    return [e.record_type for e in page.items] + ([following] if following else [])
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Log]]:
    ws = init_workspace(tmp_path_factory.mktemp("client") / "ws", origin="test.local/client")
    log = Log.open(ws)
    log.add_party("usa", "party")
    log.statement("usa", "talks resume")
    port = free_port()
    server = Process(["--home", str(ws.home), "serve", "--port", str(port)], port, "serving")
    server.start()
    try:
        yield server.url, log
    finally:
        server.stop()


@pytest.fixture(scope="module")
def generated(served: tuple[str, Log], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The generated package's parent directory, importable while the module's tests run."""
    url, _ = served
    where = tmp_path_factory.mktemp("generated")
    with urllib.request.urlopen(f"{url}/openapi.json", timeout=10) as answer:
        (where / "openapi.json").write_bytes(answer.read())
    # no post hooks: the generator's default runs ruff over its output, which proves nothing here
    (where / "config.json").write_text(json.dumps({"post_hooks": []}), "utf-8")
    run = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(where / "openapi.json"),
            "--config",
            str(where / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=where,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # the API's own operations are generated without a complaint (the dashboard's SVG charts
    # are images, which the generator leaves out)
    complaints = [line for line in run.stdout.splitlines() if line.startswith("WARNING")]
    assert all(".svg" in line for line in complaints), run.stdout
    sys.path.insert(0, str(where))
    try:
        yield where
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_client_reads_an_entry_and_its_proof(
    served: tuple[str, Log], generated: Path
) -> None:
    url, log = served
    client = importlib.import_module(PACKAGE).Client(base_url=url)
    models = _module("models")
    index = log.ledger.size() - 1

    entry = _module("api.log.get_log_entry").sync(index, client=client)
    assert isinstance(entry, models.LogEntryWithEnvelope), entry
    assert entry.index == index and entry.record_type == "statement"
    canonical = base64.b64decode(entry.canonical)
    assert canonical == log.ledger.entry(index).envelope
    assert entry.payload.to_dict() == {"subject": "talks resume"}

    proof = _module("api.log.get_inclusion_proof").sync(index, client=client)
    assert isinstance(proof, models.InclusionProof), proof
    checkpoint = Receipt.from_json(proof.to_dict()).verify(log.ledger.signer.verifier, canonical)
    assert checkpoint.size == log.ledger.size()

    missing = _module("api.log.get_log_entry").sync(index + 100, client=client)
    assert isinstance(missing, models.Problem) and missing.status == 404

    page = _module("api.log.list_log_entries").sync(client=client, limit=2)
    assert isinstance(page, models.LogEntryPage)
    assert [e.index for e in page.items] == [
        0,
        1,
    ] and page.next_ == "/api/log/entries?limit=2&start=2"


def test_a_program_using_the_generated_client_passes_mypy_strict(generated: Path) -> None:
    (generated / "program.py").write_text(PROGRAM, "utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file=",
            "--cache-dir",
            str(generated / ".mypy_cache"),
            "program.py",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=generated,
    )
    assert run.returncode == 0, run.stdout + run.stderr
