"""Benchmark sealing a confidential opening to its readers, and opening it.

Run from the repository root:

    .venv/bin/python bench/bench_sealing.py [--readers 1,5,20] [--payload-bytes N] [--rounds N]

An opening (32-byte salt and a payload of about `--payload-bytes` canonical
bytes, default 20,000: a nuclear declaration's order of size) is sealed with
`log.sealing.seal_opening` to 1, 5 and 20 readers' encryption keys (HPKE:
ML-KEM-768 + X25519, HKDF-SHA256, ChaCha20-Poly1305), as a submitter does
before it submits; then one reader opens its ciphertext and checks it
against the commitment (`open_sealed`), as a reader does. Each is repeated
`--rounds` times (default 20) and the median is given, with the CPU time
(`process_time`) beside the wall-clock time: on a shared machine the CPU
time is what the code costs. Figures are printed and written as JSON to
`bench/results/sealing-<date>-<time>.json` (the folder is not versioned).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accordwatch.log.envelope import Opening
from accordwatch.log.hpke import EncryptionKey
from accordwatch.log.sealing import Recipient, open_sealed, seal_opening

RESULTS = Path(__file__).resolve().parent / "results"
ORIGIN = "accordwatch.bench/sealing"


def _timed(fn: Any, rounds: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `fn()` over `rounds` calls."""
    wall, cpu = [], []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", default="1,5,20")
    parser.add_argument("--payload-bytes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    counts = [int(n) for n in args.readers.split(",")]
    keys = [EncryptionKey.generate() for _ in range(max(counts))]
    recipients = [Recipient(f"p{n}", k.key_id, k.public_key) for n, k in enumerate(keys)]
    opening = Opening(os.urandom(32), {"text": "x" * args.payload_bytes})
    commitment = opening.commitment()
    load = os.getloadavg()
    rows = []
    for count in counts:
        chosen = recipients[:count]
        seal_wall, seal_cpu = _timed(
            lambda chosen=chosen: seal_opening(opening, ORIGIN, commitment, chosen), args.rounds
        )
        sealed = seal_opening(opening, ORIGIN, commitment, chosen)
        open_wall, open_cpu = _timed(
            lambda s=sealed[-1], k=keys[count - 1]: open_sealed(
                s, k, ORIGIN, commitment, where="bench"
            ),
            args.rounds,
        )
        rows.append(
            {
                "readers": count,
                "seal_ms": round(seal_wall * 1000, 3),
                "seal_cpu_ms": round(seal_cpu * 1000, 3),
                "open_ms": round(open_wall * 1000, 3),
                "open_cpu_ms": round(open_cpu * 1000, 3),
                "ciphertext_bytes": sum(len(s.ciphertext) for s in sealed),
            }
        )
    print(f"{'readers':>7} {'seal ms':>9} {'(cpu)':>9} {'open ms':>9} {'(cpu)':>9} {'bytes':>9}")
    for r in rows:
        print(
            f"{r['readers']:>7} {r['seal_ms']:>9.2f} {r['seal_cpu_ms']:>9.2f} "
            f"{r['open_ms']:>9.2f} {r['open_cpu_ms']:>9.2f} {r['ciphertext_bytes']:>9}"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"sealing-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "parameters": vars(args),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_before": load,
                    "load_after": os.getloadavg(),
                },
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
