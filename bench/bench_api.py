"""Load on `accordwatch serve`: concurrent clients mixing submissions and reads.

Run from the repository root:

    .venv/bin/python bench/bench_api.py [--clients 200] [--seconds 60] [--workers 4]
        [--load-procs 1] [--submit-share 0.1] [--bad-share 0] [--rate R]
        [--prefill 100000] [--signed N] [--pg-url URL | --sqlite]

A fresh workspace is made (on PostgreSQL: in a scratch schema of `--pg-url`,
dropped afterwards; `--sqlite` uses one worker), a party is registered, the
log is filled with `--prefill` entries, and `accordwatch serve --workers N`
is started on a free loopback port. Then `--load-procs` separate processes
run `--clients` clients in all, each on its own keep-alive connection, for
`--seconds`: `--submit-share` of the requests POST /api/submissions
(envelopes signed beforehand), the rest read (an inclusion proof, an entry,
or the latest checkpoint). By default each client sends its next request as
soon as it has an answer (throughput at saturation); with `--rate`, the
clients together offer that many requests per second and latency counts
from when a request was due. With `--bad-share F`, that share of the
submissions carry a forged signature (one bit flipped), interleaved with the
good ones: each must be refused with 401 (`submit-bad`), and must not slow
the good ones down. Afterwards the log is checked: it holds exactly
the initial entries plus the acknowledged submissions, each at the index its
receipt names, and audits clean.

Throughput and p50/p99 latency per endpoint are printed and written as JSON
to `bench/results/api-<time>.json`. Targets (issue 7): reads >= 2,000/s,
submissions >= 300/s, read p99 < 100 ms, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from accordwatch.store.auditing import audit_database
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace, init_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import Log

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Connection:
    """One keep-alive HTTP/1.1 connection, written and parsed by hand.

    A general-purpose client (httpx) spends more CPU per request than the
    server's handlers do; on a machine shared with the server that would
    measure the client. This one sends prepared request bytes and reads
    the status line, headers and a Content-Length body: nothing more.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
                break
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


def _post(path: str, body: str) -> bytes:
    data = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _client(
    conn: _Connection,
    rng: random.Random,
    deadline: float,
    share: float,
    submissions: list[tuple[str, str]],
    size: int,
    out: dict[str, list[Any]],
    rate: float,
) -> None:
    """Requests back to back (`rate` 0), or at `rate` per second, Poisson arrivals.

    At a fixed rate a request's latency counts from when it was due, not
    from when it could be sent, so time spent behind a slow answer counts.
    """
    clock = time.perf_counter
    due = clock()
    while clock() < deadline:
        if rate:
            due += rng.expovariate(rate)
            if due >= deadline:
                break
            wait = due - clock()
            if wait > 0:
                await asyncio.sleep(wait)
        if rng.random() < share and submissions:
            kind, envelope = submissions.pop()
            raw = _post("/api/submissions", envelope)
        else:
            kind = rng.choice(("proof", "entry", "checkpoint"))
            index = rng.randrange(size)
            raw = _get(
                {
                    "proof": f"/api/log/entries/{index}/proof",
                    "entry": f"/api/log/entries/{index}",
                    "checkpoint": "/api/log/checkpoints/latest",
                }[kind]
            )
        start = due if rate else clock()
        try:
            status, body = await conn.request(raw)
            ok = status == (401 if kind == "submit-bad" else 200)
            detail = "" if ok else f"{status} {body[:200]!r}"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            ok, detail, body = False, repr(exc), b""
            conn.close()
            conn = _Connection(conn.host, conn.port)
        elapsed = clock() - start
        out.setdefault(kind, []).append(elapsed)
        if not ok:
            out.setdefault("errors", []).append(f"{kind}: {detail}")
        elif kind == "submit":
            out.setdefault("acknowledged", []).append(json.loads(body))
    conn.close()


def _forged(body: str) -> str:
    """The envelope with one bit of its signature flipped (still canonical base64)."""
    obj = json.loads(body)
    envelope = obj["envelope"]
    raw = bytearray(base64.b64decode(envelope["signature"]))
    raw[10] ^= 1
    envelope["signature"] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(obj)


def _load(
    args: tuple[str, int, int, float, float, list[tuple[str, str]], int, int, float, Any],
) -> None:
    host, port, clients, seconds, share, submissions, size, seed, rate, queue = args

    async def main() -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        deadline = time.perf_counter() + seconds
        rngs = [random.Random(seed * 1000 + i) for i in range(clients)]
        await asyncio.gather(
            *(
                _client(_Connection(host, port), r, deadline, share, submissions, size, out, rate)
                for r in rngs
            )
        )
        return out

    try:
        import uvloop

        result = uvloop.run(main())
    except ImportError:
        result = asyncio.run(main())
    queue.put(result)


