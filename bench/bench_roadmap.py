"""Benchmark the road map evaluation on a large synthetic accord.

Run from the repository root:

    .venv/bin/python bench/bench_roadmap.py [--steps N] [--records N] [--years N] [--seed N]

A seeded generator builds an accord of `--steps` steps (default 1,000) over
`--years` years (default 10) between an inspected state, a counterpart, an
inspectorate and a guarantor (about 70 % inspected steps verified by the
inspectorate, 30 % concessions acknowledged by the inspected state; fixed,
end-of-phase and relative deadlines; prerequisites), and `--records` step
reports and verification results (default 100,000; some backdated, some
disputed, some by the wrong party). It times:

- `evaluate` as of the last day (targets: under 0.5 s), and as of mid-period;
- `Status.to_json` on that status;
- a daily `timeline` over the whole period (target: under 10 s);
- the accord's `--consequences` consequences (default 200: overdue,
  verification and violation triggers, alone or in any/all, each holding back
  a few concessions until a step is verified) against 2,000 synthetic
  violations of its two obligations and responses to half of the occasions,
  evaluated as of the last day given its status (target: under 0.5 s);

and checks the timeline against `evaluate` on a few sampled days.

`accord assess` of the same accord, consequences included, written as a file
(deadlines `accord check` finds cannot be met rewritten to count from the
step they wait for) with per-party and per-kind delays, and `--assess-runs`
Monte Carlo runs (default 10,000): reading and checking the file and the
assessment, in this process (target: under 5 s), and the whole command in a
child process, with its peak memory (target: under 1 GB).

It prints a table and writes every figure as JSON to `bench/results/`
(gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from accordwatch.compliance.obligations import Instrument, Obligation
from accordwatch.compliance.responses import Response
from accordwatch.compliance.rules import parse_rule
from accordwatch.compliance.violations import Evidence, Violation
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.accord_check import load_accord
from accordwatch.roadmap.assessment import Assessment, assess
from accordwatch.roadmap.consequences import Consequences, evaluate_consequences
from accordwatch.roadmap.status import (
    Report,
    RoadmapRecord,
    Signature,
    Status,
    VerificationResult,
    evaluate,
    timeline,
)

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")

INSPECTED_KINDS = ["declare", "freeze", "grant access", "disable", "dismantle", "remove"]


OBLIGATIONS = ("no-tests", "no-launches")


def build_consequences(
    rng: random.Random, steps: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    """`count` consequences on inspected steps, each holding back up to 3 concessions."""
    inspected = [s["id"] for s in steps if s["kind"] != "concession"]
    concessions = [s["id"] for s in steps if s["kind"] == "concession"]

    def single() -> dict[str, Any]:
        roll = rng.random()
        if roll < 0.5:
            return {"overdue": {"step": rng.choice(inspected), "days": rng.randrange(0, 90)}}
        if roll < 0.8:
            result = rng.choice(["verified", "not-verified", "not-verified"])
            return {"verification": {"step": rng.choice(inspected), "result": result}}
        return {"violation": {"obligation": rng.choice(OBLIGATIONS)}}

    out = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.6:
            when = single()
        else:
            when = {"any" if roll < 0.85 else "all": [single() for _ in range(rng.randint(2, 3))]}
        leaf = when if "any" not in when and "all" not in when else next(iter(when.values()))[0]
        body = next(iter(leaf.values()))
        until = body.get("step", rng.choice(inspected))
        out.append(
            {
                "id": f"c{i:03d}",
                "party": "usa",
                "when": when,
                "respond": {"kind": "resume-exercises", "within_days": rng.choice([30, 60, 90])},
                "suspends": rng.sample(concessions, k=min(len(concessions), rng.randint(1, 3))),
                "until": {"step": until, "verified": True},
                "text": f"Consequence {i}",
            }
        )
    return out


def build_accord(
    rng: random.Random, steps: int, start: date, years: int, consequences: int = 0
) -> Accord:
    phases = [
        {
            "id": f"phase-{i + 1}",
            "title": f"Phase {i + 1}",
            "ends": date(start.year + i, 12, 31).isoformat(),
        }
        for i in range(years)
    ]
    out: list[dict[str, Any]] = []
    inspected_ids: list[str] = []
    for i in range(steps):
        phase = min(years - 1, i * years // steps)
        phase_start = date(start.year + phase, 1, 1)
        concession = rng.random() < 0.3 and inspected_ids
        step_id = f"s{i:04d}"
        form = rng.random()
        if form < 0.4 or i == 0:
            deadline: str = (phase_start + timedelta(days=rng.randrange(365))).isoformat()
        elif form < 0.7:
            deadline = "end of phase"
        else:
            anchor = out[rng.randrange(max(0, i - 50), i)]["id"]
            event = rng.choice(["verified", "reported"])
            deadline = f"{rng.randrange(30, 400)}d after {anchor} {event}"
        pool = inspected_ids[-60:]
        if concession:
            requires = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
        elif pool and rng.random() < 0.5:
            requires = rng.sample(pool, k=min(len(pool), rng.randint(1, 2)))
        else:
            requires = []
        out.append(
            {
                "id": step_id,
                "title": f"Step {i}",
                "phase": phases[phase]["id"],
                "party": "usa" if concession else "dprk",
                "kind": "concession" if concession else rng.choice(INSPECTED_KINDS),
                "deadline": deadline,
                "requires": requires,
                "verification": {
                    "method": "acknowledgment" if concession else "inspectorate",
                    "by": "dprk" if concession else "iaea",
                    **({"within_days": rng.choice([30, 60, 180])} if rng.random() < 0.5 else {}),
                },
                "weight": rng.choice([0.5, 1.0, 1.5, 2.0, 3.0]),
            }
        )
        if not concession:
            inspected_ids.append(step_id)
    return Accord.model_validate(
        {
            "id": "bench-accord",
            "title": "Synthetic road map",
            "illustrative": True,
            "parties": [
                {"id": "dprk", "name": "Inspected State", "role": "inspected"},
                {"id": "usa", "name": "Counterpart", "role": "counterpart"},
                {"id": "iaea", "name": "Inspectorate", "role": "inspectorate"},
                {"id": "chn", "name": "Guarantor", "role": "guarantor"},
            ],
            "phases": phases,
            "steps": out,
            "obligations": [
                {"id": o, "party": "dprk", "text": o, "rule": {"type": "nuclear_test"}}
                for o in OBLIGATIONS
            ],
            "consequences": build_consequences(rng, out, consequences),
        }
    )


def build_records(
    rng: random.Random, accord: Accord, count: int, start: date, days: int
) -> list[RoadmapRecord]:
    """Signatures on the first days, then `count` reports and results in log (time) order."""
    drafts: list[tuple[datetime, int, Any]] = []
    base = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    for i, signer in enumerate(accord.parties):
        drafts.append((base + timedelta(hours=10 + i), 0, ("sign", signer.id)))
    steps = accord.steps
    per_step = count // len(steps)
    extra = count - per_step * len(steps)
    seq = 0
    for n, step in enumerate(steps):
        quota = per_step + (1 if n < extra else 0)
        reported = rng.random() < 0.9
        taken = rng.randrange(days)
        for k in range(quota):
            seq += 1
            roll = rng.random()
            if reported and (k == 0 or roll < 0.08):
                kind, party = "report", step.party
                on = taken + (0 if k == 0 else rng.randrange(0, 200))
            else:
                kind, party = "result", step.verification.by
                on = taken + rng.randrange(-20, 3 * 365)
            if roll > 0.97:
                party = rng.choice([p.id for p in accord.parties])
            on = max(0, min(days - 1, on))
            delay = rng.choice([0, 0, 0, 1, 2, 7, 30]) if rng.random() < 0.9 else -rng.randrange(5)
            logged = base + timedelta(days=on + delay, seconds=rng.randrange(86_400))
            drafts.append((logged, seq, (kind, party, step.id, start + timedelta(days=on))))
    drafts.sort(key=lambda d: (d[0], d[1]))
    records: list[RoadmapRecord] = []
    for index, (logged, _, what) in enumerate(drafts, start=1):
        if what[0] == "sign":
            records.append(Signature(index, logged, what[1], accord))
        elif what[0] == "report":
            _, party, step_id, on = what
            records.append(Report(index, logged, party, accord.id, step_id, on))
        else:
            _, party, step_id, on = what
            ok = rng.random() < 0.85
            records.append(VerificationResult(index, logged, party, accord.id, step_id, on, ok))
    return records


def build_violations(
    rng: random.Random, accord: Accord, count: int, start: date, days: int
) -> list[Violation]:
    """`count` violations of the accord's obligations on random days, some uncertain."""
    instrument = Instrument(accord.id, accord.title, "accord", start, True)
    obligations = [
        Obligation(
            f"{accord.id}.{o}",
            instrument,
            "dprk",
            start,
            None,
            o,
            parse_rule({"type": "nuclear_test"}),
        )
        for o in OBLIGATIONS
    ]
    out = []
    for i in range(count):
        on = start + timedelta(days=rng.randrange(days))
        certain = rng.random() < 0.9
        obligation = rng.choice(obligations)
        occurrence = f"event-{i}"
        evidence = (Evidence(occurrence, 200_000 + i, None, certain),)
        out.append(
            Violation(
                f"{occurrence}/{obligation.id}",
                occurrence,
                on,
                obligation,
                certain,
                1,
                ("nuclear_test",),
                (),
                evidence,
            )
        )
    return sorted(out, key=lambda v: v.on)


