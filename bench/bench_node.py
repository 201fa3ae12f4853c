"""Benchmark `node sync`: a node verifying and storing a large log from its published tiles.

Run from the repository root:

    .venv/bin/python bench/bench_node.py [--entries N] [--batch N]

Builds a SQLite log of `--entries` signed `statement` entries with the batch
append (as `bench_ledger.py` does), writes it with `log publish` to a folder,
makes a node that follows that folder and times one `node sync` from empty:
reading the checkpoint, the level-0 hash tiles and every entry bundle,
checking each entry's leaf hash against the tiles the checkpoint proves, each
entry as the audit does (canonical form, Ed25519 signature, the signer's
authority against the replayed registry) and storing it (entries, Merkle
nodes, projections) in batches. Only the sync is timed; a second sync with
nothing new is timed too. Prints the figures and writes them as JSON to
`bench/results/node-<date>-<time>.json`. Target: 10,000 entries/s or more.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accordwatch.workspace import Workspace

# accordwatch is imported in the functions that use it: the processes a long sync
# starts to check signatures import the main module, as the command line's
# processes import its light entry point, not the whole store.

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 10_000.0
PARTY = "bench"
#: the entries' text, as long as `bench_ledger.py`'s (about 300 bytes an envelope)
FILLER = (
    "The inspectorate confirms receipt of the declaration and schedules the "
    "verification visit; seals at the storage site were found intact. "
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_log(home: Path, entries: int, batch: int) -> Workspace:
    """A log of `entries` signed statements (plus genesis and the party's registration)."""
    from accordwatch.log.envelope import seal
    from accordwatch.log.keys import SigningKey
    from accordwatch.workspace import init_workspace

    ws = init_workspace(home)
    ledger = ws.ledger()
    origin = ledger.origin
    registrar = SigningKey.read(next((ws.keys_dir / "registrar").glob("*.key")))
    key = SigningKey.generate()
    registration = [
        ("party.register", {"name": PARTY, "role": "party"}),
        (
            "key.register",
            {
                "party": PARTY,
                "key_id": key.key_id,
                "public_key": base64.b64encode(key.public_key).decode(),
            },
        ),
    ]
    for record_type, payload in registration:
        ledger.submit(
            seal(
                log=origin,
                record_type=record_type,
                party="registrar",
                key=registrar,
                time=datetime.now(UTC),
                payload=payload,
            )
        )
    done = 0
    while done < entries:
        count = min(batch, entries - done)
        now = datetime.now(UTC)
        ledger.append(
            [
                seal(
                    log=origin,
                    record_type="statement",
                    party=PARTY,
                    key=key,
                    time=now,
                    payload={"subject": f"benchmark statement {i}", "text": f"{i}: {FILLER}"},
                )
                for i in range(done, done + count)
            ]
        )
        done += count
    return ws


def _cpu_seconds() -> float:
    """CPU time of this process and of its child processes that ended (the signature checkers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from accordwatch.sources.node_sync import sync
    from accordwatch.sources.remote_log import NodeConfig
    from accordwatch.sources.tiles import publish
    from accordwatch.workspace import init_node

    log(f"building a log of {args.entries:,} statements ...")
    started = time.perf_counter()
    log_ws = build_log(work / "log", args.entries, 5_000)
    ledger = log_ws.ledger()
    size = ledger.size()
    log(f"  {size:,} entries in {time.perf_counter() - started:.1f} s; publishing ...")
    started = time.perf_counter()
    published = publish(ledger, None, work / "tiles")
    publish_s = time.perf_counter() - started
    tile_bytes = sum(p.stat().st_size for p in (work / "tiles").rglob("*") if p.is_file())
    log(f"  published {published.written:,} files ({tile_bytes / 1e6:.1f} MB) in {publish_s:.1f} s")

    node_ws = init_node(
        work / "node",
        log=str(work / "tiles"),
        log_key=ledger.signer.verifier.text(),
        party="bench-reader",
        policy=None,
    )
    node_ledger = node_ws.ledger()
    log("syncing the node ...")
    cpu_started = _cpu_seconds()
    started = time.perf_counter()
    done = sync(
        node_ledger,
        NodeConfig.read(node_ws.home),
        node_ws.home,
        now=node_ws.clock,
        batch=args.batch,
    )
    sync_s = time.perf_counter() - started
    sync_cpu_s = _cpu_seconds() - cpu_started
    assert done.size == size, (done.size, size)
    assert node_ledger.root(size) == ledger.root(size)
    started = time.perf_counter()
    again = sync(node_ledger, NodeConfig.read(node_ws.home), node_ws.home, now=node_ws.clock)
    again_s = time.perf_counter() - started
    assert again.size == size
    rate = size / sync_s
    return {
        "entries": size,
        "batch": args.batch,
        "publish_s": publish_s,
        "published_bytes": tile_bytes,
        "sync_s": sync_s,
        "sync_cpu_s": sync_cpu_s,
        "entries_per_s": rate,
        "entries_per_cpu_s": size / sync_cpu_s,
        "target_entries_per_s": TARGET,
        "meets_target": rate >= TARGET,
        "sync_nothing_new_s": again_s,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="statements in the log")
    parser.add_argument("--batch", type=int, default=4096, help="entries per node commit")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build (temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="accordwatch-node-", dir=args.workdir))
    load_before = os.getloadavg()
    try:
        figures = run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = {
        "figures": figures,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
    }
    print(
        f"node sync from published tiles: {figures['entries']:,} entries verified and stored "
        f"in {figures['sync_s']:.2f} s = {figures['entries_per_s']:,.0f} entries/s "
        f"(target {TARGET:,.0f}: {'met' if figures['meets_target'] else 'NOT met'}); "
        f"CPU (with the processes it started) {figures['sync_cpu_s']:.2f} s = "
        f"{figures['entries_per_cpu_s']:,.0f} entries per CPU second; "
        f"load average {report['machine']['load_before'][0]:.1f} before; "
        f"a sync with nothing new: {figures['sync_nothing_new_s'] * 1000:.0f} ms"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"node-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
