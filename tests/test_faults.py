"""Faults: concurrent writers, killed writers, tampered databases, repeats and bad input.

Every test runs on SQLite and on PostgreSQL. Writers in other processes run
`tests/_fault_worker.py`; the command line runs in-process through
`accordwatch.cli.main` (and as the installed console script where the
process boundary itself is what is tested).
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.sql import Executable

from accordwatch.cli import main as cli_main
from accordwatch.errors import VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import seal
from accordwatch.log.merkle import leaf_hash, node_key
from accordwatch.log.note import Verifier
from accordwatch.log.receipt import Receipt
from accordwatch.store.auditing import audit_database
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import checkpoints, entries, nodes
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import ANSI, Log, Run, one_line_error

WORKER = Path(__file__).with_name("_fault_worker.py")
CONSOLE_SCRIPT = Path(sys.executable).with_name("accordwatch")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ACCORDWATCH_* setting from the caller's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("ACCORDWATCH_") and name != "ACCORDWATCH_TEST_PG_URL":
            monkeypatch.delenv(name)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ACCORDWATCH_")}


# -- helpers -------------------------------------------------------------------


def _url_arg(database_url: str | None) -> str:
    return "-" if database_url is None else database_url


def _open(ws: Workspace) -> Ledger:
    """A fresh ledger, as a restarted process would have it."""
    return Workspace.open(ws.home).ledger()


def _audit_size(ws: Workspace) -> int:
    ledger = _open(ws)
    try:
        report = audit_database(ledger)
        assert report.size == ledger.size()
        return report.size
    finally:
        ledger.engine.dispose()


def _audit_error(ws: Workspace) -> str:
    ledger = _open(ws)
    try:
        with pytest.raises(VerificationError) as info:
            audit_database(ledger)
    finally:
        ledger.engine.dispose()
    message = info.value.diagnostic()
    assert "\n" not in message
    return message


def _size(ws: Workspace) -> int:
    ledger = _open(ws)
    try:
        return ledger.size()
    finally:
        ledger.engine.dispose()


def _execute(ws: Workspace, statement: Executable) -> list[Any]:
    engine: Engine = ws.engine()
    try:
        with engine.begin() as conn:
            result = conn.execute(statement)
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def _names_entry(message: str, index: int) -> bool:
    """The message names entry `index`, or a range of entries containing it."""
    if re.search(rf"\bentry {index}\b", message):
        return True
    return any(
        int(first) <= index <= int(last)
        for first, last in re.findall(r"\b(\d+)\.\.(\d+)\b", message)
    )


def _one_byte_changed(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    assert bytes(changed) != data
    return bytes(changed)


# -- 1. several processes appending at once ------------------------------------------

WORKERS = 4
SINGLES = 50
BATCHES = 2
BATCH_SIZE = 5


def _wait_for(paths: list[Path], procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"worker exited early ({proc.returncode}): {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail("workers did not get ready in time")
        time.sleep(0.01)


def test_concurrent_processes_get_unique_gapless_indices(
    workspace: Workspace, database_url: str | None, tmp_path: Path
) -> None:
    log = Log.open(workspace)
    for w in range(WORKERS):
        log.add_party(f"writer{w}", "observer").write(tmp_path / f"writer{w}.key")
    base = log.ledger.size()
    assert base == 1 + 2 * WORKERS

    go = tmp_path / "go"
    ready = [tmp_path / f"ready{w}" for w in range(WORKERS)]
    outs = [tmp_path / f"out{w}.json" for w in range(WORKERS)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "race",
                str(workspace.home),
                _url_arg(database_url),
                str(tmp_path / f"writer{w}.key"),
                f"writer{w}",
                f"w{w}",
                f"--singles={SINGLES}",
                f"--batches={BATCHES}",
                f"--batch-size={BATCH_SIZE}",
                f"--out={outs[w]}",
                f"--ready={ready[w]}",
                f"--go={go}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        for w in range(WORKERS)
    ]
    try:
        _wait_for(ready, procs, timeout=60)
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    got: list[tuple[int, str]] = []
    windows: list[tuple[float, float]] = []
    for out in outs:
        report = json.loads(out.read_text("utf-8"))
        got += [(int(i), str(h)) for i, h in report["got"]]
        windows.append((float(report["started"]), float(report["ended"])))
    # The writers really ran at once: every one started before any finished.
    assert max(s for s, _ in windows) < min(e for _, e in windows), windows
    per_worker = SINGLES + BATCHES * BATCH_SIZE
    assert len(got) == WORKERS * per_worker
    indices = [i for i, _ in got]
    assert len(set(indices)) == len(indices), "an index was handed out twice"
    size = _size(workspace)
    assert size == base + WORKERS * per_worker
    assert sorted(indices) == list(range(base, size)), "the indices have a gap"

    ledger = _open(workspace)
    try:
        stored = {e.index: e.leaf_hash.hex() for e in ledger.entries(base)}
        assert stored == dict(got)
        assert audit_database(ledger).size == size
    finally:
        ledger.engine.dispose()


# -- 2. a writer killed with SIGKILL in the middle of appends ----------------------------

KILL_ROUNDS = 3


def _acks(path: Path) -> list[tuple[int, str]]:
    """Complete `index leafhex` lines; a line cut short by the kill was never acknowledged."""
    if not path.exists():
        return []
    text = path.read_text("utf-8")
    complete = text[: text.rfind("\n") + 1]
    out: list[tuple[int, str]] = []
    for line in complete.splitlines():
        index, leaf = line.split()
        out.append((int(index), leaf))
    return out


@dataclass
class Writer:
    """A `crash` worker appending to the log until it is killed."""

    proc: subprocess.Popen[bytes]
    acks: Path
    app_name: str | None  # its PostgreSQL application_name

    @classmethod
    def start(
        cls, ws: Workspace, database_url: str | None, keyfile: Path, party: str, tag: str
    ) -> Writer:
        acks = keyfile.with_name(f"acks-{tag}")
        url, app_name = "-", None
        if database_url is not None:
            app_name = f"aw_fault_{secrets.token_hex(6)}"
            sep = "&" if "?" in database_url else "?"
            url = f"{database_url}{sep}application_name={app_name}"
        proc = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "crash",
                str(ws.home),
                url,
                str(keyfile),
                party,
                tag,
                f"--acks={acks}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        return cls(proc, acks, app_name)

    def wait_for_acks(self, wanted: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(_acks(self.acks)) < wanted:
            if self.proc.poll() is not None:
                _, err = self.proc.communicate()
                pytest.fail(f"writer exited ({self.proc.returncode}): {err.decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"writer acknowledged only {len(_acks(self.acks))} entries")
            time.sleep(0.005)

    def kill(self, ws: Workspace) -> None:
        """SIGKILL, then wait until the server has dropped the writer's session (PostgreSQL)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=30)
        if self.app_name is None:
            return
        engine = ws.engine()
        try:
            deadline = time.monotonic() + 30
            while True:
                with engine.connect() as conn:
                    alive = conn.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                        {"n": self.app_name},
                    ).scalar_one()
                if not alive:
                    return
                assert time.monotonic() < deadline, "the killed writer's session lingers"
                time.sleep(0.01)
        finally:
            engine.dispose()