def build_responses(rng: random.Random, found: Consequences) -> list[Response]:
    """Responses to half of the occasions, some in time and some late."""
    out = []
    for n, occasion in enumerate(found.occasions):
        if rng.random() < 0.5:
            on = occasion.triggered_on + timedelta(days=rng.randrange(0, 120))
            logged = datetime.combine(on, datetime.min.time(), tzinfo=UTC)
            out.append(Response(300_000 + n, logged, "usa", (occasion.id,), "resumed-exercise", on))
    return out


def timed(fn: Callable[[], T], repeat: int) -> tuple[T, list[float]]:
    times: list[float] = []
    result: T | None = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    assert result is not None
    return result, times


def summary(status: Status) -> dict[str, Any]:
    return {
        "counts": status.counts,
        "findings": len(status.findings),
        "balance_points": len(status.balance),
        "ahead_periods": len(status.ahead),
    }


# --- accord assess ---------------------------------------------------------------------------


def build_assess_text(rng: random.Random, accord: Accord) -> str:
    """The accord as a file `accord check` passes, with its consequences and some delays."""
    data = accord.model_dump(mode="json", exclude_defaults=True)
    _meetable(rng, data)
    data["delays"] = {
        "default": {"triangular": [0, 10, 60]},
        "parties": {"dprk": {"triangular": [0, 30, 180]}},
        "kinds": {"concession": {"uniform": [0, 30]}},
    }
    return yaml.safe_dump(data, sort_keys=False)


