"""Inspection commands: `inspection plan`, `draw`, `record` and `compare`.

`plan MBA --as INSPECTORATE` stratifies the declared items of an MBA (by
their stratum, else their material), computes each stratum's sample size,
draws a secret nonce, logs the plan committing to it, and draws the items to
inspect from the nonce and the first witnessed checkpoint after the plan
(`accordwatch.safeguards.sampling`), as soon as there is one; `draw ENTRY`
repeats that draw, for the nonce's holder until the report reveals it and for
anyone after. `record FILE` logs what an inspection found and reveals the
nonce; `verify-draw ENTRY` checks the draw (`accordwatch.cli.inspection_draw`);
`compare ENTRY` checks the findings against the declared items.

Declared items come from the MBA's physical inventory listing in force or
from a declared-items file (`--declared`, format in `accordwatch.safeguards.declared_items`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import (
    console,
    err_console,
    held,
    read_document,
    read_view,
    reader_as,
    shown,
    submit_as,
    workspace,
)
from accordwatch.cli.inspection_draw import NONCE_HELP
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.cli.safeguards import METHODS_HELP, method_table
from accordwatch.cli.view_dates import today
from accordwatch.errors import InputError, NotFoundError
from accordwatch.log.encoding import decode_base64
from accordwatch.private_files import write_private_text
from accordwatch.timeutil import parse_date

if TYPE_CHECKING:
    from accordwatch.log.access import Reader
    from accordwatch.reports.exports import Sheet
    from accordwatch.safeguards.inspection import Comparison, DeclaredItem
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
    ledger: Ledger,
    mba: str,
    file: Path | None,
    on: dt.date | None = None,
    reader: Reader | None = None,
) -> tuple[list[DeclaredItem], str]:
    from accordwatch.safeguards.accountancy import effective
    from accordwatch.safeguards.declared_items import from_document, from_listing
    from accordwatch.sources.safeguards import accountancy_records

    if file is not None:
        items = from_document(read_document(file), where=str(file))
        return items, f"declared-items file {file.name}"
    return from_listing(effective(accountancy_records(read_view(ledger, reader))), mba, on)


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
    """Log an inspection plan committed to a secret nonce, and draw the items to inspect."""
    from accordwatch.catalog import record_type
    from accordwatch.cli.inspection_draw import new_nonce
    from accordwatch.log.encoding import encode_base64
    from accordwatch.safeguards.inspection import InspectionPlanBody
    from accordwatch.safeguards.materials import Material, significant_quantity
    from accordwatch.safeguards.sampling import nonce_digest, plan_stratum
    from accordwatch.sources.safeguards import LoggedPlan, selection, selection_json

    beta_value = _decimal(beta, "--beta")
    fraction = _decimal(defect, "--defect-fraction")
    goal_kg = _decimal(goal, "--goal") if goal is not None else None
    ws = workspace()
    day = parse_date(on, where="--date") if on else today(ws)
    ledger = ws.ledger()
    items, source = _declared(ledger, mba, declared, reader=reader_as(ledger, as_party))
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
    record_type("inspection.plan", where="plan").parse_payload(payload, where="plan")
    # The nonce is kept before the plan that commits to it is logged: a plan
    # logged with its nonce lost could never be drawn.
    nonce, nonce_file = new_nonce(ws, as_party)
    payload["nonce_sha256"] = encode_base64(nonce_digest(nonce))
    body = record_type("inspection.plan", where="plan").parse_payload(payload, where="plan")
    assert isinstance(body, InspectionPlanBody)
    try:
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
    except BaseException:
        nonce_file.unlink(missing_ok=True)
        raise
    console.print(f"{as_party} logged plan {shown(payload['plan_id'])} at entry {receipt.index}")
    console.print(f"its secret draw nonce is kept in {nonce_file}: the report reveals it")
    waiting = {
        "plan_entry": receipt.index,
        "mba": mba,
        "plan_id": payload["plan_id"],
        "nonce_sha256": payload["nonce_sha256"],
        "selected": None,
    }
    if not held(ledger, receipt.index):
        # sent to the log from a node: the draw waits for the entry and a checkpoint after it
        why = "the plan is not in this node's copy yet"
        console.print(
            f"{why}: after accordwatch node sync, accordwatch inspection draw {receipt.index}",
            highlight=False,
        )
        chosen_json: dict[str, Any] = {**waiting, "waiting": why}
    else:
        logged = LoggedPlan(receipt.index, ledger.entry(receipt.index).recorded_at, as_party, body)
        try:
            drawn = selection(ledger, logged, nonce=nonce)
        except NotFoundError as exc:
            _print_plan(logged, {})
            console.print(
                f"{shown(exc.message)}; then `accordwatch inspection draw {receipt.index}`",
                highlight=False,
            )
            chosen_json = {**waiting, "waiting": exc.message}
        else:
            _print_plan(logged, drawn.chosen)
            chosen_json = selection_json(logged, drawn)
    if out is not None:
        write_private_text(out, json.dumps(chosen_json, indent=2) + "\n")
        console.print(f"selection written to {out}")


def plan_sheet(logged: LoggedPlan, chosen: dict[str, list[str]]) -> Sheet:
    """A plan's strata, with the items drawn in each."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    sheet = Sheet(
        "strata",
        (
            Column("stratum", kind=Kind.ID),
            Column("material"),
            Column("items", "items N", Kind.FIGURE),
            Column("item_mass", "item mass", Kind.FIGURE),
            Column("goal", kind=Kind.FIGURE),
            Column("falsified", "falsify r", Kind.FIGURE),
            Column("sample_size", "sample n", Kind.FIGURE),
            Column("selected", kind=Kind.ID),
        ),
    )
    for s in logged.plan.strata:
        sheet.add(
            stratum=s.name,
            material=s.material.value,
            items=len(s.item_ids),
            item_mass=str(s.item_mass),
            goal=str(s.goal),
            falsified=s.falsified,
            sample_size=s.sample_size,
            selected=chosen.get(s.name, []),
        )
    return sheet


