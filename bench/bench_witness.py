"""The accordwatch witness under load: add-checkpoint requests a second, per cosignature algorithm.

Run from the repository root:

    .venv/bin/python bench/bench_witness.py [--logs 16] [--requests 500] [--tree-size 1000000]
        [--client-procs 2] [--algorithms ed25519,ml-dsa-44] [--durability full]
        [--workers 1] [--part throughput] [--part delay --rate 300 --seconds 10]

One Merkle tree of `--tree-size` leaves is built in memory. Each of `--logs`
logs (origin `bench.example/log<N>`, its own Ed25519 note key) gets a
sequence of `--requests` checkpoints of growing sizes over that tree, the
last one the whole tree, each signed by its log and sent with the
consistency proof from the one before (the first with old size 0), as
`add-checkpoint` bodies built before anything is timed. For each algorithm a
fresh witness is made (`WitnessHome.init`, the logs trusted), served by
`accordwatch witness serve` on a free loopback port, and `--client-procs`
processes send the requests: each log's requests one after the other on its
own keep-alive connection (each extends the last), the logs in parallel.
The client writes prepared request bytes and reads the status line, the
headers and the body by hand, so that it costs less than the server.

Every answer must be 200. Afterwards each log's last cosignature is checked
with the witness's public key, and the witness's database must hold the
whole tree's size for every log. Requests a second (all requests over the
wall time from the common start to the last answer) and p50/p99 latency
are printed and written as JSON to `bench/results/witness-<time>.json`.
Target on the 2-core machine: >= 1,000 requests/s with Ed25519.

The run is made of parts (`PARTS`, chosen with `--part`; both by default):
`throughput` above, and `delay`: a log workspace whose policy (signed by
every party of its accord) names four witness processes (two Ed25519, two
ML-DSA-44) with a quorum of all four, `accordwatch serve` collecting their
cosignatures, clients offering `--rate` submissions a second (default 300,
the service's target load) for `--seconds`, and a poller reading
`GET /api/log` every 10 ms: the seconds from each submission's receipt to
the first witnessed checkpoint that holds it (p50, p95, p99, max). Target:
an append witnessed by the four within 1 s at 300 submissions/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import CosignerKey, parse_algorithm, verify_cosignatures
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import MemoryTree, leaf_hash
from accordwatch.log.note import NoteSigner
from accordwatch.log.witness_protocol import AddCheckpoint
from accordwatch.witness.home import WitnessConfig, WitnessHome
from accordwatch.witness.state import WitnessState

# the tests' free port, and the load benchmark's percentile (this folder is on the path)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import free_port as _free_port

from bench_api import _percentile

RESULTS = Path(__file__).resolve().parent / "results"
SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass
class BenchLog:
    """One log: its key, and its add-checkpoint requests, in the order they must be sent."""

    signer: NoteSigner
    sizes: list[int]
    notes: list[str]
    requests: list[bytes]  # whole HTTP requests


def _http(body: bytes) -> bytes:
    head = (
        "POST /add-checkpoint HTTP/1.1\r\nHost: bench\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def build_tree(size: int) -> MemoryTree:
    tree = MemoryTree()
    for i in range(size):
        tree.append_hash(leaf_hash(i.to_bytes(8, "big")))
    return tree


def prepare_logs(tree: MemoryTree, logs: int, requests: int, seed: int) -> list[BenchLog]:
    """`logs` logs over `tree`, each with `requests` growing checkpoints ending at its size."""
    rng = random.Random(seed)
    out = []
    for n in range(logs):
        signer = NoteSigner(f"bench.example/log{n}", SigningKey.generate())
        sizes = [*sorted(rng.sample(range(1, tree.size), requests - 1)), tree.size]
        notes, bodies, old = [], [], 0
        for size in sizes:
            note = Checkpoint(signer.name, size, tree.root(size)).sign(signer)
            proof = tuple(tree.consistency_proof(old, size)) if old else ()
            bodies.append(_http(AddCheckpoint(old, proof, note).body()))
            notes.append(note)
            old = size
        out.append(BenchLog(signer, sizes, notes, bodies))
    return out


# -- the client ----------------------------------------------------------------------


async def _send_all(
    host: str, port: int, index: int, requests: list[bytes], out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    last = b""
    try:
        for raw in requests:
            began = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                    break
            body = await reader.readexactly(length) if length else b""
            out["latencies"].append(time.perf_counter() - began)
            if status != 200:
                out["errors"].append(f"{status} {body[:200]!r}")
                break
            last = body
    finally:
        writer.close()
    out["last"][index] = last.decode()


def _client(args: tuple[str, int, list[tuple[int, list[bytes]]], float, Any]) -> None:
    """One client process: its logs in parallel, each log's requests in order."""
    host, port, logs, start_at, queue = args
    out: dict[str, Any] = {"latencies": [], "errors": [], "last": {}}

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        await asyncio.gather(*(_send_all(host, port, i, reqs, out) for i, reqs in logs))

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    out["ended_at"] = time.time()
    queue.put(out)


