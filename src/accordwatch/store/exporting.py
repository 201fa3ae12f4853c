"""Writing the database's log as an export file (`accordwatch.log.export`)."""

from __future__ import annotations

from typing import IO

from accordwatch.log.export import write_export
from accordwatch.store.ledger import Ledger


def export_ledger(ledger: Ledger, out: IO[str]) -> int:
    """Write every entry and checkpoint up to the current size; return the entries written."""
    size = ledger.size()
    return write_export(
        out,
        origin=ledger.origin,
        log_key=ledger.signer.verifier.text(),
        size=size,
        checkpoints=[c for c in ledger.checkpoints() if c[0] <= size],
        envelopes=((e.index, e.envelope) for e in ledger.entries(0, size)),
    )
