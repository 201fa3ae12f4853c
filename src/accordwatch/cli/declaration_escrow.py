"""Escrowed declarations: `declaration escrow`, `declaration reveal`, `declaration verify-reveal`.

`declaration escrow FILE --partition-by region --as PARTY` commits to a whole
declaration part by part (`declarations.escrow`) and logs the public `escrow`
record; the items and their salts stay in the declarant's escrow file in the
workspace (`escrows/PARTY/ESCROW.jsonl`, 0600). `declaration reveal ESCROW
--part P --as PARTY` logs the opening of one part, public or confidential to
the inspectorate as the accord's reveal step says. `declaration verify-reveal
ENTRY` checks a reveal against its escrow, in the workspace or, with `--log
FILE`, from a log export alone.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import yaml

from accordwatch.cli.context import console, print_json, shown, signing_key, submit_as, workspace
from accordwatch.cli.declaration import declaration_app, load
from accordwatch.errors import (
    AuthorityError,
    ConflictError,
    InputError,
    NotFoundError,
    VerificationError,
)
from accordwatch.private_files import make_private_folder, open_private_binary, write_private_text

if TYPE_CHECKING:
    from accordwatch.declarations.escrow import Item
    from accordwatch.declarations.escrow_file import EscrowFileHeader
    from accordwatch.declarations.escrow_log import EscrowBook, LoggedEscrow, RevealCheck
    from accordwatch.roadmap.accord import Accord, Step
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.workspace import Workspace

#: the workspace folder of the declarants' escrow files
ESCROW_FOLDER = "escrows"


def escrow_file_path(ws: Workspace, party: str, escrow_id: str) -> Path:
    """Where the workspace keeps a declarant's items and salts of one escrow."""
    return ws.home / ESCROW_FOLDER / party / f"{escrow_id}.jsonl"


def _book(log: Snapshot, as_party: str | None) -> EscrowBook:
    from accordwatch.sources.declarations import reader_for
    from accordwatch.sources.escrows import escrow_book

    return escrow_book(log, reader_for(log.ledger, as_party))


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
    part: str = typer.Option(..., "--part", help="The part to open"),
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


def _report_check(check: RevealCheck, book: EscrowBook, fmt: str, source: str) -> None:
    reveal = check.reveal
    where = f"log entry {reveal.index}"
    if reveal.record is None:
        raise AuthorityError(
            f"the reveal is confidential and cannot be read here ({reveal.unreadable})",
            where=where,
        )
    if check.problem:
        raise VerificationError(f"the reveal does not verify: {check.problem}", where=where)
    record = reveal.record
    escrow = book.escrows[record.escrow]
    padding = sum(1 for i in record.items if "padding" in i.item)
    result = {
        "ok": True,
        "entry": reveal.index,
        "source": source,
        "escrow": record.escrow,
        "escrow_id": record.escrow_id,
        "party": record.party,
        "part": record.part,
        "items": len(record.items) - padding,
        "padding": padding,
        "count": record.count,
        "part_root": record.part_root,
        "root": record.root,
        "step": record.step,
        "confidential": reveal.confidential,
        "superseded_by": book.states[record.escrow].superseded_by,
    }
    if fmt == "json":
        print_json(result)
        return
    console.print(
        f"reveal at log entry {reveal.index} verifies: part {shown(record.part)} of escrow "
        f"{shown(record.escrow_id)} (log entry {record.escrow}, {shown(escrow.party)}, "
        f"as of {escrow.record.as_of}): {result['items']} item(s)"
        + (f" and {padding} padding" if padding else "")
        + f", all {record.count} committed, every one hashing to the part's root, which is "
        f"in the escrow root {record.root}",
        highlight=False,
    )


