"""Reviewing declarations: `declaration check`, `declaration diff`, `item history`.

A declaration is named by a file (YAML, JSON, XLSX) or by a log entry index or
declaration id; reading a confidential one from the log needs `--as PARTY`
of a party allowed to read it (see `cli.declaration`). `register` adds
`check` and `diff` to the declaration group and the item group after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import console, reader_as, shown, signing_key, workspace
from accordwatch.cli.declaration import declaration_app, load, open_log, require_readable
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.cli.output import (
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from accordwatch.declarations.diff import DeclarationDiff
    from accordwatch.declarations.escrow_findings import EscrowFinding
    from accordwatch.declarations.history import Filed
    from accordwatch.declarations.reading import Declaration, Locate
    from accordwatch.declarations.review import Review
    from accordwatch.reports.exports import Sheet
    from accordwatch.roadmap.accord import Accord
    from accordwatch.sources.declarations import LoggedDeclaration

item_app = typer.Typer(help="Track one item by its unique identifier.", no_args_is_help=True)


def _is_file(ref: str) -> bool:
    return Path(ref).suffix.lower() in (".yaml", ".yml", ".json", ".xlsx")


def _resolve(
    ref: str, logged: list[LoggedDeclaration] | None, as_party: str | None
) -> tuple[Filed, Locate]:
    from accordwatch.declarations.base import path_text
    from accordwatch.declarations.history import Filed
    from accordwatch.sources.declarations import find_declaration

    if _is_file(ref):
        declaration, locate = load(Path(ref))
        return Filed(-1, declaration.party, declaration), locate
    if logged is None:
        raise NotFoundError(f"{ref!r} is not a declaration file, and there is no workspace log")
    item = find_declaration(logged, ref)
    return Filed(item.index, item.party, require_readable(item, as_party)), path_text


def _accord_file(path: Path) -> Accord:
    from accordwatch.roadmap.accord_check import check_file

    result = check_file(path)
    if not result.ok or result.accord is None:
        raise InputError(f"{len(result.errors)} error(s) in the accord file", where=str(path))
    return result.accord


def _print_review(result: Review, locate: Locate) -> None:
    if result.superseded_by is not None:
        console.print(
            f"[yellow]superseded by the correction at log entry {result.superseded_by}[/]"
        )
    if result.previous is not None:
        p = result.previous
        console.print(
            f"compared over time with {shown(p.declaration.id)} as of {p.declaration.as_of} "
            f"(log entry {p.index})",
            highlight=False,
        )
    for group, problems in result.by_group().items():
        for problem in problems:
            style = "red" if problem.severity == "error" else "yellow"
            console.print(
                f"[{style}]{shown(group)}: {shown(problem.format(locate))}[/]", highlight=False
            )
    if result.launches is not None:
        lc = result.launches
        console.print(
            f"launches compared: {lc.compared} (missile not identified by the source: "
            f"{lc.unidentified_missile}; site not identified: {lc.unidentified_site})",
            highlight=False,
        )
    console.print(shown(result.summary()), highlight=False)


def findings_sheet(result: Review, locate: Locate) -> Sheet:
    """A review's problems, one a row: declaration, check, kind, severity, where, message."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    d = result.target.declaration
    sheet = Sheet(
        "findings",
        (
            Column("declaration", kind=Kind.ID),
            Column("check"),
            Column("kind"),
            Column("severity"),
            Column("where", kind=Kind.ID),
            Column("message"),
        ),
    )
    for p in result.problems:
        sheet.add(
            declaration=d.id,
            check=p.check,
            kind=p.kind,
            severity=p.severity,
            where=locate(p.path),
            message=p.message,
        )
    return sheet


