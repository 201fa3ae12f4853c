"""How far the plug-in variances move SITMUF and Page's test from their nominal behaviour.

Run from the repository root:

    .venv/bin/python bench/plug_in_bias.py [--realisations N] [--seed N]

On the facility of `bench_safeguards.py`'s Monte Carlo (six locations, MAPIT's
relative errors: 0.3 % to 5 % random, 0.2 % to 3 % systematic), without any
loss, for each way of building the covariance (`observed`: plug-in estimates
from the observed values, accordwatch's default; `declared`: from the true
values, `--systematic-from declared`):

- the standard deviation of SITMUF over realisations, pooled over balances
  1-100 and over balances 9,901-10,000 of a 10,000-balance sequence (1 for a
  standard normal);
- the share of realisations in which Page's test (K = 0.5, h = 5) alarms within
  1,000 balances, against the exact probability from its run-length
  distribution (`detection.page_alarm_probability`).

These are the figures that `docs/safeguards.md` quotes. It prints them and
writes them as JSON to `bench/results/plug-in-<date>-<time>.json`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from accordwatch.safeguards.detection import page_alarm_probability
from accordwatch.safeguards.material_balance import Balance, Location, Settings, evaluate
from accordwatch.safeguards.simulation import _error_factors
from bench_safeguards import ERRORS, RESULTS


def facility(balances: int) -> Balance:
    flows = {"feed": 50.0, "receipts": 20.0, "product": 62.0, "waste": 8.0}
    return Balance(
        balances,
        (
            Location("feed", "input", np.full(balances, flows["feed"]), *ERRORS["in0"]),
            Location("receipts", "input", np.full(balances, flows["receipts"]), *ERRORS["in1"]),
            Location("tank", "inventory", np.full(balances + 1, 100.0), *ERRORS["inv0"]),
            Location("store", "inventory", np.full(balances + 1, 50.0), *ERRORS["inv1"]),
            Location("product", "output", np.full(balances, flows["product"]), *ERRORS["out0"]),
            Location("waste", "output", np.full(balances, flows["waste"]), *ERRORS["out1"]),
        ),
    )


def observed_runs(
    truth: Balance, realisations: int, rng: np.random.Generator, chunk: int
) -> list[Balance]:
    runs = []
    done = 0
    while done < realisations:
        size = min(chunk, realisations - done)
        factors = _error_factors(truth, rng, size)
        runs.append(
            replace(
                truth,
                locations=tuple(
                    replace(loc, values=loc.values * f)
                    for loc, f in zip(truth.locations, factors, strict=True)
                ),
            )
        )
        done += size
    return runs


def measure(realisations: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    settings = Settings()
    out: dict[str, Any] = {"realisations": realisations, "seed": seed}
    long_truth = facility(10_000)
    short_truth = facility(1_000)
    long_runs = observed_runs(long_truth, realisations // 10, rng, chunk=50)
    short_runs = observed_runs(short_truth, realisations, rng, chunk=500)
    for source in ("observed", "declared"):
        early: list[np.ndarray[Any, Any]] = []
        late: list[np.ndarray[Any, Any]] = []
        for run in long_runs:
            declared = long_truth if source == "declared" else None
            result = evaluate(run, settings, declared=declared)
            early.append(result.sitmuf[:, :100].ravel())
            late.append(result.sitmuf[:, -100:].ravel())
        alarms = 0
        for run in short_runs:
            declared = short_truth if source == "declared" else None
            result = evaluate(run, settings, declared=declared)
            alarms += int(result.alarms["page"].any(axis=-1).sum())
        out[source] = {
            "sitmuf_sd_balances_1_100": float(np.std(np.concatenate(early))),
            "sitmuf_sd_balances_9901_10000": float(np.std(np.concatenate(late))),
            "page_false_alarm_1000": alarms / realisations,
        }
    out["page_false_alarm_1000_exact"] = page_alarm_probability(1_000, 0.0, 0.5, 5.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realisations", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    out = measure(args.realisations, args.seed)
    for source in ("observed", "declared"):
        row = out[source]
        print(
            f"{source:>8}: SITMUF sd {row['sitmuf_sd_balances_1_100']:.3f} (balances 1-100), "
            f"{row['sitmuf_sd_balances_9901_10000']:.3f} (9,901-10,000); "
            f"Page false alarms within 1,000 balances {row['page_false_alarm_1000']:.3f}"
        )
    exact = out["page_false_alarm_1000_exact"]
    print(f"   exact: Page false alarms within 1,000 balances {exact:.3f}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"plug-in-{stamp}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
