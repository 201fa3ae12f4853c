"""The log's tiles and entry bundles (C2SP tlog-tiles), read from the database.

A tile's hashes are complete subtree hashes, which the `nodes` table already
holds (the level-0 tile holds the leaf hashes); a bundle's entries are the
stored envelopes. Both are read for a given tree size, which must be one the
log has a checkpoint for: a partial tile exists only for the sizes of its
checkpoints, and a tile beyond the tree is refused.
"""

from __future__ import annotations

from sqlalchemy import select

from accordwatch.errors import NotFoundError
from accordwatch.log.merkle import node_key
from accordwatch.log.tiles import (
    LARGE_ENTRIES,
    Tile,
    TilePathError,
    bundle,
    check_width,
    fits_bundle,
    large_bundle,
)
from accordwatch.store.database import storage_errors
from accordwatch.store.log_reader import LogReader
from accordwatch.store.schema import entries, nodes


def tile_bytes(log: LogReader, tile: Tile, size: int) -> bytes:
    """The tile's hashes, concatenated; NotFoundError when a tree of `size` has no such tile."""
    try:
        check_width(tile, size)
    except TilePathError as exc:
        raise NotFoundError(str(exc)) from None
    ids = [node_key(tile.merkle_level, i) for i in tile.node_indices()]
    with storage_errors(log.url), log.engine.connect() as conn:
        rows = conn.execute(
            select(nodes.c.id, nodes.c.hash).where(nodes.c.id.between(ids[0], ids[-1]))
        ).all()
    found = {int(row.id): bytes(row.hash) for row in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"the database lacks {len(missing)} hash(es) of {tile.path()}")
    return b"".join(found[i] for i in ids)


def bundle_entries(log: LogReader, tile: Tile, size: int) -> list[bytes]:
    """The envelopes an entry bundle holds, in order."""
    try:
        check_width(tile, size)
    except TilePathError as exc:
        raise NotFoundError(str(exc)) from None
    start = tile.index * 256
    with storage_errors(log.url), log.engine.connect() as conn:
        rows = conn.execute(
            select(entries.c.envelope)
            .where(entries.c.idx >= start, entries.c.idx < start + tile.width)
            .order_by(entries.c.idx)
        ).all()
    if len(rows) != tile.width:
        raise NotFoundError(f"the database holds {len(rows)} of the {tile.width} entries")
    return [bytes(row.envelope) for row in rows]


def bundle_bytes(log: LogReader, tile: Tile, size: int, fmt: str) -> bytes:
    """A bundle in the standard format, or accordwatch's (`LARGE_ENTRIES`)."""
    found = bundle_entries(log, tile, size)
    if fmt == LARGE_ENTRIES:
        return large_bundle(found)
    if not fits_bundle(found):
        raise NotFoundError(
            f"{tile.path()} holds an entry over 65,535 bytes: read "
            f"{tile.path(LARGE_ENTRIES)} instead"
        )
    return bundle(found)
