"""Benchmark the ledger against pymerkle 7 and the bare cost of its cryptography.

Run from the repository root (needs the `bench` extra, pymerkle 7.0.0):

    .venv/bin/python bench/bench_ledger.py [--entries N] [--proof-size N] [--audit-size N]

One run builds one SQLite log of signed `statement` entries and measures, on
the same entries: the batch append (with its phases), pymerkle's bulk SQLite
append of the same entry bytes, single submissions in their own transactions
(SQLite synchronous=NORMAL and FULL), inclusion and consistency proofs at
`--proof-size` entries (ours and pymerkle's), the audit at `--audit-size`
entries, and the bare cost of SHA-256 and Ed25519 verification over the same
bytes. PostgreSQL figures follow when the server at `--pg-url` answers.
It prints a table and writes every figure as JSON to `bench/results/`.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl
import nacl.bindings
import pymerkle
import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accordwatch.catalog import CATALOG
from accordwatch.log.envelope import Envelope, Submission, seal
from accordwatch.log.keys import SigningKey
from accordwatch.log.merkle import verify_consistency, verify_inclusion
from accordwatch.store.auditing import audit_database
from accordwatch.store.database import open_engine
from accordwatch.store.ledger import Ledger
from accordwatch.workspace import Workspace, init_workspace

RESULTS = Path(__file__).resolve().parent / "results"
PHASES = {
    "hash": "leaf hashes",
    "read": "head lock, duplicate lookup",
    "merkle": "interior hashes",
    "entries": "rows: nodes, entries, head, checkpoint",
    "checkpoint": "signing the checkpoint",
    "commit": "commit (WAL write)",
}
PARTY = "bench"
FILLER = (
    "The inspectorate confirms receipt of the declaration and schedules the "
    "verification visit; seals at the storage site were found intact. "
)


# -- output ------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    section: str
    label: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def table(self) -> str:
        headers = ("", "measured", "unit", "target", "")
        body: list[tuple[str, str, str, str, str]] = []
        section = None
        lines: list[str] = []
        for row in sorted(self.rows, key=lambda r: r.section):
            if row.section != section:
                section = row.section
                body.append((f"[{section}]", "", "", "", ""))
            verdict = "" if row.met is None else ("met" if row.met else "MISSED")
            body.append(("  " + row.label, _number(row.value), row.unit, row.target, verdict))
            if row.note:
                body.append(("    " + row.note, "", "", "", ""))
        widths = [max(len(r[i]) for r in [headers, *body]) for i in range(5)]
        widths[0] = min(widths[0], 64)

        def line(cells: Sequence[str]) -> str:
            first = cells[0]
            if len(first) > widths[0] and not any(cells[1:]):
                return first
            return "  ".join(
                [first.ljust(widths[0]), cells[1].rjust(widths[1]), *cells[2:]]
            ).rstrip()

        lines.append(line(headers))
        lines.append("-" * (sum(widths) + 8))
        lines.extend(line(r) for r in body)
        return "\n".join(lines)


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


# -- data ----------------------------------------------------------------------


@dataclass
class Bench:
    """The SQLite log under test, the party that signs its entries, and pymerkle's mirror."""

    args: argparse.Namespace
    work: Path
    ws: Workspace
    ledger: Ledger
    key: SigningKey
    tree: Any  # pymerkle.SqliteTree holding the same entries, in the same order
    next_statement: int = 0
    mirrored: int = 0

    @property
    def origin(self) -> str:
        origin = self.ws.settings.origin
        assert origin
        return origin

    def statements(self, count: int) -> list[Submission]:
        now = datetime.now(UTC)
        start = self.next_statement
        self.next_statement += count
        return [
            seal(
                log=self.origin,
                record_type="statement",
                party=PARTY,
                key=self.key,
                time=now,
                payload={"subject": f"benchmark statement {i}", "text": f"{i}: {FILLER}"},
            )
            for i in range(start, start + count)
        ]

    def mirror(self, timed: bool = False) -> float:
        """Give pymerkle every log entry it lacks (same bytes, same order); return seconds."""
        size = self.ledger.size()
        if size <= self.mirrored:
            return 0.0
        data = [e.envelope for e in self.ledger.entries(self.mirrored, size)]
        started = time.perf_counter()
        self.tree.append_entries(data)
        elapsed = time.perf_counter() - started
        self.mirrored = size
        return elapsed if timed else 0.0


