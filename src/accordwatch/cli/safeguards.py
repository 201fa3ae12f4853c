"""Safeguards statistics on files: `safeguards evaluate`, `simulate` and `methods`.

No workspace is needed: these read a balance file or a facility description
(`accordwatch.safeguards.balance_file`, `accordwatch.safeguards.simulation`) and the measurement
method table with any override file (`accordwatch.safeguards.measurement`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import console, err_console, print_json, read_document, shown
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.errors import InputError

if TYPE_CHECKING:
    from accordwatch.reports.exports import Sheet
    from accordwatch.safeguards.material_balance import Evaluation
    from accordwatch.safeguards.measurement import MethodTable

safeguards_app = typer.Typer(
    help="Material balance statistics: MUF, sigma, CUMUF, SITMUF, Page, detection.",
    no_args_is_help=True,
)

METHODS_HELP = "Measurement methods file overriding the shipped table (see `safeguards methods`)"


def method_table(methods: Path | None, mba: str | None = None) -> MethodTable:
    from accordwatch.safeguards.measurement import load_package_table

    table = load_package_table()
    if methods is None:
        return table
    return table.overridden(read_document(methods), mba=mba, where=str(methods))


def _figure(value: object) -> str:
    if not isinstance(value, float):
        return ""
    return "undefined" if value != value else f"{value:.4g}"


SYSTEMATIC_HELP = "Build the variances from the observed values (plug-in) or from the declared ones"


def _ranges(numbers: tuple[int, ...]) -> str:
    """1, 2, 3, 5 as "1-3, 5"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def balance_sheet(result: Evaluation, out: dict[str, Any]) -> Sheet:
    """The statistics per balance as a sheet, with each balance's dates when it has them."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    periods = out.get("periods") or []
    unit = out["unit"]
    columns = [Column("balance", kind=Kind.ID)]
    if periods:
        columns += [Column("start", kind=Kind.DATE), Column("end", kind=Kind.DATE)]
    columns += [
        Column(key, title, Kind.FIGURE)
        for key, title in (
            ("muf", "MUF"),
            ("sigma_muf", "sigma MUF"),
            ("cumuf", "CUMUF"),
            ("sigma_cumuf", "sigma CUMUF"),
            ("sitmuf", "SITMUF"),
            ("page", "Page"),
            ("detectable", "detectable (p = 0.95)"),
        )
    ]
    columns += [Column("alarms"), Column("unit")]
    sheet = Sheet("balances", columns)
    flags = result.alarms
    detectable = out["detection"]["diversion"]
    for i in range(result.muf.size):
        row: dict[str, Any] = {
            "balance": i + 1,
            "muf": float(result.muf[i]),
            "sigma_muf": float(result.sigma_muf[i]),
            "cumuf": float(result.cumuf[i]),
            "sigma_cumuf": float(result.sigma_cumuf[i]),
            "sitmuf": float(result.sitmuf[i]),
            "page": float(result.page[i]),
            "detectable": float(detectable[i]),
            "alarms": [name for name in flags if flags[name][i]],
            "unit": unit,
        }
        if i < len(periods):
            row["start"], row["end"] = periods[i]["start"], periods[i]["end"]
        sheet.rows.append(row)
    return sheet


def print_evaluation(result: Evaluation, out: dict[str, Any]) -> None:
    """The statistics as a table, then the first alarm of each test."""
    import numpy as np

    from accordwatch.reports.exports import Sheet

    sheet = balance_sheet(result, out)
    # the periods follow each other: each one's end date names it
    on_screen = Sheet(
        sheet.name, [c for c in sheet.columns if c.key not in ("unit", "start")], sheet.rows
    )
    figures = {c.key: _figure for c in sheet.columns if c.kind == "figure"}
    print_sheet(on_screen, show=figures, styles={"alarms": lambda value: "red" if value else ""})
    s = result.settings
    console.print(f"unit: {shown(out['unit'])}; k = {s.k:g}, K = {s.K:g}, h = {s.h:g}")
    for gap in result.undefined:
        balances = _ranges(gap.balances)
        console.print(
            f"  {' and '.join(gap.statistics)} undefined at balance(s) {balances}: {gap.reason}",
            highlight=False,
        )
    for name, info in out["alarms"].items():
        first = info["first"]
        text = f"first alarm at balance {first}" if first else "no alarm"
        console.print(f"  {name}: {text}")
    detection = out["detection"]
    if "diversion_sq" in detection:
        median = float(np.median(detection["diversion_sq"]))
        console.print(
            f"  a diversion of {median:.3g} SQ of {detection['material']} in one balance "
            f"(median) is detected with probability {detection['power']:g}"
        )


@safeguards_app.command("evaluate")
def evaluate_file(
    file: Path = typer.Argument(..., help="Balance file (JSON or YAML)"),
    fmt: SheetFormat = "text",
    methods: Path = typer.Option(None, "--methods", help=METHODS_HELP),
    chart: Path = typer.Option(None, "--chart", help="Folder for the pictures (PNG and SVG)"),
    systematic_from: str = typer.Option(
        "observed", "--systematic-from", help=SYSTEMATIC_HELP + " (`declared` in the file)"
    ),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Evaluate one MBA's balance sequence: MUF, sigma, CUMUF, SITMUF, Page and alarms.

    The file's layout: `accordwatch safeguards schema balance`; an example:
    `accordwatch safeguards example balance`.
    """
    from accordwatch.safeguards.balance_file import parse_balance, report, run

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    data = parse_balance(read_document(file), table=method_table(methods), where=str(file))
    result = run(data, where=str(file), systematic_from=systematic_from)
    out = report(result, data)
    deliver(
        chosen,
        json=lambda: out,
        sheets=lambda: [balance_sheet(result, out)],
        text=lambda: print_evaluation(result, out),
    )
    if chart is not None:
        draw(result, out, chart, file.stem, str(file.name))


