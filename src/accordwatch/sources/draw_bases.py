"""The checkpoints inspection draws are seeded with, published by the log, held by nodes.

An inspection plan's draw is seeded with the first witnessed checkpoint after
the plan (`sources.safeguards.draw_basis`). A node holds the checkpoints it
synced to, not every one the log signed: so the log publishes each plan's
checkpoint, with its cosignatures, at `draw-basis/<plan leaf hash hex>`
(`log.tiles`), and `node sync` fetches it for every plan it holds, checks it
with the log's key and against its own tree, and keeps it, so that `inspection
draw`, `verify-draw` and `compare` work on the node as at the log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from accordwatch.errors import AccordwatchError, NotFoundError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.note import Verifier
from accordwatch.log.tiles import DRAW_BASIS, sealed_path
from accordwatch.sources.node_sync import _cosignature_lines, _log_note
from accordwatch.sources.remote_log import TileSource
from accordwatch.sources.safeguards import draw_basis
from accordwatch.store.database import storage_errors
from accordwatch.store.following import store_checkpoint
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import entries

PLAN = "inspection.plan"


def plan_entries(ledger: Ledger, below: int) -> list[tuple[int, bytes]]:
    """The inspection plans below `below`: index and leaf hash (the record type is public)."""
    query = (
        select(entries.c.idx, entries.c.leaf_hash)
        .where(entries.c.record_type == PLAN, entries.c.idx < below)
        .order_by(entries.c.idx)
    )
    with storage_errors(ledger.url), ledger.engine.connect() as conn:
        return [(int(i), bytes(h)) for i, h in conn.execute(query)]


def basis_note(ledger: Ledger, index: int, size: int) -> str | None:
    """The cosigned checkpoint plan `index` is drawn with, if there is one within `size`."""
    try:
        basis = draw_basis(ledger, index)
    except NotFoundError:
        return None  # not witnessed yet
    return ledger.cosigned_note(basis.size) if basis.size <= size else None


def published_bases(ledger: Ledger, size: int) -> list[tuple[str, bytes]]:
    """`(draw-basis/<hex>, note)` of every plan within `size` whose checkpoint there is."""
    out = []
    for index, leaf in plan_entries(ledger, size):
        note = basis_note(ledger, index, size)
        if note is not None:
            out.append((sealed_path(leaf, DRAW_BASIS), note.encode("utf-8")))
    return out


def basis_for_leaf(ledger: Ledger, leaf: bytes, size: int) -> str:
    """The draw checkpoint of the plan with leaf hash `leaf` (NotFoundError if none)."""
    for index, held in plan_entries(ledger, size):
        if held == leaf:
            note = basis_note(ledger, index, size)
            if note is not None:
                return note
    raise NotFoundError("no inspection plan with a witnessed draw checkpoint has that leaf hash")


def fetch_bases(
    ledger: Ledger, source: TileSource, key: Verifier, now: Callable[[], datetime]
) -> int:
    """Fetch, check and keep the draw checkpoint of every plan the node holds; how many new."""
    size = ledger.size()
    fresh = 0
    for index, leaf in plan_entries(ledger, size):
        path = sealed_path(leaf, DRAW_BASIS)
        try:
            raw = source.get(path)
        except NotFoundError:
            continue  # not witnessed yet: the next sync asks again
        where = source.where(path)
        try:
            note = raw.decode("utf-8")
            own = _log_note(note, key)
            cp = Checkpoint.open(own, key)
        except (AccordwatchError, UnicodeDecodeError, ValueError):
            raise VerificationError(
                "not a checkpoint signed with the log's key", where=where
            ) from None
        if not index < cp.size <= size or ledger.root(cp.size) != cp.root:
            raise VerificationError(
                f"the draw checkpoint of plan entry {index} (size {cp.size}) is not one of "
                "the tree this node holds",
                where=where,
            )
        fresh += store_checkpoint(ledger.engine, ledger.url, cp.size, cp.root, own, now())
        lines = _cosignature_lines(note, key)
        if lines:
            ledger.add_cosignatures(cp.size, lines)
    return fresh
