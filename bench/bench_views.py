"""Benchmark the dashboard's public views on a log of about 12,600 entries: first and repeated.

Run from the repository root:

    .venv/bin/python bench/bench_views.py [--entries N] [--repeats N] [--home DIR]

The log is the demo's (`accordwatch demo`: the road map, its history, the
declarations, the safeguards records, real launches and resolutions) filled
up to `--entries` (default 12,600) with launches in the CNS layout, signed by
the demo's observer `cns` and appended in batches as `events import` does,
dated from 2006 to 2025 so that most fall under the Security Council's
resolutions. With `--home DIR` the workspace there is used as it is, or
built there first (and kept) if DIR does not exist.

The views are requested in process (FastAPI's TestClient on
`create_app`, one application, as one worker of `accordwatch serve`):
`/compliance.json`, `/overview.json`, `/compliance.svg` and `/roadmap.svg`,
each with the default `as_of` (today). "first" is the first request after
the application starts; "repeat" the median of `--repeats` more requests at
the same checkpoint; "next checkpoint" the first request after one more
entry is appended (a new signed checkpoint, so the views are computed
again). Target: a repeated request under 50 ms.

Figures are printed and written as JSON to `bench/results/views-<time>.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import bench_compliance

RESULTS = Path(__file__).resolve().parent / "results"
PATHS = ("/compliance.json", "/overview.json", "/compliance.svg", "/roadmap.svg")
FIRST_DAY, LAST_DAY = date(2006, 1, 1), date(2025, 12, 31)


def cns_rows(n: int, seed: int) -> bytes:
    """`n` synthetic launches in the CNS layout, spread over 2006-2025."""
    span = LAST_DAY.toordinal() - FIRST_DAY.toordinal()

    def day_of(i: int) -> date:
        return date.fromordinal(FIRST_DAY.toordinal() + (i * span) // (n + 1))

    return bench_compliance.cns_rows(n, seed, day_of=day_of, row_key=lambda i: f"9{i:06d}")


def build(home: Path, entries: int, seed: int) -> dict[str, Any]:
    """The demo's workspace at `home`, filled with launches up to `entries` entries."""
    from accordwatch.cli import main
    from accordwatch.cli.context import signing_key
    from accordwatch.compliance.event_files import checked, parse_events, plan_import
    from accordwatch.sources.appending import Signer
    from accordwatch.sources.compliance import append_events, compliance_records
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.workspace import Workspace

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["demo", "--home", str(home)])
    ws = Workspace.open(home)
    ledger = ws.ledger()
    demo_size = ledger.size()
    missing = max(0, entries - demo_size)
    parsed = checked(parse_events(cns_rows(missing, seed), file="bench.csv", fmt="cns"))
    plan = plan_import(parsed.rows, compliance_records(Snapshot.latest(ledger)).known_rows())
    key = signing_key(ws, ledger.registry(), "cns", None)
    append_events(ledger, plan.payloads, signer=Signer("cns", key), batch=5000)
    return {
        "demo_entries": demo_size,
        "added_launches": len(plan.payloads),
        "entries": ledger.size(),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def one_more_entry(home: Path) -> None:
    """Append a statement by the registrar: a new signed checkpoint."""
    from accordwatch.cli.context import submit_as
    from accordwatch.workspace import Workspace

    ws = Workspace.open(home)
    submit_as(
        ws, ws.ledger(), ws.settings.registrar, None, "statement", {"subject": "next checkpoint"}
    )


def timed_get(client: Any, path: str) -> tuple[float, int]:
    """Milliseconds to answer `GET path`, and the size of the answer."""
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:300]}")
    return elapsed, len(answer.content)


def measure(home: Path, repeats: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from accordwatch.service.api.app import create_app
    from accordwatch.workspace import Workspace

    out: dict[str, dict[str, float]] = {}
    with TestClient(create_app(Workspace.open(home))) as client:
        for path in PATHS:
            first, size = timed_get(client, path)
            again = [timed_get(client, path)[0] for _ in range(repeats)]
            out[path] = {
                "bytes": size,
                "first_ms": round(first, 1),
                "repeat_median_ms": round(statistics.median(again), 2),
                "repeat_max_ms": round(max(again), 2),
            }
        one_more_entry(home)
        for path in PATHS:
            out[path]["next_checkpoint_ms"] = round(timed_get(client, path)[0], 1)
            out[path]["next_repeat_ms"] = round(timed_get(client, path)[0], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=12_600)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--home", type=Path, default=None, help="workspace to use (built there if missing)"
    )
    args = parser.parse_args()

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_before": os.getloadavg()[0],
        },
        "parameters": {k: str(v) for k, v in vars(args).items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "ws"
        if not home.exists():
            print(f"building the demo log and filling it to {args.entries:,} ...", file=sys.stderr)
            results["log"] = build(home, args.entries, args.seed)
            print(json.dumps(results["log"]), file=sys.stderr)
        results["views"] = views = measure(home, args.repeats)
    results["machine"]["load_after"] = os.getloadavg()[0]

    print(
        f"{'view':<18} {'bytes':>10} {'first':>9} {'repeat':>9} {'next cp':>9} {'again':>9}  (ms)"
    )
    for path, v in views.items():
        print(
            f"{path:<18} {v['bytes']:>10,} {v['first_ms']:>9} {v['repeat_median_ms']:>9} "
            f"{v['next_checkpoint_ms']:>9} {v['next_repeat_ms']:>9}"
        )
    RESULTS.mkdir(exist_ok=True)
    written = RESULTS / f"views-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    written.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {written}")


if __name__ == "__main__":
    main()
