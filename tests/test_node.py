"""A node: a party's verified copy of a log, synced from its tiles.

The log is a workspace served by `accordwatch serve` in a process of its own
on a loopback port, or a folder `log publish` wrote. A node follows it
(`node init`, `node sync`): incrementally, resuming after an interruption,
answering `status` as the log's workspace does; a log that forks is caught
with its evidence and exit 7, a changed tile or bundle refused in one line,
and in both cases nothing is stored.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli.exit_codes import ExitCode
from accordwatch.errors import SignatureError
from accordwatch.examples import example_path
from accordwatch.log.fork import ForkEvidence
from accordwatch.log.keys import SigningKey
from accordwatch.log.tiles import Tile
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.scenario import parse_scenario
from accordwatch.service.api.app import create_app
from accordwatch.sources import node_sync
from accordwatch.sources.node_sync import sync
from accordwatch.sources.remote_log import NodeConfig, TileSource
from accordwatch.workspace import Workspace, init_workspace
from tests.conftest import EARLY
from tests.helpers import Log, free_port, one_line_error
from tests.test_witnessed_log import Process, ok, run_cli

pytestmark = pytest.mark.slow

PARTIES = [("dprk", "declarant"), ("usa", "party"), ("rok", "party"), ("iaea", "inspectorate")]


def log_workspace(home: Path, statements: int = 3) -> Log:
    log = Log.open(init_workspace(home, origin="example.org/accord-log"))
    log.add_party("state-a", "declarant")
    for n in range(statements):
        log.statement("state-a", f"statement {n}")
    return log


def history_workspace(home: Path) -> Log:
    """A log of the example road map's history, each entry logged at its date."""
    log = Log.open(init_workspace(home, origin="example.org/accord-log", simulated_clock=EARLY))
    for name, role in PARTIES:
        log.add_party(name, role)
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None
    text = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    log.replay(parse_scenario(text, accord))
    return log


def node(capsys: pytest.CaptureFixture[str], home: Path, address: str, log: Log) -> list[str]:
    vkey = log.ledger.signer.verifier.text()
    ok(run_cli(capsys, "node", "init", "--home", home, "--log", address, "--log-key", vkey,
               "--party", "state-b"))  # fmt: skip
    return ["--home", str(home)]


def size_of(home: Path) -> int:
    return Workspace.open(home).ledger().size()


def test_a_node_follows_a_served_log_and_answers_as_it_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = history_workspace(tmp_path / "log")
    start = log.ledger.size()
    port = free_port()
    server = Process(
        ["--home", str(tmp_path / "log"), "serve", "--port", str(port)], port, "serving"
    )
    server.start()
    try:
        home = node(capsys, tmp_path / "node", server.url, log)
        first = ok(run_cli(capsys, *home, "node", "sync"))
        assert f"synced entries 0..{start - 1}" in first.flat, first.out
        assert "the log's key" in first.flat  # no policy: it says what it trusted
        for n in range(300):  # past a tile's 256 leaves: a partial tile becomes a full one
            log.statement("dprk", f"later {n}")
        second = ok(run_cli(capsys, *home, "node", "sync"))
        assert f"synced entries {start}..{start + 299}" in second.flat, second.out
        up_to_date = ok(run_cli(capsys, *home, "node", "sync")).flat
        assert f"up to date: {start + 300} entries" in up_to_date
    finally:
        server.stop()
    day = ["--as-of", "2022-06-30", "--known-at", "2022-06-30"]
    for command in (["status", *day], ["compliance", "report", "--by", "event", *day]):
        at_log = ok(run_cli(capsys, "--home", tmp_path / "log", *command, "--format", "json"))
        at_node = ok(run_cli(capsys, *home, *command, "--format", "json"))
        # the log's workspace runs on a simulated clock, the node on the system's
        shown = [json.loads(run.out) for run in (at_log, at_node)]
        for each in shown:
            each.pop("simulated_clock", None)
        assert shown[0] == shown[1], command
    audit = ok(run_cli(capsys, *home, "log", "audit")).out
    assert f"audit ok: {start + 300} entries" in audit, audit
    # the node's dashboard and its own /tlog/, as the log's
    with TestClient(create_app(Workspace.open(tmp_path / "node"))) as client:
        assert client.get("/").status_code == 200
        served = client.get("/tlog/checkpoint").text
    assert served == NodeConfig.read(tmp_path / "node").checkpoint


