"""The checkpoints this workspace has seen: each later one must extend them.

A client that has verified a witnessed checkpoint keeps it, per log origin,
in `<home>/seen-checkpoints/<sha256(origin)>`. Every later checkpoint it is
shown is checked against it with a consistency proof from the ledger before
it is trusted: one that is not consistent is refused (a one-line error), and
the proof of the fork (`log.fork.ForkEvidence`) is written next to the kept
checkpoint (`<name>.fork-<size>.json`) and recorded in the database.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.private_files import make_private_folder, write_private_text

if TYPE_CHECKING:
    from accordwatch.store.ledger import Ledger

SEEN_DIR = "seen-checkpoints"


def seen_path(home: Path, origin: str) -> Path:
    return home / SEEN_DIR / hashlib.sha256(origin.encode("utf-8")).hexdigest()


def check_and_keep(home: Path, ledger: Ledger, note: str) -> None:
    """Check `note` (a verified checkpoint of the ledger's log) against the one kept; keep it.

    The larger of the two is kept. An inconsistent one raises `VerificationError`.
    """
    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.log.fork import find_fork
    from accordwatch.log.merkle import verify_consistency
    from accordwatch.timeutil import format_time, utc_now

    key = ledger.signer.verifier
    new = Checkpoint.open(note, key)
    path = seen_path(home, new.origin)
    old_note: str | None = None
    try:
        old_note = path.read_text("utf-8")
        old = Checkpoint.open(old_note, key)
    except FileNotFoundError:
        old_note = None
    except (OSError, UnicodeDecodeError, AccordwatchError):
        old_note = None  # unreadable: the new one replaces it
    if old_note is not None:
        small, large = (old, new) if old.size <= new.size else (new, old)
        small_note, large_note = (old_note, note) if old.size <= new.size else (note, old_note)
        proof: tuple[bytes, ...] = ()
        consistent = True
        if small.size == large.size:
            consistent = small.root == large.root
        elif small.size > 0:
            proof = tuple(ledger.prove_consistency(small.size, large.size)[1])
            try:
                verify_consistency(small.size, large.size, small.root, large.root, proof)
            except VerificationError:
                consistent = False
        if not consistent:
            evidence = find_fork(
                key,
                small_note,
                large_note,
                proof,
                found_by="accordwatch client",
                found_at=format_time(utc_now()),
            )
            where = ""
            if evidence is not None:
                out = path.with_name(f"{path.name}.fork-{new.size}.json")
                write_private_text(out, evidence.text())
                where = f"; fork evidence written to {out}"
                # the file is the evidence; the database may be the forked log's own
                with suppress(AccordwatchError):
                    ledger.record_fork(evidence)
            raise VerificationError(
                f"the log's checkpoint of size {new.size} is not consistent with the one "
                f"this workspace saw before (size {old.size}){where}"
            )
        if new.size <= old.size:
            return
    make_private_folder(path.parent)
    write_private_text(path, note)
