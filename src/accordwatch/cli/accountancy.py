"""Accountancy commands: `accountancy import`, `show` and `balance`.

`import FILE --as DECLARANT` signs and logs the reports of a file, all or
none. The file holds one report or `{mba: ..., reports: [...]}`; each report
names its `type` (`inventory-change`, `physical-inventory`,
`material-balance`) and carries the members of its record
(`accordwatch.safeguards.accountancy`). `action` defaults to `new`; a `correct` or
`delete` gets the next revision of the report unless the file gives it.
Reports are confidential unless `--public`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import (
    console,
    destination,
    read_document,
    read_view,
    shown,
    signing_key,
    workspace,
)
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.cli.safeguards import METHODS_HELP, balance_sheet, draw, method_table
from accordwatch.cli.safeguards import print_evaluation as print_statistics
from accordwatch.cli.view_dates import KNOWN_AT_HELP, LOG_SIZE_HELP, view_at
from accordwatch.errors import ConflictError, InputError, NotFoundError

if TYPE_CHECKING:
    from accordwatch.safeguards.accountancy import Logged, Reports

accountancy_app = typer.Typer(
    help="Accountancy reports of material balance areas, and their balances.",
    no_args_is_help=True,
)


def _reports_of(doc: Any, where: str) -> tuple[list[dict[str, Any]], str | None]:
    if isinstance(doc, dict) and "reports" in doc:
        extra = set(doc) - {"reports", "mba"}
        if extra:
            raise InputError(f"unknown member(s) {', '.join(sorted(extra))}", where=where)
        reports, mba = doc["reports"], doc.get("mba")
        if not isinstance(reports, list) or not reports:
            raise InputError("reports must be a non-empty list", where=where)
        return reports, mba
    if isinstance(doc, dict) and "type" in doc:
        return [doc], None
    raise InputError("a report file holds one report (with type) or {mba, reports}", where=where)


@accountancy_app.command("import")
def import_reports(
    file: Path = typer.Argument(..., help="Reports (JSON or YAML)"),
    as_party: str = typer.Option(..., "--as", help="The declarant submitting them"),
    public: bool = typer.Option(False, "--public", help="Log the payloads in clear"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Sign and log the accountancy reports of a file, all or none."""
    from accordwatch.catalog import record_type
    from accordwatch.safeguards.accountancy import KIND_OF, effective
    from accordwatch.sources.appending import Signer, sealed
    from accordwatch.sources.safeguards import accountancy_records
    from accordwatch.sources.snapshot import Snapshot

    kinds = {kind: f"accountancy.{kind}" for kind in KIND_OF.values()}
    raw, default_mba = _reports_of(read_document(file), str(file))
    ws = workspace()
    ledger = ws.ledger()
    state = effective(accountancy_records(Snapshot.default(ledger)))
    planned: dict[tuple[str, str, str], int | None] = {}
    payloads: list[tuple[str, dict[str, Any]]] = []
    for n, item in enumerate(raw):
        where = f"{file}: reports[{n}]"
        if not isinstance(item, dict):
            raise InputError("a report must be a mapping", where=where)
        kind = item.get("type")
        if kind not in kinds:
            raise InputError(f"type must be one of {', '.join(kinds)}, not {kind!r}", where=where)
        payload = {k: v for k, v in item.items() if k != "type"}
        if default_mba is not None:
            payload.setdefault("mba", default_mba)
        action = payload.setdefault("action", "new")
        key = (str(kind), str(payload.get("mba")), str(payload.get("report_id")))
        expected = _expected_revision(state, planned, key, str(action), where)
        given = payload.setdefault("revision", expected)
        if given != expected:
            raise ConflictError(f"revision {given} given, the next is {expected}", where=where)
        planned[key] = None if action == "delete" else expected
        # The schema check (the same the log applies) names the member at fault.
        record_type(kinds[str(kind)], where=where).parse_payload(payload, where=where)
        payloads.append((kinds[str(kind)], payload))
    signer = Signer(as_party, signing_key(ws, ledger.registry(), as_party, key_file))
    batch = sealed(ledger, signer, payloads, confidential=not public)
    result = (destination(ws, ledger) or ledger).append(batch, where=str(file))
    indices = [e.index for e in result.entries]
    console.print(
        f"{as_party} logged {len(indices)} report(s) at entries {indices[0]}..{indices[-1]} "
        f"({'public' if public else 'confidential'})"
    )


def _expected_revision(
    state: Reports,
    planned: dict[tuple[str, str, str], int | None],
    key: tuple[str, str, str],
    action: str,
    where: str,
) -> int:
    if key in planned:
        latest = planned[key]
    elif key in state.history:
        latest = None if state.current.get(key) is None else state.history[key][-1].report.revision
    else:
        latest = None
    known = key in planned or key in state.history
    if action == "new":
        if known:
            raise ConflictError(
                f"report {key[2]} of MBA {key[1]} already exists: correct or delete it", where=where
            )
        return 1
    if latest is None:
        raise NotFoundError(
            f"report {key[2]} of MBA {key[1]} is not in force: nothing to {action}", where=where
        )
    return latest + 1