def register_party(ledger: Ledger, ws: Workspace, origin: str) -> SigningKey:
    """Register the benchmark party and its key, signed by the workspace's registrar."""
    registrar_file = next((ws.keys_dir / "registrar").glob("*.key"))
    registrar = SigningKey.read(registrar_file)
    key = SigningKey(hashlib.sha256(b"accordwatch benchmark party key").digest())
    now = datetime.now(UTC)
    for record_type, payload in (
        ("party.register", {"name": PARTY, "role": "party"}),
        (
            "key.register",
            {
                "party": PARTY,
                "key_id": key.key_id,
                "public_key": base64.b64encode(key.public_key).decode(),
            },
        ),
    ):
        ledger.submit(
            seal(
                log=origin,
                record_type=record_type,
                party="registrar",
                key=registrar,
                time=now,
                payload=payload,
            )
        )
    return key


def signed_part(canonical: bytes) -> tuple[bytes, bytes]:
    """The signed bytes and signature of a stored envelope, by cutting out its signature.

    The signature covers the canonical JSON of the envelope without its
    `signature` member; canonical JSON sorts members, so that is the stored
    bytes with `,"signature":"<base64>"` removed (only `time` follows it, and
    no string can hold an unescaped quote). `audit_run` checks the cut against
    `Envelope.signed_bytes` on a sample.
    """
    head, sep, rest = canonical.rpartition(b',"signature":"')
    if not sep:
        raise ValueError("no signature member")
    b64, _, tail = rest.partition(b'"')
    return head + tail, base64.b64decode(b64)


# -- measurements ------------------------------------------------------------------


def bare_costs(
    items: Sequence[tuple[bytes, bytes, bytes, bytes]], *, with_openssl: bool
) -> dict[str, float]:
    """Seconds for SHA-256 leaf hashes and Ed25519 verifications over (canonical, signed,
    signature, public key) items: libsodium (PyNaCl, the product's) and, optionally,
    `cryptography` (OpenSSL) for reference."""
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for canonical, _, _, _ in items:
        sha256(b"\x00" + canonical).digest()
    hashing = time.perf_counter() - started

    sign_open = nacl.bindings.crypto_sign_open
    started = time.perf_counter()
    for _, signed, signature, public in items:
        sign_open(signature + signed, public)
    sodium = time.perf_counter() - started
    out = {"count": float(len(items)), "sha256_s": hashing, "verify_libsodium_s": sodium}
    if with_openssl:
        publics: dict[bytes, Ed25519PublicKey] = {}
        started = time.perf_counter()
        for _, signed, signature, public in items:
            verifier = publics.get(public)
            if verifier is None:
                verifier = publics[public] = Ed25519PublicKey.from_public_bytes(public)
            verifier.verify(signature, signed)
        out["verify_cryptography_s"] = time.perf_counter() - started
    return out


def crypto_items(
    submissions: Sequence[Submission], public: bytes
) -> list[tuple[bytes, bytes, bytes, bytes]]:
    return [
        (s.envelope.canonical, s.envelope.signed_bytes(), s.envelope.signature, public)
        for s in submissions
    ]


def batch_append(bench: Bench, count: int, batch: int, label: str) -> dict[str, Any]:
    """Append `count` fresh statements in batches; only `Ledger.append` is timed."""
    timings: dict[str, float] = {}
    wall = 0.0
    done = 0
    last_report = time.monotonic()
    while done < count:
        todo = bench.statements(min(batch, count - done))
        started = time.perf_counter()
        result = bench.ledger.append(todo, timings=timings)
        wall += time.perf_counter() - started
        assert not any(e.duplicate for e in result.entries)
        done += len(todo)
        if time.monotonic() - last_report > 15:
            log(f"  {label}: {done:,}/{count:,} ({done / wall:,.0f} entries/s so far)")
            last_report = time.monotonic()
    return {"entries": float(count), "batch": float(batch), "wall_s": wall, "phases_s": timings}


def pymerkle_bulk(entries: list[bytes], path: Path, *, wal: bool) -> float:
    tree = pymerkle.SqliteTree(str(path))
    try:
        if wal:
            tree.con.execute("PRAGMA journal_mode=WAL")
            tree.con.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        tree.append_entries(entries)
        return time.perf_counter() - started
    finally:
        tree.close()


