"""Escrowed declarations: `declaration escrow`, `declaration reveal`, `declaration verify-reveal`.

`declaration escrow FILE --partition-by region --as PARTY` commits to a whole
declaration part by part (`declarations.escrow`) and logs the public `escrow`
record; the items and their salts stay in the declarant's escrow file in the
workspace (`escrows/PARTY/ESCROW.jsonl`, 0600). `declaration reveal ESCROW
--part P --as PARTY` logs the opening of one part, public or confidential to
the inspectorate as the accord's reveal step says. Checking reveals and
listing escrows (`declaration verify-reveal`, `declaration escrows`) are in
`cli.declaration_escrow_checks`.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import yaml

from accordwatch.cli.context import console, shown, signing_key, submit_as, workspace
from accordwatch.cli.declaration import declaration_app, load
from accordwatch.errors import (
    AuthorityError,
    ConflictError,
    InputError,
    NotFoundError,
)
from accordwatch.private_files import make_private_folder, open_private_binary, write_private_text

if TYPE_CHECKING:
    from accordwatch.declarations.escrow import Item
    from accordwatch.declarations.escrow_file import EscrowFileHeader
    from accordwatch.declarations.escrow_log import EscrowBook, LoggedEscrow
    from accordwatch.roadmap.accord import Accord, Step
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.workspace import Workspace

#: the workspace folder of the declarants' escrow files
ESCROW_FOLDER = "escrows"


def escrow_file_path(ws: Workspace, party: str, escrow_id: str) -> Path:
    """Where the workspace keeps a declarant's items and salts of one escrow."""
    return ws.home / ESCROW_FOLDER / party / f"{escrow_id}.jsonl"


def read_escrows(log: Snapshot, as_party: str | None) -> EscrowBook:
    """Every escrow and reveal in the log, read as `as_party` (None: the public view)."""
    return _book(log, as_party)


def _book(log: Snapshot, as_party: str | None) -> EscrowBook:
    from accordwatch.cli.context import reader_as
    from accordwatch.sources.escrows import escrow_book

    return escrow_book(log, reader_as(log.ledger, as_party))


def _declare_step(accord: Accord | None, step_id: str | None) -> Step | None:
    if accord is None or step_id is None:
        return None
    return next((s for s in accord.steps if s.id == step_id), None)


def _pad_to(book_counts: list[int], pad_to: int | None, secret: bool) -> int | None:
    if pad_to is not None:
        return pad_to
    if not secret:
        return None
    # Secret counts: every part as large as the next power of two above the largest.
    largest = max(book_counts, default=1)
    return 1 << max(largest - 1, 0).bit_length()