def test_an_interrupted_sync_resumes_where_it_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = log_workspace(tmp_path / "log", statements=700)
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tmp_path / "tiles"))
    home = node(capsys, tmp_path / "node", str(tmp_path / "tiles"), log)
    ws = Workspace.open(tmp_path / "node")
    config = NodeConfig.read(ws.home)

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync(ws.ledger(), config, ws.home, now=ws.clock, progress=stop, batch=256)
    assert size_of(ws.home) == 256  # the first batch was committed, no more
    done = ok(run_cli(capsys, *home, "node", "sync"))
    assert "synced entries 256..702" in done.flat, done.out
    status = [run_cli(capsys, "--home", h, "status").out for h in (tmp_path / "log", ws.home)]
    assert status[0] == status[1]


def test_signatures_checked_in_other_processes_make_the_same_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = log_workspace(tmp_path / "log", statements=600)
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tmp_path / "tiles"))
    node(capsys, tmp_path / "node", str(tmp_path / "tiles"), log)
    ws = Workspace.open(tmp_path / "node")
    monkeypatch.setattr(node_sync, "PROCESSES_FROM", 1)
    done = sync(ws.ledger(), NodeConfig.read(ws.home), ws.home, now=ws.clock, batch=256)
    size = log.ledger.size()
    assert (done.before, done.size) == (0, size)
    assert ws.ledger().root(size) == log.ledger.root(size)
    status = [run_cli(capsys, "--home", h, "status").out for h in (tmp_path / "log", ws.home)]
    assert status[0] == status[1]


def test_a_signature_checked_elsewhere_counts_only_with_the_key_it_verified_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = log_workspace(tmp_path / "log", statements=20)
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tmp_path / "tiles"))
    source = TileSource(str(tmp_path / "tiles"))
    bundle = Tile(None, 0, log.ledger.size())
    right = {k: r.public_key for k, r in log.ledger.registry().keys.items()}
    other = SigningKey.generate().public_key
    wrong = dict.fromkeys(right, other)
    with ThreadPoolExecutor(max_workers=1) as checker:
        _, checked = node_sync._read_bundle(source, bundle, right, checker)
        _, refused = node_sync._read_bundle(source, bundle, wrong, checker)
    for env in checked:
        assert env is not None and env.__dict__.get("_verified_with") == right[env.key_id]
    for env in refused:
        assert env is not None and "_verified_with" not in env.__dict__
        with pytest.raises(SignatureError):
            env.verify_signature(other)

    class Broken(Executor):
        def submit(self, *args: object, **kwargs: object) -> Future[Any]:
            raise BrokenProcessPool("no process started")

    # processes that could not start: the signatures are checked on the reading thread
    _, fallen_back = node_sync._read_bundle(source, bundle, right, Broken())
    for env in fallen_back:
        assert env is not None and env.__dict__.get("_verified_with") == right[env.key_id]


