"""Inspection commands: `inspection plan`, `draw`, `record` and `compare`.

`plan MBA --as INSPECTORATE` stratifies the declared items of an MBA (by
their stratum, else their material), computes each stratum's sample size,
logs the plan, and draws the items to inspect from the first signed
checkpoint that covers the plan (`accordwatch.safeguards.sampling`); `draw ENTRY`
repeats that draw from the log for anyone. `record FILE` logs what an
inspection found; `compare ENTRY` checks it against the declared items.

Declared items come from the MBA's physical inventory listing in force or
from a declared-items file (`--declared`, format in `accordwatch.safeguards.declared_items`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    err_console,
    print_json,
    read_document,
    shown,
    submit_as,
    workspace,
)
from accordwatch.cli.safeguards import METHODS_HELP, check_format, method_table
from accordwatch.cli.view_dates import today
from accordwatch.errors import InputError, NotFoundError
from accordwatch.private_files import write_private_text
from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    from accordwatch.safeguards.inspection import DeclaredItem
    from accordwatch.sources.safeguards import LoggedInspection, LoggedPlan
    from accordwatch.store.ledger import Ledger

inspection_app = typer.Typer(
    help="Plan inspections by attribute sampling, record them, compare with declarations.",
    no_args_is_help=True,
)


def _decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{text!r} is not a number", where=option) from None
    if not value.is_finite():
        raise InputError(f"{text!r} is not a finite number", where=option)
    return value


def _declared(
    ledger: Ledger, mba: str, file: Path | None, on: dt.date | None = None
) -> tuple[list[DeclaredItem], str]:
    from accordwatch.safeguards.accountancy import effective
    from accordwatch.safeguards.declared_items import from_document, from_listing
    from accordwatch.sources.safeguards import accountancy_records
    from accordwatch.sources.snapshot import Snapshot

    if file is not None:
        items = from_document(read_document(file), where=str(file))
        return items, f"declared-items file {file.name}"
    return from_listing(effective(accountancy_records(Snapshot.default(ledger))), mba, on)


def _strata(items: list[DeclaredItem], mba: str) -> dict[str, list[DeclaredItem]]:
    grouped: dict[str, list[DeclaredItem]] = defaultdict(list)
    for item in items:
        if item.mba != mba:
            continue
        if item.material is None:
            raise InputError(f"item {item.item_id} has no material: a plan needs it")
        grouped[item.stratum or item.material].append(item)
    if not grouped:
        raise NotFoundError(f"no declared item of MBA {mba}")
    for name, members in grouped.items():
        kinds = {i.material for i in members}
        if len(kinds) > 1:
            raise InputError(f"stratum {name} mixes materials {', '.join(sorted(map(str, kinds)))}")
    return dict(sorted(grouped.items()))


@inspection_app.command("plan")
def plan(
    mba: str = typer.Argument(..., help="Material balance area"),
    as_party: str = typer.Option(..., "--as", help="The inspectorate"),
    declared: Path = typer.Option(None, "--declared", help="Declared-items file [default: PIL]"),
    beta: str = typer.Option("0.05", "--beta", help="Accepted non-detection probability"),
    goal: str = typer.Option(None, "--goal", help="Goal quantity in kg [default: 1 SQ]"),
    defect: str = typer.Option("1", "--defect-fraction", help="Fraction of an item falsified"),
    plan_id: str = typer.Option(None, "--plan-id", help="Plan id [default: plan-<date>]"),
    on: str = typer.Option(None, "--date", help="Inspection date [default: today]"),
    public: bool = typer.Option(False, "--public", help="Log the plan in clear"),
    out: Path = typer.Option(None, "--out", "-o", help="Write the selection as JSON here"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Log an inspection plan and draw the items to inspect from its checkpoint."""
    from accordwatch.catalog import record_type
    from accordwatch.safeguards.inspection import InspectionPlanBody
    from accordwatch.safeguards.materials import Material, significant_quantity
    from accordwatch.safeguards.sampling import plan_stratum
    from accordwatch.sources.safeguards import LoggedPlan, selection, selection_json

    beta_value = _decimal(beta, "--beta")
    fraction = _decimal(defect, "--defect-fraction")
    goal_kg = _decimal(goal, "--goal") if goal is not None else None
    ws = workspace()
    day = parse_date(on, where="--date") if on else today(ws)
    ledger = ws.ledger()
    items, source = _declared(ledger, mba, declared)
    strata = []
    for name, members in _strata(items, mba).items():
        material = Material(str(members[0].material))
        item_kg = max(i.kilograms for i in members)
        if item_kg <= 0:
            raise InputError(f"stratum {name} holds no material to divert")
        target = goal_kg if goal_kg is not None else significant_quantity(material).kilograms
        try:
            p = plan_stratum(name, len(members), item_kg, target, beta_value, fraction)
        except ValueError as exc:
            raise InputError(str(exc), where=f"stratum {name}") from None
        caveat = p.caveat()
        if caveat is not None:
            err_console.print(f"warning: {caveat}", highlight=False)
        strata.append(
            {
                "name": name,
                "material": material.value,
                "item_mass": {"value": str(item_kg), "unit": "kg"},
                "goal": {"value": str(target), "unit": "kg"},
                "defect_fraction": str(fraction),
                "falsified": p.falsified,
                "sample_size": p.sample,
                "item_ids": sorted(i.item_id for i in members),
            }
        )
    payload = {
        "mba": mba,
        "plan_id": plan_id or f"plan-{day.isoformat()}",
        "date": day.isoformat(),
        "beta": str(beta_value),
        "declared": source,
        "strata": strata,
    }
    body = record_type("inspection.plan", where="plan").parse_payload(payload, where="plan")
    assert isinstance(body, InspectionPlanBody)
    receipt = submit_as(
        ws,
        ledger,
        as_party,
        key_file,
        "inspection.plan",
        payload,
        confidential=not public,
        where="inspection plan",
    )
    logged = LoggedPlan(receipt.index, ledger.entry(receipt.index).recorded_at, as_party, body)
    note, chosen = selection(ledger, logged)
    console.print(f"{as_party} logged plan {shown(payload['plan_id'])} at entry {receipt.index}")
    _print_plan(logged, chosen)
    if out is not None:
        write_private_text(out, json.dumps(selection_json(logged, note, chosen), indent=2) + "\n")
        console.print(f"selection written to {out}")