def run(opts: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="aw-bench-api-"))
    schema = None
    admin = None
    url = None
    if not opts.sqlite:
        schema = f"aw_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(opts.pg_url)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in opts.pg_url else "?"
        url = f"{opts.pg_url}{sep}options=-csearch_path%3D{schema}"
    workers = 1 if opts.sqlite else opts.workers
    try:
        ws = init_workspace(tmp / "ws", database_url=url, origin="bench.local/api")
        log = Log.open(ws)
        log.add_party("usa", "party")
        print(f"prefilling the log with {opts.prefill} entries ...", file=sys.stderr)
        sealed_at = utc_now()
        for start in range(0, opts.prefill, 5000):
            log.ledger.append(
                [
                    log.seal("usa", "statement", {"subject": f"prefill {i}"}, time=sealed_at)
                    for i in range(start, min(opts.prefill, start + 5000))
                ]
            )
        initial = log.ledger.size()
        if url is not None:
            # measure a settled database, not autovacuum catching up with the prefill
            with log.ledger.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        # enough for the target rate twice over; past that, clients only read
        expected = opts.signed or int(opts.seconds * 600) + 1000
        print(f"signing {expected} submissions ...", file=sys.stderr)
        now = utc_now()
        bodies = [
            (
                "submit",
                json.dumps(
                    log.seal("usa", "statement", {"subject": f"load {i}"}, time=now).to_json()
                ),
            )
            for i in range(expected)
        ]
        if opts.bad_share:
            # forged ones spread evenly among the good (clients pop from the end)
            every = 1 / opts.bad_share
            bodies = [
                ("submit-bad", _forged(body))
                if int(i / every) != int((i + 1) / every)
                else (kind, body)
                for i, (kind, body) in enumerate(bodies)
            ]
        port = _free_port()
        code = "from accordwatch.cli import main; main()"
        serve = ["--home", str(ws.home), "serve", "--port", str(port), "--workers", str(workers)]
        # the requests below name the host "bench"; the access log is written, as in service
        serve += ["--allowed-host", "bench", "--allowed-host", "127.0.0.1"]
        serve += ["--access-log", str(ws.home.parent / "access.log")]
        server = subprocess.Popen([sys.executable, "-c", code, *serve])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(base + "/api/log", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            procs = opts.load_procs
            per = [opts.clients // procs + (i < opts.clients % procs) for i in range(procs)]
            share_of = [bodies[i::procs] for i in range(procs)]
            queue: Any = multiprocessing.get_context("spawn").Queue()
            ctx = multiprocessing.get_context("spawn")
            started = time.perf_counter()
            workers_p = [
                ctx.Process(
                    target=_load,
                    args=(
                        (
                            "127.0.0.1",
                            port,
                            per[i],
                            opts.seconds,
                            opts.submit_share,
                            share_of[i],
                            initial,
                            i + 1,
                            opts.rate / opts.clients,
                            queue,
                        ),
                    ),
                )
                for i in range(procs)
            ]
            for p in workers_p:
                p.start()
            parts = [queue.get() for _ in workers_p]
            for p in workers_p:
                p.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)

        merged: dict[str, list[Any]] = {}
        for part in parts:
            for k, v in part.items():
                merged.setdefault(k, []).extend(v)
        acknowledged = merged.pop("acknowledged", [])
        errors = merged.pop("errors", [])
        ledger = Workspace.open(ws.home).ledger()
        final = ledger.size()
        indices = sorted(r["index"] for r in acknowledged)
        lost = [
            r
            for r in acknowledged
            if ledger.entry(r["index"]).leaf_hash != base64.b64decode(r["leaf_hash"])
        ]
        report = audit_database(ledger)
        endpoints = {
            kind: {
                "requests": len(times),
                "per_second": round(len(times) / opts.seconds, 1),
                "p50_ms": round(1000 * _percentile(times, 0.5), 2),
                "p99_ms": round(1000 * _percentile(times, 0.99), 2),
            }
            for kind, times in sorted(merged.items())
        }
        writes = ("submit", "submit-bad")
        reads = sum(len(v) for k, v in merged.items() if k not in writes)
        read_times = [t for k, v in merged.items() if k not in writes for t in v]
        return {
            "database": "sqlite" if opts.sqlite else "postgresql",
            "workers": workers,
            "clients": opts.clients,
            "load_processes": opts.load_procs,
            "seconds": opts.seconds,
            "wall_seconds": round(wall, 1),
            "submit_share": opts.submit_share,
            "bad_share": opts.bad_share,
            "offered_per_second": opts.rate or None,
            "endpoints": endpoints,
            "reads_per_second": round(reads / opts.seconds, 1),
            "read_p99_ms": round(1000 * _percentile(read_times, 0.99), 2),
            "submissions_per_second": round(len(acknowledged) / opts.seconds, 1),
            "errors": len(errors),
            "error_samples": errors[:5],
            "log": {
                "initial": initial,
                "acknowledged": len(acknowledged),
                "final": final,
                "exactly_acknowledged": final == initial + len(acknowledged)
                and indices == list(range(initial, final)),
                "receipts_match_entries": not lost,
                "audit_size": report.size,
            },
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average": os.getloadavg(),
            },
        }
    finally:
        if admin is not None and schema is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--load-procs", type=int, default=1)
    parser.add_argument("--submit-share", type=float, default=0.1)
    parser.add_argument(
        "--bad-share",
        type=float,
        default=0,
        help="share of the submissions with a forged signature, interleaved (expect 401)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="requests per second offered by all clients together (Poisson arrivals); "
        "0 [default]: each client sends its next request as soon as it has an answer",
    )
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument(
        "--signed",
        type=int,
        default=0,
        help="submissions to sign beforehand [default: 600 a second of the run, plus 1,000]",
    )
    parser.add_argument("--pg-url", default=os.environ.get("ACCORDWATCH_TEST_PG_URL", PG_URL))
    parser.add_argument("--sqlite", action="store_true", help="SQLite, one worker")
    opts = parser.parse_args()
    result = run(opts)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"api-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
