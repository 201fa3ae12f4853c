"""Benchmark the compliance record: evaluating many events, importing many signed ones.

Run from the repository root:

    .venv/bin/python bench/bench_compliance.py [--events N] [--obligations N]
        [--import-rows N] [--batch N] [--seed N] [--pg-url URL]

Each phase runs in its own process, so that its peak memory (the process's
maximum resident set size) is its own.

1. `evaluate`: a seeded generator makes `--events` events (default
   1,000,000: launches of every class, satellite launches, launches the
   source does not classify, nuclear tests and observations, from 1990 to
   2030, some dated only to the month, some with unknown attributes, mostly
   by one actor, in salvos of one to eight rows) and `--obligations`
   obligations (default 200: the shipped UN Security Council ones and
   generated ones with all/any/not rules over type, class, site and range,
   each in force for some years). Timed: building the columns and matching
   every event against every obligation (`evaluate`); then, apart, the report
   counts per event and per missile. Targets: evaluate under 5 s, peak memory
   under 2 GB.
2. `import`: a file of `--import-rows` rows (default 100,000) in the CNS
   layout is imported as the `events import` command does it: parse, check
   each row against the record schema, plan against the log, sign and
   `Ledger.append` in batches of `--batch` (default 5,000), into a fresh
   SQLite workspace (and, with `--pg-url`, in a scratch schema of that PostgreSQL
   database, dropped afterwards). Then the same file is
   imported again (it must add nothing). Target: under 30 s.

Figures are printed and written as JSON to `bench/results/compliance-<time>.json`.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
CLASSES = ["SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "HGV", "cruise"]
SITES = [f"site-{i}" for i in range(60)]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_events(n: int, seed: int) -> list[Any]:
    from accordwatch.compliance.events import Event

    rng = random.Random(seed)
    start, end = date(1990, 1, 1).toordinal(), date(2030, 12, 31).toordinal()
    out: list[Event] = []
    occurrence = 0
    while len(out) < n:
        occurrence += 1
        day = date.fromordinal(rng.randrange(start, end))
        site = rng.choice(SITES)
        actor = "dprk" if rng.random() < 0.9 else rng.choice(["iran", "other"])
        precision = "month" if rng.random() < 0.01 else "day"
        if precision == "month":
            day = day.replace(day=1)
        for _ in range(min(rng.randint(1, 8), n - len(out))):
            r = rng.random()
            attrs: dict[str, Any] = {"site": site if rng.random() > 0.02 else None}
            if r < 0.75:
                kind = "missile_launch"
                attrs["missile_class"] = rng.choice(CLASSES) if rng.random() > 0.05 else None
                attrs["distance_km"] = rng.choice([None, rng.randrange(50, 13000)])
            elif r < 0.80:
                kind, attrs["missile_class"] = "satellite_launch", "SLV"
            elif r < 0.92:
                kind = "unclassified_launch"
            elif r < 0.96:
                kind = "nuclear_test"
                attrs["yield_kt"] = rng.choice([None, rng.uniform(0.5, 250)])
            else:
                kind = "observation"
                attrs["activity"] = rng.choice(["shipment", "excavation", "chemical-weapons-use"])
            out.append(
                Event(
                    event_id=f"bench:{len(out)}",
                    type=kind,
                    on=day,
                    occurrence=f"bench:{occurrence}",
                    actor=actor,
                    attributes={k: v for k, v in attrs.items() if v is not None},
                    count=1,
                    precision=precision,
                )
            )
    return out


def make_obligations(n: int, seed: int) -> Any:
    from accordwatch.compliance.obligations import builtin_obligations, load_obligations

    rng = random.Random(seed + 1)
    builtin = builtin_obligations()
    extra = n - len(builtin.obligations)
    lines = [
        "format: accordwatch/obligations/v1",
        "instruments:",
    ]
    adopted: list[int] = []
    for i in range(max(1, extra // 4)):
        year = rng.randrange(1995, 2025)
        adopted.append(year)
        lines.append(
            f"  - {{id: accord-{i}, title: Accord {i}, kind: accord clause, "
            f"adopted: {year}-01-01, binding: {str(rng.random() > 0.1).lower()}}}"
        )
    lines.append("obligations:")
    for j in range(extra):
        i = rng.randrange(len(adopted))
        year = adopted[i]
        start = rng.randrange(year, year + 5)
        ends = f"{start + rng.randrange(1, 15)}-12-31" if rng.random() < 0.5 else "null"
        classes = rng.sample(CLASSES, rng.randint(1, 4))
        shape = rng.random()
        if shape < 0.3:
            rule = (
                "{all: [{type: missile_launch}, "
                f"{{attribute: missile_class, in: [{', '.join(classes)}]}}]}}"
            )
        elif shape < 0.55:
            rule = (
                "{any: [{type: satellite_launch}, {all: [{type: missile_launch}, "
                f"{{attribute: distance_km, gte: {rng.randrange(300, 5500)}}}]}}]}}"
            )
        elif shape < 0.7:
            kt = rng.randrange(1, 50)
            rule = f"{{all: [{{type: nuclear_test}}, {{attribute: yield_kt, gt: {kt}}}]}}"
        elif shape < 0.85:
            sites = ", ".join(rng.sample(SITES, 5))
            rule = (
                "{all: [{type: [missile_launch, satellite_launch]}, "
                f"{{attribute: site, in: [{sites}]}}, "
                "{not: {attribute: missile_class, in: [SRBM]}}]}"
            )
        else:
            rule = "{all: [{type: observation}, {attribute: activity, eq: shipment}]}"
        lines.append(
            f"  - {{id: ob-{j}, instrument: accord-{i}, party: dprk, "
            f"effective: {max(start, year)}-01-01, ends: {ends}, text: generated, rule: {rule}}}"
        )
    from accordwatch.compliance.obligations import combine

    generated = load_obligations("\n".join(lines) + "\n", file="generated.yaml")
    return combine(builtin, generated)


def phase_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from accordwatch.compliance.report import build_report
    from accordwatch.compliance.violations import evaluate

    t = time.perf_counter()
    events = make_events(args.events, args.seed)
    obligations = make_obligations(args.obligations, args.seed)
    generated = time.perf_counter() - t
    as_of = date(2031, 1, 1)
    t = time.perf_counter()
    evaluation = evaluate(events, obligations, as_of)
    seconds = time.perf_counter() - t
    matches = sum(len(a) for a in evaluation.certain_rows)
    maybe = sum(len(a) for a in evaluation.uncertain_rows)
    peak_evaluate = peak_mb()
    out: dict[str, Any] = {
        "events": len(events),
        "obligations": len(obligations.obligations),
        "generate_seconds": round(generated, 2),
        "evaluate_seconds": round(seconds, 3),
        "certain_matches": matches,
        "uncertain_matches": maybe,
        "violating_rows": int((evaluation.row_status == 2).sum()),
        "peak_mb_after_evaluate": round(peak_evaluate),
    }
    for unit in ("event", "missile"):
        t = time.perf_counter()
        report = build_report(evaluation, [], unit=unit, year=2020)
        out[f"report_{unit}_2020_seconds"] = round(time.perf_counter() - t, 3)
        out[f"report_{unit}_2020_violations"] = report.totals.violations
    out["peak_mb"] = round(peak_mb())
    return out


def cns_rows(
    n: int,
    seed: int,
    *,
    day_of: Callable[[int], date] | None = None,
    row_key: Callable[[int], str] = str,
) -> bytes:
    """`n` synthetic launches in the CNS layout: four a day from 1993 unless `day_of(i)` says.

    Row `i` is keyed `row_key(i)`.
    """
    from accordwatch.compliance.event_cns import COLUMNS

    rng = random.Random(seed + 2)
    kinds = ["SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "SLV", "HGV", "Unknown"]
    lines = [",".join(COLUMNS)]
    for i in range(1, n + 1):
        if day_of is None:
            day = date.fromordinal(date(1993, 1, 1).toordinal() + i // 4)
        else:
            day = day_of(i)
        kind = rng.choice(kinds)
        site = rng.choice(SITES)
        distance = rng.choice(["", str(rng.randrange(50, 13000))])
        row = [
            row_key(i),
            day.isoformat(),
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
            "",
            str(i % 4 + 1),
            kind.lower(),
            f"Missile {kind}",
            kind,
            site,
            f"Site {site}",
            "39.0",
            "125.7",
            "sea-of-japan",
            "",
            distance,
            "unknown",
            distance or "unknown",
            rng.choice(["success", "failure", "unknown"]),
            '"A synthetic launch row of about the length of a CNS description, for timing."',
        ]
        lines.append(",".join(row))
    return ("\n".join(lines) + "\n").encode()


def import_once(ws: Any, data: bytes, batch: int) -> dict[str, float]:
    from accordwatch.cli.context import signing_key
    from accordwatch.compliance.event_files import checked, parse_events, plan_import
    from accordwatch.sources.appending import Signer
    from accordwatch.sources.compliance import append_events, compliance_records
    from accordwatch.sources.snapshot import Snapshot

    ledger = ws.ledger()
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    parsed = checked(parse_events(data, file="bench.csv", fmt="cns"))
    t1 = time.perf_counter()
    plan = plan_import(parsed.rows, compliance_records(Snapshot.latest(ledger)).known_rows())
    t2 = time.perf_counter()
    key = signing_key(ws, ledger.registry(), "monitor", None)
    added = append_events(ledger, plan.payloads, signer=Signer("monitor", key), batch=batch)
    t3 = time.perf_counter()
    times.update(
        parse_and_check_seconds=round(t1 - t0, 2),
        read_log_and_plan_seconds=round(t2 - t1, 2),
        sign_and_append_seconds=round(t3 - t2, 2),
        total_seconds=round(t3 - t0, 2),
        added=added,
        unchanged=plan.unchanged,
        problems=len(parsed.problems),
    )
    return times


@contextmanager
def scratch_schema(url: str | None) -> Iterator[str | None]:
    """None (SQLite), or the PostgreSQL URL with a fresh schema, dropped afterwards."""
    if url is None:
        yield None
        return
    import sqlalchemy as sa

    schema = f"aw_bench_{os.getpid()}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def phase_import(args: argparse.Namespace) -> dict[str, Any]:
    from accordwatch.cli import main
    from accordwatch.workspace import init_workspace

    data = cns_rows(args.import_rows, args.seed)
    out: dict[str, Any] = {"rows": args.import_rows, "batch": args.batch, "bytes": len(data)}
    with tempfile.TemporaryDirectory() as tmp, scratch_schema(args.db_url) as url:
        ws = init_workspace(Path(tmp) / "ws", database_url=url, origin="bench.local/log")
        main(["--home", str(ws.home), "party", "add", "monitor", "--role", "observer"])
        main(["--home", str(ws.home), "key", "new", "--party", "monitor"])
        out["first"] = import_once(ws, data, args.batch)
        out["again"] = import_once(ws, data, args.batch)
        ws.engine().dispose()
    out["peak_mb"] = round(peak_mb())
    return out


def child(phase: str, args: argparse.Namespace, db_url: str | None = None) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--events",
        str(args.events),
        "--obligations",
        str(args.obligations),
        "--import-rows",
        str(args.import_rows),
        "--batch",
        str(args.batch),
        "--seed",
        str(args.seed),
    ]
    if db_url:
        cmd += ["--db-url", db_url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {phase} failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--obligations", type=int, default=200)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-url", default=None, help="also import into this PostgreSQL database")
    parser.add_argument("--phase", choices=["evaluate", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--db-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "evaluate":
        print(json.dumps(phase_evaluate(args)))
        return
    if args.phase == "import":
        print(json.dumps(phase_import(args)))
        return

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_before": os.getloadavg()[0],
        },
        "parameters": vars(args) | {"phase": None, "db_url": None},
    }
    print(f"evaluate: {args.events:,} events x {args.obligations} obligations ...", file=sys.stderr)
    results["evaluate"] = ev = child("evaluate", args)
    print(f"import: {args.import_rows:,} rows (SQLite) ...", file=sys.stderr)
    results["import_sqlite"] = child("import", args)
    if args.pg_url:
        print(f"import: {args.import_rows:,} rows (PostgreSQL) ...", file=sys.stderr)
        results["import_postgresql"] = child("import", args, args.pg_url)
    results["machine"]["load_after"] = os.getloadavg()[0]

    print(
        f"evaluate {ev['events']:,} events x {ev['obligations']} obligations: "
        f"{ev['evaluate_seconds']} s (target < 5 s), peak {ev['peak_mb_after_evaluate']} MB "
        f"(target < 2048 MB); {ev['certain_matches']:,} certain and "
        f"{ev['uncertain_matches']:,} uncertain matches"
    )
    print(
        f"report for 2020: per event {ev['report_event_2020_seconds']} s, per missile "
        f"{ev['report_missile_2020_seconds']} s; process peak {ev['peak_mb']} MB"
    )
    for name in ("import_sqlite", "import_postgresql"):
        if name in results:
            r = results[name]
            f, a = r["first"], r["again"]
            print(
                f"{name}: {r['rows']:,} rows in {f['total_seconds']} s (target < 30 s): "
                f"parse+check {f['parse_and_check_seconds']} s, plan "
                f"{f['read_log_and_plan_seconds']} s, sign+append "
                f"{f['sign_and_append_seconds']} s; again: {a['total_seconds']} s, "
                f"{a['added']} added; peak {r['peak_mb']} MB"
            )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"compliance-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