def test_a_log_that_forks_is_caught_with_its_evidence_and_nothing_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = log_workspace(tmp_path / "log")
    tiles = tmp_path / "tiles"
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tiles))
    home = node(capsys, tmp_path / "node", str(tiles), log)
    ok(run_cli(capsys, *home, "node", "sync"))
    # the same log, key and all, shows another history from here on
    shutil.copytree(tmp_path / "log", tmp_path / "other")
    log.statement("state-a", "what the node was shown")
    other = Log.open(Workspace.open(tmp_path / "other"))
    other.keys["state-a"] = log.keys["state-a"]
    other.statement("state-a", "what others were shown")
    other.statement("state-a", "and more")
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tiles))
    ok(run_cli(capsys, *home, "node", "sync"))
    held = NodeConfig.read(tmp_path / "node").checkpoint
    shutil.rmtree(tiles)
    ok(run_cli(capsys, "--home", tmp_path / "other", "log", "publish", tiles))

    run = run_cli(capsys, *home, "node", "sync")
    assert run.code == ExitCode.NOT_VERIFIED, run.err + run.out
    (line,) = run.err.splitlines()
    assert "fork" in line and "not consistent" in line, line
    found = sorted((tmp_path / "node").glob("fork-evidence-*.json"))
    assert [p.name for p in found] == ["fork-evidence-7-8.json"]
    assert str(found[0]) in line
    assert json.loads(line.split(f"{found[0]}: ", 1)[1]) == json.loads(found[0].read_text())
    ForkEvidence.parse(found[0].read_bytes()).verify()
    assert ok(run_cli(capsys, "fork", "verify", found[0])).out.startswith("log example.org")
    evidence = json.loads(found[0].read_text())
    assert held in evidence["checkpoints"]
    # nothing of the other history was stored, and the node still holds its checkpoint
    assert size_of(tmp_path / "node") == 7
    assert NodeConfig.read(tmp_path / "node").checkpoint == held


@pytest.mark.parametrize("changed", ["bundle", "tile"])
def test_a_changed_tile_or_bundle_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changed: str
) -> None:
    log = log_workspace(tmp_path / "log")
    tiles = tmp_path / "tiles"
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tiles))
    name = "tile/accordwatch-entries/000.p/6" if changed == "bundle" else "tile/0/000.p/6"
    data = bytearray((tiles / name).read_bytes())
    data[-3] ^= 1
    (tiles / name).write_bytes(bytes(data))
    home = node(capsys, tmp_path / "node", f"file://{tiles}", log)
    run = run_cli(capsys, *home, "node", "sync")
    assert run.code == ExitCode.NOT_VERIFIED
    line = one_line_error(run, str(tiles / "tile" / "0") if changed == "tile" else name)
    assert ("bundle was changed" if changed == "bundle" else "do not lead to the root") in line
    assert size_of(tmp_path / "node") == 0


def test_a_checkpoint_by_another_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_workspace(tmp_path / "log")
    impostor = log_workspace(tmp_path / "impostor")
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tmp_path / "tiles"))
    home = node(capsys, tmp_path / "node", str(tmp_path / "tiles"), impostor)
    run = run_cli(capsys, *home, "node", "sync")
    assert run.code == ExitCode.NOT_VERIFIED
    one_line_error(run, "checkpoint")
    assert size_of(tmp_path / "node") == 0


def test_a_checkpoint_without_the_policys_quorum_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = log_workspace(tmp_path / "log")
    ok(run_cli(capsys, "--home", tmp_path / "log", "log", "publish", tmp_path / "tiles"))
    witness = ok(
        run_cli(capsys, "--home", tmp_path / "w1", "witness", "init", "--name", "w1.test")
    ).out.strip()
    policy = tmp_path / "policy.txt"
    policy.write_text(
        f"log {log.ledger.signer.verifier.text()}\nwitness w1 {witness}\nquorum w1\n", "utf-8"
    )
    vkey = log.ledger.signer.verifier.text()
    home = ["--home", str(tmp_path / "node")]
    init = ok(run_cli(capsys, "node", "init", *home, "--log", tmp_path / "tiles",
                      "--log-key", vkey, "--party", "state-b", "--policy", policy))  # fmt: skip
    assert "cosigned as" in init.flat
    run = run_cli(capsys, *home, "node", "sync")
    assert run.code == ExitCode.NOT_VERIFIED
    one_line_error(run, "NOT witnessed", "the node accepts witnessed checkpoints only")
    assert size_of(tmp_path / "node") == 0
