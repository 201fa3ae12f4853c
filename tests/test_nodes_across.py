"""One log, witnesses and a node per party, each a process or a folder of its own.

The log's workspace is served by `accordwatch serve`, which has its
checkpoints cosigned by two witness processes named in the policy in force;
the parties' nodes trust only checkpoints that policy's quorum cosigned. Each
party makes its keys on its own node and the registrar registers their public
halves. A confidential declaration sent from DPRK's node is read in plaintext
on the inspectorate's node and on DPRK's, refused on the United States' node,
and its text is in no file of the log's workspace (database, write-ahead log,
export, published tiles) nor of the United States' node. An inspectorate
added later reads it only once the inspectorate shares it from its own node.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accordwatch.examples import example_path
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import free_port
from tests.test_node_writes import new_key, register
from tests.test_sealed_openings import MARKER, _declaration, _files_holding
from tests.test_witnessed_log import PATIENCE, Process, get_json, ok, run_cli

pytestmark = pytest.mark.slow

#: the accord's signatories, whose keys this test keeps in the log's workspace for brevity:
#: they sign the accord and the witness policy, and read nothing confidential
SIGNATORIES = (("state-a", "declarant"), ("state-b", "party"), ("agency", "inspectorate"))
#: the parties that run nodes, with their keys made on them
NODE_PARTIES = (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate"))
WITNESSES = (("w1", "ed25519"), ("w2", "ml-dsa-44"))
DECLARATION = "dprk-nuclear-2020-12"


@dataclass
class Accord:
    tmp: Path
    log: Path
    server: Process
    log_key: str
    policy: Path

    def node(self, capsys: pytest.CaptureFixture[str], party: str) -> Path:
        """A node of `party` trusting the policy, its keys made there and registered."""
        home = self.tmp / f"node-{party}"
        ok(run_cli(capsys, "node", "init", "--home", home, "--log", self.server.url,
                   "--log-key", self.log_key, "--party", party,
                   "--policy", self.policy))  # fmt: skip
        register(capsys, self.log, party, new_key(capsys, home, party))
        register(capsys, self.log, party, new_key(capsys, home, party, "--purpose", "encryption"))
        return home

    def witnessed(self) -> int:
        note = get_json(self.server.url, "/api/log")["witnessed_checkpoint"]
        return 0 if note is None else int(note.split("\n")[1])

    def sync(self, capsys: pytest.CaptureFixture[str], home: Path) -> str:
        """Sync `home` once the log's every entry is witnessed; what the sync printed."""
        size = Workspace.open(self.log).ledger().size()
        deadline = time.monotonic() + PATIENCE
        while self.witnessed() < size:
            assert time.monotonic() < deadline, f"size {size} was not witnessed in time"
            time.sleep(0.2)
        return ok(run_cli(capsys, "--home", home, "node", "sync")).out


@pytest.fixture
def accord(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Accord]:
    log_home = tmp_path / "log"
    ws = init_workspace(log_home, origin="test.local/nodes")
    home = ["--home", str(log_home)]
    for party, role in SIGNATORIES:
        ok(run_cli(capsys, *home, "party", "add", party, "--role", role))
        ok(run_cli(capsys, *home, "key", "new", "--party", party))
        ok(run_cli(capsys, *home, "accord", "sign", example_path("generic-tutorial"),
                   "--as", party))  # fmt: skip
    # the agency reads declarations: its encryption key is made outside the log's folder
    agency_key = tmp_path / "agency" / "encryption.key"
    agency_key.parent.mkdir()
    ok(run_cli(capsys, "key", "new", "--party", "agency", "--purpose", "encryption",
               "--out", agency_key))  # fmt: skip
    ok(run_cli(capsys, *home, "key", "register", "--party", "agency",
               agency_key.with_name(agency_key.name + ".pub")))  # fmt: skip
    for party, role in NODE_PARTIES:
        ok(run_cli(capsys, *home, "party", "add", party, "--role", role))
    log_key = ws.ledger().signer.verifier.text()

    witnesses: list[Process] = []
    lines = [f"log {log_key}"]
    for name, algorithm in WITNESSES:
        whome = tmp_path / f"witness-{name}"
        vkey = ok(run_cli(capsys, "--home", whome, "witness", "init", "--name",
                          f"{name}.witness.test", "--algorithm", algorithm,
                          "--durability", "normal")).out.strip()  # fmt: skip
        ok(run_cli(capsys, "--home", whome, "witness", "trust", log_key))
        port = free_port()
        serve = ["--home", str(whome), "witness", "serve", "--port", str(port)]
        witnesses.append(Process(serve, port, "serving at"))
        lines.append(f"witness {name} {vkey} http://127.0.0.1:{port}")
    lines += ["group both 2 w1 w2", "quorum both"]
    policy = tmp_path / "policy.txt"
    policy.write_text("\n".join(lines) + "\n", "utf-8")
    for party, _ in SIGNATORIES:
        ok(run_cli(capsys, *home, "accord", "policy", policy, "--as", party))

    port = free_port()
    server = Process([*home, "serve", "--port", str(port)], port, "serving",
                     env={"ACCORDWATCH_COSIGN_INTERVAL_SECONDS": "1",
                          "ACCORDWATCH_WITNESS_TIMEOUT_SECONDS": "2"})  # fmt: skip
    try:
        for each in witnesses:
            each.start()
        server.start()
        yield Accord(tmp_path, log_home, server, log_key, policy)
    finally:
        server.stop()
        for each in witnesses:
            each.stop()


