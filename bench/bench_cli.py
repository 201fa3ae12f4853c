"""Benchmark the command line's start-up: wall time and resident memory of a few commands.

Run from the repository root:

    .venv/bin/python bench/bench_cli.py [--home DIR] [--runs N]

Without `--home`, a demo workspace is made with `accordwatch demo` in a
temporary folder (about a minute) and removed afterwards. Each command runs
`--runs` times (default 10) in a fresh interpreter, exactly as the
`accordwatch` console script runs it, beside `python -c pass` in the same run
(the interpreter's own start-up, the floor of any command). It prints the
median and fastest wall time and the median maximum resident set of each;
the resident set comes from `os.wait4`, which reports it per child process.
The load average before and after goes to stderr: the machine may be shared.
Outputs of the commands (report, charts) go to a temporary folder.

Targets on a 2-core machine: `--help` <= 0.3 s, `log checkpoint` <= 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# What the console script does: import the entry point, hand it the arguments.
ENTRY = "import sys; from accordwatch.cli import main; main(sys.argv[1:])"
TARGETS = {"--help": 0.3, "log checkpoint": 0.5}


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]


class CommandFailedError(Exception):
    """A command exited with an error: its status and what it printed on stderr."""


@dataclass(frozen=True)
class Figures:
    median: float
    fastest: float
    rss_mb: float


def cases(home: Path, out: Path) -> list[Case]:
    workspace = ["-c", ENTRY, "--home", str(home)]
    return [
        Case("python -c pass", ["-c", "pass"]),
        Case("--help", ["-c", ENTRY, "--help"]),
        Case("--version", ["-c", ENTRY, "--version"]),
        Case("log checkpoint", [*workspace, "log", "checkpoint"]),
        Case("status --as-of 2020-06-01", [*workspace, "status", "--as-of", "2020-06-01"]),
        Case("compliance report --by event", [*workspace, "compliance", "report", "--by", "event"]),
        Case("report --format html", [*workspace, "report", "--format", "html", "--out", str(out)]),
    ]


def child_env() -> dict[str, str]:
    """This environment, with PYTHONPATH made absolute: the commands run in another folder."""
    env = dict(os.environ)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths)
    return env


def run_once(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time (s) and maximum resident set (KiB on Linux) of one run of the interpreter."""
    env = child_env()
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err
        )
        # wait4 gives this child's own resource usage (RUSAGE_CHILDREN would give the largest
        # child so far); Popen is told the exit status, as it did not reap the child itself.
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            last = (err.read().decode(errors="replace").strip().splitlines() or [""])[-1]
            raise CommandFailedError(f"exit {child.returncode}: {last}")
    return elapsed, usage.ru_maxrss


def measure(case: Case, runs: int, cwd: Path) -> Figures:
    run_once(case.argv, cwd)  # a first run to fill the file system cache
    times, rss = [], []
    for _ in range(runs):
        elapsed, maxrss = run_once(case.argv, cwd)
        times.append(elapsed)
        rss.append(maxrss)
    return Figures(statistics.median(times), min(times), statistics.median(rss) / 1024)


def make_demo(folder: Path) -> Path:
    home = folder / "demo"
    print(f"making the demo workspace in {home} ...", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-c", ENTRY, "demo", "--home", str(home)],
        cwd=folder,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="An existing workspace [default: a new demo]")
    parser.add_argument("--runs", type=int, default=10, help="Runs of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accordwatch-bench-cli-") as scratch:
        folder = Path(scratch)
        home = args.home.resolve() if args.home else make_demo(folder)
        out = folder / "out"
        out.mkdir()
        package = subprocess.run(
            [sys.executable, "-c", "import accordwatch; print(accordwatch.__file__)"],
            env=child_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"accordwatch from {Path(package).parent}", file=sys.stderr)
        print(
            f"{args.runs} runs each, workspace {home}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}",
            file=sys.stderr,
        )
        header = f"{'command':<30} {'median s':>9} {'fastest s':>10} {'max RSS MB':>11}  target"
        print(header)
        print("-" * len(header))
        for case in cases(home, out):
            try:
                figures = measure(case, args.runs, folder)
            except CommandFailedError as exc:
                print(f"{case.name:<30} failed: {exc}", flush=True)
                continue
            target = TARGETS.get(case.name)
            verdict = ""
            if target is not None:
                verdict = f"<= {target:g} s " + ("met" if figures.median <= target else "MISSED")
            print(
                f"{case.name:<30} {figures.median:>9.3f} {figures.fastest:>10.3f} "
                f"{figures.rss_mb:>11.1f}  {verdict}",
                flush=True,
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