def _meetable(rng: random.Random, data: dict[str, Any]) -> None:
    """Rewrite deadlines `accord check` finds cannot be met as `Nd after REQ verified`.

    Steps require and count from earlier steps only, so one pass in file order
    settles every scheduled date (as `accord_schedule` computes them).
    """
    ends = {phase["id"]: date.fromisoformat(phase["ends"]) for phase in data["phases"]}
    dates: dict[str, date] = {}
    for step in data["steps"]:
        deadline = step["deadline"]
        if deadline == "end of phase":
            due = ends[step["phase"]]
        elif "after" in deadline:
            days, _, anchor, _ = deadline.split()
            due = dates[anchor] + timedelta(days=int(days.rstrip("d")))
        else:
            due = date.fromisoformat(deadline)
        latest = max(step.get("requires", []), key=lambda r: dates[r], default=None)
        if latest is not None and dates[latest] > due:
            days = rng.randrange(30, 120)
            step["deadline"] = f"{days}d after {latest} verified"
            due = dates[latest] + timedelta(days=days)
        dates[step["id"]] = due


def assess_text(text: str, runs: int, seed: int) -> Assessment:
    """What `accord assess` does with a file's text: read and check it, then assess it."""
    result = load_accord(text, "bench-accord.yaml")
    if result.accord is None:
        raise SystemExit("the benchmark accord has errors:\n" + result.format())
    return assess(result.accord, result.document, source="bench", runs=runs, seed=seed)