def test_sigkill_mid_append_keeps_acknowledged_entries(
    workspace: Workspace, database_url: str | None, tmp_path: Path
) -> None:
    log = Log.open(workspace)
    keyfile = tmp_path / "victim.key"
    log.add_party("victim", "observer").write(keyfile)
    log.ledger.engine.dispose()
    rng = random.Random()
    acknowledged: dict[int, str] = {}

    for round_ in range(KILL_ROUNDS):
        writer = Writer.start(workspace, database_url, keyfile, "victim", f"round{round_}")
        try:
            wanted = rng.randint(10, 40)
            writer.wait_for_acks(wanted)
            time.sleep(rng.uniform(0, 0.05))  # land anywhere in an append
        finally:
            writer.kill(workspace)
        assert writer.proc.returncode == -signal.SIGKILL

        this_round = _acks(writer.acks)
        assert len(this_round) >= wanted
        for index, leaf in this_round:
            assert acknowledged.setdefault(index, leaf) == leaf, f"index {index} acked twice"

        # Restart: the log audits clean and holds every acknowledged entry.
        size = _audit_size(workspace)
        ledger = _open(workspace)
        try:
            assert max(acknowledged) < size
            stored = {e.index: e.leaf_hash.hex() for e in ledger.entries()}
            missing = {i: h for i, h in acknowledged.items() if stored.get(i) != h}
            assert not missing, f"acknowledged entries lost or changed: {missing}"
            # ... and takes new entries after the crash.
            after = Log.open(workspace)
            receipt = after.statement("registrar", f"after crash {round_}")
            assert receipt.index == size
            after.ledger.engine.dispose()
        finally:
            ledger.engine.dispose()

    assert _audit_size(workspace) > len(acknowledged)