def _print_plan(logged: LoggedPlan, chosen: dict[str, list[str]]) -> None:
    from accordwatch.reports.exports import Sheet

    sheet = plan_sheet(logged, chosen)
    print_sheet(Sheet(sheet.name, sheet.columns[:-1], sheet.rows))
    console.print(f"non-detection probability at most {logged.plan.beta} per stratum")
    for name, ids in chosen.items():
        console.print(
            f"[bold]{shown(name)}[/]: inspect {shown(', '.join(ids) or 'nothing')}",
            highlight=False,
        )


def find_plan(
    ledger: Ledger, entry: int, reader: Reader | None = None
) -> tuple[LoggedPlan, list[LoggedInspection]]:
    from accordwatch.sources.safeguards import inspection_records

    size = ledger.size()
    if not 0 <= entry < size:
        raise NotFoundError(
            f"log entry {entry} does not exist: the log holds entries 0 to {size - 1}"
        )
    plans, reports = inspection_records(read_view(ledger, reader))
    logged = plans.get(entry)
    if logged is None:
        kind = ledger.entry(entry).record_type
        raise NotFoundError(f"log entry {entry} is a {kind}, not an inspection plan")
    return logged, [r for r in reports if r.report.plan_entry == entry]


@inspection_app.command("draw")
def draw_command(
    entry: int = typer.Argument(..., help="Log index of the inspection plan"),
    nonce_file: Path = typer.Option(None, "--nonce", help=NONCE_HELP),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Repeat a plan's draw: after the report reveals its nonce, or with the nonce held."""
    from accordwatch.cli.inspection_draw import held_nonce
    from accordwatch.reports.exports import encode_hash
    from accordwatch.sources.safeguards import selection, selection_json

    chosen_out = chosen_format(fmt, as_json, output)
    ws = workspace()
    ledger = ws.ledger()
    logged, reports = find_plan(ledger, entry)
    drawn = selection(ledger, logged, reports, held_nonce(ws, logged, nonce_file))

    def text() -> None:
        console.print(
            f"plan {shown(logged.plan.plan_id)} (entry {entry}), seed {encode_hash(drawn.seed)}"
        )
        console.print(f"from the {shown(drawn.basis.describe())}", highlight=False)
        if logged.plan.nonce_sha256 is None:
            console.print("the plan commits to no nonce: anyone could compute this draw early")
        elif drawn.revealed_by is None:
            console.print("with the inspectorate's nonce, not revealed yet: keep it confidential")
        else:
            console.print(f"with the nonce revealed by the report at entry {drawn.revealed_by}")
        _print_plan(logged, drawn.chosen)

    deliver(
        chosen_out,
        json=lambda: selection_json(logged, drawn),
        sheets=lambda: [plan_sheet(logged, drawn.chosen)],
        text=text,
    )


@inspection_app.command("verify-draw")
def verify_draw_command(
    entry: int = typer.Argument(..., help="Log index of the inspection plan"),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Check a plan's draw once its report revealed the nonce (exit 7 if it does not verify)."""
    from accordwatch.cli.exit_codes import ExitCode
    from accordwatch.cli.inspection_draw import verify_draw
    from accordwatch.reports.exports import Column, Sheet

    chosen_out = chosen_format(fmt, as_json, output)
    ledger = workspace().ledger()
    logged, reports = find_plan(ledger, entry)
    passed, problems, out = verify_draw(logged, reports, ledger)
    out = {**out, "verified": not problems, "checks": passed, "problems": problems}

    def text() -> None:
        console.print(f"plan {shown(logged.plan.plan_id)} (entry {entry})")
        for line in passed:
            console.print(f"  [green]ok[/] {shown(line)}", highlight=False)
        for line in problems:
            console.print(f"  [red]NOT VERIFIED[/] {shown(line)}", highlight=False)
        if not problems:
            for name, ids in out["selected"].items():
                console.print(f"  {shown(name)}: {shown(', '.join(ids) or 'nothing')}")

    def sheets() -> list[Sheet]:
        sheet = Sheet("checks", (Column("check"), Column("verified")))
        for line in passed:
            sheet.add(check=line, verified="yes")
        for line in problems:
            sheet.add(check=line, verified="no")
        return [sheet]

    deliver(chosen_out, json=lambda: out, sheets=sheets, text=text)
    if problems:
        raise typer.Exit(ExitCode.NOT_VERIFIED)


@inspection_app.command("record")
def record(
    file: Path = typer.Argument(..., help="Inspection results (JSON or YAML)"),
    as_party: str = typer.Option(..., "--as", help="The inspectorate"),
    public: bool = typer.Option(False, "--public", help="Log the report in clear"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
    nonce_file: Path = typer.Option(None, "--nonce", help=NONCE_HELP),
) -> None:
    """Log what an inspection found, revealing the plan's draw nonce."""
    from accordwatch.catalog import record_type
    from accordwatch.cli.inspection_draw import held_nonce, missing_nonce
    from accordwatch.log.encoding import encode_base64
    from accordwatch.safeguards.inspection import InspectionReportBody
    from accordwatch.sources.safeguards import check_nonce, draw_basis

    doc = read_document(file)
    if not isinstance(doc, dict):
        raise InputError("an inspection report is a mapping", where=str(file))
    ws = workspace()
    ledger = ws.ledger()
    entry = doc.get("plan_entry")
    if isinstance(entry, bool) or not isinstance(entry, int):
        raise InputError("plan_entry must be the log index of the plan", where=str(file))
    logged, _ = find_plan(ledger, entry, reader_as(ledger, as_party))
    if doc.get("mba", logged.plan.mba) != logged.plan.mba:
        raise InputError(
            f"mba {doc['mba']} differs from the plan's {logged.plan.mba}", where=str(file)
        )
    payload = {**doc, "mba": logged.plan.mba}
    body = record_type("inspection.report", where=str(file)).parse_payload(payload, where=str(file))
    assert isinstance(body, InspectionReportBody)
    if logged.plan.nonce_sha256 is not None:
        # The report reveals the nonce and names the checkpoint of the draw.
        if body.draw is None:
            nonce = held_nonce(ws, logged, nonce_file)
            if nonce is None:
                raise missing_nonce(logged, ws)
            check_nonce(logged, nonce, where=str(nonce_file or "the inspectorate's nonce"))
            size = draw_basis(ledger, entry).size
            payload["draw"] = {"nonce": encode_base64(nonce), "checkpoint": size}
        else:
            check_nonce(logged, decode_base64(body.draw.nonce, "draw nonce"), where=str(file))
            draw_basis(ledger, entry, body.draw.checkpoint)
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
    fmt: SheetFormat = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Discrepancies of an inspection against the declaration, and the D statistic.

    csv lists the findings; xlsx the findings and the D statistics.
    """
    from accordwatch.safeguards.inspection import compare_inspection
    from accordwatch.sources.safeguards import selection

    chosen_out = chosen_format(fmt, as_json, output, xlsx=True)
    ledger = workspace().ledger()
    logged, reports = find_plan(ledger, entry)
    if report_id is not None:
        reports = [r for r in reports if r.report.report_id == report_id]
    if not reports:
        raise NotFoundError(f"no inspection report for plan entry {entry}")
    chosen_report = reports[-1]
    mba = logged.plan.mba
    items, source = _declared(ledger, mba, declared, chosen_report.report.date)
    chosen = selection(ledger, logged, reports).chosen
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
    findings, d_statistics = comparison_sheets(result, k)

    def text() -> None:
        console.print(
            f"inspection {shown(out['report_id'])} (entry {out['report_entry']}) of MBA "
            f"{shown(mba)} against {shown(source)}"
        )
        if not result.findings:
            console.print("  no discrepancy")
        for f in result.findings:
            console.print(f"  [red]{shown(f.kind)}[/] {shown(f.message)}", highlight=False)
        if result.d_statistics:
            print_sheet(
                d_statistics,
                show={
                    "d_kg": "{:.4g}".format,
                    "sigma_kg": "{:.3g}".format,
                    "d_sq": lambda v: f"{v:.4g}" if v is not None else "-",
                    "significant": lambda v: "yes" if v else "no",
                },
            )

    deliver(chosen_out, json=lambda: out, sheets=lambda: [findings, d_statistics], text=text)


def comparison_sheets(result: Comparison, k: float) -> tuple[Sheet, Sheet]:
    """An inspection comparison as sheets: its findings, and the D statistic per stratum."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    findings = Sheet(
        "findings",
        (Column("kind"), Column("item_id", "item", Kind.ID), Column("message")),
    )
    for f in result.findings:
        findings.add(kind=f.kind, item_id=f.item_id, message=f.message)
    d_statistics = Sheet(
        "d statistics",
        (
            Column("stratum", kind=Kind.ID),
            Column("population", "N", Kind.FIGURE),
            Column("measured", "measured n", Kind.FIGURE),
            Column("d_kg", "D (kg)", Kind.FIGURE),
            Column("sigma_kg", "sigma D (kg)", Kind.FIGURE),
            Column("d_sq", "D (SQ)", Kind.FIGURE),
            Column("significant", f"> {k:g} sigma"),
        ),
    )
    for d in result.d_statistics:
        data = d.to_json()
        d_statistics.add(
            stratum=d.stratum,
            population=d.population,
            measured=d.measured,
            d_kg=d.d_kg,
            sigma_kg=d.sigma_kg,
            d_sq=data.get("d_sq"),
            significant=d.significant,
        )
    return findings, d_statistics


def register(app: typer.Typer) -> None:
    app.add_typer(inspection_app, name="inspection")