def verify_reveal_command(
    entry: int = typer.Argument(..., min=0, help="Log index of the reveal"),
    log_file: Path = typer.Option(
        None, "--log", help="A log export (log export): check it offline, with nothing else"
    ),
    log_key: str = typer.Option(
        None, "--log-key", help="With --log: the log key to expect [default: the file's]"
    ),
    as_party: str = typer.Option(None, "--as", help="Read the log as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Check that a reveal opens exactly one committed part of its escrow: every item, no more."""
    from accordwatch.sources.snapshot import Snapshot

    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, not {fmt!r}")
    if log_file is not None:
        book, source = _offline_book(log_file, log_key, entry)
    else:
        ws = workspace()
        ledger = ws.ledger()
        if as_party is not None:
            signing_key(ws, ledger.registry(), as_party, key_file)
        book, source = _book(Snapshot.default(ledger), as_party), ledger.origin
    check = next((c for c in book.checks if c.reveal.index == entry), None)
    if check is None:
        raise NotFoundError(f"log entry {entry} is not a reveal")
    _report_check(check, book, fmt, source)


def _offline_book(path: Path, log_key: str | None, entry: int) -> tuple[EscrowBook, str]:
    """Audit a log export, reading its escrows and reveals on the way; the reveal must be signed."""
    from accordwatch.catalog import CATALOG
    from accordwatch.declarations.escrow_log import EscrowBook, feed_envelopes
    from accordwatch.log.audit import audit
    from accordwatch.log.export import read_export
    from accordwatch.log.note import Verifier

    header, entries = read_export(path)
    verifier = Verifier.parse(header.log_key)
    if log_key is not None and Verifier.parse(log_key) != verifier:
        raise VerificationError(
            f"the export is signed with log key {verifier.text()}, not {log_key}", where=str(path)
        )
    book = EscrowBook()
    report = audit(feed_envelopes(book, entries), header.checkpoints, verifier, catalog=CATALOG)
    if entry >= report.covered:
        raise VerificationError(
            f"log entry {entry} is not under a signed checkpoint of the export "
            f"(signed size {report.covered})",
            where=str(path),
        )
    return book, f"{header.origin} (export {path}, audited)"


def audit_reveals(book: EscrowBook) -> dict[str, Any]:
    """What `log audit` says of the reveals it read: counts, and each one that fails."""
    from accordwatch.declarations.escrow_log import reveal_problems

    return {
        "verified": sum(1 for c in book.checks if c.verified),
        "not_readable": sum(1 for c in book.checks if c.reveal.record is None),
        "failed": reveal_problems(book.checks),
    }


def escrows_command(
    as_party: str = typer.Option(None, "--as", help="Read the log as this party"),
    key_file: Path = typer.Option(None, "--key", help="The reader's private key file"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Escrows in the log: each part committed, revealed (by which entry), verified; late ones."""
    from rich.table import Table

    from accordwatch.sources.snapshot import Snapshot

    if fmt not in ("table", "json"):
        raise InputError(f"--format must be table or json, not {fmt!r}")
    ws = workspace()
    ledger = ws.ledger()
    if as_party is not None:
        signing_key(ws, ledger.registry(), as_party, key_file)
    book = _book(Snapshot.default(ledger), as_party)
    rows: list[dict[str, Any]] = []
    for state in book.states.values():
        escrow = state.escrow
        parts = []
        for part in escrow.record.parts:
            check = state.opened(part.name)
            parts.append(
                {
                    "name": part.name,
                    "count": part.count,
                    "revealed_by": check.reveal.index if check else None,
                    "status": check.status if check else "committed",
                }
            )
        rows.append(
            {
                "entry": escrow.index,
                "time": escrow.time.isoformat(),
                "escrow_id": escrow.record.escrow_id,
                "party": escrow.party,
                "declaration_id": escrow.record.declaration_id,
                "step": escrow.record.step,
                "root": escrow.record.root,
                "counts": escrow.record.counts,
                "supersedes": escrow.record.supersedes,
                "superseded_by": state.superseded_by,
                "parts": parts,
            }
        )
    late = [
        {
            "amendment": x.amendment,
            "item": x.item,
            "part": x.part,
            "revealed_by": x.revealed_by,
            "message": x.message(),
        }
        for x in book.late
    ]
    if fmt == "json":
        print_json(
            {
                "escrows": rows,
                "late_additions": late,
                "reveal_problems": [c.problem for c in book.checks if c.problem],
            }
        )
        return
    if not rows:
        console.print("no escrow in this log")
        return
    table = Table("entry", "escrow", "party", "step", "part", "count", "revealed", "status")
    for row in rows:
        amends = f" (amends {row['supersedes']})" if row["supersedes"] else ""
        gone = f"; amended at {row['superseded_by']}" if row["superseded_by"] is not None else ""
        for n, part in enumerate(row["parts"]):
            first = n == 0
            table.add_row(
                str(row["entry"]) if first else "",
                shown(f"{row['escrow_id']}{amends}{gone}") if first else "",
                shown(row["party"]) if first else "",
                shown(row["step"] or "-") if first else "",
                shown(part["name"]),
                str(part["count"]),
                "-" if part["revealed_by"] is None else f"entry {part['revealed_by']}",
                part["status"],
            )
    console.print(table)
    for item in late:
        console.print(f"[yellow]{shown(item['message'])}[/]", highlight=False)
    for check in book.checks:
        if check.problem:
            console.print(
                f"[red]reveal at log entry {check.reveal.index} does not verify: "
                f"{shown(check.problem)}[/]",
                highlight=False,
            )


def register(app: typer.Typer) -> None:
    declaration_app.command("escrows")(escrows_command)
    declaration_app.command("escrow")(escrow_command)
    declaration_app.command("reveal")(reveal_command)
    declaration_app.command("verify-reveal")(verify_reveal_command)