def test_audit_while_appending_reports_no_false_tampering(
    workspace: Workspace, database_url: str | None, tmp_path: Path
) -> None:
    log = Log.open(workspace)
    keyfile = tmp_path / "busy.key"
    log.add_party("busy", "observer").write(keyfile)
    for i in range(100):
        log.statement("registrar", f"history {i}")
    log.ledger.engine.dispose()
    writer = Writer.start(workspace, database_url, keyfile, "busy", "live")
    false_alarms: list[str] = []
    try:
        writer.wait_for_acks(5)
        audits = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline or audits < 3:
            ledger = _open(workspace)
            try:
                audit_database(ledger)
            except VerificationError as exc:
                false_alarms.append(exc.diagnostic())
            finally:
                ledger.engine.dispose()
            audits += 1
    finally:
        writer.kill(workspace)
    assert _audit_size(workspace) > 100
    assert not false_alarms, f"{len(false_alarms)} of {audits} audits failed: {false_alarms[:3]}"


# -- 3. a byte changed in the database is found by the audit ---------------------------------


@dataclass
class Tampered:
    ws: Workspace
    log: Log
    target: int
    size: int


@pytest.fixture
def tampered(workspace: Workspace) -> Iterator[Tampered]:
    """A log of 17 entries audited clean; `target` is a statement in the middle of it."""
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    log.add_party("iaea", "inspectorate")
    target = -1
    for i in range(12):
        subject = "tamper-me" if i == 6 else f"statement {i}"
        receipt = log.statement("dprk" if i % 2 else "iaea", subject)
        if i == 6:
            target = receipt.index
    size = log.ledger.size()
    assert _audit_size(workspace) == size == 17
    yield Tampered(workspace, log, target, size)
    log.ledger.engine.dispose()


def _envelope_of(ws: Workspace, index: int) -> tuple[bytes, bytes]:
    ((envelope, leaf),) = _execute(
        ws, select(entries.c.envelope, entries.c.leaf_hash).where(entries.c.idx == index)
    )
    return bytes(envelope), bytes(leaf)


def _set_entry(ws: Workspace, index: int, envelope: bytes, leaf: bytes | None = None) -> None:
    assert isinstance(envelope, bytes)
    values: dict[str, bytes] = {"envelope": envelope}
    if leaf is not None:
        values["leaf_hash"] = leaf
    _execute(ws, update(entries).where(entries.c.idx == index).values(**values))


def test_audit_names_entry_with_a_changed_envelope_byte(tampered: Tampered) -> None:
    ws, target = tampered.ws, tampered.target
    original, leaf = _envelope_of(ws, target)
    subject_at = original.index(b"tamper-me") + len("tamper-m")
    positions = {
        "first byte": 0,
        "payload byte": subject_at,
        "signature byte": original.index(b'"signature":"') + len('"signature":"') + 5,
        "middle byte": len(original) // 2,
        "last byte": len(original) - 1,
    }
    for what, position in positions.items():
        _set_entry(ws, target, _one_byte_changed(original, position))
        message = _audit_error(ws)
        assert re.search(rf"\bentry {target}\b", message), f"{what}: {message}"
        _set_entry(ws, target, original)
        assert _audit_size(ws) == tampered.size
    assert _envelope_of(ws, target) == (original, leaf)


def test_audit_finds_envelope_and_leaf_hash_changed_together(tampered: Tampered) -> None:
    ws, target = tampered.ws, tampered.target
    original, leaf = _envelope_of(ws, target)
    forged = original.replace(b"tamper-me", b"tamper-mE")
    assert len(forged) == len(original)
    _set_entry(ws, target, forged, leaf_hash(forged))
    message = _audit_error(ws)
    assert re.search(rf"\bentry {target}\b", message), message
    assert "signature" in message, message
    _set_entry(ws, target, original, leaf)
    assert _audit_size(ws) == tampered.size


