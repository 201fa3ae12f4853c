"""Publishing the log as static C2SP tlog-tiles files, and the checkpoint they serve.

`publish(ledger, policy, folder)` writes, under `folder`, the checkpoint (the
latest witnessed one, with its cosignatures), every hash tile and every entry
bundle of its tree, in the layout `serve` answers under `/tlog/`, so that any
static web server, object store or CDN can serve the log to any number of
readers. A second run adds what the log added since: a tile already in the
folder is kept if it holds the same bytes, and publishing stops, with nothing
changed, at the first one that does not (the folder is another log's, or the
database no longer agrees with what it published). The checkpoint is written
last, after every tile it needs. Beside the tiles go the ciphertexts the
submitters sealed, one file per confidential entry at `sealed/<leaf hash hex>`
(`log.tiles`), as immutable as the tiles; and the checkpoint each inspection
plan's draw is seeded with, at `draw-basis/<plan leaf hash hex>`, rewritten
like the checkpoint as cosignatures arrive (`sources.draw_bases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accordwatch.errors import AccordwatchError, InputError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.policy import Policy
from accordwatch.log.tiles import (
    LARGE_ENTRIES,
    bundle,
    bundles_for,
    fits_bundle,
    large_bundle,
    sealed_file,
    sealed_path,
    tiles_for,
)
from accordwatch.sources.draw_bases import published_bases
from accordwatch.store.ledger import Ledger
from accordwatch.store.sealed import submitter_sealed
from accordwatch.store.tile_reading import bundle_entries, tile_bytes

CHECKPOINT = "checkpoint"


def published_note(ledger: Ledger, policy: Policy | None) -> str:
    """The checkpoint to publish: the latest its policy's quorum cosigned, or the latest."""
    if policy is not None:
        witnessed = ledger.latest_witnessed(policy)
        if witnessed is not None:
            return witnessed[0]
    return ledger.cosigned_note(ledger.opened(ledger.latest_checkpoint()).size)


@dataclass(frozen=True)
class Published:
    size: int
    written: int
    kept: int
    #: bundles left out of the standard format because an entry exceeds 65,535 bytes
    large_only: int
    #: confidential entries whose submitters' ciphertexts are published (`sealed/<hex>`)
    sealed: int = 0


def publish(ledger: Ledger, policy: Policy | None, folder: Path) -> Published:
    """Write the tiles, bundles and checkpoint of the published tree into `folder`."""
    note = published_note(ledger, policy)
    size = Checkpoint.open(note, ledger.signer.verifier).size
    _check_earlier(ledger, folder, size)
    files: list[tuple[str, bytes]] = []
    for tile in tiles_for(size):
        files.append((tile.path(), tile_bytes(ledger, tile, size)))
    large_only = 0
    for each in bundles_for(size):
        found = bundle_entries(ledger, each, size)
        files.append((each.path(LARGE_ENTRIES), large_bundle(found)))
        if fits_bundle(found):
            files.append((each.path(), bundle(found)))
        else:
            large_only += 1
    held = submitter_sealed(ledger, size)
    for index, leaf, found_sealed in held:
        files.append((sealed_path(leaf), sealed_file(index, found_sealed)))
    # Check everything before writing anything: a folder that disagrees is left as it was.
    fresh = []
    kept = 0
    for name, data in files:
        path = folder / name
        if path.is_file():
            if path.read_bytes() != data:
                raise InputError(
                    f"{path} holds other bytes than this log's {name}: the folder was "
                    "published from another log, or from a database that no longer agrees",
                    where=str(folder),
                )
            kept += 1
        else:
            fresh.append((path, data))
    for path, data in fresh:
        _write(path, data)
    for name, data in published_bases(ledger, size):
        _write(folder / name, data)
    _write(folder / CHECKPOINT, note.encode("utf-8"))
    return Published(size, len(fresh), kept, large_only, len(held))


def _check_earlier(ledger: Ledger, folder: Path, size: int) -> None:
    """Refuse a folder whose checkpoint is another log's, a larger tree, or another history."""
    path = folder / CHECKPOINT
    if not path.is_file():
        return
    try:
        earlier = Checkpoint.open(path.read_text("utf-8"), ledger.signer.verifier)
    except (AccordwatchError, UnicodeDecodeError, ValueError):
        raise InputError(
            "the folder's checkpoint is not one this log signed: it holds another log",
            where=str(path),
        ) from None
    if earlier.size > size:
        raise InputError(
            f"the folder already publishes tree size {earlier.size}, larger than {size}: "
            "publishing would roll it back",
            where=str(path),
        )
    if ledger.root(earlier.size) != earlier.root:
        raise InputError(
            f"the folder's checkpoint at size {earlier.size} has another root than this "
            "database: the log was rewritten since it was published",
            where=str(path),
        )


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