def draw(result: Evaluation, out: dict[str, Any], folder: Path, stem: str, title: str) -> None:
    from accordwatch.reports.charts.balance_chart import draw_balance, draw_detection
    from accordwatch.safeguards.materials import Material

    material = out["detection"].get("material")
    files = draw_balance(
        result, folder, f"{stem}-balance", unit=out["unit"], title=f"Material balance: {title}"
    )
    files += draw_detection(
        result.sigma_muf,
        out["detection"]["alpha"],
        folder,
        f"{stem}-detection",
        unit=out["unit"],
        material=Material(material) if material else None,
        title=f"Detection probability, one balance: {title}",
    )
    err_console.print("pictures: " + ", ".join(str(f) for f in files))


@safeguards_app.command("simulate")
def simulate_file(
    file: Path = typer.Argument(..., help="Facility and scenario description (JSON or YAML)"),
    fmt: Format = "text",
    methods: Path = typer.Option(None, "--methods", help=METHODS_HELP),
    realisations: int = typer.Option(None, "--realisations", help="Override the file's count"),
    seed: int = typer.Option(None, "--seed", help="Override the file's seed"),
    chart: Path = typer.Option(None, "--chart", help="Folder for the picture (PNG and SVG)"),
    systematic_from: str = typer.Option(
        "observed", "--systematic-from", help=SYSTEMATIC_HELP + " (the facility's true values)"
    ),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Monte Carlo of a facility: each test's false alarm rate and detection probability.

    The file's layout: `accordwatch safeguards schema facility`; an example:
    `accordwatch safeguards example facility`.
    """
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.safeguards.simulation import parse_facility, run_simulation

    chosen_out = chosen_format(fmt, as_json, output)
    doc = read_document(file)
    if isinstance(doc, dict):
        doc = {
            **doc,
            **({"realisations": realisations} if realisations is not None else {}),
            **({"seed": seed} if seed is not None else {}),
        }
    facility, scenario, count, chosen_seed = parse_facility(
        doc, table=method_table(methods), where=str(file)
    )
    result = run_simulation(
        facility,
        scenario,
        realisations=count,
        seed=chosen_seed,
        where=str(file),
        systematic_from=systematic_from,
    )
    sheet = Sheet(
        "tests",
        (
            Column("test", kind=Kind.ID),
            Column("false_alarm_rate", "false alarm rate", Kind.FIGURE),
            Column("detection_probability", "detection probability", Kind.FIGURE),
            Column("mean_first_alarm", "mean first alarm", Kind.FIGURE),
        ),
    )
    for name, test in result.tests.items():
        sheet.add(
            test=name,
            false_alarm_rate=test.false_alarm_rate,
            detection_probability=test.detection_probability,
            mean_first_alarm=test.mean_first_alarm,
        )

    def text() -> None:
        print_sheet(
            sheet,
            show={
                "false_alarm_rate": "{:.4f}".format,
                "detection_probability": "{:.4f}".format,
                "mean_first_alarm": lambda m: f"{m:.1f}" if m is not None else "-",
            },
        )
        diverted = f"{result.diverted:g} {facility.unit}"
        if result.diverted_sq is not None:
            diverted += f" ({result.diverted_sq:.3g} SQ)"
        console.print(
            f"{count} realisations, seed {chosen_seed}, variances from the "
            f"{systematic_from} values, scenario {scenario.kind} "
            f"({diverted} diverted in all); false alarms: any alarm without diversion; "
            f"detection: an alarm from balance {scenario.start} on with it"
        )

    deliver(chosen_out, json=result.to_json, sheets=lambda: [sheet], text=text)
    if chart is not None:
        from accordwatch.reports.charts.balance_chart import draw_simulation

        files = draw_simulation(result, chart, f"{file.stem}-simulation", title=file.name)
        err_console.print("picture: " + ", ".join(str(f) for f in files))


@safeguards_app.command("methods")
def list_methods(
    methods: Path = typer.Option(None, "--methods", help=METHODS_HELP),
    mba: str = typer.Option(None, "--mba", help="Apply the file's overrides for this MBA"),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """The measurement methods, their relative random and systematic SDs and their sources."""
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.safeguards.detection import alpha_for

    chosen = chosen_format(fmt, as_json, output)
    table = method_table(methods, mba)
    sheet = Sheet(
        "methods",
        (
            Column("method", kind=Kind.ID),
            Column("name"),
            Column("random_rsd", "random", Kind.FIGURE),
            Column("systematic_rsd", "systematic", Kind.FIGURE),
            Column("source"),
        ),
    )
    for key, m in sorted(table.methods.items()):
        sheet.add(
            method=key,
            name=m.name,
            random_rsd=m.random_rsd,
            systematic_rsd=m.systematic_rsd,
            source=m.source or None,
        )

    def text() -> None:
        percent = "{:.2%}".format
        print_sheet(
            sheet,
            show={
                "random_rsd": percent,
                "systematic_rsd": percent,
                "source": lambda v: v or "-",
            },
        )
        for key, text in table.sources.items():
            console.print(f"[bold]{shown(key)}[/]: {shown(text)}", highlight=False)
        console.print(
            f"default k = 3 gives a false alarm probability of {alpha_for(3):.4%} per balance"
        )

    deliver(
        chosen,
        json=lambda: (
            {
                key: {
                    "name": m.name,
                    "random_rsd": m.random_rsd,
                    "systematic_rsd": m.systematic_rsd,
                    "source": table.cited(m),
                    "reference": m.reference,
                }
                for key, m in sorted(table.methods.items())
            }
        ),
        sheets=lambda: [sheet],
        text=text,
    )


#: file kind -> (the shipped example's file name, what reads it)
FILE_KINDS = {
    "balance": ("safeguards-balance.yaml", "safeguards evaluate"),
    "facility": ("safeguards-facility.yaml", "safeguards simulate"),
}


def _file_kind(kind: str) -> str:
    if kind not in FILE_KINDS:
        raise InputError(
            f"no file kind {kind!r}: balance (for evaluate) or facility (for simulate)"
        )
    return kind


@safeguards_app.command("schema")
def schema(
    kind: str = typer.Argument(..., help="balance (for evaluate) or facility (for simulate)"),
) -> None:
    """Print the JSON Schema of a balance file or a facility description."""
    from accordwatch.safeguards.file_schemas import SCHEMAS

    print_json(SCHEMAS[_file_kind(kind)]())


@safeguards_app.command("example")
def example(
    kind: str = typer.Argument(..., help="balance (for evaluate) or facility (for simulate)"),
    out: Path = typer.Option(None, "--out", "-o", help="Write it here instead of printing it"),
) -> None:
    """Print (or write) an illustrative balance file or facility description."""
    from importlib.resources import files

    name, reader = FILE_KINDS[_file_kind(kind)]
    text = files("accordwatch.examples").joinpath(name).read_text(encoding="utf-8")
    if out is None:
        typer.echo(text, nl=False)
        return
    if out.exists():
        raise InputError(f"{out} exists; not overwritten")
    out.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {out}; run `accordwatch {reader} {out}`")


def register(app: typer.Typer) -> None:
    app.add_typer(safeguards_app, name="safeguards")