def check(
    ref: str = typer.Argument(..., help="Declaration file, or log entry index or declaration id"),
    as_party: str = typer.Option(None, "--as", help="Read the log as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    accord_file: Path = typer.Option(
        None, "--accord", help="Accord file to check completeness against [default: the log's]"
    ),
    fmt: SheetFormat = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Internal consistency, consistency over time, completeness, and logged launches.

    csv and xlsx list the findings, one a row.
    """
    from accordwatch.declarations.reading import collector_paused

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    # One pause of the collector over reading and checking (see collector_paused).
    with collector_paused():
        result, locate, escrowed = _review(ref, as_party, key_file, accord_file)

    def text() -> None:
        _print_review(result, locate)
        for f in escrowed:
            console.print(
                f"[red]escrow: {shown(f.kind)}: {shown(f.message)}[/] (entries "
                f"{', '.join(str(i) for i in f.indices)})",
                highlight=False,
            )

    deliver(
        chosen,
        json=lambda: {
            **result.to_json(locate),
            "escrow_findings": [f.to_json() for f in escrowed],
        },
        sheets=lambda: [findings_sheet(result, locate)],
        text=text,
    )
    if not result.ok or escrowed:
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)


def _review(
    ref: str, as_party: str | None, key_file: Path | None, accord_file: Path | None
) -> tuple[Review, Locate, list[EscrowFinding]]:
    """The review of a declaration, and what the escrows of it show (undeclared items,
    relocations)."""
    from accordwatch.declarations.review import review
    from accordwatch.sources.declarations import (
        observed_launches,
        readable,
        signed_accord,
    )
    from accordwatch.sources.escrow_status import escrow_view
    from accordwatch.sources.snapshot import Snapshot

    logged: list[LoggedDeclaration] | None = None
    ledger = None
    try:
        _, ledger, logged = open_log(as_party, key_file)
    except NotFoundError:
        if not _is_file(ref) or as_party is not None:
            raise
    target, locate = _resolve(ref, logged, as_party)
    d = target.declaration
    log = Snapshot.default(ledger) if ledger is not None else None
    accord: Accord | None
    if accord_file is not None:
        accord = _accord_file(accord_file)
        if accord.id != d.accord:
            raise InputError(f"the declaration is for accord {d.accord}, not {accord.id}")
    else:
        accord = signed_accord(log, d.accord) if log is not None else None
    launches = observed_launches(log) if log is not None else []
    others = readable([i for i in logged or [] if i.party == d.party])
    result = review(target, others, accord=accord, launches=launches, with_log=ledger is not None)
    escrowed: list[EscrowFinding] = []
    if log is not None and ledger is not None:
        view = escrow_view(log, log.ledger.clock().date(), reader_as(ledger, as_party))
        escrowed = [
            f
            for f in view.findings
            if (e := view.book.escrows.get(f.escrow)) is not None
            and e.party == d.party
            and e.record.declaration_id == d.id
        ]
    return result, locate, escrowed


def _print_diff(result: DeclarationDiff, before: Declaration, after: Declaration) -> None:
    from accordwatch.declarations.diff import show

    console.print(
        f"{result.program} declaration {shown(before.id)} (as of {before.as_of}) -> "
        f"{shown(after.id)} (as of {after.as_of})",
        highlight=False,
    )
    for name, old, new in result.header:
        console.print(f"  header {name}: {shown(show(old))} -> {shown(show(new))}", highlight=False)
    if not result.changes:
        console.print("no entry added, removed or changed")
    for change in result.changes:
        style = {"added": "green", "removed": "red", "changed": "yellow"}[change.kind]
        console.print(f"[{style}]{shown(change.describe())}[/]", highlight=False)
    counts = result.counts()
    if counts:
        console.print(
            "entries: "
            + shown(
                ", ".join(f"{section} {kind} {n}" for (section, kind), n in sorted(counts.items()))
            ),
            highlight=False,
        )
    moved = result.changed_totals()
    console.print(f"totals changed: {len(moved)} of {len(result.totals)}")
    for total in moved:
        console.print(f"  {shown(total.describe())}", highlight=False)


def diff(
    old: str = typer.Argument(..., help="Earlier declaration: file, log entry or declaration id"),
    new: str = typer.Argument(..., help="Later declaration: file, log entry or declaration id"),
    as_party: str = typer.Option(None, "--as", help="Read the log as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    fmt: SheetFormat = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Sites, items and quantities added, removed or changed, and the change in each total.

    csv lists the changes, one field a row; xlsx the changes, the totals and the header.
    """
    from accordwatch.declarations.diff import diff_declarations
    from accordwatch.declarations.reading import collector_paused

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    logged = None
    if not (_is_file(old) and _is_file(new)):
        _, _, logged = open_log(as_party, key_file)
    # One pause of the collector over reading and comparing (see collector_paused).
    with collector_paused():
        before, _ = _resolve(old, logged, as_party)
        after, _ = _resolve(new, logged, as_party)
        try:
            result = diff_declarations(before.declaration, after.declaration)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    deliver(
        chosen,
        json=result.to_json,
        sheets=lambda: diff_sheets(result),
        text=lambda: _print_diff(result, before.declaration, after.declaration),
    )


def diff_sheets(result: DeclarationDiff) -> list[Sheet]:
    """The diff as sheets: changes (one field a row), totals, header."""
    from accordwatch.declarations.diff import show
    from accordwatch.reports.exports import Column, Kind, Sheet

    changes = Sheet(
        "changes",
        (
            Column("section"),
            Column("key", kind=Kind.ID),
            Column("change"),
            Column("field"),
            Column("before"),
            Column("after"),
        ),
    )
    for c in result.changes:
        if not c.fields:
            changes.add(section=c.section, key=c.key, change=c.kind)
        for name, old, new in c.fields:
            changes.add(
                section=c.section,
                key=c.key,
                change=c.kind,
                field=name,
                before=show(old),
                after=show(new),
            )
    totals = Sheet(
        "totals",
        (
            Column("total"),
            Column("before", kind=Kind.FIGURE),
            Column("after", kind=Kind.FIGURE),
            Column("change", kind=Kind.FIGURE),
            Column("unit"),
        ),
    )
    for t in result.totals:
        totals.add(total=t.name, before=t.before, after=t.after, change=t.delta, unit=t.unit)
    header = Sheet("header", (Column("field"), Column("before"), Column("after")))
    for name, old, new in result.header:
        header.add(field=name, before=show(old), after=show(new))
    return [changes, totals, header]


@item_app.command("history")
def history(
    uid: str = typer.Argument(..., help="The item's unique identifier"),
    as_party: str = typer.Option(None, "--as", help="Read the log as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    fmt: SheetFormat = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Every declaration, inspection finding and event that names one item."""
    from accordwatch.reports.exports import Column, Kind, Sheet, encode_time
    from accordwatch.sources.declarations import item_mentions
    from accordwatch.sources.snapshot import Snapshot

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    ws = workspace()
    ledger = ws.ledger()
    if as_party is not None:
        signing_key(ws, ledger.registry(), as_party, key_file)
    mentions, hidden = item_mentions(Snapshot.default(ledger), uid, reader_as(ledger, as_party))
    sheet = Sheet(
        "history",
        (
            Column("entry", kind=Kind.ID),
            Column("time", "logged at", Kind.DATE),
            Column("party", kind=Kind.ID),
            Column("record_type", "record", Kind.ID),
            Column("text", "what it says"),
        ),
    )
    for m in mentions:
        sheet.add(
            entry=m.index,
            time=encode_time(m.time),
            party=m.party,
            record_type=m.record_type,
            text=m.text,
        )

    def text() -> None:
        if not mentions:
            console.print(f"no entry names {shown(uid)}", highlight=False)
        else:
            print_sheet(sheet)
        if hidden:
            console.print(
                f"{hidden} confidential entr{'y' if hidden == 1 else 'ies'} not readable as "
                f"{as_party or 'nobody'} were not searched",
                highlight=False,
            )

    deliver(
        chosen,
        json=lambda: {
            "uid": uid,
            "mentions": [m.to_json() for m in mentions],
            "not_searched": hidden,
        },
        sheets=lambda: [sheet],
        text=text,
    )


def register(app: typer.Typer) -> None:
    declaration_app.command("check")(check)
    declaration_app.command("diff")(diff)
    app.add_typer(item_app, name="item")
