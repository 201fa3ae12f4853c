"""Declaration commands: schema, template, example, import, submit, list, show.

A declaration file is YAML, JSON or a spreadsheet (`declaration template`
writes one to fill in). `declaration submit FILE --as PARTY` checks it,
signs it as the declaring party and logs it, confidential unless `--public`:
the public log holds its salted commitment, and the content is read with
`declaration show ID --as PARTY` by the parties allowed (the declaring party,
the inspectorate). The checks, comparison and item history are in
`cli.declaration_review`, which adds its commands to this group and uses the
helpers here (`load`, `open_log`, `require_readable`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
import yaml

from accordwatch.cli.context import (
    console,
    emit,
    err_console,
    node_party,
    plain,
    print_json,
    shown,
    signing_key,
    submit_as,
    workspace,
)
from accordwatch.cli.output import (
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.cli.view_dates import KNOWN_AT_HELP, LOG_SIZE_HELP, view_at
from accordwatch.errors import AuthorityError, ConflictError, InputError, NotFoundError
from accordwatch.examples import DECLARATION_EXAMPLES, declaration_example_path
from accordwatch.private_files import write_private_text

if TYPE_CHECKING:
    from accordwatch.declarations.base import Program
    from accordwatch.declarations.reading import Declaration, DeclarationError, Locate
    from accordwatch.sources.declarations import LoggedDeclaration
    from accordwatch.store.ledger import Ledger
    from accordwatch.workspace import Workspace

declaration_app = typer.Typer(
    help="Data declarations of nuclear and missile programs.", no_args_is_help=True
)


def program_option(value: str | None) -> Program | None:
    from accordwatch.declarations.base import Program

    if value is None:
        return None
    try:
        return Program(value)
    except ValueError:
        raise InputError(f"--program must be nuclear or missile, not {value!r}") from None


def print_problems(exc: DeclarationError) -> None:
    for problem in exc.problems:
        console.print(f"[red]{shown(problem.format(exc.locate))}[/]", highlight=False)
    if exc.total > len(exc.problems):
        console.print(f"... and {exc.total - len(exc.problems)} more", highlight=False)


def load(path: Path) -> tuple[Declaration, Locate]:
    """Read a declaration file (a spreadsheet with a progress bar); refuse it with every
    problem listed, schema and internal, each placed by field path or sheet, row and column."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from accordwatch.declarations.check import check_internal
    from accordwatch.declarations.files import read_declaration_file
    from accordwatch.declarations.reading import DeclarationError

    try:
        if path.suffix.lower() == ".xlsx":
            with Progress(
                TextColumn("reading {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task(path.name, total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                declaration, locate = read_declaration_file(path, progress=progress)
        else:
            declaration, locate = read_declaration_file(path)
        problems = check_internal(declaration)
        if problems:
            raise DeclarationError(problems, where=str(path), locate=locate)
    except DeclarationError as exc:
        print_problems(exc)
        raise
    return declaration, locate


def open_log(
    as_party: str | None,
    key_file: Path | None,
    known_at: str | None = None,
    log_size: int | None = None,
    *,
    say: bool = False,
) -> tuple[Workspace, Ledger, list[LoggedDeclaration]]:
    """The workspace's ledger and its declarations, opened for `as_party`.

    Reading as a party needs that party's key (the workspace's, or `--key`):
    whoever reads confidential content must hold the reader's key. The log is
    read as it stood at `known_at` (or `log_size`), else at its default checkpoint;
    with `say`, a line names that checkpoint.
    """
    from accordwatch.cli.context import reader_as
    from accordwatch.sources.declarations import logged_declarations

    view = view_at(None, known_at, log_size)
    ws, ledger = view.ws, view.ledger
    if as_party is not None:
        signing_key(ws, ledger.registry(), as_party, key_file)
    if say:
        console.print(view.log_header(), highlight=False)
    return ws, ledger, logged_declarations(view.log, reader_as(ledger, as_party))


def require_readable(item: LoggedDeclaration, as_party: str | None) -> Declaration:
    if item.declaration is not None:
        return item.declaration
    # on a node, a command reads as the node's party: its own refusal says why
    if as_party is None and item.confidential and node_party(workspace()) is None:
        from accordwatch.catalog import CATALOG
        from accordwatch.log.access import allowed_readers

        raise AuthorityError(
            f"declaration at log entry {item.index} is confidential: give --as PARTY "
            f"(readable by {allowed_readers(CATALOG, 'declaration', item.party)})"
        )
    raise AuthorityError(item.unreadable, where=f"log entry {item.index}")


@declaration_app.command("schema")
def schema(
    program: str = typer.Option(None, "--program", help="nuclear or missile [default: either]"),
) -> None:
    """Print the JSON Schema of declaration documents."""
    from accordwatch.declarations.reading import json_schema

    print_json(json_schema(program_option(program)))


@declaration_app.command("template")
def template(
    program: str = typer.Option(..., "--program", help="nuclear or missile"),
    out: Path = typer.Option(None, "--out", "-o", help="[default: declaration-PROGRAM.xlsx]"),
    from_file: Path = typer.Option(None, "--from", help="Fill it in with this declaration"),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file"),
) -> None:
    """Write a spreadsheet to fill in: one sheet per section, with instructions."""
    from accordwatch.declarations.reading import document
    from accordwatch.declarations.xlsx import write_workbook

    chosen = program_option(program)
    assert chosen is not None
    target = out or Path(f"declaration-{chosen}.xlsx")
    if target.suffix.lower() != ".xlsx":
        raise InputError("the template is an .xlsx file", where=str(target))
    if target.exists() and not force:
        raise ConflictError("file exists (use --force to overwrite it)", where=str(target))
    filled = None
    if from_file is not None:
        declaration, _ = load(from_file)
        if declaration.program != chosen:
            raise InputError(f"it is a {declaration.program} declaration", where=str(from_file))
        filled = document(declaration)
    rows = write_workbook(target, chosen, filled)
    what = f"with {rows} entries" if filled else "to fill in"
    console.print(f"wrote the {chosen} declaration workbook {what} to {target}")


@declaration_app.command("example")
def example(
    name: str = typer.Argument(..., help=f"One of: {', '.join(DECLARATION_EXAMPLES)}"),
    out: Path = typer.Option(None, "--out", "-o", help="Write here [default: stdout]"),
) -> None:
    """Print or copy one of the illustrative declarations shipped with accordwatch."""

    emit(declaration_example_path(name).read_text("utf-8"), out, name)


def _write(declaration: Declaration, out: Path) -> None:
    from accordwatch.declarations.reading import document

    doc = document(declaration)
    if out.suffix.lower() == ".json":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    elif out.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    else:
        raise InputError("write the declaration as .json or .yaml", where=str(out))
    try:
        write_private_text(out, text)
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc


@declaration_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="Declaration workbook (.xlsx), YAML or JSON"),
    out: Path = typer.Option(None, "--out", "-o", help="Also write it as JSON or YAML"),
) -> None:
    """Read and check a declaration; every problem names its sheet, row and column."""
    declaration, _ = load(file)
    if out is not None:
        _write(declaration, out)
    console.print(
        shown(_summary(declaration)) + (f"; written to {out}" if out else ""), highlight=False
    )