def test_audit_finds_a_validly_resigned_substitute_entry(tampered: Tampered) -> None:
    """Whoever holds the party's key can re-sign a changed entry; the checkpoints still hold."""
    ws, target, log = tampered.ws, tampered.target, tampered.log
    stored = log.ledger.entry(target)
    assert stored.party == "iaea"
    forged = seal(
        log=log.ledger.origin,
        record_type="statement",
        party="iaea",
        key=log.keys["iaea"],
        time=stored.signed_at,
        payload={"subject": "tamper-mE"},
    ).envelope
    _set_entry(ws, target, forged.canonical, forged.leaf_hash)
    message = _audit_error(ws)
    assert message.startswith("checkpoint at size"), message
    assert _names_entry(message, target), message


def test_audit_names_a_changed_merkle_node(tampered: Tampered) -> None:
    ws, target = tampered.ws, tampered.target
    covering = [
        (level, target >> level)
        for level in range(tampered.size.bit_length())
        if ((target >> level) + 1) << level <= tampered.size
    ]
    stored = {
        int(key): bytes(h)
        for key, h in _execute(
            ws,
            select(nodes.c.id, nodes.c.hash).where(
                nodes.c.id.in_([node_key(level, i) for level, i in covering])
            ),
        )
    }
    assert stored, f"no stored Merkle node covers entry {target}"
    for level, i in covering:
        key = node_key(level, i)
        if key not in stored:
            continue
        _execute(ws, update(nodes).where(nodes.c.id == key).values(hash=bytes(32)))
        message = _audit_error(ws)
        assert f"({level}, {i})" in message, message
        assert _names_entry(message, target), message
        _execute(ws, update(nodes).where(nodes.c.id == key).values(hash=stored[key]))
        assert _audit_size(ws) == tampered.size


def test_audit_finds_a_changed_checkpoint_root(tampered: Tampered) -> None:
    ws, target = tampered.ws, tampered.target
    signer = ws.log_signer()
    for size in (target + 1, tampered.size):
        ((note,),) = _execute(ws, select(checkpoints.c.note).where(checkpoints.c.size == size))
        cp = Checkpoint.open(note, signer.verifier)
        other_root = bytes(b ^ 0xFF for b in cp.root)
        lines = note.split("\n")
        assert lines[2] == base64.b64encode(cp.root).decode()
        lines[2] = base64.b64encode(other_root).decode()
        unsigned = "\n".join(lines)
        resigned = Checkpoint(cp.origin, size, other_root).sign(signer)
        for forged in (unsigned, resigned):
            _execute(ws, update(checkpoints).where(checkpoints.c.size == size).values(note=forged))
            message = _audit_error(ws)
            assert message.startswith(f"checkpoint at size {size}:"), message
            _execute(ws, update(checkpoints).where(checkpoints.c.size == size).values(note=note))
        assert _audit_size(ws) == tampered.size


# -- the command line, in-process ------------------------------------------------------------


Cli = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = 0
        try:
            cli_main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        out, err = capsys.readouterr()
        return Run(code, ANSI.sub("", out), ANSI.sub("", err))

    return run


def _ok(run: Run) -> Run:
    assert run.code == 0, run.err
    return run


def _write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2) + "\n", "utf-8")
    return path


def _draft(path: Path, subject: str = "the draft", **extra: Any) -> Path:
    return _write_json(path, {"record_type": "statement", "payload": {"subject": subject, **extra}})


# -- 4. the same envelope twice ------------------------------------------------------------


def test_resubmitted_envelope_returns_first_receipt(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    submission = log.seal("dprk", "statement", {"subject": "only once"})
    first = log.ledger.submit(submission)
    log.statement("dprk", "something later")
    size = log.ledger.size()

    again = log.ledger.submit(submission)
    assert again.index == first.index
    assert again.checkpoint == first.checkpoint
    assert again == first
    assert log.ledger.size() == size

    # Another ledger (another process) and a batch holding it twice do the same.
    other = _open(workspace)
    try:
        assert other.submit(submission) == first
        fresh = log.seal("dprk", "statement", {"subject": "new in the batch"})
        result = other.append([submission, fresh, submission])
        assert [(a.index, a.duplicate) for a in result.entries] == [
            (first.index, True),
            (size, False),
            (first.index, True),
        ]
        assert result.size == other.size() == size + 1
        assert audit_database(other).size == size + 1
    finally:
        other.engine.dispose()


def test_cli_resubmitted_envelope_returns_first_receipt(
    workspace: Workspace, cli: Cli, tmp_path: Path
) -> None:
    home = str(workspace.home)
    _ok(cli("--home", home, "party", "add", "dprk", "--role", "declarant"))
    _ok(cli("--home", home, "key", "new", "--party", "dprk"))
    draft = _draft(tmp_path / "draft.json", "said once")
    signed = tmp_path / "signed.json"
    _ok(cli("--home", home, "envelope", "sign", draft, "--as", "dprk", "-o", signed))

    first = _ok(cli("--home", home, "submit", signed, "--format", "json"))
    size = _size(workspace)
    _ok(cli("--home", home, "submit", _draft(tmp_path / "later.json", "later"), "--as", "dprk"))
    second = _ok(cli("--home", home, "submit", signed, "--format", "json"))
    assert _size(workspace) == size + 1
    assert json.loads(second.out) == json.loads(first.out)
    assert json.loads(first.out)["index"] == size - 1


# -- 5. bad input through the command line ---------------------------------------------------


@dataclass
class CliLog:
    ws: Workspace
    home: str
    dir: Path
    run: Cli
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str | Path) -> Run:
        return self.run("--home", self.home, *args)

    def active_key(self, party: str) -> str:
        keys = json.loads(_ok(self("key", "list", "--party", party, "--json")).out)
        (key_id,) = [k["key_id"] for k in keys if k["revoked_at"] is None]
        return str(key_id)


