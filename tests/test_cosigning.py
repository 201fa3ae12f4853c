"""Witnessing end to end: the policy in the accord, the collector, and what reads checkpoints.

Four witnesses run on 127.0.0.1 (`tests.fake_witness`) with a quorum of 3 of 4.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from accordwatch.cli import main as cli_main
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.errors import VerificationError
from accordwatch.examples import example_path
from accordwatch.log.cosignature import Algorithm
from accordwatch.log.policy import Policy
from accordwatch.log.receipt import Receipt
from accordwatch.service.cosigning import Collector
from accordwatch.sources.witnessing import log_policy
from accordwatch.store.ledger import Ledger
from accordwatch.workspace import Workspace
from tests.fake_witness import FakeWitness
from tests.helpers import ANSI, Log, Run, one_line_error

PARTIES = (("state-a", "declarant"), ("state-b", "party"), ("agency", "inspectorate"))
Cli = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], workspace: Workspace) -> Cli:
    def run(*args: str | Path, home: bool = True) -> Run:
        capsys.readouterr()
        code = 0
        argv = (["--home", str(workspace.home)] if home else []) + [str(a) for a in args]
        try:
            cli_main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        out, err = capsys.readouterr()
        return Run(code, ANSI.sub("", out), ANSI.sub("", err))

    return run


def ok(run: Run) -> Run:
    assert run.code == 0, run.err + run.out
    return run


@pytest.fixture
def log(workspace: Workspace, cli: Cli) -> Log:
    """A log whose tutorial accord every party signed: in force today."""
    for party, role in PARTIES:
        ok(cli("party", "add", party, "--role", role))
        ok(cli("key", "new", "--party", party))
    for party, _ in PARTIES:
        ok(cli("accord", "sign", example_path("generic-tutorial"), "--as", party))
    return Log.open(workspace)


@pytest.fixture
def accord_log(log: Log) -> Ledger:
    return log.ledger


def statement(log: Log, subject: str) -> int:
    return log.statement("registrar", subject).index


@pytest.fixture
def witnesses(workspace: Workspace) -> Iterator[list[FakeWitness]]:
    key = workspace.log_signer().verifier
    algorithms = [Algorithm.ED25519] * 3 + [Algorithm.ML_DSA_44]
    found = [
        FakeWitness(f"witness{n}.test", key, algorithm).start()
        for n, algorithm in enumerate(algorithms, start=1)
    ]
    yield found
    for w in found:
        w.stop()


def policy_text(ledger: Ledger, witnesses: list[FakeWitness], quorum: int = 3) -> str:
    lines = [f"log {ledger.signer.verifier.text()}"]
    for n, w in enumerate(witnesses, start=1):
        lines.append(f"witness w{n} {w.cosigner.key.text()} {w.url}")
    names = " ".join(f"w{n}" for n in range(1, len(witnesses) + 1))
    lines += [f"group wits {quorum} {names}", "quorum wits"]
    return "\n".join(lines) + "\n"


def sign_policy(cli: Cli, path: Path, parties: tuple[str, ...]) -> list[Run]:
    return [ok(cli("accord", "policy", path, "--as", p)) for p in parties]


@pytest.fixture
def witnessed_log(
    accord_log: Ledger, witnesses: list[FakeWitness], cli: Cli, tmp_path: Path
) -> tuple[Ledger, Policy, Path]:
    path = tmp_path / "policy.txt"
    path.write_text(policy_text(accord_log, witnesses), "utf-8")
    sign_policy(cli, path, tuple(p for p, _ in PARTIES))
    policy = log_policy(accord_log)
    assert policy is not None
    return accord_log, policy, path


def collect(ledger: Ledger, policy: Policy, warnings: list[str] | None = None) -> Collector:
    return Collector(
        ledger,
        lambda: policy,
        timeout=2.0,
        warn=(warnings.append if warnings is not None else None),
    )


# -- the policy is part of the accord ---------------------------------------------------


def test_policy_in_force_only_once_every_party_signed_the_same_text(
    accord_log: Ledger, witnesses: list[FakeWitness], cli: Cli, tmp_path: Path
) -> None:
    first = tmp_path / "first.txt"
    first.write_text(policy_text(accord_log, witnesses), "utf-8")
    other = tmp_path / "other.txt"
    other.write_text(policy_text(accord_log, witnesses, quorum=2), "utf-8")
    assert "none signed" in ok(cli("accord", "status")).flat
    ok(cli("accord", "policy", first, "--as", "state-a"))
    ok(cli("accord", "policy", first, "--as", "state-b"))
    # the last party signs another text: neither is in force
    signed = ok(cli("accord", "policy", other, "--as", "agency")).flat
    assert "awaiting signatures of: state-a, state-b" in signed
    assert log_policy(accord_log) is None
    assert "none in force" in ok(cli("accord", "status")).flat
    done = ok(cli("accord", "policy", first, "--as", "agency")).flat
    assert "every party has signed this policy: it is in force" in done
    policy = log_policy(accord_log)
    assert policy is not None and policy.describe_quorum().startswith("3 of w1")
    status = ok(cli("accord", "status")).flat
    assert "witness policy in force" in status and "quorum 3 of w1, w2, w3, w4" in status
    # a change is a new text signed by all
    for party, _ in PARTIES[:2]:
        ok(cli("accord", "policy", other, "--as", party))
    changed = log_policy(accord_log)
    assert changed is not None and changed.describe_quorum().startswith("2 of")


def test_a_non_party_cannot_sign_a_policy_and_a_bad_policy_is_refused(
    accord_log: Ledger, witnesses: list[FakeWitness], cli: Cli, tmp_path: Path
) -> None:
    ok(cli("party", "add", "watcher", "--role", "observer"))
    ok(cli("key", "new", "--party", "watcher"))
    path = tmp_path / "p.txt"
    path.write_text(policy_text(accord_log, witnesses), "utf-8")
    one_line_error(cli("accord", "policy", path, "--as", "watcher"), "observer")
    bad = tmp_path / "bad.txt"
    bad.write_text("witness w1 nokey\nquorum w1\n", "utf-8")
    one_line_error(cli("accord", "policy", bad, "--as", "state-a"), "line 1")


def test_policy_check_names_every_problem_by_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_text(
        "# a comment\nwitness w1 not-a-key\nfrobnicate x\ngroup g 5 w9\nquorum nobody\n",
        "utf-8",
    )
    run = cli("policy", "check", path, home=False)
    assert run.code == 1
    lines = [line for line in run.out.splitlines() if ": line " in line]
    assert [line.split(": line ")[1].split(":")[0] for line in lines] == ["2", "3", "4", "5", "6"]
    assert "unknown keyword 'frobnicate'" in lines[1]
    assert "no quorum line" in lines[4]
    assert "5 problem(s)" in run.out


def test_policy_check_says_ok_with_the_quorum(
    workspace: Workspace, witnesses: list[FakeWitness], cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "policy.txt"
    path.write_text(policy_text(workspace.ledger(), witnesses), "utf-8")
    run = ok(cli("policy", "check", path, home=False))
    assert "policy ok:" in run.flat and "quorum 3 of w1, w2, w3, w4" in run.flat


# -- the collector -----------------------------------------------------------------------


def test_four_witnesses_cosign_and_one_down_is_still_witnessed(
    log: Log, witnessed_log: tuple[Ledger, Policy, Path], witnesses: list[FakeWitness]
) -> None:
    ledger, policy, _ = witnessed_log
    done = collect(ledger, policy).collect()
    assert done is not None and done.witnessed is not None
    assert [o.result for o in done.outcomes] == ["cosigned"] * 4
    assert done.witnessed.quorum_met and "witnessed by 4 of 4" in done.summary()
    size = ledger.size()
    assert len(ledger.cosignature_lines_at(size)) == 4
    assert set(ledger.witness_sizes().values()) == {size}
    # the same checkpoint again: each witness's cosignature is stored, none is asked
    before = [w.requests for w in witnesses]
    again = collect(ledger, policy).collect()
    assert again is not None and {o.result for o in again.outcomes} == {"already"}
    assert [w.requests for w in witnesses] == before
    assert len(ledger.cosignature_lines_at(size)) == 4

    statement(log, "after the first round")
    witnesses[3].stop()
    warnings: list[str] = []
    done = collect(ledger, policy, warnings).collect()
    assert done is not None and done.witnessed is not None
    assert done.witnessed.quorum_met and "witnessed by 3 of 4" in done.summary()
    assert [o.result for o in done.outcomes] == ["cosigned"] * 3 + ["down"]
    assert len(warnings) == 1 and witnesses[3].url in warnings[0] and "w4" in warnings[0]
    _note, witnessed = ledger.latest_witnessed(policy) or ("", None)
    assert witnessed is not None and witnessed.checkpoint.size == ledger.size()


def test_two_witnesses_down_is_not_witnessed(
    witnessed_log: tuple[Ledger, Policy, Path], witnesses: list[FakeWitness]
) -> None:
    ledger, policy, _ = witnessed_log
    witnesses[0].stop()
    witnesses[2].stop()
    warnings: list[str] = []
    done = collect(ledger, policy, warnings).collect()
    assert done is not None and done.witnessed is not None
    assert not done.witnessed.quorum_met
    assert done.summary().startswith("NOT witnessed: cosigned by 2 of 4")
    assert len(warnings) == 2
    assert ledger.latest_witnessed(policy) is None


def test_a_witness_that_lost_track_is_resynced_from_the_size_it_names(
    log: Log, witnessed_log: tuple[Ledger, Policy, Path], witnesses: list[FakeWitness]
) -> None:
    ledger, policy, _ = witnessed_log
    assert collect(ledger, policy).collect() is not None
    first = ledger.size()
    for n in range(3):
        statement(log, f"entry {n}")
    # the log lost its record of what w2 cosigned: it sends old 0, w2 answers 409 with its size
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql(
            "DELETE FROM cosignatures WHERE witness = ?"
            if ledger.engine.dialect.name == "sqlite"
            else "DELETE FROM cosignatures WHERE witness = %s",
            (witnesses[1].cosigner.name,),
        )
    before = witnesses[1].requests
    done = collect(ledger, policy).collect()
    assert done is not None and [o.result for o in done.outcomes] == ["cosigned"] * 4
    assert witnesses[1].requests - before == 2  # the 409, then the request from its size
    assert witnesses[1].seen[ledger.origin].size == ledger.size() > first


def test_witness_errors_are_warnings(
    witnessed_log: tuple[Ledger, Policy, Path], witnesses: list[FakeWitness]
) -> None:
    ledger, policy, _ = witnessed_log
    witnesses[0].forced = (403, b"no\n")
    witnesses[1].forced = (200, b"not a signature line\n")
    warnings: list[str] = []
    done = collect(ledger, policy, warnings).collect()
    assert done is not None
    assert [o.result for o in done.outcomes][:2] == ["refused", "bad-answer"]
    assert "HTTP 403" in warnings[0] and witnesses[0].url in warnings[0]
    assert ledger.cosignature_lines_at(ledger.size()) and len(warnings) == 2


def test_log_cosign_prints_each_witness_and_the_result(
    witnessed_log: tuple[Ledger, Policy, Path], witnesses: list[FakeWitness], cli: Cli
) -> None:
    witnesses[1].stop()
    run = ok(cli("log", "cosign"))
    assert f"w2 ({witnesses[1].url}): down" in run.out
    assert "w1 (" in run.out and ": cosigned" in run.out
    assert "witnessed by 3 of 4 (w1, w3, w4)" in run.flat


# -- what reads checkpoints -------------------------------------------------------------


def test_log_checkpoint_prints_the_witnessed_one_and_how_far_the_log_is_ahead(
    log: Log, witnessed_log: tuple[Ledger, Policy, Path], cli: Cli
) -> None:
    ledger, policy, _ = witnessed_log
    run = ok(cli("log", "checkpoint"))
    assert "not witnessed: no checkpoint has its quorum yet" in run.err
    assert run.out == ledger.latest_checkpoint()
    collect(ledger, policy).collect()
    size = ledger.size()
    for n in range(12):
        statement(log, f"later {n}")
    run = ok(cli("log", "checkpoint"))
    assert run.out.startswith(f"{ledger.origin}\n{size}\n")
    assert run.out.count("\u2014 ") == 5  # the log's signature and four cosignatures
    assert "witnessed by 4 of 4" in run.err
    assert "the log is 12 entries ahead of its latest witnessed checkpoint" in run.err


def test_log_checkpoint_without_a_policy_says_not_witnessed(workspace: Workspace, cli: Cli) -> None:
    run = ok(cli("log", "checkpoint"))
    assert "not witnessed: no witness policy is in force" in run.err
    assert run.out == workspace.ledger().latest_checkpoint()


def test_receipts_carry_the_witnessed_checkpoint_and_verify_against_the_policy(
    log: Log,
    witnessed_log: tuple[Ledger, Policy, Path],
    witnesses: list[FakeWitness],
    cli: Cli,
    tmp_path: Path,
) -> None:
    ledger, policy, policy_file = witnessed_log
    index = statement(log, "to be witnessed")
    collect(ledger, policy).collect()
    for n in range(3):
        statement(log, f"later {n}")
    receipt = json.loads(ok(cli("log", "prove", str(index))).out)
    assert receipt["tree_size"] == index + 1  # the witnessed one, not the latest
    assert receipt["checkpoint"].count("\u2014 ") == 5
    text = ok(cli("log", "prove", str(index), "--format", "text")).out
    assert text.startswith(f"c2sp.org/tlog-proof@v1\nindex {index}\n")
    assert text.endswith(receipt["checkpoint"])

    got = json.loads(ok(cli("log", "get", str(index))).out)
    assert got["witnessed"]["summary"].startswith("witnessed by 4 of 4")
    assert got["witnessed"]["checkpoint_size"] == index + 1
    assert got["logged_at"].endswith("Z")
    shown = ok(cli("log", "get", str(index), "--format", "text")).out
    assert "logged at " in shown and "witnessed by 4 of 4" in shown
    later = ok(cli("log", "get", str(ledger.size() - 1), "--format", "text")).out
    assert "not witnessed yet" in later

    key = ledger.signer.verifier.text()
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(receipt), "utf-8")
    run = ok(cli("receipt", "verify", good, "--log-key", key, "--policy", policy_file))
    assert "valid: entry" in run.flat and "witnessed by 4 of 4" in run.flat
    proof_file = tmp_path / "receipt.tlog-proof"
    proof_file.write_text(text, "utf-8")
    envelope = tmp_path / "envelope.json"
    entry = ledger.entry(index)
    envelope.write_text(json.dumps({"envelope": json.loads(entry.envelope)}), "utf-8")
    run = cli(
        "receipt",
        "verify",
        proof_file,
        "--log-key",
        key,
        "--policy",
        policy_file,
        "--envelope",
        envelope,
    )
    assert run.code == 0, run.err + run.out

    # without its quorum: reported as not witnessed, with its own exit code
    unwitnessed = json.loads(ok(cli("log", "prove", str(ledger.size() - 1))).out)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(unwitnessed), "utf-8")
    run = cli("receipt", "verify", bare, "--log-key", key, "--policy", policy_file)
    assert run.code == 8 and "not witnessed" in run.out and "valid" not in run.out

    # a tampered cosignature is a bad receipt, not an unwitnessed one
    lines = receipt["checkpoint"].split("\n")
    cosig = next(i for i, line in enumerate(lines) if line.startswith("\u2014 witness2.test"))
    name, sig = lines[cosig].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 1
    lines[cosig] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**receipt, "checkpoint": "\n".join(lines)}), "utf-8")
    run = cli("receipt", "verify", tampered, "--log-key", key, "--policy", policy_file)
    one_line_error(run, "cosignature by witness2.test does not verify")
    assert run.code == ExitCode.NOT_VERIFIED


def test_receipt_verify_on_a_machine_with_only_the_files(
    log: Log, witnessed_log: tuple[Ledger, Policy, Path], tmp_path: Path
) -> None:
    ledger, policy, policy_file = witnessed_log
    index = statement(log, "offline")
    collect(ledger, policy).collect()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    receipt = ledger.witnessed_receipt(index, policy)
    (elsewhere / "r.json").write_text(json.dumps(receipt.to_json()), "utf-8")
    (elsewhere / "policy.txt").write_text(policy_file.read_text("utf-8"), "utf-8")
    (elsewhere / "log.key").write_text(ledger.signer.verifier.text(), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORDWATCH_")} | {
        "HOME": str(elsewhere),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    code = "import sys; from accordwatch.cli import main; main(sys.argv[1:])"
    args = ["receipt", "verify", "r.json", "--log-key", ledger.signer.verifier.text()]
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "--policy", "policy.txt"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "witnessed by 4 of 4" in " ".join(done.stdout.split())
    assert not (elsewhere / "accordwatch-data").exists()
    bare = Receipt.from_json(receipt.to_json())
    unwitnessed = Receipt(
        bare.index,
        bare.tree_size,
        bare.leaf_hash,
        bare.proof,
        bare.checkpoint.split("\n\n")[0]
        + "\n\n"
        + bare.checkpoint.split("\n\n")[1].split("\n")[0]
        + "\n",
    )
    (elsewhere / "u.json").write_text(json.dumps(unwitnessed.to_json()), "utf-8")
    args[2] = "u.json"
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "--policy", "policy.txt"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 8 and "not witnessed" in done.stdout, done.stderr


def test_a_fork_seen_by_the_client_is_refused_with_evidence(
    witnessed_log: tuple[Ledger, Policy, Path], cli: Cli, workspace: Workspace
) -> None:
    from accordwatch.cli.seen import seen_path

    ledger, policy, _ = witnessed_log
    collect(ledger, policy).collect()
    ok(cli("log", "checkpoint"))
    kept = seen_path(workspace.home, ledger.origin)
    assert kept.read_text("utf-8") == ledger.latest_witnessed(policy)[0]  # type: ignore[index]
    # the client was shown another tree of a larger size, signed by the log's key
    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.log.merkle import leaf_hash

    old = Checkpoint.open(kept.read_text("utf-8"), ledger.signer.verifier)
    forged = Checkpoint(old.origin, old.size - 1, leaf_hash(b"another history")).sign(ledger.signer)
    kept.write_text(forged, "utf-8")
    run = cli("log", "checkpoint")
    one_line_error(run, "not consistent with the one this workspace saw before", "fork evidence")
    evidence = list(kept.parent.glob("*.fork-*.json"))
    assert len(evidence) == 1
    assert len(ledger.forks()) == 1

    # the dashboard's overview shows the proof to every visitor
    from fastapi.testclient import TestClient

    from accordwatch.service.api.app import create_app

    client = TestClient(create_app(workspace))
    forks = client.get("/overview.json").json()["forks"]
    assert len(forks) == 1 and "not consistent" in forks[0]["description"]
    page = client.get("/").text
    assert "The log signed two histories" in page and "accordwatch fork verify" in page


def test_api_log_and_proofs_carry_the_witnessed_checkpoint(
    log: Log, witnessed_log: tuple[Ledger, Policy, Path], workspace: Workspace
) -> None:
    from fastapi.testclient import TestClient

    from accordwatch.service.api.app import create_app

    ledger, policy, _ = witnessed_log
    index = statement(log, "served")
    collect(ledger, policy).collect()
    statement(log, "after")
    with TestClient(create_app(workspace)) as client:
        info = client.get("/api/log").json()
        assert info["policy"] == policy.text
        assert info["witnessed_checkpoint"].count("\u2014 ") == 5
        assert info["witnessed"].startswith("witnessed by")
        proof = client.get(f"/api/log/entries/{index}/proof").json()
        assert proof["tree_size"] == index + 1 and proof["checkpoint"].count("\u2014 ") == 5
        at = client.get(f"/api/log/checkpoints/{index + 1}").json()
        assert at["witnessed"].startswith("witnessed by 4 of 4")


def test_export_carries_cosignatures_and_audit_checks_them(
    witnessed_log: tuple[Ledger, Policy, Path], cli: Cli, tmp_path: Path
) -> None:
    ledger, policy, policy_file = witnessed_log
    collect(ledger, policy).collect()
    out = tmp_path / "log.jsonl"
    ok(cli("log", "export", out))
    head = json.loads(out.read_text("utf-8").splitlines()[0])
    assert head["policy"] == policy.text
    run = ok(cli("log", "audit", "--file", out, "--policy", policy_file))
    assert "latest witnessed checkpoint: size" in run.flat
    run = ok(cli("log", "audit"))
    assert "witnessed by 4 of 4" in run.flat


def test_the_service_collects_after_each_committed_batch(
    log: Log,
    witnessed_log: tuple[Ledger, Policy, Path],
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from fastapi.testclient import TestClient

    from accordwatch.service.api.app import create_app

    ledger, policy, _ = witnessed_log
    # the periodic round is far off: only the kick after the commit can cosign in time
    monkeypatch.setenv("ACCORDWATCH_COSIGN_INTERVAL_SECONDS", "3600")
    served = Workspace.open(workspace.home, database_url=workspace.settings.database_url)
    assert served.settings.cosign_interval_seconds == 3600
    with TestClient(create_app(served)) as client:
        submission = log.seal("registrar", "statement", {"subject": "through the API"})
        answer = client.post("/api/submissions", json=submission.to_json())
        assert answer.status_code in (200, 201), answer.text
        size = answer.json()["tree_size"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = ledger.latest_witnessed(policy)
            if found is not None and found[1].checkpoint.size >= size:
                break
            time.sleep(0.1)
        else:
            pytest.fail("no witnessed checkpoint of the submitted entry within 20 s")


def test_a_422_with_a_checkpoint_the_log_contradicts_is_recorded_as_a_fork(
    log: Log, witnessed_log: tuple[Ledger, Policy, Path], witnesses: list[FakeWitness]
) -> None:
    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.log.merkle import leaf_hash

    ledger, policy, _ = witnessed_log
    size = ledger.size()
    statement(log, "one more")
    # the witness holds a checkpoint the log signed for another tree of a size it issued
    other = Checkpoint(ledger.origin, size, leaf_hash(b"another history")).sign(ledger.signer)
    witnesses[0].forced = (422, other.encode())
    warnings: list[str] = []
    done = collect(ledger, policy, warnings).collect()
    assert done is not None and done.outcomes[0].result == "fork"
    assert "different roots" in done.outcomes[0].detail
    (evidence,) = ledger.forks()
    assert evidence.found_by == "log collector" and evidence.verify()
    # a 422 that proves nothing records nothing
    witnesses[0].forced = (422, b"bad proof\n")
    done = collect(ledger, policy).collect()
    assert done is not None and done.outcomes[0].result == "refused"
    assert len(ledger.forks()) == 1


def test_cosignatures_are_stored_once_per_size_and_key(workspace: Workspace) -> None:
    import sqlalchemy as sa

    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.log.cosignature import Cosigner
    from accordwatch.log.fork import find_fork
    from accordwatch.log.merkle import leaf_hash

    ledger = Log.open(workspace).ledger
    with ledger.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {"cosignatures", "fork_evidence"} <= tables
    size = ledger.size()
    note = ledger.checkpoint_at(size)
    text = ledger.opened(note).text()
    a, b = (Cosigner.generate(f"w{n}.test", Algorithm.ED25519) for n in (1, 2))
    assert ledger.add_cosignatures(size, [a.line(text, 100), b.line(text, 200)]) == 2
    # the same key again, even with another timestamp: the first line stays
    assert ledger.add_cosignatures(size, [a.line(text, 300)]) == 0
    assert ledger.cosigned_note(size) == note + a.line(text, 100) + b.line(text, 200)
    assert ledger.witness_sizes() == {
        ("w1.test", a.key.key_id.hex()): size,
        ("w2.test", b.key.key_id.hex()): size,
    }
    other = Checkpoint(ledger.origin, size, leaf_hash(b"elsewhere")).sign(ledger.signer)
    evidence = find_fork(ledger.signer.verifier, note, other, found_by="test")
    assert evidence is not None
    ledger.record_fork(evidence)
    assert ledger.forks() == [evidence]
    with pytest.raises(VerificationError):
        ledger.record_fork(replace(evidence, second=note))