def singles(ledger: Ledger, submissions: Sequence[Submission]) -> dict[str, float]:
    latencies: list[float] = []
    receipts = []
    for s in submissions:
        started = time.perf_counter()
        receipts.append(ledger.submit(s))
        latencies.append(time.perf_counter() - started)
    verifier = ledger.signer.verifier
    for s, receipt in zip(submissions, receipts, strict=True):
        receipt.verify(verifier, s.envelope.canonical)
    latencies.sort()
    total = sum(latencies)
    return {
        "count": float(len(submissions)),
        "wall_s": total,
        "per_s": len(submissions) / total,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3,
    }


def time_each(call: Callable[[int], object], values: Sequence[int]) -> list[float]:
    """Seconds taken by `call(v)` for each value, one call at a time."""
    out = []
    clock = time.perf_counter
    for value in values:
        started = clock()
        call(value)
        out.append(clock() - started)
    return out


def summary(latencies: Sequence[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "count": float(len(ordered)),
        "mean_ms": statistics.fmean(ordered) * 1e3,
        "p50_ms": ordered[len(ordered) // 2] * 1e3,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
        "max_ms": ordered[-1] * 1e3,
    }


def proofs(bench: Bench, size: int, count: int, seed: int) -> dict[str, Any]:
    """Inclusion and consistency proofs at `size`: ours (cold, then warm) and pymerkle's."""
    rng = random.Random(seed)
    # A fresh ledger: no cached nodes, as after a restart.
    ws = bench.ws
    ledger = Ledger(ws.engine(), ws.log_signer(), catalog=CATALOG, url=ws.url, limits=ws.limits())
    sets = []
    for _ in range(3):
        sets.append(
            (
                [rng.randrange(size) for _ in range(count)],
                [rng.randint(1, size - 1) for _ in range(count)],
            )
        )
    out: dict[str, Any] = {"size": size, "count": count}

    # Ours: first set cold (fresh process-level caches), second set warm.
    for name, (indices, priors) in zip(("cold", "warm"), sets[:2], strict=True):
        out[f"ours_inclusion_{name}"] = summary(
            time_each(lambda v: ledger.prove_inclusion(v, size), indices)
        )
        out[f"ours_consistency_{name}"] = summary(
            time_each(lambda v: ledger.prove_consistency(v, size), priors)
        )

    # pymerkle: a freshly opened tree (empty subroot cache), then warmed up.
    tree = pymerkle.SqliteTree(str(bench.work / "pymerkle-mirror.db"))
    try:
        if tree.get_size() < size:
            raise RuntimeError("pymerkle mirror is smaller than the proof size")
        indices, priors = sets[0]
        started = time.perf_counter()
        tree.prove_inclusion(indices[0] + 1, size)
        out["pymerkle_inclusion_first_ms"] = (time.perf_counter() - started) * 1e3
        out["pymerkle_inclusion_cold"] = summary(
            time_each(lambda v: tree.prove_inclusion(v + 1, size), indices)
        )
        out["pymerkle_consistency_cold"] = summary(
            time_each(lambda v: tree.prove_consistency(v, size), priors)
        )
        indices, priors = sets[1]
        out["pymerkle_inclusion_warm"] = summary(
            time_each(lambda v: tree.prove_inclusion(v + 1, size), indices)
        )
        out["pymerkle_consistency_warm"] = summary(
            time_each(lambda v: tree.prove_consistency(v, size), priors)
        )

        # Cross-checks on the third set: same roots, same inclusion paths, and our
        # proofs verify against roots that pymerkle computed independently.
        root = ledger.root(size)
        if tree.get_root(size) != root:
            raise RuntimeError("pymerkle and accordwatch disagree on the root")
        indices, priors = sets[2]
        for i in indices[:200]:
            _, ours = ledger.prove_inclusion(i, size)
            theirs = tree.prove_inclusion(i + 1, size)
            if list(theirs.path[1:]) != ours:
                raise RuntimeError(f"inclusion proof for {i} differs from pymerkle's")
            verify_inclusion(i, size, bytes(theirs.path[0]), ours, root)
        for m in priors[:20]:
            _, ours = ledger.prove_consistency(m, size)
            verify_consistency(m, size, tree.get_root(m), root, ours)
        out["cross_checked"] = {"inclusion": 200, "consistency": 20}
    finally:
        tree.close()
    return out


def audit_run(bench: Bench) -> dict[str, float]:
    ledger = bench.ledger
    started = time.perf_counter()
    report = audit_database(ledger)
    elapsed = time.perf_counter() - started
    if report.size != ledger.size():
        raise RuntimeError("audit did not cover the whole log")

    # The bare cost over the same stored bytes: SHA-256 of every entry and one
    # libsodium verification per signature, read back and cut out untimed.
    registry = ledger.registry()
    keys = {k.key_id: k.public_key for k in registry.keys.values()}
    bench_public = keys[bench.key.key_id]
    hashing = verifying = 0.0
    count = 0
    chunk: list[tuple[bytes, bytes, bytes, bytes]] = []

    def flush() -> None:
        nonlocal hashing, verifying, count
        costs = bare_costs(chunk, with_openssl=False)
        hashing += costs["sha256_s"]
        verifying += costs["verify_libsodium_s"]
        count += len(chunk)
        chunk.clear()

    for n, entry in enumerate(ledger.entries(chunk=20000)):
        canonical = entry.envelope
        signed, signature = signed_part(canonical)
        if n < 100:  # the cut must give exactly what the product signs
            env = Envelope.from_bytes(canonical)
            assert env.signed_bytes() == signed and env.signature == signature
            public = keys[env.key_id]
        else:
            public = bench_public if entry.party == PARTY else keys[_key_id(canonical)]
        chunk.append((canonical, signed, signature, public))
        if len(chunk) >= 20000:
            flush()
    flush()
    bare = hashing + verifying
    return {
        "entries": float(report.size),
        "checkpoints": float(report.checkpoints),
        "nodes": float(report.nodes),
        "audit_s": elapsed,
        "bare_sha256_s": hashing,
        "bare_verify_libsodium_s": verifying,
        "bare_s": bare,
        "ratio": elapsed / bare,
        "bare_entries": float(count),
    }


def _key_id(canonical: bytes) -> str:
    key_id = json.loads(canonical)["key_id"]
    assert isinstance(key_id, str)
    return key_id


# -- PostgreSQL ----------------------------------------------------------------


def postgres(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import psycopg

    admin = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"accordwatch_bench_{os.getpid()}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            settings = {
                s: str(conn.execute(f"SHOW {s}").fetchone()[0])  # type: ignore[index]
                for s in ("server_version", "synchronous_commit", "fsync")
            }
    except psycopg.Error as exc:
        return {"skipped": f"PostgreSQL not available: {str(exc).strip().splitlines()[0]}"}
    base, _, _ = args.pg_url.rpartition("/")
    url = f"{base}/{name}"
    try:
        ws = init_workspace(work / "pg-workspace", database_url=url)
        ledger = ws.ledger()
        origin = ws.settings.origin
        assert origin
        key = register_party(ledger, ws, origin)
        bench = Bench(args, work, ws, ledger, key, tree=None)
        log(f"PostgreSQL: batch append of {args.pg_entries:,} entries")
        batch = batch_append(bench, args.pg_entries, args.batch, "PostgreSQL batch append")
        log(f"PostgreSQL: {args.pg_singles:,} single submissions")
        single = singles(ledger, bench.statements(args.pg_singles))
        size = ledger.size()
        rng = random.Random(args.seed)
        fresh = Ledger(ws.engine(), ws.log_signer(), catalog=CATALOG, url=ws.url)
        fresh.root(size)
        indices = [rng.randrange(size) for _ in range(args.proofs)]
        incl = summary(time_each(lambda v: fresh.prove_inclusion(v, size), indices))
        ws.engine().dispose()
        ledger.engine.dispose()
        fresh.engine.dispose()
        return {
            "server": settings,
            "batch_append": batch,
            "single_submit": single,
            "inclusion": {"size": size, **incl},
        }
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the run -------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--entries", type=int, default=100_000, help="entries in the batch append")
    p.add_argument("--batch", type=int, default=5_000, help="entries per append transaction")
    p.add_argument("--singles", type=int, default=2_000, help="single submissions (NORMAL)")
    p.add_argument("--singles-full", type=int, default=500, help="single submissions (FULL)")
    p.add_argument(
        "--proof-size", type=int, default=1_000_000, help="log size for proofs (0: skip)"
    )
    p.add_argument("--proofs", type=int, default=2_000, help="proofs of each kind per pass")
    p.add_argument(
        "--audit-size", type=int, default=1_000_000, help="log size for the audit (0: skip)"
    )
    p.add_argument(
        "--pg-url",
        default=os.environ.get(
            "ACCORDWATCH_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server (a scratch database is created there and dropped)",
    )
    p.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    p.add_argument("--pg-entries", type=int, default=20_000, help="PostgreSQL batch append")
    p.add_argument("--pg-singles", type=int, default=1_000, help="PostgreSQL single submissions")
    p.add_argument("--workdir", type=Path, help="where to build the logs (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--seed", type=int, default=20261129)
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON results")
    args = p.parse_args(argv)
    if args.entries < 1 or args.batch < 1 or args.proofs < 1:
        p.error("--entries, --batch and --proofs must be positive")
    return args


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "pynacl": nacl.__version__,
        "pymerkle": pymerkle.__version__,
    }


def run(args: argparse.Namespace) -> Report:
    report = Report()
    report.data["machine"] = machine()
    report.data["load_average_start"] = os.getloadavg()
    report.data["parameters"] = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
    }
    work = Path(tempfile.mkdtemp(prefix="accordwatch-bench-", dir=args.workdir))
    started_run = time.perf_counter()
    try:
        _run(args, work, report)
    finally:
        if args.keep:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report.data["runtime_s"] = time.perf_counter() - started_run
    report.data["load_average_end"] = os.getloadavg()
    return report


def _run(args: argparse.Namespace, work: Path, report: Report) -> None:
    data = report.data
    log(f"work directory {work}")
    ws = init_workspace(work / "workspace")
    ledger = ws.ledger()
    key = register_party(ledger, ws, ws.settings.origin or "")
    tree = pymerkle.SqliteTree(str(work / "pymerkle-mirror.db"))
    bench = Bench(args, work, ws, ledger, key, tree)
    bench.mirror()

    # 1. Batch append, its phases, pymerkle's bulk append and the bare costs.
    log(f"sealing {args.entries:,} entries")
    first = bench.statements(args.entries)
    items = crypto_items(first, key.public_key)
    log(f"batch append of {args.entries:,} entries in batches of {args.batch:,}")
    timings: dict[str, float] = {}
    wall = 0.0
    for start in range(0, len(first), args.batch):
        part = first[start : start + args.batch]
        began = time.perf_counter()
        result = ledger.append(part, timings=timings)
        wall += time.perf_counter() - began
        assert not any(e.duplicate for e in result.entries)
    n = args.entries
    check = timings["check"]
    hash_store = wall - check
    batch = {"entries": n, "batch": args.batch, "wall_s": wall, "phases_s": timings}
    data["batch_append"] = batch
    bench.mirror()
    entries_bytes = [s.envelope.canonical for s in first]
    data["entry_bytes_mean"] = statistics.fmean(len(b) for b in entries_bytes)
    log("pymerkle bulk append of the same entries")
    pm_default = pymerkle_bulk(entries_bytes, work / "pymerkle-bulk.db", wal=False)
    pm_wal = pymerkle_bulk(entries_bytes, work / "pymerkle-bulk-wal.db", wal=True)
    data["pymerkle_bulk_append"] = {
        "entries": n,
        "default_s": pm_default,
        "wal_normal_s": pm_wal,
    }
    log("bare SHA-256 and Ed25519 costs over the same entries")
    bare = bare_costs(items, with_openssl=True)
    data["bare"] = bare
    del first, items, entries_bytes

    sec = "1. batch append, SQLite (WAL, synchronous=NORMAL)"
    report.add(
        Row(
            sec,
            f"append {n:,} signed entries, batches of {args.batch:,}",
            n / wall,
            "entries/s",
            ">= 10,000",
            n / wall >= 10_000,
        )
    )
    report.add(
        Row(sec, "  of which check (signatures, authority, payloads)", check / n * 1e6, "us/entry")
    )
    report.add(
        Row(
            sec,
            "  of which hashing + storing (everything but the check)",
            hash_store / n * 1e6,
            "us/entry",
        )
    )
    for phase, what in PHASES.items():
        report.add(Row(sec, f"    {phase}: {what}", timings.get(phase, 0.0) / n * 1e6, "us/entry"))
    report.add(
        Row(
            sec,
            "hashing + storing alone",
            n / hash_store,
            "entries/s",
            f">= pymerkle {n / pm_default:,.0f}",
            hash_store <= pm_default,
        )
    )
    report.add(
        Row(sec, "pymerkle SqliteTree.append_entries (its defaults)", n / pm_default, "entries/s")
    )
    report.add(
        Row(sec, "pymerkle SqliteTree.append_entries (WAL, NORMAL)", n / pm_wal, "entries/s")
    )
    report.add(Row(sec, "bare SHA-256 leaf hash", bare["sha256_s"] / n * 1e6, "us/entry"))
    report.add(
        Row(sec, "bare Ed25519 verify, libsodium", bare["verify_libsodium_s"] / n * 1e6, "us/entry")
    )
    report.add(
        Row(
            sec,
            "bare Ed25519 verify, cryptography (reference)",
            bare["verify_cryptography_s"] / n * 1e6,
            "us/entry",
        )
    )

    # 2. Single submissions, each in its own transaction.
    sec = "2. single submissions, own transaction each, SQLite"
    log(f"{args.singles:,} single submissions (synchronous=NORMAL)")
    normal = singles(ledger, bench.statements(args.singles))
    data["single_submit_normal"] = normal
    report.add(
        Row(
            sec,
            "synchronous=NORMAL (survives a process crash)",
            normal["per_s"],
            "submits/s",
            ">= 1,000",
            normal["per_s"] >= 1000,
            f"p50 {normal['p50_ms']:.2f} ms, p99 {normal['p99_ms']:.2f} ms",
        )
    )
    if args.singles_full > 0:
        log(f"{args.singles_full:,} single submissions (synchronous=FULL)")
        full_ledger = Ledger(
            open_engine(ws.url, sqlite_synchronous="FULL"),
            ws.log_signer(),
            catalog=CATALOG,
            url=ws.url,
            limits=ws.limits(),
        )
        full = singles(full_ledger, bench.statements(args.singles_full))
        full_ledger.engine.dispose()
        data["single_submit_full"] = full
        report.add(
            Row(
                sec,
                "synchronous=FULL (survives a power loss)",
                full["per_s"],
                "submits/s",
                "",
                None,
                f"p50 {full['p50_ms']:.2f} ms, p99 {full['p99_ms']:.2f} ms",
            )
        )
    bench.mirror()

    # 3 and 4. Grow the log to the proof and audit sizes.
    for target in sorted({args.proof_size, args.audit_size} - {0}):
        size = ledger.size()
        if target > size:
            log(f"growing the log from {size:,} to {target:,} entries")
            grow = batch_append(bench, target - size, args.batch, "growing")
            data.setdefault("batch_append_growing", []).append({"from": size, **grow})
            report.add(
                Row(
                    "1. batch append, SQLite (WAL, synchronous=NORMAL)",
                    f"append while growing {size:,} -> {target:,}",
                    grow["entries"] / grow["wall_s"],
                    "entries/s",
                )
            )
            log("mirroring into pymerkle")
            seconds = bench.mirror(timed=True)
            data.setdefault("pymerkle_append_growing", []).append(
                {"entries": target - size, "s": seconds}
            )
        if target == args.proof_size:
            bench.tree.close()
            log(f"proofs at size {min(target, ledger.size()):,}")
            p = proofs(bench, min(target, ledger.size()), args.proofs, args.seed)
            bench.tree = pymerkle.SqliteTree(str(work / "pymerkle-mirror.db"))
            data["proofs"] = p
            add_proof_rows(report, p)
        if target == args.audit_size:
            log(f"audit of {ledger.size():,} entries")
            a = audit_run(bench)
            data["audit"] = a
            sec = "4. audit_database"
            report.add(
                Row(
                    sec,
                    f"audit of {int(a['entries']):,} entries",
                    a["entries"] / a["audit_s"],
                    "entries/s",
                    note=f"{a['audit_s']:.1f} s",
                )
            )
            report.add(
                Row(
                    sec,
                    "bare SHA-256 + libsodium verify, same entries",
                    a["entries"] / a["bare_s"],
                    "entries/s",
                    note=f"{a['bare_s']:.1f} s",
                )
            )
            report.add(Row(sec, "audit / bare", a["ratio"], "x", "<= 3", a["ratio"] <= 3.0))
            # The machine is shared: hold the audit also against the cheapest bare
            # cost per entry seen in this run (section 1's, over other entries).
            first_bare = (bare["sha256_s"] + bare["verify_libsodium_s"]) / bare["count"]
            cheapest = min(first_bare, a["bare_s"] / a["bare_entries"]) * a["entries"]
            a["ratio_vs_cheapest_bare"] = a["audit_s"] / cheapest
            report.add(
                Row(
                    sec,
                    "audit / bare, at the cheapest bare cost seen in the run",
                    a["ratio_vs_cheapest_bare"],
                    "x",
                    "<= 3",
                    a["ratio_vs_cheapest_bare"] <= 3.0,
                )
            )
    bench.tree.close()
    ws.engine().dispose()
    ledger.engine.dispose()

    if not args.no_pg:
        log("PostgreSQL")
        pg = postgres(args, work)
        data["postgresql"] = pg
        sec = "5. PostgreSQL (same code, server on 127.0.0.1)"
        if "skipped" in pg:
            report.add(Row(sec, pg["skipped"], 0.0, ""))
        else:
            b = pg["batch_append"]
            check_pg = b["phases_s"]["check"]
            s = pg["single_submit"]
            i = pg["inclusion"]
            server = pg["server"]
            report.add(
                Row(
                    sec,
                    f"append {int(b['entries']):,} entries, batches of {int(b['batch']):,}",
                    b["entries"] / b["wall_s"],
                    "entries/s",
                    note=f"check {check_pg / b['entries'] * 1e6:.1f} us/entry, "
                    f"hashing + storing {(b['wall_s'] - check_pg) / b['entries'] * 1e6:.1f} "
                    "us/entry",
                )
            )
            report.add(
                Row(
                    sec,
                    f"single submissions (synchronous_commit={server['synchronous_commit']})",
                    s["per_s"],
                    "submits/s",
                    note=f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms",
                )
            )
            report.add(Row(sec, f"inclusion proof at {i['size']:,}", i["mean_ms"], "ms (mean)"))


def add_proof_rows(report: Report, p: dict[str, Any]) -> None:
    sec = f"3. proofs at {p['size']:,} entries (mean per proof)"
    for kind in ("inclusion", "consistency"):
        warm = p[f"ours_{kind}_warm"]["mean_ms"]
        cold = p[f"ours_{kind}_cold"]["mean_ms"]
        theirs_warm = p[f"pymerkle_{kind}_warm"]["mean_ms"]
        theirs_cold = p[f"pymerkle_{kind}_cold"]["mean_ms"]
        report.add(
            Row(
                sec,
                f"{kind}, accordwatch, first {p['count']:,} (fresh ledger)",
                cold,
                "ms",
                "<= 0.2",
                cold <= 0.2,
                f"p99 {p[f'ours_{kind}_cold']['p99_ms']:.3f} ms",
            )
        )
        report.add(
            Row(
                sec,
                f"{kind}, accordwatch, next {p['count']:,}",
                warm,
                "ms",
                "<= 0.2",
                warm <= 0.2,
                f"p99 {p[f'ours_{kind}_warm']['p99_ms']:.3f} ms",
            )
        )
        report.add(
            Row(sec, f"{kind}, pymerkle SqliteTree, first {p['count']:,}", theirs_cold, "ms")
        )
        report.add(Row(sec, f"{kind}, pymerkle SqliteTree, next {p['count']:,}", theirs_warm, "ms"))
        report.add(
            Row(
                sec,
                f"{kind}: pymerkle / accordwatch (next {p['count']:,})",
                theirs_warm / warm,
                "x faster",
                ">= 2",
                theirs_warm / warm >= 2,
            )
        )
    report.add(
        Row(
            sec,
            "pymerkle's very first inclusion proof (cold cache)",
            p["pymerkle_inclusion_first_ms"],
            "ms",
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"ledger-{stamp}.json"
    report.data["table"] = [vars(r) for r in report.rows]
    path.write_text(json.dumps(report.data, indent=2) + "\n", "utf-8")
    m = report.data["machine"]
    print(
        f"\naccordwatch ledger benchmark - {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, "
        f"SQLite {m['sqlite']}, pymerkle {m['pymerkle']}; "
        f"entry ~{report.data.get('entry_bytes_mean', 0):.0f} bytes; "
        f"run {report.data['runtime_s']:.0f} s; load average before "
        f"{report.data['load_average_start'][0]:.2f}, after "
        f"{report.data['load_average_end'][0]:.2f}\n"
    )
    print(report.table())
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