# -- the server ----------------------------------------------------------------------


def make_witness(
    folder: Path, algorithm: str, durability: str, logs: list[BenchLog]
) -> tuple[WitnessHome, CosignerKey]:
    home = WitnessHome.at(folder)
    config = WitnessConfig("bench.example/witness", parse_algorithm(algorithm), None, durability)
    cosigner = home.init(config)
    state = WitnessState.open(home.database_path, durability=durability)
    for log in logs:
        state.trust(log.signer.verifier, "2026-01-01T00:00:00Z")
    state.close()
    return home, cosigner.key


def start_server(home: WitnessHome, port: int, workers: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORDWATCH_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    command = [sys.executable, "-c", "from accordwatch.cli import main; main()"]
    args = ["--home", str(home.folder), "witness", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, *args, "--workers", str(workers)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], 60)
    if not ready or "serving at" not in server.stdout.readline():
        server.terminate()
        raise SystemExit("the witness did not start")
    return server


# -- the parts -----------------------------------------------------------------------


def throughput(opts: argparse.Namespace, logs: list[BenchLog]) -> dict[str, Any]:
    """Add-checkpoint requests a second that one witness answers, per algorithm."""
    results: dict[str, Any] = {}
    for algorithm in opts.algorithms.split(","):
        with tempfile.TemporaryDirectory(prefix="aw-bench-witness-") as tmp:
            home, key = make_witness(Path(tmp) / "witness", algorithm, opts.durability, logs)
            port = _free_port()
            server = start_server(home, port, opts.workers)
            try:
                procs = opts.client_procs
                indexed = list(enumerate(log.requests for log in logs))
                share = [indexed[i::procs] for i in range(procs)]
                ctx = multiprocessing.get_context("fork")
                queue: Any = ctx.Queue()
                start_at = time.time() + 1.0
                clients = [
                    ctx.Process(target=_client, args=(("127.0.0.1", port, s, start_at, queue),))
                    for s in share
                ]
                load_before = os.getloadavg()
                for c in clients:
                    c.start()
                parts = [queue.get(timeout=3600) for _ in clients]
                for c in clients:
                    c.join()
                load_after = os.getloadavg()
            finally:
                server.terminate()
                server.wait(timeout=30)
            latencies = [x for p in parts for x in p["latencies"]]
            errors = [x for p in parts for x in p["errors"]]
            wall = max(p["ended_at"] for p in parts) - start_at
            lasts = {i: body for p in parts for i, body in p["last"].items()}
            verified = sum(
                1
                for i, log in enumerate(logs)
                if lasts.get(i) and verify_cosignatures(log.notes[-1] + lasts[i], [key])
            )
            state = WitnessState.open(home.database_path)
            sizes = {t.origin: t.size for t in state.logs()}
            state.close()
            entry = {
                "requests": len(latencies),
                "errors": len(errors),
                "error_samples": errors[:5],
                "seconds": round(wall, 3),
                "requests_per_second": round(len(latencies) / wall, 1),
                "p50_ms": round(1000 * _percentile(latencies, 0.5), 2),
                "p99_ms": round(1000 * _percentile(latencies, 0.99), 2),
                "last_cosignatures_verified": verified,
                "every_log_at_full_size": all(
                    sizes.get(log.signer.name) == log.sizes[-1] for log in logs
                ),
                "load_average_before": load_before,
                "load_average_after": load_after,
            }
            results[algorithm] = entry
            print(
                f"{algorithm:10} {entry['requests_per_second']:>9,.1f} req/s  "
                f"p50 {entry['p50_ms']} ms  p99 {entry['p99_ms']} ms  "
                f"errors {entry['errors']}  verified {verified}/{len(logs)}",
                file=sys.stderr,
            )
    return results


# -- delay: from an append to its witnessed checkpoint ---------------------------------