def assess_command(text: str, runs: int, seed: int) -> tuple[float, float, float]:
    """The whole command in a child process: wall and CPU seconds, peak memory in MB."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-accord.yaml"
        path.write_text(text, "utf-8")
        command = [sys.executable, "-m", "accordwatch", "accord", "assess", str(path)]
        command += ["--runs", str(runs), "--seed", str(seed), "--format", "json"]
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        wall = time.perf_counter() - began
    if done.returncode not in (0, 1) or not done.stdout.startswith(b"{"):
        raise SystemExit(f"accord assess failed: {done.stderr.decode()[-400:]}")
    # ru_maxrss is in kilobytes on Linux; the child is the only one waited for so far
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench_assess(args: argparse.Namespace, accord: Accord) -> dict[str, Any]:
    rng = random.Random(args.seed + 2)
    text = build_assess_text(rng, accord)
    log(f"accord assess: {len(text):,} bytes, {args.assess_runs:,} Monte Carlo runs")
    result, times = timed(lambda: assess_text(text, args.assess_runs, args.seed), args.repeat)
    # the machine is shared: CPU time says what the work costs when others run too
    cpu = time.process_time()
    assess_text(text, args.assess_runs, args.seed)
    cpu = time.process_time() - cpu
    log("accord assess as a command, in a child process")
    wall, command_cpu, peak_mb = assess_command(text, args.assess_runs, args.seed)
    mc = result.monte_carlo
    return {
        "assess_s": statistics.median(times),
        "assess_runs_s": times,
        "assess_cpu_s": cpu,
        "command_s": wall,
        "command_cpu_s": command_cpu,
        "command_peak_mb": peak_mb,
        "file_bytes": len(text),
        "consequences": len(accord.consequences),
        "monte_carlo_runs": args.assess_runs,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "p_ahead": mc.p_ahead,
        "mean_days_ahead": mc.mean_days_ahead,
        "completion_p50": mc.completion[50].isoformat(),
        "targets": {"assess_s": 5.0, "command_peak_mb": 1024},
    }


def print_assess(figures: dict[str, Any]) -> None:
    rows = [
        ("accord assess (read, check, assess)", figures["assess_s"], "s", 5.0),
        ("accord assess, CPU time", figures["assess_cpu_s"], "s", None),
        ("accord assess, the command", figures["command_s"], "s", None),
        ("accord assess, the command's CPU time", figures["command_cpu_s"], "s", None),
        ("accord assess, peak memory", figures["command_peak_mb"], "MB", 1024.0),
    ]
    for label, value, unit, target in rows:
        mark = "" if target is None else f"  (target < {target:g} {unit}: "
        mark += "" if target is None else ("met)" if value < target else "MISSED)")
        print(f"  {label:<40} {value:8.3f} {unit}{mark}")
    print(
        f"  assess: {figures['consequences']} consequences, {figures['monte_carlo_runs']:,} "
        f"runs; {figures['errors']} errors, {figures['warnings']} warnings; "
        f"P(ahead) {figures['p_ahead']:.3f}, completion p50 {figures['completion_p50']}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--steps", type=int, default=1_000)
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--consequences", type=int, default=200)
    p.add_argument("--violations", type=int, default=2_000)
    p.add_argument("--repeat", type=int, default=3, help="runs per figure (median reported)")
    p.add_argument("--seed", type=int, default=20191005)
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON results")
    p.add_argument("--assess-runs", type=int, default=10_000, help="accord assess Monte Carlo")
    args = p.parse_args(argv)
    if args.steps < 1 or args.records < 1 or args.years < 1 or args.repeat < 1:
        p.error("--steps, --records, --years and --repeat must be positive")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    start = date(2021, 1, 1)
    end = date(start.year + args.years - 1, 12, 31)
    days = (end - start).days + 1
    log(f"generating an accord of {args.steps:,} steps and {args.records:,} records")
    began = time.perf_counter()
    accord = build_accord(rng, args.steps, start, args.years, args.consequences)
    records = build_records(rng, accord, args.records, start, days)
    violations = build_violations(rng, accord, args.violations, start, days)
    generated = time.perf_counter() - began

    log("evaluate as of the last day")
    last, last_times = timed(lambda: evaluate(records, end), args.repeat)
    middle_day = start + timedelta(days=days // 2)
    log("evaluate as of mid-period")
    middle, middle_times = timed(lambda: evaluate(records, middle_day), args.repeat)
    _, json_times = timed(last.to_json, args.repeat)
    json_bytes = len(json.dumps(last.to_json()))
    log("consequences as of the last day")
    unanswered = evaluate_consequences(records, last, violations, ())
    responses = build_responses(
        rng,
        unanswered,
    )
    found, consequence_times = timed(
        lambda: evaluate_consequences(records, last, violations, responses), args.repeat
    )
    _, both_times = timed(
        lambda: evaluate_consequences(records, evaluate(records, end), violations, responses),
        args.repeat,
    )
    log("daily timeline over the whole period")
    line, line_times = timed(lambda: timeline(records, start, end), args.repeat)

    log("checking the timeline against evaluate on sampled days")
    sample = random.Random(args.seed + 1)
    checked = [
        start,
        middle_day,
        end,
        *(line.points[sample.randrange(days)].date for _ in range(5)),
    ]
    for day in checked:
        status = evaluate(records, day)
        point = line.points[(day - start).days]
        weights = (
            (status.balance[-1].verified_weight, status.balance[-1].concession_weight)
            if status.balance
            else (0.0, 0.0)
        )
        if (
            point.counts != status.counts
            or (
                point.verified_weight,
                point.concession_weight,
            )
            != weights
        ):
            raise SystemExit(f"timeline disagrees with evaluate on {day}")

    assessed = bench_assess(args, accord)

    figures = {
        "evaluate_last_day_s": statistics.median(last_times),
        "evaluate_mid_period_s": statistics.median(middle_times),
        "to_json_s": statistics.median(json_times),
        "timeline_daily_s": statistics.median(line_times),
        "consequences_last_day_s": statistics.median(consequence_times),
        "status_and_consequences_last_day_s": statistics.median(both_times),
    }
    data: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "parameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "generate_s": generated,
        "records": len(records),
        "timeline_points": len(line.points),
        "status_json_bytes": json_bytes,
        "figures_s": figures,
        "runs_s": {
            "evaluate_last_day": last_times,
            "evaluate_mid_period": middle_times,
            "to_json": json_times,
            "timeline_daily": line_times,
            "consequences_last_day": consequence_times,
            "status_and_consequences_last_day": both_times,
        },
        "targets_s": {
            "evaluate_last_day_s": 0.5,
            "timeline_daily_s": 10.0,
            "consequences_last_day_s": 0.5,
        },
        "consequences": found.totals,
        "last_day": summary(last),
        "mid_period": summary(middle),
        "timeline_checked_days": [d.isoformat() for d in checked],
        "accord_assess": assessed,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"roadmap-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")

    print(
        f"\naccordwatch road map benchmark - {args.steps:,} steps, {len(records):,} records, "
        f"{args.years} years, Python {platform.python_version()}, median of {args.repeat}\n"
    )
    rows = [
        ("evaluate, as of the last day", figures["evaluate_last_day_s"], 0.5),
        ("evaluate, as of mid-period", figures["evaluate_mid_period_s"], None),
        ("Status.to_json", figures["to_json_s"], None),
        (f"timeline, daily ({len(line.points):,} days)", figures["timeline_daily_s"], 10.0),
        (
            f"{len(found.items)} consequences, last day",
            figures["consequences_last_day_s"],
            0.5,
        ),
        ("status and consequences, last day", figures["status_and_consequences_last_day_s"], None),
    ]
    for label, seconds, target in rows:
        mark = "" if target is None else f"  (target < {target:g} s: "
        mark += "" if target is None else ("met)" if seconds < target else "MISSED)")
        print(f"  {label:<40} {seconds:8.3f} s{mark}")
    print(f"\n  as of {end}: {last.counts}")
    print(f"  findings {len(last.findings):,}, status JSON {json_bytes:,} bytes")
    print(f"  timeline agrees with evaluate on {len(checked)} sampled days")
    print(f"  consequences as of {end}: {found.totals}")
    print_assess(assessed)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