def _read_reasons(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    from accordwatch.documents import read_yaml

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from exc
    data = read_yaml(raw, source=str(path)).data
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise InputError("reasons are a mapping of item key to a reason", where=str(path))
    return {k: v.strip() for k, v in data.items()}


def _old_items(ws: Workspace, old: LoggedEscrow) -> list[Item]:
    from accordwatch.declarations.escrow import Item
    from accordwatch.declarations.escrow_file import read_escrow

    path = escrow_file_path(ws, old.party, old.record.escrow_id)
    with _open_escrow_file(path) as fh:
        _, escrow = read_escrow(fh, str(path))
    if escrow.root.hex() != old.record.root:
        raise ConflictError(f"the escrow file does not hold escrow {old.record.escrow_id}")
    out = []
    for part in escrow.parts:
        for data in part.items[: part.declared]:
            key = json.loads(data)["key"]
            out.append(Item(str(key), part.name, data))
    return out


def _open_escrow_file(path: Path) -> Any:
    try:
        return path.open("rb")
    except OSError as exc:
        raise NotFoundError(
            f"cannot read the escrow file: {exc.strerror} (only the declarant's workspace "
            "holds it)",
            where=str(path),
        ) from exc


def escrow_command(
    file: Path = typer.Argument(..., help="Declaration (.xlsx, YAML or JSON)"),
    partition_by: str = typer.Option(
        ..., "--partition-by", help="region, site-category, or a field name (dotted if nested)"
    ),
    as_party: str = typer.Option(..., "--as", help="The declaring party"),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the escrow record here (YAML)"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
    escrow_id: str = typer.Option(
        None, "--id", help="The escrow's id [default: the declaration's]"
    ),
    pad_to: int = typer.Option(
        None, "--pad-to", min=1, help="Pad every part to this many items (counts kept secret)"
    ),
    supersedes: str = typer.Option(None, "--supersedes", help="The escrow id this one amends"),
    reason: str = typer.Option("", "--reason", help="Why the amendment changes its items"),
    reasons_file: Path = typer.Option(
        None, "--reasons", help="YAML mapping item key -> reason, for an amendment"
    ),
) -> None:
    """Commit to a whole declaration part by part and log the escrow (roots and counts only)."""
    from accordwatch.declarations.escrow import UNPARTITIONED, build_escrow, declaration_items
    from accordwatch.declarations.escrow_file import write_escrow_file
    from accordwatch.declarations.escrow_log import amendment_changes
    from accordwatch.declarations.escrow_records import EscrowRecord
    from accordwatch.declarations.reading import document
    from accordwatch.log.records import valid_name
    from accordwatch.sources.declarations import signed_accord
    from accordwatch.sources.snapshot import Snapshot

    declaration, _ = load(file)
    if declaration.party != as_party:
        raise AuthorityError(
            f"party {as_party!r} may only escrow its own declaration, not {declaration.party!r}'s"
        )
    ws = workspace()
    ledger = ws.ledger()
    signing_key(ws, ledger.registry(), as_party, key_file)
    log = Snapshot.default(ledger)
    book = _book(log, as_party)
    ident = escrow_id or declaration.id
    if not valid_name(ident):
        raise InputError(f"escrow id {ident!r} is not a name (a-z, 0-9, . _ -)")
    if book.find(ident, as_party, before=ledger.size()) is not None:
        raise ConflictError(f"escrow id {ident!r} is already in the log")
    if supersedes is None and (reason or reasons_file):
        raise InputError("--reason and --reasons are for an amendment (--supersedes)")
    doc = document(declaration)
    items = list(declaration_items(doc, partition_by))
    loose = sum(1 for i in items if i.part == UNPARTITIONED)
    if items and loose == len(items):
        raise InputError(
            f"no entry of the declaration has a value for {partition_by!r}: nothing to "
            "partition by (region, site-category, or a field name such as status)"
        )
    step = _declare_step(signed_accord(log, declaration.accord), declaration.step)
    secret = step is not None and step.escrow_counts == "secret"
    changes: list[dict[str, Any]] = []
    old = None
    if supersedes is not None:
        old = book.find(supersedes, as_party, before=ledger.size())
        if old is None:
            raise NotFoundError(f"--supersedes {supersedes!r}: no escrow of {as_party} in the log")
        if old.record.partition_by != partition_by:
            raise InputError(
                f"an amendment keeps the partition of {supersedes!r} ({old.record.partition_by})"
            )
        secret = secret or old.record.counts == "padded"
        try:
            changes = amendment_changes(
                _old_items(ws, old), items, _read_reasons(reasons_file), reason.strip()
            )
        except ValueError as exc:
            raise InputError(f"{exc} (give --reason or --reasons)") from None
        if not changes:
            raise InputError(f"the declaration holds the same items as escrow {supersedes!r}")
    counts: dict[str, int] = {}
    for item in items:
        counts[item.part] = counts.get(item.part, 0) + 1
    old_parts = [p.name for p in old.record.parts] if old is not None else []
    escrow = build_escrow(
        items,
        secrets.token_bytes,
        pad_to=_pad_to(list(counts.values()), pad_to, secret),
        # An amendment keeps every part of what it amends, emptied ones included.
        parts=old_parts,
    )
    record: dict[str, Any] = {
        "escrow_id": ident,
        "party": as_party,
        "declaration_id": declaration.id,
        "program": str(declaration.program),
        "as_of": declaration.as_of.isoformat(),
        "accord_id": declaration.accord,
        "step": declaration.step,
        "partition_by": partition_by,
        "counts": "padded" if (secret or pad_to is not None) else "exact",
        "root": escrow.root.hex(),
        "parts": [
            {"name": c.name, "root": c.root.hex(), "count": c.count} for c in escrow.commitments
        ],
        "supersedes": supersedes,
        "changes": changes,
        "illustrative": declaration.illustrative,
    }
    EscrowRecord.model_validate(record)
    if out is not None:
        # Found unwritable before the escrow is logged, not after.
        try:
            write_private_text(out, "")
        except OSError as exc:
            raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc
    # The items and salts are written before the escrow is logged: an escrow no
    # one can open would be worth nothing.
    path = escrow_file_path(ws, as_party, ident)
    make_private_folder(path.parent)
    try:
        with open_private_binary(path) as fh:
            write_escrow_file(fh, escrow, record)
    except OSError as exc:
        raise InputError(f"cannot write the escrow file: {exc.strerror}", where=str(path)) from exc
    try:
        receipt = submit_as(ws, ledger, as_party, key_file, "escrow", record, where=str(file))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if out is not None:
        text = yaml.safe_dump({"entry": receipt.index, "escrow": record}, sort_keys=False)
        try:
            write_private_text(out, text)
        except OSError as exc:
            raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc
    parts = ", ".join(f"{c.name} ({c.count})" for c in escrow.commitments)
    amended = f", amending {supersedes} ({len(changes)} item change(s))" if supersedes else ""
    console.print(
        f"logged escrow {shown(ident)} of {as_party}'s declaration {shown(declaration.id)} "
        f"at log entry [bold]{receipt.index}[/]{amended}: root {escrow.root.hex()}, "
        f"{len(escrow.parts)} parts: {shown(parts)}",
        highlight=False,
    )
    console.print(f"items and salts kept in {path} (yours alone: reveal parts from it)")
    if loose:
        console.print(
            f"{loose} item(s) without a {shown(partition_by)} are in part {UNPARTITIONED}",
            highlight=False,
        )
    if supersedes is not None:
        after = _book(Snapshot.default(ws.ledger()), as_party)
        for late in after.late:
            if late.amendment == receipt.index:
                console.print(f"[yellow]{shown(late.message())}[/]", highlight=False)


def _find_escrow(book: EscrowBook, ref: str, party: str | None) -> LoggedEscrow:
    """An escrow by log index, escrow id, or the file `declaration escrow -o` wrote."""
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        from accordwatch.documents import read_yaml

        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", where=ref) from exc
        data = read_yaml(raw, source=ref).data
        entry = data.get("entry") if isinstance(data, dict) else None
        if not isinstance(entry, int):
            raise InputError("not an escrow file written by declaration escrow -o", where=ref)
        ref = str(entry)
    if ref.isdigit():
        found = book.escrows.get(int(ref))
        if found is None:
            raise NotFoundError(f"log entry {ref} is not an escrow")
        return found
    matches = [
        e
        for e in book.escrows.values()
        if e.record.escrow_id == ref and (party is None or e.party == party)
    ]
    if not matches:
        raise NotFoundError(f"no escrow {ref!r} in the log")
    return matches[-1]


def _reveal_step(accord: Accord | None, escrow_step: str | None, part: str) -> Step | None:
    """The accord's reveal step for this part of the escrow of `escrow_step`, if it has one."""
    from accordwatch.roadmap.accord import StepKind

    if accord is None or escrow_step is None:
        return None
    steps = [s for s in accord.steps if s.kind is StepKind.REVEAL and s.escrow == escrow_step]
    return next((s for s in steps if s.part == part), None)


def reveal_command(
    escrow_ref: str = typer.Argument(
        ..., metavar="ESCROW", help="Escrow id, its log entry, or the file escrow -o wrote"
    ),
    part: str = typer.Option(
        ..., "--part", help="The part to open ('drawn': the part a drawn step's draw chose)"
    ),
    as_party: str = typer.Option(..., "--as", help="The declaring party"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
    step_id: str = typer.Option(
        None, "--step", help="The accord's reveal step it fulfils [default: the one for the part]"
    ),
    confidential: bool = typer.Option(
        False, "--confidential", help="Open it to the inspectorate only"
    ),
) -> None:
    """Open one part of an escrow: log its items, salts and proof up to the escrow root."""
    from accordwatch.declarations.escrow import reveal_part
    from accordwatch.declarations.escrow_file import read_header, read_part
    from accordwatch.declarations.escrow_records import reveal_payload
    from accordwatch.sources.declarations import signed_accord
    from accordwatch.sources.snapshot import Snapshot

    ws = workspace()
    ledger = ws.ledger()
    signing_key(ws, ledger.registry(), as_party, key_file)
    log = Snapshot.default(ledger)
    book = _book(log, as_party)
    escrow = _find_escrow(book, escrow_ref, as_party)
    record = escrow.record
    if escrow.party != as_party:
        raise AuthorityError(f"escrow {record.escrow_id} is {escrow.party}'s: only it may open it")
    state = book.states[escrow.index]
    if state.superseded_by is not None:
        raise ConflictError(
            f"escrow {record.escrow_id} is amended by the escrow at log entry "
            f"{state.superseded_by}: open that one"
        )
    done = state.opened(part)
    if done is not None and done.verified:
        raise ConflictError(
            f"part {part} of escrow {record.escrow_id} is already revealed at log entry "
            f"{done.reveal.index}"
        )
    accord = signed_accord(log, record.accord_id)
    step = None
    if step_id is not None:
        step = _declare_step(accord, step_id)
        if step is None or step.kind != "reveal":
            raise NotFoundError(
                f"--step {step_id!r} is not a reveal step of accord {record.accord_id}"
            )
    else:
        step = _reveal_step(accord, record.step, part)
    if step is not None and step.part == "drawn" and accord is not None:
        from accordwatch.cli.declaration_draw import drawn_part

        part = drawn_part(ledger, accord, step.id, part)
    if step is not None and step.reveal_to == "inspectorate":
        confidential = True
    path = escrow_file_path(ws, as_party, record.escrow_id)
    with _open_escrow_file(path) as fh:
        header: EscrowFileHeader = read_header(fh, str(path))
        if header.record.get("root") != record.root:
            raise ConflictError(f"the escrow file does not hold escrow {record.escrow_id}")
        held = read_part(fh, header, part, str(path))
    opening = reveal_part(held, record.commitments())
    payload = reveal_payload(
        opening, escrow_index=escrow.index, escrow=record, step=step.id if step else None
    )
    receipt = submit_as(
        ws,
        ledger,
        as_party,
        key_file,
        "escrow.reveal",
        payload,
        confidential=confidential,
        where=str(path),
    )
    kind = "confidential (to the inspectorate)" if confidential else "public"
    for_step = f" for step {shown(step.id)}" if step else ""
    console.print(
        f"logged {kind} reveal of part {shown(part)} of escrow {shown(record.escrow_id)}"
        f"{for_step} at log entry [bold]{receipt.index}[/]: {held.declared} item(s)"
        + (
            f" and {len(held.items) - held.declared} padding"
            if held.declared < len(held.items)
            else ""
        ),
        highlight=False,
    )


def audit_reveals(book: EscrowBook) -> dict[str, Any]:
    """What `log audit` says of the reveals it read: counts, and each one that fails."""
    from accordwatch.declarations.escrow_log import reveal_problems

    return {
        "verified": sum(1 for c in book.checks if c.verified),
        "not_readable": sum(1 for c in book.checks if c.reveal.record is None),
        "failed": reveal_problems(book.checks),
    }


def register(app: typer.Typer) -> None:
    declaration_app.command("escrow")(escrow_command)
    declaration_app.command("reveal")(reveal_command)
