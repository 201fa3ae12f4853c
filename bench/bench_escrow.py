"""Benchmark escrowed declarations: escrow a million items, open one part, verify it.

Run from the repository root:

    .venv/bin/python bench/bench_escrow.py [--items N] [--parts N] [--seed N]

A missile declaration document of `--items` missiles (default 1,000,000) at
`--parts` facilities (default 100), each facility in its own region, is built
in memory (seeded). Then, in one child process so that its peak memory
(`ru_maxrss`) is its own:

1. `escrow`: `declaration_items` partitions it by region (each missile is in
   its facility's region) and `build_escrow` salts every item with 32 random
   bytes, builds one RFC 9162 tree per part and the escrow root over the
   parts. Target: under 10 s, under 1 GB (the whole process: the declaration
   document included).
2. `file`: the declarant's escrow file is written (`write_escrow_file`), as
   `accordwatch declaration escrow` keeps it in the workspace.
3. `reveal`: one part is read back from the file (`read_header`, `read_part`)
   and opened (`reveal_part`: its items, salts and inclusion proof), and its
   `escrow.reveal` payload is built.
4. `verify`: the payload is read as the log reads it (`RevealRecord`, which
   checks the items against the root it names) and checked against the
   escrow record (`check_reveal`): every item hashes to a leaf of the part,
   the part is complete, its root is in the escrow root. Target for reveal
   and verify of one part: under 1 s.

Wall-clock and CPU times (`process_time`) are both given: on a machine shared
with other work the CPU time is what the code costs, the wall-clock time what
the wait was; the load averages before and after are recorded. Figures are
printed and written as JSON to `bench/results/escrow-<date>-<time>.json` (the
folder is not versioned).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
TYPES = ("Scud-B", "Scud-C", "Nodong", "Hwasong-12", "Hwasong-15")


def declaration(items: int, parts: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    facilities = [
        {
            "id": f"base-{n:03d}",
            "name": f"Base {n}",
            "kind": "base",
            "location": {
                "latitude": round(38 + n / 100, 2),
                "longitude": round(125 + n / 100, 2),
                "region": f"r{n:03d}",
            },
            "status": "operating",
        }
        for n in range(parts)
    ]
    missiles = [
        {
            "uid": f"M-{n:08d}",
            "type": TYPES[n % len(TYPES)],
            "status": "deployed" if rng.random() < 0.6 else "stored",
            "location": f"base-{n % parts:03d}",
        }
        for n in range(items)
    ]
    return {
        "id": "bench",
        "program": "missile",
        "party": "dprk",
        "as_of": "2021-03-31",
        "missile_types": [],
        "facilities": facilities,
        "missiles": missiles,
        "launchers": [],
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(items: int, parts: int, seed: int, workdir: Path) -> dict[str, Any]:
    """The measurements, in this process."""
    from accordwatch.declarations.escrow import build_escrow, declaration_items, reveal_part
    from accordwatch.declarations.escrow_file import read_header, read_part, write_escrow_file
    from accordwatch.declarations.escrow_log import LoggedEscrow, check_reveal
    from accordwatch.declarations.escrow_records import (
        EscrowRecord,
        RevealRecord,
        reveal_payload,
    )

    out: dict[str, Any] = {}
    doc = declaration(items, parts, seed)
    out["document_peak_mb"] = round(_peak_mb(), 1)

    t, cpu = time.perf_counter(), time.process_time()
    escrow = build_escrow(declaration_items(doc, "region"), secrets.token_bytes)
    out["escrow_s"] = round(time.perf_counter() - t, 3)
    out["escrow_cpu_s"] = round(time.process_time() - cpu, 3)
    out["escrow_peak_mb"] = round(_peak_mb(), 1)
    out["parts"] = len(escrow.parts)
    out["leaves"] = sum(c.count for c in escrow.commitments)
    record = EscrowRecord.model_validate(
        {
            "escrow_id": "bench",
            "party": "dprk",
            "declaration_id": "bench",
            "program": "missile",
            "as_of": "2021-03-31",
            "partition_by": "region",
            "root": escrow.root.hex(),
            "parts": [
                {"name": c.name, "root": c.root.hex(), "count": c.count} for c in escrow.commitments
            ],
        }
    )
    path = workdir / "bench.jsonl"
    t = time.perf_counter()
    with path.open("wb") as fh:
        write_escrow_file(fh, escrow, record.model_dump(mode="json"))
    out["file_s"] = round(time.perf_counter() - t, 3)
    out["file_mb"] = round(path.stat().st_size / 2**20, 1)
    name = escrow.parts[len(escrow.parts) // 2].name
    del escrow, doc

    t, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as fh:
        header = read_header(fh, str(path))
        part = read_part(fh, header, name, str(path))
    opening = reveal_part(part, record.commitments())
    payload = reveal_payload(opening, escrow_index=1, escrow=record, step=None)
    out["reveal_s"] = round(time.perf_counter() - t, 3)
    out["reveal_cpu_s"] = round(time.process_time() - cpu, 3)
    out["reveal_items"] = len(payload["items"])

    t, cpu = time.perf_counter(), time.process_time()
    reveal = RevealRecord.model_validate(payload)
    escrows = {1: LoggedEscrow(1, datetime.now(UTC), "dprk", record)}
    problem = check_reveal(reveal, 2, escrows)
    out["verify_s"] = round(time.perf_counter() - t, 3)
    out["verify_cpu_s"] = round(time.process_time() - cpu, 3)
    if problem:
        raise SystemExit(f"the reveal does not verify: {problem}")
    out["reveal_and_verify_s"] = round(out["reveal_s"] + out["verify_s"], 3)
    out["peak_mb"] = round(_peak_mb(), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = run(args.items, args.parts, args.seed, Path(args.child))
        print(json.dumps(figures))
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.run(
            [sys.executable, __file__, "--items", str(args.items), "--parts", str(args.parts),
             "--seed", str(args.seed), "--child", tmp],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    result = {
        "params": vars(args) | {"child": None},
        "figures": figures,
        "targets": {
            "escrow_under_10s": figures["escrow_s"] < 10,
            "escrow_under_1gb": figures["escrow_peak_mb"] < 1024,
            "reveal_and_verify_under_1s": figures["reveal_and_verify_s"] < 1,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
    }
    for key, value in figures.items():
        print(f"{key:>22}: {value}")
    for key, ok in result["targets"].items():
        print(f"{key:>22}: {'met' if ok else 'MISSED'}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"escrow-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