def _summary(logged: Logged) -> str:
    from accordwatch.safeguards.accountancy import InventoryChangeBody, PhysicalInventoryBody

    r = logged.report
    if isinstance(r, InventoryChangeBody):
        return f"{len(r.entries)} change(s)"
    if isinstance(r, PhysicalInventoryBody):
        return f"{len(r.items)} item(s) on {r.date}"
    return f"{r.material} {r.period_start} to {r.period_end}, MUF {r.muf}"


@accountancy_app.command("show")
def show(
    mba: str = typer.Option(None, "--mba", help="Only this material balance area"),
    history: bool = typer.Option(False, "--history", help="Also superseded and ignored revisions"),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Accountancy reports in force (and, with --history, every revision)."""
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.safeguards.accountancy import effective
    from accordwatch.sources.safeguards import accountancy_records

    chosen = chosen_format(fmt, as_json, output)
    state = effective(accountancy_records(read_view(workspace().ledger())))
    rows: list[dict[str, Any]] = []
    for key, revisions in state.history.items():
        if mba is not None and key[1] != mba:
            continue
        current = state.current.get(key)
        for logged in revisions if history else [r for r in revisions if r is current]:
            later = [r.index for r in revisions if r.index > logged.index]
            status = "in force" if logged is current else f"superseded by entry {later[0]}"
            if current is None and logged is revisions[-1]:
                status = "deleted"
            rows.append(_row(logged, status))
    if history:
        rows += [
            _row(e, f"ignored: {why}") for e, why in state.ignored if mba in (None, e.report.mba)
        ]
    rows.sort(key=lambda r: int(r["entry"]))
    sheet = Sheet(
        "reports",
        (
            Column("entry", kind=Kind.ID),
            Column("mba", kind=Kind.ID),
            Column("type"),
            Column("report_id", "report", Kind.ID),
            Column("revision", "rev", Kind.FIGURE),
            Column("action"),
            Column("party", "by", Kind.ID),
            Column("content"),
            Column("status"),
        ),
    )
    sheet.rows.extend(rows)

    def text() -> None:
        if not rows:
            console.print("no accountancy report" + (f" of MBA {shown(mba)}" if mba else ""))
        else:
            print_sheet(sheet)

    deliver(chosen, json=lambda: rows, sheets=lambda: [sheet], text=text)


def _row(logged: Logged, status: str) -> dict[str, Any]:
    from accordwatch.safeguards.accountancy import kind_of

    r = logged.report
    return {
        "entry": logged.index,
        "mba": r.mba,
        "type": kind_of(r),
        "report_id": r.report_id,
        "revision": r.revision,
        "action": r.action,
        "party": logged.party,
        "content": _summary(logged) if r.action != "delete" else "-",
        "status": status,
    }


@accountancy_app.command("balance")
def balance(
    mba: str = typer.Argument(..., help="Material balance area"),
    material: str = typer.Option(None, "--material", help="Material [default: the only one]"),
    methods: Path = typer.Option(None, "--methods", help=METHODS_HELP),
    # The defaults of safeguards.material_balance.Settings, written out: that module
    # imports NumPy, which the command line does not load to start (a test checks they agree).
    k: float = typer.Option(3.0, "--k", help="Alarm at MUF > k sigma"),
    k_ref: float = typer.Option(0.5, "--K", help="Page's reference value"),
    h: float = typer.Option(5.0, "--h", help="Page's threshold"),
    fmt: SheetFormat = "text",
    chart: Path = typer.Option(None, "--chart", help="Folder for the pictures (PNG and SVG)"),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """The balance statistics of an MBA from its reports in force, and report findings."""
    from accordwatch.safeguards.accountancy import effective
    from accordwatch.safeguards.accountancy_balance import evaluate_balance
    from accordwatch.safeguards.material_balance import Settings
    from accordwatch.safeguards.materials import Material
    from accordwatch.sources.safeguards import accountancy_records

    chosen_out = chosen_format(fmt, as_json, output, xlsx=True)
    chosen = None
    if material is not None:
        try:
            chosen = Material(material)
        except ValueError:
            raise InputError(f"unknown material {material!r}", where="--material") from None
    try:
        settings = Settings(k=k, K=k_ref, h=h)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    view = view_at(None, known_at, log_size)
    state = effective(accountancy_records(view.log))
    evaluated = evaluate_balance(
        state, mba, table=method_table(methods, mba), settings=settings, material=chosen
    )
    built, result = evaluated.balance, evaluated.evaluation
    out = evaluated.to_json()

    def as_json_value() -> object:
        dates = view.to_json()
        del dates["as_of"]  # the reports' own dates are the world's here
        return {**out, **dates}

    def text() -> None:
        console.print(view.log_header(), highlight=False)
        periods = out["periods"]
        console.print(
            f"MBA {shown(mba)}, {built.material.value}: {len(periods)} balance period(s) from "
            f"{periods[0]['start']} to {periods[-1]['end']}"
        )
        print_statistics(result, out)
        for finding in built.findings:
            console.print(f"  [red]finding[/] {shown(finding)}", highlight=False)
        if built.outside:
            console.print(f"  {built.outside} change(s) dated outside every balance period")

    deliver(
        chosen_out,
        json=as_json_value,
        sheets=lambda: [balance_sheet(result, out)],
        text=text,
    )
    if chart is not None:
        draw(result, out, chart, f"{mba}-{built.material.value}", f"MBA {mba}")


def register(app: typer.Typer) -> None:
    app.add_typer(accountancy_app, name="accountancy")
