"""Escrows and their reveals in the log, read for one reader (`declarations.escrow_log`)."""

from __future__ import annotations

from accordwatch.catalog import CATALOG
from accordwatch.declarations.escrow_log import ESCROW_TYPES, EscrowBook, add_entry
from accordwatch.errors import AccordwatchError
from accordwatch.log.access import Reader, open_record
from accordwatch.sources.snapshot import Snapshot


def escrow_book(log: Snapshot, reader: Reader | None) -> EscrowBook:
    """Every escrow and reveal below the snapshot's checkpoint, each reveal checked.

    A confidential reveal the reader may not read is listed without its content.
    """
    book = EscrowBook()
    for index, envelope, opening, logged_at in log.rows(ESCROW_TYPES):
        payload = None
        unreadable = ""
        try:
            payload = open_record(CATALOG, envelope, opening, reader, where=f"log entry {index}")
        except AccordwatchError as exc:
            unreadable = exc.message
        add_entry(
            book,
            index=index,
            time=logged_at,
            record_type=envelope.record_type,
            party=envelope.party,
            confidential=envelope.confidential,
            payload=payload,
            unreadable=unreadable,
        )
    return book