def show(capsys: pytest.CaptureFixture[str], node: Path) -> tuple[int, str]:
    run = run_cli(capsys, "--home", node, "declaration", "show", DECLARATION, "--format", "json")
    assert "Traceback" not in run.err
    return run.code, run.out + run.err


def test_a_sealed_declaration_is_read_on_its_readers_nodes_only(
    accord: Accord, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = {party: accord.node(capsys, party) for party, _ in NODE_PARTIES}
    dprk, usa, iaea = nodes["dprk"], nodes["usa"], nodes["iaea"]
    for node in nodes.values():
        assert "witnessed by 2 of 2" in accord.sync(capsys, node)

    # DPRK's node seals the declaration to its readers and sends it to the log
    ok(run_cli(capsys, "--home", dprk, "declaration", "submit", _declaration(accord.tmp),
               "--as", "dprk"))  # fmt: skip
    for node in nodes.values():
        accord.sync(capsys, node)
    for reader in (iaea, dprk):
        code, text = show(capsys, reader)
        assert code == 0 and MARKER in text, text
    code, text = show(capsys, usa)
    assert code != 0 and "may not read" in text and MARKER not in text

    # the log's operator holds it sealed: in no file, exports and published tiles included
    ok(run_cli(capsys, "--home", accord.log, "log", "export", accord.log / "export.jsonl"))
    ok(run_cli(capsys, "--home", accord.log, "log", "publish", accord.log / "published"))
    assert list((accord.log / "published" / "sealed").iterdir())
    code, text = show(capsys, accord.log)
    assert MARKER not in text
    assert _files_holding(accord.log, MARKER.encode()) == []
    assert _files_holding(usa, MARKER.encode()) == []

    # an inspectorate added later reads it only once a reader shares it with it
    ok(run_cli(capsys, "--home", accord.log, "party", "add", "iaea2", "--role", "inspectorate"))
    iaea2 = accord.node(capsys, "iaea2")
    accord.sync(capsys, iaea2)
    code, text = show(capsys, iaea2)
    assert code != 0 and MARKER not in text
    entry = Workspace.open(accord.log).ledger().size()
    accord.sync(capsys, iaea)
    listing = ok(run_cli(capsys, "--home", iaea, "declaration", "list", "--format", "json")).out
    assert DECLARATION in listing
    index = _declaration_entry(accord.log)
    ok(run_cli(capsys, "--home", iaea, "share", str(index), "--with", "iaea2", "--as", "iaea"))
    assert Workspace.open(accord.log).ledger().size() == entry + 1
    accord.sync(capsys, iaea2)
    code, text = show(capsys, iaea2)
    assert code == 0 and MARKER in text, text
    assert _files_holding(accord.log, MARKER.encode()) == []
    ok(run_cli(capsys, "--home", accord.log, "log", "audit"))
    ok(run_cli(capsys, "--home", iaea2, "log", "audit"))


def _declaration_entry(log: Path) -> int:
    ledger = Workspace.open(log).ledger()
    found = [
        i for i in range(ledger.size()) if ledger.entry(i).record_type.startswith("declaration")
    ]
    assert found, "no declaration in the log"
    return found[-1]