@pytest.fixture
def cli_log(
    workspace: Workspace, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliLog:
    c = CliLog(workspace, str(workspace.home), tmp_path, cli, monkeypatch)
    _ok(c("party", "add", "dprk", "--role", "declarant"))
    _ok(c("key", "new", "--party", "dprk"))
    _ok(c("party", "add", "watcher", "--role", "observer"))
    _ok(c("key", "new", "--party", "watcher"))
    return c


def _case_malformed_json(c: CliLog) -> list[str | Path]:
    path = c.dir / "broken.json"
    path.write_text('{"record_type": "statement", "payload": {"subject": "x"', "utf-8")
    return ["submit", path, "--as", "dprk"]


def _case_unknown_record_type(c: CliLog) -> list[str | Path]:
    path = _write_json(c.dir / "odd.json", {"record_type": "treaty.shred", "payload": {}})
    return ["submit", path, "--as", "dprk"]


def _signed(c: CliLog, name: str = "signed.json", party: str = "dprk") -> tuple[Path, Any]:
    signed = c.dir / name
    _ok(c("envelope", "sign", _draft(c.dir / f"draft-{name}", name), "--as", party, "-o", signed))
    return signed, json.loads(signed.read_text("utf-8"))


def _case_wrong_signature(c: CliLog) -> list[str | Path]:
    path, doc = _signed(c)
    raw = bytearray(base64.b64decode(doc["envelope"]["signature"]))
    raw[10] ^= 0x40
    doc["envelope"]["signature"] = base64.b64encode(bytes(raw)).decode()
    return ["submit", _write_json(path, doc)]


def _case_missing_signature(c: CliLog) -> list[str | Path]:
    path, doc = _signed(c)
    del doc["envelope"]["signature"]
    return ["submit", _write_json(path, doc)]


def _case_unknown_party(c: CliLog) -> list[str | Path]:
    return ["submit", _draft(c.dir / "draft.json"), "--as", "nobody"]


def _case_revoked_key(c: CliLog) -> list[str | Path]:
    old = c.active_key("dprk")
    path, _ = _signed(c, "old.json")
    _ok(c("key", "new", "--party", "dprk", "--replaces", old))
    assert c.active_key("dprk") != old
    return ["submit", path]


def _case_no_authority(c: CliLog) -> list[str | Path]:
    path = _write_json(
        c.dir / "admit.json",
        {"record_type": "party.register", "payload": {"name": "mallory", "role": "declarant"}},
    )
    return ["submit", path, "--as", "watcher"]


def _case_too_big(c: CliLog) -> list[str | Path]:
    c.monkeypatch.setenv("ACCORDWATCH_MAX_ENTRY_BYTES", "2048")
    return ["submit", _draft(c.dir / "big.json", "big", text="x" * 3000), "--as", "dprk"]


def _case_future_time(c: CliLog) -> list[str | Path]:
    log = Log.open(c.ws)
    submission = log.seal(
        c.ws.settings.registrar,
        "statement",
        {"subject": "from tomorrow"},
        time=utc_now() + timedelta(days=1),
    )
    log.ledger.engine.dispose()
    return ["submit", _write_json(c.dir / "future.json", submission.to_json())]


BAD_INPUT: dict[str, tuple[Callable[[CliLog], list[str | Path]], int, tuple[str, ...]]] = {
    "malformed-json": (_case_malformed_json, 3, ("broken.json", "malformed JSON")),
    "unknown-record-type": (_case_unknown_record_type, 3, ("unknown record type 'treaty.shred'",)),
    "wrong-signature": (_case_wrong_signature, 9, ("signature does not verify",)),
    "missing-signature": (_case_missing_signature, 3, ("signed.json", "lacks signature")),
    "unknown-party": (_case_unknown_party, 4, ("unknown party 'nobody'",)),
    "revoked-key": (_case_revoked_key, 10, ("of party 'dprk' was revoked at log entry",)),
    "no-authority": (
        _case_no_authority,
        10,
        ("'watcher' (observer) may not submit party.register",),
    ),
    "too-big": (_case_too_big, 3, ("big.json", "over the limit of 2048")),
    "future-time": (
        _case_future_time,
        3,
        ("future.json", "after the log clock", "allowed skew 300 s"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_cli_bad_input_is_one_line_and_appends_nothing(cli_log: CliLog, case: str) -> None:
    prepare, code, needles = BAD_INPUT[case]
    argv = prepare(cli_log)
    size = _size(cli_log.ws)
    run = cli_log(*argv)
    one_line_error(run, *needles)
    assert run.code == code, run.err
    assert _size(cli_log.ws) == size
    assert _audit_size(cli_log.ws) == size


def _console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )


def test_console_script_missing_workspace(tmp_path: Path) -> None:
    home = tmp_path / "nonexistent"
    done = _console("--home", str(home), "log", "show")
    run = Run(done.returncode, done.stdout, done.stderr)
    one_line_error(run, f"no workspace at {home}")
    assert run.code == 4
    assert not home.exists()


def test_console_script_unreachable_postgresql_leaves_nothing(tmp_path: Path) -> None:
    home = tmp_path / "X"
    done = _console(
        "init",
        "--home",
        str(home),
        "--database-url",
        "postgresql+psycopg://postgres@127.0.0.1:1/test",
    )
    run = Run(done.returncode, done.stdout, done.stderr)
    one_line_error(run, "127.0.0.1:1")
    assert run.code == 6
    assert not home.exists()
    assert list(tmp_path.iterdir()) == []


# -- the command line end to end -----------------------------------------------------------------


def test_cli_end_to_end(database_url: str | None, cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "H"
    init = ["init", "--home", str(home)]
    if database_url is not None:
        init += ["--database-url", database_url]
    assert "Created workspace" in _ok(cli(*init)).flat

    def aw(*args: str | Path) -> Run:
        return _ok(cli("--home", home, *args))

    assert (
        "registered party dprk (declarant) at log entry 1"
        in aw("party", "add", "dprk", "--role", "declarant").flat
    )
    assert "registered at log entry 2" in aw("key", "new", "--party", "dprk").flat
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        "record_type: statement\npayload:\n  subject: first step\n  text: done\n", "utf-8"
    )
    receipt_file = tmp_path / "r.json"
    submitted = aw("submit", draft, "--as", "dprk", "--receipt", receipt_file).flat
    assert "logged statement by dprk at index 3 (tree size 4," in submitted
    receipt = json.loads(receipt_file.read_text("utf-8"))
    assert list(receipt) == ["index", "tree_size", "leaf_hash", "proof", "checkpoint"]
    assert receipt["index"] == 3 and receipt["tree_size"] == 4

    assert "audit ok: 4 entries, 4 signed checkpoints" in aw("log", "audit").flat

    proof = json.loads(aw("log", "prove", "1", "--format", "json").out)
    assert list(proof) == ["index", "tree_size", "leaf_hash", "proof", "checkpoint"]
    assert proof["index"] == 1 and proof["tree_size"] == 4

    log_key = aw("log", "key").out.strip()
    assert "\n" not in log_key
    verifier = Verifier.parse(log_key)
    assert Receipt.from_json(proof).verify(verifier).size == 4
    assert Receipt.from_json(receipt).verify(verifier).size == 4

    export = tmp_path / "e.jsonl"
    assert "exported 4 entries" in aw("log", "export", export).flat
    assert "valid: entry 3" in aw("receipt", "verify", receipt_file, "--log", export).flat
    assert "audit ok: 4 entries, 4 signed checkpoints" in aw("log", "audit", "--file", export).flat
    assert "identical" in aw("rebuild").flat
    assert "audit ok: 4 entries" in aw("log", "audit").flat
