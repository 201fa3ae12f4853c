"""Writing the database's log as an export file (`accordwatch.log.export`)."""

from __future__ import annotations

from typing import IO

from accordwatch.log.export import write_export
from accordwatch.log.policy import Policy
from accordwatch.store.ledger import Ledger
from accordwatch.store.sealed import sealed_by_entry, sealed_entries


def export_ledger(ledger: Ledger, out: IO[str], *, policy: Policy | None = None) -> int:
    """Write every entry and checkpoint up to the current size; return the entries written.

    Each checkpoint carries the witnesses' cosignatures stored for it; `policy`
    (the witness policy in force) is written in the header, for reference only:
    a verifier checks the cosignatures against the policy it trusts.
    """
    size = ledger.size()
    lines = ledger.all_cosignature_lines()
    return write_export(
        out,
        origin=ledger.origin,
        log_key=ledger.signer.verifier.text(),
        size=size,
        checkpoints=[
            (s, note + "".join(lines.get(s, []))) for s, note in ledger.checkpoints() if s <= size
        ],
        envelopes=((e.index, e.envelope) for e in ledger.entries(0, size)),
        policy=policy.text if policy is not None else None,
        sealed=sealed_by_entry(ledger, sealed_entries(ledger)),
    )