def _summary(d: Declaration) -> str:
    from accordwatch.declarations.nuclear import NuclearDeclaration

    if isinstance(d, NuclearDeclaration):
        sizes = (
            f"{len(d.sites)} sites, {len(d.inventory)} inventory lines, "
            f"{len(d.weapons)} weapons holdings"
        )
    else:
        sizes = (
            f"{len(d.missile_types)} types, {len(d.missiles)} missiles, "
            f"{len(d.launchers)} launchers"
        )
    return f"{d.program} declaration {d.id} of {d.party} as of {d.as_of}: {sizes}; no problems"


def _check_against_log(
    declaration: Declaration, as_party: str, logged: list[LoggedDeclaration]
) -> None:
    if declaration.party != as_party:
        raise AuthorityError(
            f"party {as_party!r} may only declare for itself, not for {declaration.party!r}"
        )
    mine = [i for i in logged if i.party == as_party and i.declaration is not None]
    if any(i.declaration is not None and i.declaration.id == declaration.id for i in mine):
        raise ConflictError(f"declaration id {declaration.id!r} is already in the log")
    for field, ref in (("supersedes", declaration.supersedes), ("updates", declaration.updates)):
        if ref is None:
            continue
        old = next(
            (i.declaration for i in reversed(mine) if i.declaration and i.declaration.id == ref),
            None,
        )
        if old is None:
            raise NotFoundError(f"{field} {ref!r}: no such declaration of {as_party} in the log")
        if old.program != declaration.program:
            raise InputError(f"{field} {ref!r}: that is a {old.program} declaration")
        if field == "supersedes" and old.as_of != declaration.as_of:
            raise InputError(f"a correction keeps the date of {ref!r} ({old.as_of})")
        if field == "updates" and old.as_of >= declaration.as_of:
            raise InputError(f"an update must be dated after {ref!r} ({old.as_of})")