DELAY_PARTIES = (("state-a", "declarant"), ("state-b", "party"), ("agency", "inspectorate"))
DELAY_WITNESSES = (("w1", "ed25519"), ("w2", "ml-dsa-44"), ("w3", "ed25519"), ("w4", "ml-dsa-44"))


def _cli(*args: str) -> str:
    """Run a command line in this process (setup only); what it printed."""
    import contextlib
    import io

    from accordwatch.cli import main as cli_main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            cli_main(list(args))
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise SystemExit(f"setup command failed: {' '.join(args)}") from None
    return out.getvalue()


def _witnessed_size(conn: Any) -> int:
    conn.request("GET", "/api/log")
    body = json.loads(conn.getresponse().read())
    note = body.get("witnessed_checkpoint")
    return 0 if note is None else int(note.split("\n")[1])


def delay(opts: argparse.Namespace, logs: list[BenchLog]) -> dict[str, Any]:
    """Seconds from an append's receipt to the first witnessed checkpoint that holds it.

    A log workspace (SQLite) whose accord every party signed, four witness
    processes (two Ed25519, two ML-DSA-44) named in a policy every party
    signed (quorum: all four), and `accordwatch serve` collecting
    cosignatures. Clients offer `--rate` submissions a second for
    `--seconds`; a poller reads `GET /api/log` every 10 ms and notes when the
    witnessed size grows.
    """
    import http.client
    import threading

    from accordwatch.examples import example_path
    from accordwatch.log.envelope import seal
    from accordwatch.timeutil import utc_now
    from accordwatch.workspace import Workspace, init_workspace

    with tempfile.TemporaryDirectory(prefix="aw-bench-delay-") as tmp:
        ws = init_workspace(Path(tmp) / "log", origin="bench.example/witnessed")
        home = ["--home", str(ws.home)]
        for party, role in DELAY_PARTIES:
            _cli(*home, "party", "add", party, "--role", role)
            _cli(*home, "key", "new", "--party", party)
        for party, _ in DELAY_PARTIES:
            _cli(*home, "accord", "sign", str(example_path("generic-tutorial")), "--as", party)
        log_key = _cli(*home, "log", "key").strip()
        policy = [f"log {log_key}"]
        servers: list[subprocess.Popen[str]] = []
        homes = []
        for name, algorithm in DELAY_WITNESSES:
            whome = WitnessHome.at(Path(tmp) / f"witness-{name}")
            config = WitnessConfig(
                f"{name}.bench.example", parse_algorithm(algorithm), None, opts.durability
            )
            cosigner = whome.init(config)
            state = WitnessState.open(whome.database_path, durability=opts.durability)
            from accordwatch.log.note import Verifier

            state.trust(Verifier.parse(log_key), "2026-01-01T00:00:00Z")
            state.close()
            port = _free_port()
            homes.append((whome, port))
            policy.append(f"witness {name} {cosigner.key.text()} http://127.0.0.1:{port}")
        policy += ["group all-four all w1 w2 w3 w4", "quorum all-four"]
        policy_path = Path(tmp) / "policy.txt"
        policy_path.write_text("\n".join(policy) + "\n", "utf-8")
        for party, _ in DELAY_PARTIES:
            _cli(*home, "accord", "policy", str(policy_path), "--as", party)

        ws = Workspace.open(ws.home)
        ledger = ws.ledger()
        registrar = ws.settings.registrar
        record = next(k for k in ledger.registry().keys_of(registrar) if k.active)
        from accordwatch.log.keys import SigningKey

        key = SigningKey.read(ws.party_key_path(registrar, record.key_id))
        total = int(opts.rate * opts.seconds)
        bodies = [
            json.dumps(
                seal(
                    log=ledger.origin,
                    record_type="statement",
                    party=registrar,
                    key=key,
                    time=utc_now(),
                    payload={"subject": f"delay bench {n}"},
                ).to_json()
            ).encode()
            for n in range(total)
        ]

        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORDWATCH_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
        for whome, port in homes:
            servers.append(start_server(whome, port, 1))
        log_port = _free_port()
        command = [sys.executable, "-c", "from accordwatch.cli import main; main()"]
        log_server = subprocess.Popen(
            [*command, *home, "serve", "--port", str(log_port)],
            env=env,
            stdout=subprocess.DEVNULL,
            # the access log and the collector's warnings, unread: a pipe would fill and block
            stderr=(Path(tmp) / "serve.log").open("w"),
            text=True,
        )
        servers.append(log_server)
        try:
            for _ in range(300):
                try:
                    http.client.HTTPConnection("127.0.0.1", log_port, timeout=1).connect()
                    break
                except OSError:
                    time.sleep(0.1)
            acks: list[tuple[int, float]] = []
            growth: list[tuple[float, int]] = []
            errors: list[str] = []
            stop = threading.Event()

            def poll() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", log_port, timeout=10)
                last = -1
                while not stop.is_set():
                    size = _witnessed_size(conn)
                    if size != last:
                        growth.append((time.monotonic(), size))
                        last = size
                    time.sleep(0.01)

            clients = opts.delay_clients
            start_at = time.monotonic() + 0.5

            def client(n: int) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", log_port, timeout=30)
                headers = {"Content-Type": "application/json"}
                for k in range(n, total, clients):
                    due = start_at + k / opts.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                    conn.request("POST", "/api/submissions", body=bodies[k], headers=headers)
                    response = conn.getresponse()
                    answer = response.read()
                    if response.status not in (200, 201):
                        errors.append(f"{response.status} {answer[:200]!r}")
                        continue
                    acks.append((json.loads(answer)["index"], time.monotonic()))

            poller = threading.Thread(target=poll)
            poller.start()
            threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sent_for = time.monotonic() - start_at
            top = max((i for i, _ in acks), default=-1)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (not growth or growth[-1][1] <= top):
                time.sleep(0.05)
            stop.set()
            poller.join()
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
        delays = []
        unwitnessed = 0
        for index, acked in acks:
            when = next((t for t, size in growth if size > index and t >= acked), None)
            if when is None:
                earlier = any(size > index for _, size in growth)
                if earlier:
                    delays.append(0.0)
                else:
                    unwitnessed += 1
                continue
            delays.append(when - acked)
        result = {
            "submissions": len(acks),
            "offered_per_second": opts.rate,
            "achieved_per_second": round(len(acks) / sent_for, 1),
            "errors": len(errors),
            "error_samples": errors[:5],
            "never_witnessed": unwitnessed,
            "delay_p50_s": round(_percentile(delays, 0.5), 3),
            "delay_p95_s": round(_percentile(delays, 0.95), 3),
            "delay_p99_s": round(_percentile(delays, 0.99), 3),
            "delay_max_s": round(max(delays, default=0.0), 3),
            "witnessed_checkpoints_seen": len(growth),
        }
        print(
            f"append -> witnessed by 4: p50 {result['delay_p50_s']} s, "
            f"p99 {result['delay_p99_s']} s, max {result['delay_max_s']} s at "
            f"{result['achieved_per_second']} submissions/s ({len(acks)} submissions, "
            f"{len(errors)} errors, {unwitnessed} never witnessed)",
            file=sys.stderr,
        )
        return result


