"""A witnessed log across a network: the log server and four witnesses as separate processes.

Everything runs as it would between the parties: `accordwatch serve` for the
log, and four `accordwatch witness serve` processes on loopback ports, each
with its own folder and key (two Ed25519, two ML-DSA-44), named in a policy
every party of the accord signed, with a quorum of 3 of 4. Submissions go in
over HTTP; the log's collector gets them witnessed; with one witness stopped
they still are, with two they are not (and `receipt verify` says so); a
witness restarted from its database goes on where it was; and a checkpoint the
log signs for a forked history is refused by every witness and kept as
evidence that `fork verify` accepts.
"""

from __future__ import annotations

import base64
import http.client
import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accordwatch.cli import main as cli_main
from accordwatch.examples import example_path
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.merkle import leaf_hash
from accordwatch.log.witness_protocol import AddCheckpoint
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import ANSI, Log, Run, free_port
from tests.witness_logs import environment

PARTIES = (("state-a", "declarant"), ("state-b", "party"), ("agency", "inspectorate"))
WITNESSES = (("w1", "ed25519"), ("w2", "ml-dsa-44"), ("w3", "ed25519"), ("w4", "ml-dsa-44"))
COMMAND = [sys.executable, "-m", "accordwatch"]
#: the most time any one wait below may take
PATIENCE = 30.0

pytestmark = pytest.mark.slow


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    capsys.readouterr()
    code = 0
    try:
        cli_main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    out, err = capsys.readouterr()
    return Run(code, ANSI.sub("", out), ANSI.sub("", err))


def ok(run: Run) -> Run:
    assert run.code == 0, run.err + run.out
    return run


@dataclass
class Process:
    """One accordwatch server process on a loopback port, started and stopped by the test."""

    args: list[str]
    port: int
    ready: str
    env: dict[str, str] | None = None
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Process:
        self.proc = subprocess.Popen(
            [*COMMAND, *self.args],
            env={**environment(), **(self.env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        seen = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1)
            if ready:
                line = self.proc.stdout.readline()
                seen += line
                if self.ready in line or not line:
                    break
        assert self.ready in seen, seen + (self.proc.stderr.read() if self.proc.stderr else "")
        # the log server prints before uvicorn binds: wait for the port too
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=1).connect()
                break
            except OSError:
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self.proc = None


def request(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get_json(url: str, path: str) -> Any:
    status, body = request(url, "GET", path)
    assert status == 200, body
    return json.loads(body)


@dataclass
class Network:
    ws: Workspace
    log: Log
    server: Process
    witnesses: dict[str, Process]
    homes: dict[str, Path]
    policy: Path
    log_key: str

    def submit(self, subject: str) -> int:
        submission = self.log.seal("registrar", "statement", {"subject": subject})
        status, body = request(
            self.server.url, "POST", "/api/submissions", json.dumps(submission.to_json()).encode()
        )
        assert status in (200, 201), body
        return int(json.loads(body)["index"])

    def witnessed_size(self) -> int:
        note = get_json(self.server.url, "/api/log")["witnessed_checkpoint"]
        return 0 if note is None else Checkpoint.parse_text(note.split("\n\n")[0] + "\n").size

    def wait_witnessed(self, index: int) -> float:
        """Seconds until a witnessed checkpoint holds entry `index`; fails after PATIENCE."""
        started = time.monotonic()
        while time.monotonic() - started < PATIENCE:
            if self.witnessed_size() > index:
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"entry {index} was not witnessed within {PATIENCE} s")


@pytest.fixture
def network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Network]:
    ws = init_workspace(tmp_path / "log", origin="test.local/witnessed")
    home = ["--home", str(ws.home)]
    for party, role in PARTIES:
        ok(run_cli(capsys, *home, "party", "add", party, "--role", role))
        ok(run_cli(capsys, *home, "key", "new", "--party", party))
    for party, _ in PARTIES:
        ok(
            run_cli(
                capsys, *home, "accord", "sign", example_path("generic-tutorial"), "--as", party
            )
        )
    log_key = ok(run_cli(capsys, *home, "log", "key")).out.strip()

    homes: dict[str, Path] = {}
    witnesses: dict[str, Process] = {}
    lines = [f"log {log_key}"]
    for name, algorithm in WITNESSES:
        whome = tmp_path / f"witness-{name}"
        vkey = ok(
            run_cli(
                capsys,
                *("--home", str(whome), "witness", "init", "--name", f"{name}.witness.test"),
                *("--algorithm", algorithm, "--durability", "normal"),
            )
        ).out.strip()
        ok(run_cli(capsys, "--home", str(whome), "witness", "trust", log_key))
        port = free_port()
        homes[name] = whome
        witnesses[name] = Process(
            ["--home", str(whome), "witness", "serve", "--port", str(port)], port, "serving at"
        )
        lines.append(f"witness {name} {vkey} http://127.0.0.1:{port}")
    lines += ["group all-witnesses 3 w1 w2 w3 w4", "quorum all-witnesses"]
    policy = tmp_path / "policy.txt"
    policy.write_text("\n".join(lines) + "\n", "utf-8")
    for party, _ in PARTIES:
        ok(run_cli(capsys, *home, "accord", "policy", policy, "--as", party))

    log = Log.open(ws)
    port = free_port()
    # the collector's round every second, so a stopped witness is noticed at once
    server = Process(
        [*home, "serve", "--port", str(port)],
        port,
        "serving",
        env={
            "ACCORDWATCH_COSIGN_INTERVAL_SECONDS": "1",
            "ACCORDWATCH_WITNESS_TIMEOUT_SECONDS": "2",
        },
    )
    net = Network(ws, log, server, witnesses, homes, policy, log_key)
    try:
        for w in witnesses.values():
            w.start()
        server.start()
        yield net
    finally:
        server.stop()
        for w in witnesses.values():
            w.stop()


