"""Writes from a node: signed with the party's own key, sent to the log, receipt checked.

The log's workspace is served by `accordwatch serve` in a process of its own
on a loopback port, on a simulated clock; each party's node reads the same
clock (`node init --simulated-clock-file`). The parties make their keys on
their nodes and the registrar registers only the public halves. DPRK's node
seals a confidential declaration to its readers and sends it: the receipt is
checked on arrival, the node's own copy gets the entry only on its next sync,
and no file of the log's workspace holds the declaration's text. A receipt
from another log, an unreachable log and a registrar's command on a node are
refused in one line, with nothing written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accordwatch.cli.exit_codes import ExitCode
from accordwatch.log.keys import SigningKey
from accordwatch.log.public_keys import PublicKeyFile
from accordwatch.workspace import LOG_KEY, Workspace, init_workspace
from tests.conftest import EARLY
from tests.helpers import free_port, one_line_error
from tests.test_sealed_openings import MARKER, _declaration, _files_holding
from tests.test_witnessed_log import Process, ok, run_cli

pytestmark = pytest.mark.slow

ORIGIN = "example.org/accord-log"


def size_of(home: Path) -> int:
    return Workspace.open(home).ledger().size()


def new_key(capsys: pytest.CaptureFixture[str], node: Path, party: str, *more: str) -> Path:
    """`key new` on the node: the public file it wrote, whose fingerprint it printed."""
    folder = node / "keys" / party
    before = set(folder.glob("*.pub")) if folder.is_dir() else set()
    out = ok(run_cli(capsys, "--home", node, "key", "new", "--party", party, *more)).out
    (public,) = set(folder.glob("*.pub")) - before
    parsed = PublicKeyFile.parse(public.read_bytes(), where=str(public))
    assert parsed.fingerprint in out and f"key register --party {party}" in out
    private = public.with_name(public.name.removesuffix(".pub"))
    assert private.stat().st_mode & 0o777 == 0o600
    return public


def register(capsys: pytest.CaptureFixture[str], log: Path, party: str, public: Path) -> None:
    """The registrar registers a public file and reads back the same fingerprint."""
    out = ok(run_cli(capsys, "--home", log, "key", "register", "--party", party, public)).out
    assert PublicKeyFile.parse(public.read_bytes(), where="pub").fingerprint in out


def draft(path: Path, subject: str) -> Path:
    path.write_text(json.dumps({"record_type": "statement", "payload": {"subject": subject}}))
    return path


def test_a_node_seals_signs_and_sends_and_checks_the_receipt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_home = tmp_path / "log"
    ws = init_workspace(log_home, origin=ORIGIN, simulated_clock=EARLY)
    vkey = ws.ledger().signer.verifier.text()
    for party, role in (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate")):
        ok(run_cli(capsys, "--home", log_home, "party", "add", party, "--role", role))
    port = free_port()
    server = Process(["--home", str(log_home), "serve", "--port", str(port)], port, "serving")
    server.start()
    others: list[Process] = []
    try:
        nodes = {}
        for party in ("dprk", "iaea"):
            nodes[party] = tmp_path / f"node-{party}"
            ok(run_cli(capsys, "node", "init", "--home", nodes[party], "--log", server.url,
                       "--log-key", vkey, "--party", party,
                       "--simulated-clock-file", log_home / "clock.txt"))  # fmt: skip
        dprk, iaea = nodes["dprk"], nodes["iaea"]
        # keys are made on the nodes; the registrar registers the public halves only
        for party, node in nodes.items():
            register(capsys, log_home, party, new_key(capsys, node, party))
            register(capsys, log_home, party, new_key(capsys, node, party, "--purpose",
                                                      "encryption"))  # fmt: skip
        assert not (log_home / "keys" / "dprk").exists()
        assert not (log_home / "keys" / "iaea").exists()
        ok(run_cli(capsys, "--home", dprk, "node", "sync"))

        # DPRK's confidential declaration, sealed on its node and sent to the log
        held = size_of(dprk)
        logged = size_of(log_home)
        run = ok(run_cli(capsys, "--home", dprk, "declaration", "submit",
                         _declaration(tmp_path), "--as", "dprk"))  # fmt: skip
        assert f"at log entry {logged}" in run.out
        assert "receipt verified" in run.err and "run accordwatch node sync to hold it" in run.err
        assert size_of(dprk) == held  # nothing written to the node's own database
        assert size_of(log_home) == logged + 1
        assert _files_holding(log_home, MARKER.encode()) == []
        ok(run_cli(capsys, "--home", dprk, "node", "sync"))
        assert size_of(dprk) == logged + 1

        # the registry the node sealed with is stale once IAEA rotates its encryption key
        ok(run_cli(capsys, "--home", iaea, "node", "sync"))
        (old,) = [p for p in (iaea / "keys" / "iaea").glob("*.pub")
                  if b"encryption" in p.read_bytes()]  # fmt: skip
        new = new_key(capsys, iaea, "iaea", "--purpose", "encryption")
        old_id = PublicKeyFile.parse(old.read_bytes(), where="pub").key_id
        ok(run_cli(capsys, "--home", iaea, "key", "rotate", old_id, "--new", new))
        (tmp_path / "again").mkdir()
        again = _declaration(tmp_path / "again")
        text = again.read_text()
        assert "\nid: dprk-nuclear-2020-12\n" in text
        again.write_text(text.replace("\nid: dprk-nuclear-2020-12\n", "\nid: dprk-2020-12b\n"))
        stale = run_cli(capsys, "--home", dprk, "declaration", "submit", again, "--as", "dprk")
        one_line_error(stale, "is not the current encryption key", "run accordwatch node sync")
        ok(run_cli(capsys, "--home", dprk, "node", "sync"))
        ok(run_cli(capsys, "--home", dprk, "declaration", "submit", again, "--as", "dprk"))
        assert _files_holding(log_home, MARKER.encode()) == []

        # a party revokes its own key from its node, signed with its current key
        (signing,) = [p for p in (iaea / "keys" / "iaea").glob("*.pub")
                      if b"signing" in p.read_bytes()]  # fmt: skip
        spare = new_key(capsys, iaea, "iaea")
        register(capsys, log_home, "iaea", spare)
        ok(run_cli(capsys, "--home", iaea, "node", "sync"))
        spare_id = PublicKeyFile.parse(spare.read_bytes(), where="pub").key_id
        current = signing.with_name(signing.name.removesuffix(".pub"))
        run = ok(run_cli(capsys, "--home", iaea, "key", "revoke", spare_id, "--reason", "spare",
                         "--key", current))  # fmt: skip
        assert f"key {spare_id} of iaea revoked" in run.out and "receipt verified" in run.err
        ok(run_cli(capsys, "--home", iaea, "node", "sync"))
        # the node's copy holds the revocation: the spare, newest, is no longer current
        run = ok(run_cli(capsys, "--home", iaea, "key", "list", "--party", "iaea", "--purpose",
                         "signing", "--current", "--format", "json"))  # fmt: skip
        signing_id = PublicKeyFile.parse(signing.read_bytes(), where="pub").key_id
        assert signing_id in run.out and spare_id not in run.out

        # a log that answers with another key's checkpoint: its receipt is refused
        copy = tmp_path / "other-log"
        shutil.copytree(log_home, copy)
        (copy / "keys" / LOG_KEY).unlink()
        SigningKey.generate().write(copy / "keys" / LOG_KEY)
        other_port = free_port()
        other = Process(["--home", str(copy), "serve", "--port", str(other_port)], other_port,
                        "serving")  # fmt: skip
        others.append(other.start())
        held, logged = size_of(dprk), size_of(log_home)
        statement = draft(tmp_path / "s.json", "to the other log")
        refused = run_cli(capsys, "--home", dprk, "--to", other.url, "submit", statement,
                          "--as", "dprk")  # fmt: skip
        one_line_error(refused, "the receipt does not verify")
        assert refused.code == ExitCode.NOT_VERIFIED
        assert (size_of(dprk), size_of(log_home)) == (held, logged)

        # an unreachable log: one line, its exit code, nothing written anywhere
        gone = f"http://127.0.0.1:{free_port()}"
        run = run_cli(capsys, "--home", dprk, "--to", gone, "submit",
                      draft(tmp_path / "t.json", "nowhere"), "--as", "dprk")  # fmt: skip
        one_line_error(run, "cannot reach the log", "/api/submissions")
        assert run.code == ExitCode.STORAGE
        assert (size_of(dprk), size_of(log_home)) == (held, logged)

        # the registrar's commands refuse on a node
        run = run_cli(capsys, "--home", dprk, "party", "add", "rok", "--role", "party")
        one_line_error(run, "party add is the log registrar's")
        assert run.code == ExitCode.NOT_ALLOWED
        run = run_cli(capsys, "--home", dprk, "key", "register", "--party", "iaea", new)
        one_line_error(run, "key register is the log registrar's")

        # --to from a plain workspace: the log's own, whose key checks the receipt
        run = ok(run_cli(capsys, "--home", log_home, "--to", server.url, "party", "add", "rok",
                         "--role", "party"))  # fmt: skip
        assert f"at log entry {logged}" in run.out and "receipt verified" in run.err
        assert "node sync" not in run.err
        assert size_of(log_home) == logged + 1
        # ... and a log that is not this workspace's asks for its key
        run = run_cli(capsys, "--home", copy, "--to", server.url, "party", "add", "kor",
                      "--role", "party")  # fmt: skip
        one_line_error(run, "--log-key")
        assert size_of(log_home) == logged + 1
    finally:
        for each in others:
            each.stop()
        server.stop()


def test_a_node_following_a_folder_asks_for_the_logs_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = init_workspace(tmp_path / "log", origin=ORIGIN)
    vkey = ws.ledger().signer.verifier.text()
    node = tmp_path / "node"
    ok(run_cli(capsys, "node", "init", "--home", node, "--log", tmp_path / "published",
               "--log-key", vkey, "--party", "dprk"))  # fmt: skip
    run = run_cli(capsys, "--home", node, "submit", draft(tmp_path / "s.json", "x"), "--as",
                  "dprk")  # fmt: skip
    one_line_error(run, "published folder", "--to URL")
    run = run_cli(capsys, "--home", node, "key", "new", "--party", "usa")
    one_line_error(run, "this node is party dprk's", "not of usa")
