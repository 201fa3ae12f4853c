"""`accordwatch accord assess`: a draft's weaknesses, before it is signed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    plain,
    print_json,
)
from accordwatch.errors import InputError
from accordwatch.timeutil import parse_date, utc_now

if TYPE_CHECKING:
    from accordwatch.roadmap.accord import Accord, Delays

from accordwatch.cli.accord import _print_problems, accord_app
from accordwatch.roadmap.accord import Accord, Delays


def accord_assess(
    draft: Path = typer.Argument(..., help="Draft accord file (YAML)"),
    against: Path = typer.Option(None, "--against", help="Signed version to compare with"),
    fmt: str = typer.Option("text", "--format", help="text, json or md"),
    runs: int = typer.Option(10_000, "--runs", help="Monte Carlo runs", min=1, max=100_000),
    seed: int = typer.Option(1, "--seed", help="Monte Carlo seed", min=0),
    delays: Path = typer.Option(None, "--delays", help="Delays file (replaces the draft's)"),
    chart: Path = typer.Option(None, "--chart", help="Write the chart to PATH.png and PATH.svg"),
    entry_into_force: str = typer.Option(
        None,
        "--entry-into-force",
        help="Day the draft enters into force, for dates it counts from then [default: today]",
    ),
) -> None:
    """A draft's weaknesses before it is signed; exits 1 when it has errors."""
    from accordwatch.roadmap.accord_check import check_file
    from accordwatch.roadmap.amendment import compare
    from accordwatch.roadmap.assessment import Assessment, assess

    if fmt not in ("text", "json", "md"):
        raise InputError(f"--format must be text, json or md, not {fmt!r}")

    def assessed(path: Path) -> Assessment:
        result = check_file(path)
        if not result.ok or result.accord is None:
            _print_problems(result)
            raise InputError(f"{len(result.errors)} error(s) in the accord file", where=str(path))
        chosen = _delays(delays, result.accord) if delays is not None else None
        return assess(
            result.accord,
            result.document,
            source=str(path),
            runs=runs,
            seed=seed,
            delays=chosen,
            delays_from=str(delays) if delays is not None else None,
            entered=entered,
        )

    entered = (
        parse_date(entry_into_force, where="--entry-into-force")
        if entry_into_force
        else utc_now().date()
    )

    assessment = assessed(draft)
    amendment = compare(assessment, assessed(against)) if against is not None else None
    if fmt == "json":
        data = assessment.to_json()
        if amendment is not None:
            data["amendment"] = amendment.to_json()
        print_json(data)
    else:
        from accordwatch.reports.assessment import assessment_markdown, assessment_text

        render = assessment_text if fmt == "text" else assessment_markdown
        typer.echo(plain(render(assessment, amendment)), nl=False)
    if chart is not None:
        from accordwatch.reports.charts.assessment_chart import draw_assessment

        files = draw_assessment(assessment, chart)
        typer.echo("chart: " + ", ".join(str(f) for f in files), err=fmt == "json")
    if assessment.errors:
        raise typer.Exit(1)


def _delays(path: Path, accord: Accord) -> Delays:
    from accordwatch.roadmap.delays_file import load_delays

    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the delays file: {exc.strerror}", where=str(path)) from exc
    return load_delays(text, str(path), accord)


def register(app: typer.Typer) -> None:
    accord_app.command("assess")(accord_assess)
