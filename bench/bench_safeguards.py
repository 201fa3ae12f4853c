"""Benchmark the material balance statistics against the targets of the safeguards issue.

Run from the repository root:

    .venv/bin/python bench/bench_safeguards.py [--repeat N] [--seed N]

Sandia's MAPIT (not on PyPI) takes 38.8 s on one core of a 2-core machine for
400 balances, 6 locations and 4 realisations (MUF, sigma MUF, covariance,
SITMUF, Page, GEMUF-V1), by `shared/vectors/mapit/README.md`. Measured here,
on a synthetic facility of that shape (a continuous feed and waste sampled
every time unit, receipt and product batches, a process tank and a store
sampled every time unit, 10 time units per balance, a balanced process, MAPIT's
error model):

- `mapit_shape`: from the time series to per-period totals and boundary
  inventories, then MUF, sigma MUF, CUMUF, SITMUF and Page's test, for 400
  balances x 4 realisations (target: under 1 % of MAPIT's time, 0.4 s);
- `large`: the same statistics for 10,000 balances of one realisation
  (target: under 2 s and 1 GB; peak memory from tracemalloc, which sees
  NumPy's buffers, and the process's maximum resident set);
- `monte_carlo`: `simulate` of 10,000 realisations of a 100-balance facility
  with a protracted diversion, with and without it (target: under 5 s).

Each figure is the best of `--repeat` runs (default 5). It prints a table and
writes everything as JSON to `bench/results/safeguards-<date>-<time>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from accordwatch.safeguards.balance_series import (
    boundary_inventories,
    continuous_totals,
    discrete_totals,
)
from accordwatch.safeguards.material_balance import (
    Balance,
    Evaluation,
    Location,
    Settings,
    evaluate,
)
from accordwatch.safeguards.simulation import Facility, Scenario, simulate

RESULTS = Path(__file__).resolve().parent / "results"
MBP = 10
MAPIT_SECONDS = {60: 0.87, 100: 1.95, 200: 8.7, 400: 38.8, 800: 192.9}
#: relative random and systematic SDs, MAPIT's data set
ERRORS = {
    "in0": (0.01, 0.005),
    "in1": (0.005, 0.003),
    "inv0": (0.01, 0.005),
    "inv1": (0.005, 0.002),
    "out0": (0.003, 0.002),
    "out1": (0.05, 0.03),
}


def series(rng: np.random.Generator, balances: int, realisations: int) -> dict[str, Any]:
    """Observed time series of the six locations, MAPIT's draw model."""
    t_end = balances * MBP
    steps = np.arange(t_end + 1, dtype=np.float64)
    receipts = np.arange(balances) * MBP + 3.5
    products = np.sort(np.concatenate([receipts - 1.0, receipts + 4.0]))
    receipt_mass = 20 + rng.uniform(-1, 1, receipts.size)
    product_mass = 31 + rng.uniform(-0.5, 0.5, products.size)
    # The tank takes up the difference, so the true process balances (true MUF = 0).
    tank = (
        100.0
        + (5.0 - 0.8) * steps
        + np.concatenate([[0.0], np.cumsum(receipt_mass)])[np.searchsorted(receipts, steps)]
        - np.concatenate([[0.0], np.cumsum(product_mass)])[np.searchsorted(products, steps)]
    )
    truth = {
        "in0": (steps, np.full(steps.size, 5.0)),
        "in1": (receipts, receipt_mass),
        "inv0": (steps, tank),
        "inv1": (steps, np.full(steps.size, 50.0)),
        "out0": (products, product_mass),
        "out1": (steps, np.full(steps.size, 0.8)),
    }
    out = {}
    for name, (times, values) in truth.items():
        r, s = ERRORS[name]
        systematic = rng.standard_normal((realisations, 1)) * s
        random = rng.standard_normal((realisations, times.size)) * r
        out[name] = (times, values * (1 + systematic + random))
    return out


def balance_from(observed: dict[str, Any], balances: int) -> Balance:
    convert = {
        "in0": continuous_totals,
        "in1": discrete_totals,
        "inv0": boundary_inventories,
        "inv1": boundary_inventories,
        "out0": discrete_totals,
        "out1": continuous_totals,
    }
    totals = {
        name: f(*observed[name], start=0.0, period=float(MBP), count=balances)
        for name, f in convert.items()
    }
    kinds = {"in0": "input", "in1": "input", "inv0": "inventory", "inv1": "inventory"}
    return Balance(
        balances,
        tuple(
            Location(name, kinds.get(name, "output"), values, *ERRORS[name])  # type: ignore[arg-type]
            for name, values in totals.items()
        ),
    )


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def all_statistics(observed: dict[str, Any], balances: int) -> Evaluation:
    return evaluate(balance_from(observed, balances), Settings())


