"""Confidential openings sealed to their readers: converting a workspace, sharing one.

`openings seal` encrypts every opening a workspace made before sealing holds
in plaintext to each of its readers' encryption keys and deletes the
plaintext, leaving none in the database file or its write-ahead log.
`share ENTRY --with PARTY` seals an opening the sharer can read to a further
reader, as a logged `opening.share` entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    reader_as,
    registrar_only,
    shown,
    submit_as,
    workspace,
)

if TYPE_CHECKING:
    from accordwatch.errors import VerificationError
    from accordwatch.log.audit import AuditReport
    from accordwatch.store.ledger import Ledger

openings_app = typer.Typer(
    help="Confidential openings: seal them to their readers.", no_args_is_help=True
)


@openings_app.command("seal")
def seal_command() -> None:
    """Encrypt every plaintext opening to its readers' keys and delete the plaintext.

    Every reader (the submitter, and the inspectorates for declarations,
    accountancy reports and inspections) must have an encryption key
    registered; otherwise nothing is changed. The database is compacted
    afterwards, so that no deleted plaintext remains in its free pages or
    write-ahead log.
    """
    from accordwatch.sources.reading import seal_stored

    ws = workspace()
    registrar_only(ws, "openings seal")
    ledger = ws.ledger()
    done = seal_stored(ledger, ledger.registry())
    if not done.sealed:
        console.print("no plaintext opening in the database: nothing to seal")
        return
    console.print(
        f"sealed {done.sealed} opening(s) to their readers ({done.ciphertexts} ciphertexts); "
        "the plaintext is deleted and the database compacted"
    )


def share(
    entry: int = typer.Argument(..., help="Log index of the confidential entry"),
    with_party: str = typer.Option(..., "--with", help="The further reader to seal it to"),
    as_party: str = typer.Option(..., "--as", help="The party sharing it (one that reads it)"),
    key_file: Path = typer.Option(None, "--key", help="Signing key file [default: workspace key]"),
) -> None:
    """Seal a confidential entry's opening to a further reader, as a logged record."""
    from accordwatch.errors import NotFoundError
    from accordwatch.log.envelope import Envelope, Opening
    from accordwatch.sources.reading import share_payload

    ws = workspace()
    ledger = ws.ledger()
    if entry < 0 or entry >= ledger.size():
        raise NotFoundError(f"the log has no entry {entry}")
    where = f"log entry {entry}"
    envelope = Envelope.from_bytes(ledger.entry(entry).envelope, where=where)
    held = ledger.opening(entry)
    opening = None
    if held is not None:
        from accordwatch.log.canonical import parse_json

        opening = Opening(held[0], parse_json(held[1], where=where))
    reader = reader_as(ledger, as_party)
    assert reader is not None
    payload = share_payload(ledger, ledger.registry(), reader, entry, envelope, opening, with_party)
    receipt = submit_as(
        ws, ledger, as_party, key_file, "opening.share", payload.model_dump(), where="share"
    )
    console.print(
        f"{shown(as_party)} sealed the opening of entry {entry} to {shown(with_party)}'s key "
        f"{payload.key_id}: logged at index [bold]{receipt.index}[/]"
    )


def plaintext_left(ledger: Ledger, report: AuditReport) -> tuple[VerificationError | None, str]:
    """A failure for plaintext openings that could be sealed; a note for those that cannot yet.

    An opening whose readers all have encryption keys must be sealed to them
    (`accordwatch openings seal`); one with a reader without a key stays in
    plaintext, as before keys for sealing, and is counted.
    """
    from accordwatch.errors import VerificationError
    from accordwatch.sources.reading import plaintext_sealable

    if not report.plaintext_openings:
        return None, ""
    sealable, waiting = plaintext_sealable(ledger, ledger.registry(), report.plaintext_openings)
    note = (
        f"{len(waiting)} confidential opening(s) still in plaintext in the database: a reader "
        "has no encryption key registered (register them, then accordwatch openings seal)"
        if waiting
        else ""
    )
    if not sealable:
        return None, note
    return (
        VerificationError(
            f"{len(sealable)} confidential opening(s) held in plaintext though every reader "
            f"has an encryption key (first: log entry {sealable[0]}): run accordwatch "
            "openings seal"
        ),
        note,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(openings_app, name="openings")
    app.command("share")(share)
