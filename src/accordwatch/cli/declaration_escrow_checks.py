"""Checking escrowed declarations: `declaration verify-reveal` and `declaration escrows`.

`declaration verify-reveal ENTRY` checks that a reveal opens exactly one
committed part of the escrow entry it names, in the workspace or, with `--log
FILE`, from a log export alone (audited on the way: the reveal must lie under
a signed checkpoint). `declaration escrows` lists every escrow with its parts,
which reveal opened each and whether it verified, and the late additions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import console, print_json, shown, signing_key, workspace
from accordwatch.cli.declaration import declaration_app
from accordwatch.cli.declaration_escrow import read_escrows
from accordwatch.errors import AuthorityError, InputError, NotFoundError, VerificationError

if TYPE_CHECKING:
    from accordwatch.declarations.escrow_log import EscrowBook, RevealCheck


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
        book, source = read_escrows(Snapshot.default(ledger), as_party), ledger.origin
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
    book = read_escrows(Snapshot.default(ledger), as_party)
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
    declaration_app.command("verify-reveal")(verify_reveal_command)
    declaration_app.command("escrows")(escrows_command)
