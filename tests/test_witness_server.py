"""`accordwatch witness serve` over HTTP: every answer of the tlog-witness specification."""

from __future__ import annotations

import hashlib
import http.client
import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import CosignerKey, cosignature_lines, verify_cosignatures
from accordwatch.log.witness_protocol import MAX_BODY
from tests.helpers import one_line_error
from tests.witness_logs import TestLog, cli, serving

pytestmark = pytest.mark.slow


def request(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        conn.close()


def add(url: str, body: bytes) -> tuple[int, str, bytes]:
    return request(url, "POST", "/add-checkpoint", body)


def make_witness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], algorithm: str, *logs: TestLog
) -> tuple[Path, CosignerKey]:
    home = tmp_path / "witness"
    run = cli(
        [
            *("--home", str(home), "witness", "init", "--name", "witness.example/w1"),
            *("--algorithm", algorithm, "--durability", "normal"),
        ],
        capsys,
    )
    assert run.code == 0, run.err
    key = CosignerKey.parse(run.out.strip())
    for log in logs:
        assert cli(["--home", str(home), "witness", "trust", log.vkey], capsys).code == 0
    return home, key


@pytest.mark.parametrize("algorithm", ["ed25519", "ml-dsa-44"])
def test_every_answer_of_add_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], algorithm: str
) -> None:
    log = TestLog()
    home, key = make_witness(tmp_path, capsys, algorithm, log)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("witness.toml", "witness.key", "witness.db"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600
    with serving(home) as url:
        status, ctype, body = add(url, log.request(0, 10).body())
        assert (status, ctype) == (200, "text/plain; charset=utf-8")
        assert body.decode().startswith("\u2014 witness.example/w1 ")
        [cosig] = verify_cosignatures(log.note(10) + body.decode(), [key])
        assert cosig.key.algorithm.value == algorithm and cosig.timestamp > 1_700_000_000

        status, ctype, body = add(url, log.request(10, 30).body())
        assert status == 200
        assert cosignature_lines(log.note(30), body.decode())[0].name == "witness.example/w1"

        # 409: the old size is not the one last cosigned; the body is that size
        assert add(url, log.request(10, 40).body()) == (409, "text/x.tlog.size", b"30\n")
        # 404: an origin it does not trust
        assert add(url, TestLog(origin="example.org/other").request(0, 5).body())[0] == 404
        # 403: signed by another key for the same origin
        assert add(url, TestLog(origin=log.origin).request(30, 40).body())[0] == 403
        # 400: a malformed body, and an old size above the checkpoint's
        assert add(url, b"new 5\n\n" + log.note(5).encode())[0] == 400
        assert add(url, log.request(30, 20).body())[0] == 400
        # 422: a wrong proof, a proof from 0, a second root for the same size
        wrong = log.request(30, 40)
        bad_proof = type(wrong)(30, (b"\x00" * 32, *wrong.proof[1:]), wrong.note)
        assert add(url, bad_proof.body())[0] == 422
        assert add(url, log.request(30, 30, root=log.tree.root(29)).body())[0] == 422
        # the same checkpoint again is cosigned again
        assert add(url, log.request(30, 30).body())[0] == 200

        # the monitoring checkpoint: the log's signature and the witness's cosignature
        origin_hash = hashlib.sha256(log.origin.encode()).hexdigest()
        status, ctype, body = request(url, "GET", f"/{origin_hash}/checkpoint")
        assert status == 200
        note = body.decode()
        assert Checkpoint.open(note, log.signer.verifier).size == 30
        assert verify_cosignatures(note, [key])
        unknown = hashlib.sha256(b"example.org/other").hexdigest()
        assert request(url, "GET", f"/{unknown}/checkpoint")[0] == 404


def test_methods_paths_and_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = TestLog()
    home, _ = make_witness(tmp_path, capsys, "ed25519", log)
    with serving(home) as url:
        assert request(url, "GET", "/add-checkpoint")[0] == 405
        assert request(url, "PUT", "/add-checkpoint", b"x")[0] == 405
        assert request(url, "GET", "/")[0] == 404
        assert request(url, "GET", "/add-checkpoint/x")[0] == 404
        assert request(url, "POST", f"/{'0' * 64}/checkpoint", b"")[0] == 405
        assert add(url, b"old 0\n" + b"x" * (MAX_BODY + 1))[0] == 413
        assert add(url, b"")[0] == 400


def test_a_restarted_witness_goes_on_from_its_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = TestLog()
    home, key = make_witness(tmp_path, capsys, "ed25519", log)
    with serving(home) as url:
        assert add(url, log.request(0, 20).body())[0] == 200
        first = add(url, log.request(20, 21).body())
    with serving(home) as url:
        assert add(url, log.request(0, 25).body()) == (409, "text/x.tlog.size", b"21\n")
        status, _, body = add(url, log.request(21, 50).body())
        assert status == 200
    stamps = [
        verify_cosignatures(log.note(size) + raw.decode(), [key])[0].timestamp
        for size, raw in ((21, first[2]), (50, body))
    ]
    assert stamps == sorted(stamps)
    listing = cli(["--home", str(home), "witness", "list", "--format", "json"], capsys)
    [row] = json.loads(listing.out)
    assert (row["origin"], row["size"], row["log_key"]) == (log.origin, 50, log.vkey)


def test_a_fork_is_kept_as_evidence_that_anyone_can_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = TestLog()
    home, _ = make_witness(tmp_path, capsys, "ed25519", log)
    with serving(home) as url:
        assert add(url, log.request(0, 33).body())[0] == 200
        # the log signs another tree of the same size, then one of size 40 that extends it
        other = TestLog(origin=log.origin, size=40, variant="forked ")
        other.signer = log.signer
        assert add(url, other.request(33, 33).body())[0] == 422
        assert add(url, other.request(33, 40).body())[0] == 422
    out = tmp_path / "evidence"
    run = cli(["--home", str(home), "witness", "evidence", "--out", str(out)], capsys)
    assert run.code == 0, run.err
    assert run.out.count("FORK") == 2
    files = sorted(out.glob("fork-*.json"))
    assert len(files) == 2
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    same_size = cli(["fork", "verify", str(files[0])], capsys)
    assert same_size.code == 0, same_size.err
    assert "two checkpoints of size 33 with different roots" in same_size.out
    inconsistent = cli(["fork", "verify", str(files[1])], capsys)
    assert inconsistent.code == 0, inconsistent.err
    assert "sizes 33 and 40 that are not consistent" in inconsistent.out

    listed = json.loads(
        cli(["--home", str(home), "witness", "evidence", "--format", "json"], capsys).out
    )
    assert [item["status"] for item in listed] == [422, 422]
    assert listed[0]["fork_evidence"]["found_by"] == "witness.example/w1"

    # tampered: a checkpoint's root changed, so the log's signature fails
    data = json.loads(files[0].read_text())
    first = data["checkpoints"][0]
    root_line = first.split("\n")[2]
    data["checkpoints"][0] = first.replace(root_line, data["checkpoints"][1].split("\n")[2])
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    one_line_error(cli(["fork", "verify", str(tampered)], capsys), "does not verify")
    # the same checkpoint twice is no fork
    data = json.loads(files[0].read_text())
    data["checkpoints"][1] = data["checkpoints"][0]
    tampered.write_text(json.dumps(data))
    one_line_error(cli(["fork", "verify", str(tampered)], capsys), "not a fork")
    tampered.write_text("{not json")
    one_line_error(cli(["fork", "verify", str(tampered)], capsys), "not JSON")


def test_racing_requests_over_http_get_one_cosignature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Requests from size 20 to 21..36 sent at once: one is cosigned, the rest get 409."""
    log = TestLog()
    home, _ = make_witness(tmp_path, capsys, "ed25519", log)
    with serving(home) as url:
        assert add(url, log.request(0, 20).body())[0] == 200
        bodies = [log.request(20, 20 + k).body() for k in range(1, 17)]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda b: add(url, b), bodies))
        statuses = sorted(status for status, _, _ in answers)
        assert statuses == [200] + [409] * 15
        winner = next(n for n, (status, _, _) in enumerate(answers) if status == 200)
        assert {body for status, _, body in answers if status == 409} == {
            f"{21 + winner}\n".encode()
        }
        origin_hash = hashlib.sha256(log.origin.encode()).hexdigest()
        note = request(url, "GET", f"/{origin_hash}/checkpoint")[2].decode()
        assert Checkpoint.open(note, log.signer.verifier).size == 21 + winner