def test_submissions_are_witnessed_by_a_quorum_of_processes(
    network: Network, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = network.submit("all four witnesses up")
    network.wait_witnessed(first)
    info = get_json(network.server.url, "/api/log")
    assert info["witnessed"].startswith("witnessed by 4 of 4"), info["witnessed"]

    # one witness down: 3 of 4 is still the quorum
    network.witnesses["w1"].stop()
    second = network.submit("one witness down")
    network.wait_witnessed(second)
    assert get_json(network.server.url, "/api/log")["witnessed"].startswith("witnessed by 3 of 4")

    # two down: the checkpoint stays unwitnessed, and a receipt says so
    network.witnesses["w2"].stop()
    third = network.submit("two witnesses down")
    time.sleep(3)  # several of the collector's rounds (interval 1 s)
    assert network.witnessed_size() <= third
    receipt = get_json(network.server.url, f"/api/log/entries/{third}/proof")
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), "utf-8")
    run = run_cli(
        capsys,
        *("receipt", "verify", path, "--log-key", network.log_key, "--policy", network.policy),
    )
    assert run.code == 8, run.err + run.out
    assert "not witnessed" in (run.out + run.err).lower()

    # restarted from its database, a witness goes on where it was (it had cosigned `second`)
    listed = ok(
        run_cli(capsys, "--home", str(network.homes["w1"]), "witness", "list", "--format", "json")
    )
    assert listed.out
    network.witnesses["w1"].start()
    network.wait_witnessed(third)
    witnessed = get_json(network.server.url, "/api/log")["witnessed"]
    assert witnessed.startswith("witnessed by 3 of 4"), witnessed
    receipt = get_json(network.server.url, f"/api/log/entries/{third}/proof")
    path.write_text(json.dumps(receipt), "utf-8")
    run = run_cli(
        capsys,
        *("receipt", "verify", path, "--log-key", network.log_key, "--policy", network.policy),
    )
    assert run.code == 0, run.err + run.out


def test_a_forked_checkpoint_is_refused_by_every_witness_and_the_evidence_verifies(
    network: Network, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = network.submit("before the fork")
    network.wait_witnessed(index)
    ledger = network.log.ledger
    note = get_json(network.server.url, "/api/log")["witnessed_checkpoint"]
    honest = Checkpoint.parse_text(note.split("\n\n")[0] + "\n")
    # The operator signs, with the log's own key, a tree whose last entry is another:
    # the same size, another root.
    forked_root = leaf_hash(b"another history of size %d" % honest.size)
    assert forked_root != ledger.root(honest.size)
    forked = Checkpoint(honest.origin, honest.size, forked_root).sign(network.ws.log_signer())
    body = AddCheckpoint(honest.size, (), forked).body()
    for name, witness in network.witnesses.items():
        status, answer = request(witness.url, "POST", "/add-checkpoint", body)
        assert status == 422, (name, status, answer)

    out = tmp_path / "evidence"
    for name, whome in network.homes.items():
        listed = ok(
            run_cli(capsys, "--home", str(whome), "witness", "evidence", "--out", str(out / name))
        )
        assert "fork" in listed.out.lower(), listed.out
        files = sorted((out / name).glob("*.json"))
        assert files, f"witness {name} wrote no evidence file"
        verified = ok(run_cli(capsys, "fork", "verify", files[0]))
        assert "different roots" in verified.out, verified.out
        evidence = json.loads(files[0].read_text("utf-8"))
        assert evidence["log_key"] == network.log_key
        # the evidence stands on its own: tampering with it is caught
        evidence["checkpoints"][1] = evidence["checkpoints"][1].replace(
            base64.b64encode(forked_root).decode(), base64.b64encode(honest.root).decode()
        )
        tampered = tmp_path / f"tampered-{name}.json"
        tampered.write_text(json.dumps(evidence), "utf-8")
        assert run_cli(capsys, "fork", "verify", tampered).code != 0