def _print_plan(logged: LoggedPlan, chosen: dict[str, list[str]]) -> None:
    from rich.table import Table

    table = Table("stratum", "material", "items N", "item mass", "goal", "falsify r", "sample n")
    for s in logged.plan.strata:
        table.add_row(
            shown(s.name),
            s.material.value,
            str(len(s.item_ids)),
            str(s.item_mass),
            str(s.goal),
            str(s.falsified),
            str(s.sample_size),
        )
    console.print(table)
    console.print(f"non-detection probability at most {logged.plan.beta} per stratum")
    for name, ids in chosen.items():
        console.print(
            f"[bold]{shown(name)}[/]: inspect {shown(', '.join(ids) or 'nothing')}",
            highlight=False,
        )


def _plan(ledger: Ledger, entry: int) -> tuple[LoggedPlan, list[LoggedInspection]]:
    from accordwatch.sources.safeguards import inspection_records
    from accordwatch.sources.snapshot import Snapshot

    size = ledger.size()
    if not 0 <= entry < size:
        raise NotFoundError(
            f"log entry {entry} does not exist: the log holds entries 0 to {size - 1}"
        )
    plans, reports = inspection_records(Snapshot.default(ledger))
    logged = plans.get(entry)
    if logged is None:
        kind = ledger.entry(entry).record_type
        raise NotFoundError(f"log entry {entry} is a {kind}, not an inspection plan")
    return logged, [r for r in reports if r.report.plan_entry == entry]