def mapit_shape(rng: np.random.Generator, repeat: int) -> dict[str, Any]:
    observed = series(rng, 400, 4)
    seconds = best(repeat, lambda: all_statistics(observed, 400))
    prepared = balance_from(observed, 400)
    statistics_only = best(repeat, lambda: evaluate(prepared))
    return {
        "balances": 400,
        "locations": 6,
        "realisations": 4,
        "seconds": seconds,
        "seconds_statistics_only": statistics_only,
        "mapit_seconds": MAPIT_SECONDS[400],
        "fraction_of_mapit": seconds / MAPIT_SECONDS[400],
        "target_seconds": 0.01 * MAPIT_SECONDS[400],
    }


def large(rng: np.random.Generator, repeat: int) -> dict[str, Any]:
    balances = 10_000
    observed = series(rng, balances, 1)
    seconds = best(repeat, lambda: all_statistics(observed, balances))
    tracemalloc.start()
    all_statistics(observed, balances)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "balances": balances,
        "locations": 6,
        "realisations": 1,
        "seconds": seconds,
        "peak_traced_bytes": peak,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "dense_covariance_bytes": balances * balances * 8,
        "target_seconds": 2.0,
        "target_bytes": 1 << 30,
    }


def monte_carlo(repeat: int, seed: int) -> dict[str, Any]:
    balances = 100
    feed, receipts, product, waste = 50.0, 20.0, 62.0, 8.0
    locations = (
        Location("feed", "input", np.full(balances, feed), *ERRORS["in0"]),
        Location("receipts", "input", np.full(balances, receipts), *ERRORS["in1"]),
        Location("tank", "inventory", np.full(balances + 1, 100.0), *ERRORS["inv0"]),
        Location("store", "inventory", np.full(balances + 1, 50.0), *ERRORS["inv1"]),
        Location("product", "output", np.full(balances, product), *ERRORS["out0"]),
        Location("waste", "output", np.full(balances, waste), *ERRORS["out1"]),
    )
    facility = Facility(Balance(balances, locations), Settings())
    scenario = Scenario("protracted", start=21, amount=0.5, source="tank")
    realisations = 10_000
    result = None

    def run() -> None:
        nonlocal result
        result = simulate(facility, scenario, realisations=realisations, seed=seed)

    seconds = best(max(1, repeat // 2), run)
    assert result is not None
    return {
        "balances": balances,
        "realisations": realisations,
        "seconds": seconds,
        "target_seconds": 5.0,
        "tests": {
            name: {
                "false_alarm_rate": t.false_alarm_rate,
                "detection_probability": t.detection_probability,
            }
            for name, t in result.tests.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    load_before = os.getloadavg()
    figures = {
        "mapit_shape": mapit_shape(rng, args.repeat),
        "large": large(rng, args.repeat),
        "monte_carlo": monte_carlo(args.repeat, args.seed),
    }
    report = {
        "benchmark": "safeguards",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": vars(args),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "platform": platform.platform(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "figures": figures,
    }
    shape, big, mc = figures["mapit_shape"], figures["large"], figures["monte_carlo"]
    rows = [
        (
            "400 balances x 6 locations x 4 realisations",
            f"{shape['seconds']:.4f} s",
            f"< {shape['target_seconds']:.2f} s (MAPIT {shape['mapit_seconds']} s; "
            f"{shape['fraction_of_mapit']:.3%} of it)",
        ),
        ("  statistics only (totals prepared)", f"{shape['seconds_statistics_only']:.4f} s", ""),
        ("10,000 balances, all statistics", f"{big['seconds']:.3f} s", "< 2 s"),
        (
            "  peak traced memory",
            f"{big['peak_traced_bytes'] / 2**20:.1f} MiB",
            f"< 1 GiB (a dense covariance alone: {big['dense_covariance_bytes'] / 2**20:.0f} MiB)",
        ),
        ("  process max resident set", f"{big['max_rss_bytes'] / 2**20:.0f} MiB", ""),
        ("Monte Carlo 10,000 x 100 balances (+/- diversion)", f"{mc['seconds']:.3f} s", "< 5 s"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>12}  {target}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"safeguards-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
