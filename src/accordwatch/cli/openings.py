"""Confidential openings sealed to their readers: converting a workspace, sharing one.

`openings seal` encrypts every opening a workspace made before sealing holds
in plaintext to each of its readers' encryption keys and deletes the
plaintext, leaving none in the database file or its write-ahead log.
`openings status` says, read-only, how many confidential entries are sealed
and how many still in plaintext, and which parties hold encryption keys.
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
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    chosen_format,
    deliver,
    print_sheet,
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


@openings_app.command("status")
def status_command(
    fmt: Format = "text", output: OutputFile = None, as_json: JsonAlias = False
) -> None:
    """What the log holds of confidential entries: sealed or plaintext, and who holds keys.

    Read-only. Counts the confidential entries whose openings are sealed to
    their readers (the log holds ciphertexts only and cannot open them) and
    those still in plaintext, by record type; and for each party whether it
    holds a current encryption key and how many entries are sealed to it.
    """
    from accordwatch.log.confidential import Held, without_key_line
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.sources.confidential import openings_status

    chosen = chosen_format(fmt, as_json, output)
    summary = openings_status(workspace().ledger())
    types = Sheet(
        "record_types",
        (
            Column("record_type", "record type", Kind.ID),
            Column("sealed", kind=Kind.FIGURE),
            Column("plaintext", "in plaintext", Kind.FIGURE),
            Column("none", "no opening held", Kind.FIGURE),
        ),
    )
    for t in summary.by_type:
        types.add(record_type=t.record_type, sealed=t.sealed, plaintext=t.plaintext, none=t.none)
    parties = Sheet(
        "parties",
        (
            Column("party", kind=Kind.ID),
            Column("role"),
            Column("encryption_key", "encryption key", Kind.ID),
            Column("sealed_entries", "sealed to it", Kind.FIGURE),
            Column("reads_by_role", "reads every party's"),
        ),
    )
    for p in summary.parties:
        parties.add(
            party=p.party + ("" if p.active else " (revoked)"),
            role=p.role,
            encryption_key=p.key_id or "none",
            sealed_entries=p.sealed_entries,
            reads_by_role=list(p.reads_by_role),
        )

    def text() -> None:
        console.print(shown(summary.headline()), highlight=False)
        if summary.by_type:
            print_sheet(types)
        print_sheet(parties, show={"reads_by_role": ", ".join})
        console.print(shown(without_key_line(summary.parties)), highlight=False)
        if summary.total(Held.SEALED):
            console.print(
                "the log holds only ciphertexts of the sealed ones and cannot open them",
                highlight=False,
            )
        if summary.total(Held.PLAINTEXT):
            console.print(
                "accordwatch openings seal seals those in plaintext once every reader of "
                "each has an encryption key",
                highlight=False,
            )

    deliver(chosen, json=summary.to_json, sheets=lambda: [types, parties], text=text)


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