@inspection_app.command("draw")
def draw_command(
    entry: int = typer.Argument(..., help="Log index of the inspection plan"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Repeat a plan's draw from the checkpoint that first covered it."""
    from accordwatch.safeguards.sampling import seed_from_checkpoint
    from accordwatch.sources.safeguards import selection, selection_json

    check_format(fmt)
    ledger = workspace().ledger()
    logged, _ = _plan(ledger, entry)
    note, chosen = selection(ledger, logged)
    if fmt == "json":
        print_json(selection_json(logged, note, chosen))
    else:
        console.print(
            f"plan {shown(logged.plan.plan_id)} (entry {entry}), "
            f"seed {seed_from_checkpoint(note).hex()}"
        )
        _print_plan(logged, chosen)


@inspection_app.command("record")
def record(
    file: Path = typer.Argument(..., help="Inspection results (JSON or YAML)"),
    as_party: str = typer.Option(..., "--as", help="The inspectorate"),
    public: bool = typer.Option(False, "--public", help="Log the report in clear"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Log what an inspection found: items found, not found, undeclared; measured values."""
    from accordwatch.catalog import record_type

    doc = read_document(file)
    if not isinstance(doc, dict):
        raise InputError("an inspection report is a mapping", where=str(file))
    ws = workspace()
    ledger = ws.ledger()
    entry = doc.get("plan_entry")
    if isinstance(entry, bool) or not isinstance(entry, int):
        raise InputError("plan_entry must be the log index of the plan", where=str(file))
    logged, _ = _plan(ledger, entry)
    if doc.get("mba", logged.plan.mba) != logged.plan.mba:
        raise InputError(
            f"mba {doc['mba']} differs from the plan's {logged.plan.mba}", where=str(file)
        )
    payload = {**doc, "mba": logged.plan.mba}
    record_type("inspection.report", where=str(file)).parse_payload(payload, where=str(file))
    receipt = submit_as(
        ws,
        ledger,
        as_party,
        key_file,
        "inspection.report",
        payload,
        confidential=not public,
        where=str(file),
    )
    console.print(
        f"{as_party} logged inspection report {shown(doc.get('report_id'))} "
        f"at entry {receipt.index}"
    )


@inspection_app.command("compare")
def compare_command(
    entry: int = typer.Argument(..., help="Log index of the inspection plan"),
    report_id: str = typer.Option(None, "--report", help="Report id [default: the latest]"),
    declared: Path = typer.Option(None, "--declared", help="Declared-items file [default: PIL]"),
    methods: Path = typer.Option(None, "--methods", help=METHODS_HELP),
    operator_method: str = typer.Option(
        None, "--operator-method", help="Method of declared values that name none"
    ),
    k: float = typer.Option(3.0, "--k", help="Significant beyond k combined sigma"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Discrepancies of an inspection against the declaration, and the D statistic."""
    from rich.table import Table

    from accordwatch.safeguards.inspection import compare_inspection
    from accordwatch.sources.safeguards import selection

    check_format(fmt)
    ledger = workspace().ledger()
    logged, reports = _plan(ledger, entry)
    if report_id is not None:
        reports = [r for r in reports if r.report.report_id == report_id]
    if not reports:
        raise NotFoundError(f"no inspection report for plan entry {entry}")
    chosen_report = reports[-1]
    mba = logged.plan.mba
    items, source = _declared(ledger, mba, declared, chosen_report.report.date)
    _, chosen = selection(ledger, logged)
    inspected = compare_inspection(
        entry,
        logged.plan,
        chosen_report.index,
        chosen_report.report,
        items,
        source,
        selected=chosen,
        table=method_table(methods, mba),
        default_method=operator_method,
        k=k,
    )
    result = inspected.comparison
    out = inspected.to_json()
    if fmt == "json":
        print_json(out)
        return
    console.print(
        f"inspection {shown(out['report_id'])} (entry {out['report_entry']}) of MBA {shown(mba)} "
        f"against {shown(source)}"
    )
    if not result.findings:
        console.print("  no discrepancy")
    for f in result.findings:
        console.print(f"  [red]{shown(f.kind)}[/] {shown(f.message)}", highlight=False)
    if result.d_statistics:
        table = Table(
            "stratum", "N", "measured n", "D (kg)", "sigma D (kg)", "D (SQ)", f"> {k:g} sigma"
        )
        for d in result.d_statistics:
            data = d.to_json()
            sq = f"{data['d_sq']:.4g}" if "d_sq" in data else "-"
            table.add_row(
                shown(d.stratum),
                str(d.population),
                str(d.measured),
                f"{d.d_kg:.4g}",
                f"{d.sigma_kg:.3g}",
                sq,
                "yes" if d.significant else "no",
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(inspection_app, name="inspection")
