"""Benchmark declarations: spreadsheet import, and check and diff of very large declarations.

Run from the repository root:

    .venv/bin/python bench/bench_declaration.py [--rows N] [--items N] [--seed N]

Three measurements, each in a fresh child process so that its peak memory
(`ru_maxrss`) is its own:

1. `import`: a missile declaration workbook of `--rows` data rows (default
   100,000: 70 % missiles, 30 % launchers, plus types and facilities) is
   written, then read back by `read_workbook` (streaming, with its progress
   callback) and checked for internal consistency, as `accordwatch
   declaration import` does. Target: under 30 s, under 2 GB.
2. `missile`: two missile declarations of `--items` items each (default
   1,000,000), the second an update of the first (eliminations and
   productions with their records, a few planted unexplained changes), are
   written as JSON; the run reads and parses both (`parse_declaration_json`),
   then times `review` of the second against the first (internal, over time,
   completeness, launches) and `diff_declarations`, with the garbage
   collector paused throughout as the `declaration check` and `diff`
   commands do. Target: reading, check and diff together under 10 s, under
   2 GB.
3. `nuclear`: the same with two nuclear declarations of `--items` inventory
   lines each (batches in 1,000 balance areas, shipments recorded).

The generators are seeded. Figures are printed and written as JSON to
`bench/results/declaration-<date>-<time>.json` (the folder is not versioned).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from accordwatch.declarations.base import Program
from accordwatch.declarations.check import check_internal
from accordwatch.declarations.diff import diff_declarations
from accordwatch.declarations.history import Filed
from accordwatch.declarations.reading import collector_paused, parse_declaration_json
from accordwatch.declarations.review import review
from accordwatch.declarations.xlsx import read_workbook, write_workbook

TYPES = [
    ("Scud-B", "SRBM", 300),
    ("Scud-C", "SRBM", 500),
    ("Nodong", "MRBM", 1300),
    ("Hwasong-12", "IRBM", 4500),
    ("Hwasong-15", "ICBM", 13000),
]
FACILITIES = ["base-a", "base-b", "store-c", "plant-d"]


def _header(program: str, ident: str, as_of: str, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "program": program, "party": "dprk", "as_of": as_of, **extra}


def missile_doc(items: int, rng: random.Random) -> dict[str, Any]:
    n_missiles = items * 7 // 10
    missiles = []
    for n in range(n_missiles):
        name = TYPES[n % len(TYPES)][0]
        status = "deployed" if rng.random() < 0.6 else "stored"
        missiles.append(
            {"uid": f"M-{n:08d}", "type": name, "status": status, "location": FACILITIES[n % 3]}
        )
    launchers = [
        {
            "uid": f"L-{n:08d}",
            "kind": "TEL",
            "missile_type": TYPES[n % len(TYPES)][0],
            "status": "deployed",
            "location": FACILITIES[n % 3],
        }
        for n in range(items - n_missiles)
    ]
    doc = _header("missile", "bench-missile-1", "2021-01-01")
    doc["missile_types"] = [
        {
            "name": name,
            "missile_class": cls,
            "propellant": "liquid",
            "stages": 1,
            "range_km": rng_km,
            "payload_kg": 500,
            "declared_missiles": sum(1 for m in missiles if m["type"] == name),
            "declared_launchers": sum(1 for x in launchers if x["missile_type"] == name),
        }
        for name, cls, rng_km in TYPES
    ]
    doc["facilities"] = [
        {
            "id": f,
            "name": f,
            "kind": "production" if f == "plant-d" else "deployment",
            "location": {"latitude": 39.0 + i / 10, "longitude": 125.0 + i / 10},
            "status": "operating",
        }
        for i, f in enumerate(FACILITIES)
    ]
    doc["missiles"] = missiles
    doc["launchers"] = launchers
    doc["changes"] = []
    return doc


def missile_update(before: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    after: dict[str, Any] = json.loads(json.dumps(before))
    after.update(id="bench-missile-2", as_of="2021-07-01", updates="bench-missile-1")
    changes = []
    for m in rng.sample(after["missiles"], 1000):
        m["status"] = "eliminated"
        changes.append(
            {"date": "2021-03-01", "kind": "eliminated", "uid": m["uid"], "method": "cut"}
        )
    start = len(after["missiles"]) + len(after["launchers"])
    for n in range(1000):
        uid = f"M-{start + n:08d}"
        after["missiles"].append(
            {"uid": uid, "type": "Scud-B", "status": "stored", "location": "store-c"}
        )
        changes.append(
            {"date": "2021-04-01", "kind": "produced", "uid": uid, "facility": "plant-d"}
        )
    after["missiles"][5]["status"] = "stored"
    del after["missiles"][10]  # planted: vanishes without an elimination record
    after["changes"] = changes
    for t in after["missile_types"]:
        name = t["name"]
        t["declared_missiles"] = sum(
            1 for m in after["missiles"] if m["type"] == name and m["status"] != "eliminated"
        )
    return after


def nuclear_doc(items: int, rng: random.Random) -> dict[str, Any]:
    mbas = [f"mba-{n:04d}" for n in range(1000)]
    doc = _header("nuclear", "bench-nuclear-1", "2021-01-01")
    doc["sites"] = [
        {
            "id": "site-a",
            "name": "site a",
            "category": "storage",
            "location": {"latitude": 39.8, "longitude": 125.75},
            "status": "operating",
        }
    ]
    doc["material_balance_areas"] = [{"id": m, "site": "site-a"} for m in mbas]
    doc["key_measurement_points"] = []
    lines = []
    totals: dict[str, list[Decimal]] = {m: [Decimal(0), Decimal(0)] for m in mbas}
    for n in range(items):
        mba = mbas[n % len(mbas)]
        mass = Decimal(rng.randint(1000, 9000)) / 10
        isotope = (mass * Decimal("0.93")).quantize(Decimal("0.01"))
        lines.append(
            {
                "mba": mba,
                "batch": f"b-{n:08d}",
                "material": "plutonium",
                "element_mass": str(mass),
                "isotope_mass": str(isotope),
                "unit": "g",
                "physical_form": "oxide",
            }
        )
        totals[mba][0] += mass
        totals[mba][1] += isotope
    doc["inventory"] = lines
    doc["inventory_totals"] = [
        {
            "mba": m,
            "material": "plutonium",
            "element_mass": str(e),
            "isotope_mass": str(i),
            "unit": "g",
            "items": items // len(mbas) + (1 if n < items % len(mbas) else 0),
        }
        for n, (m, (e, i)) in enumerate(totals.items())
    ]
    doc["production_history"] = []
    doc["weapons"] = []
    doc["inventory_changes"] = []
    return doc


def nuclear_update(before: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    after: dict[str, Any] = json.loads(json.dumps(before))
    after.update(id="bench-nuclear-2", as_of="2021-07-01", updates="bench-nuclear-1")
    totals = {t["mba"]: t for t in after["inventory_totals"]}
    changes = []
    for line in rng.sample(after["inventory"], 1000):
        gone = Decimal(line["element_mass"]) / 2
        gone_iso = Decimal(line["isotope_mass"]) / 2
        line["element_mass"] = str(Decimal(line["element_mass"]) - gone)
        line["isotope_mass"] = str(Decimal(line["isotope_mass"]) - gone_iso)
        total = totals[line["mba"]]
        total["element_mass"] = str(Decimal(total["element_mass"]) - gone)
        total["isotope_mass"] = str(Decimal(total["isotope_mass"]) - gone_iso)
        changes.append(
            {
                "date": "2021-03-01",
                "mba": line["mba"],
                "kind": "shipment",
                "material": "plutonium",
                "element_mass": str(gone),
                "isotope_mass": str(gone_iso),
                "unit": "g",
            }
        )
    after["inventory_changes"] = changes
    return after


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_import(rows: int, seed: int, work: Path) -> dict[str, Any]:
    doc = missile_doc(rows, random.Random(seed))
    path = work / "import.xlsx"
    write_workbook(path, Program.MISSILE, doc)
    del doc
    ticks = []
    started = time.perf_counter()
    declaration, _ = read_workbook(path, progress=lambda done, total: ticks.append(done))
    read = time.perf_counter() - started
    problems = check_internal(declaration)
    total = time.perf_counter() - started
    assert not problems, problems[:3]
    return {
        "rows": rows + len(TYPES) + len(FACILITIES),
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "read_s": round(read, 2),
        "read_and_check_s": round(total, 2),
        "progress_calls": len(ticks),
        "peak_rss_mb": round(_maxrss_mb()),
    }


def _paths(program: str, work: Path) -> list[Path]:
    return [work / f"{program}-1.json", work / f"{program}-2.json"]


def phase_make(program: str, items: int, seed: int, work: Path) -> dict[str, Any]:
    """Write the two declarations as JSON (in its own process: not part of the figures)."""
    rng = random.Random(seed)
    make, update = (
        (missile_doc, missile_update) if program == "missile" else (nuclear_doc, nuclear_update)
    )
    before = make(items, rng)
    after = update(before, rng)
    for path, doc in zip(_paths(program, work), (before, after), strict=True):
        path.write_text(json.dumps(doc))
    return {}


def phase_pair(program: str, items: int, seed: int, work: Path) -> dict[str, Any]:
    paths = _paths(program, work)
    # As `accordwatch declaration check` and `diff` do: one pause of the garbage
    # collector over reading and checking or comparing (see `collector_paused`).
    with collector_paused():
        started = time.perf_counter()
        a = parse_declaration_json(paths[0].read_bytes())
        b = parse_declaration_json(paths[1].read_bytes())
        parsed = time.perf_counter() - started
        started = time.perf_counter()
        result = review(Filed(2, "dprk", b), [Filed(1, "dprk", a)], accord=None)
        checked = time.perf_counter() - started
        started = time.perf_counter()
        changes = diff_declarations(a, b)
        diffed = time.perf_counter() - started
    planted = [p.kind for p in result.problems if p.check == "over time"]
    return {
        "items_each": items,
        "json_mb_each": round(paths[0].stat().st_size / 1e6, 1),
        "parse_both_s": round(parsed, 2),
        "check_s": round(checked, 2),
        "diff_s": round(diffed, 2),
        "check_and_diff_s": round(checked + diffed, 2),
        "parse_check_and_diff_s": round(parsed + checked + diffed, 2),
        "over_time_findings": planted,
        "internal_problems": sum(1 for p in result.problems if p.check == "internal"),
        "diff_entries": len(changes.changes),
        "totals_changed": len(changes.changed_totals()),
        "peak_rss_mb": round(_maxrss_mb()),
    }


def _child(args: argparse.Namespace, phase: str, work: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--rows", str(args.rows)]
    cmd += ["--items", str(args.items), "--seed", str(args.seed), "--workdir", str(work)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--phase", choices=["import", "missile", "nuclear", "make-missile", "make-nuclear"]
    )
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "import":
            figures = phase_import(args.rows, args.seed, args.workdir)
        elif args.phase.startswith("make-"):
            figures = phase_make(args.phase[5:], args.items, args.seed, args.workdir)
        else:
            figures = phase_pair(args.phase, args.items, args.seed, args.workdir)
        print(json.dumps(figures))
        return
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for phase in ("import", "missile", "nuclear"):
            print(f"running {phase} ...", file=sys.stderr)
            if phase != "import":
                _child(args, f"make-{phase}", Path(tmp))
            results[phase] = _child(args, phase, Path(tmp))
            print(f"  {json.dumps(results[phase])}", file=sys.stderr)
    record = {
        "benchmark": "declaration",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"rows": args.rows, "items": args.items, "seed": args.seed},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "targets": {"import_s": 30, "parse_check_and_diff_s": 10, "peak_rss_mb": 2048},
        "results": results,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    target = out / f"declaration-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    target.write_text(json.dumps(record, indent=2) + "\n")
    imp, mis, nuc = results["import"], results["missile"], results["nuclear"]
    print(f"import {imp['rows']} rows: {imp['read_and_check_s']} s, {imp['peak_rss_mb']} MB")
    for name, r in (("missile", mis), ("nuclear", nuc)):
        print(
            f"{name} 2 x {r['items_each']} items: parse {r['parse_both_s']} s, check "
            f"{r['check_s']} s, diff {r['diff_s']} s, total {r['parse_check_and_diff_s']} s, "
            f"peak {r['peak_rss_mb']} MB"
        )
    print(f"written to {target}")


if __name__ == "__main__":
    main()