@declaration_app.command("submit")
def submit(
    file: Path = typer.Argument(..., help="Declaration (.xlsx, YAML or JSON)"),
    as_party: str = typer.Option(..., "--as", help="The declaring party"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
    public: bool = typer.Option(False, "--public", help="Log the content in public"),
    receipt_out: Path = typer.Option(None, "--receipt", help="Also write the receipt here"),
) -> None:
    """Check, sign and log a declaration (confidential unless --public)."""
    from accordwatch.declarations.reading import document

    declaration, _ = load(file)
    ws, ledger, logged = open_log(as_party, key_file)
    _check_against_log(declaration, as_party, logged)
    receipt = submit_as(
        ws,
        ledger,
        as_party,
        key_file,
        "declaration",
        {"declaration": document(declaration)},
        confidential=not public,
        where=str(file),
    )
    if receipt_out is not None:
        write_private_text(receipt_out, json.dumps(receipt.to_json(), indent=2) + "\n")
    kind = "public" if public else "confidential"
    how = ""
    if declaration.supersedes:
        how = f", correcting {declaration.supersedes}"
    elif declaration.updates:
        how = f", updating {declaration.updates}"
    console.print(
        f"logged {kind} {declaration.program} declaration {shown(declaration.id)} of {as_party} "
        f"as of {declaration.as_of}{how} at log entry [bold]{receipt.index}[/]",
        highlight=False,
    )


@declaration_app.command("list")
def list_(
    as_party: str = typer.Option(None, "--as", help="Read as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    known_at: str = typer.Option(None, "--known-at", help=KNOWN_AT_HELP),
    log_size: int = typer.Option(None, "--log-size", help=LOG_SIZE_HELP),
    fmt: SheetFormat = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Declarations in the log; what a confidential one says only for those allowed."""
    from accordwatch.reports.exports import Column, Kind, Sheet, encode_time

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    _, _, logged = open_log(as_party, key_file, known_at, log_size, say=chosen.text)
    sheet = Sheet(
        "declarations",
        (
            Column("log_index", "entry", Kind.ID),
            Column("logged_at", "logged at", Kind.DATE),
            Column("party", kind=Kind.ID),
            Column("access"),
            Column("id", kind=Kind.ID),
            Column("program"),
            Column("as_of", "as of", Kind.DATE),
            Column("supersedes", "corrects", Kind.ID),
            Column("updates", kind=Kind.ID),
        ),
    )
    for item in logged:
        d = item.declaration
        sheet.add(
            log_index=item.index,
            logged_at=encode_time(item.time),
            party=item.party,
            access="confidential" if item.confidential else "public",
            id=d.id if d else None,
            program=d.program if d else None,
            as_of=d.as_of if d else None,
            supersedes=d.supersedes if d else None,
            updates=d.updates if d else None,
        )
    hidden = sum(1 for i in logged if i.declaration is None)

    def text() -> None:
        if not logged:
            console.print("no declaration in this log")
            return
        print_sheet(sheet)
        if hidden:
            console.print(
                f"{hidden} confidential declaration(s) not readable as {as_party or 'nobody'}"
            )

    deliver(
        chosen,
        json=lambda: {"declarations": sheet.records(), "not_readable": hidden},
        sheets=lambda: [sheet],
        text=text,
    )


@declaration_app.command("show")
def show(
    ref: str = typer.Argument(..., help="Log entry index or declaration id"),
    as_party: str = typer.Option(None, "--as", help="Read as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    fmt: str = typer.Option("yaml", "--format", help="yaml or json"),
) -> None:
    """Print a declaration, if the reader may read it (checked against its commitment)."""
    from accordwatch.declarations.reading import document
    from accordwatch.sources.declarations import find_declaration

    if fmt not in ("yaml", "json"):
        raise InputError(f"--format must be yaml or json, not {fmt!r}")
    _, _, logged = open_log(as_party, key_file)
    item = find_declaration(logged, ref)
    doc = document(require_readable(item, as_party))
    if fmt == "json":
        print_json(doc)
    else:
        # YAML escapes every control character but NEL (U+0085), which it allows raw
        typer.echo(plain(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(declaration_app, name="declaration")