PARTS: dict[str, Callable[[argparse.Namespace, list[BenchLog]], dict[str, Any]]] = {
    "throughput": throughput,
    "delay": delay,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=16, help="logs driven in parallel")
    parser.add_argument("--requests", type=int, default=500, help="checkpoints per log")
    parser.add_argument("--tree-size", type=int, default=1_000_000)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--algorithms", default="ed25519,ml-dsa-44")
    parser.add_argument("--durability", choices=("full", "normal"), default="full")
    parser.add_argument("--workers", type=int, default=1, help="witness server processes")
    parser.add_argument("--part", choices=sorted(PARTS), action="append")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=300.0, help="delay: submissions a second")
    parser.add_argument("--seconds", type=float, default=10.0, help="delay: how long")
    parser.add_argument("--delay-clients", type=int, default=32, help="delay: client threads")
    opts = parser.parse_args()
    parts = opts.part or ["throughput", "delay"]
    logs: list[BenchLog] = []
    if "throughput" in parts:
        began = time.perf_counter()
        tree = build_tree(opts.tree_size)
        print(
            f"tree of {tree.size:,} leaves in {time.perf_counter() - began:.1f} s", file=sys.stderr
        )
        began = time.perf_counter()
        logs = prepare_logs(tree, opts.logs, opts.requests, opts.seed)
        print(
            f"{opts.logs} logs x {opts.requests} checkpoints signed and proved in "
            f"{time.perf_counter() - began:.1f} s",
            file=sys.stderr,
        )
    result: dict[str, Any] = {
        "parameters": {k: v for k, v in vars(opts).items() if k != "part"},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
    }
    for name in parts:
        result[name] = PARTS[name](opts, logs)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"witness-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
