"""The log as static files: C2SP tlog-tiles (`shared/specs/c2sp/tlog-tiles.md`).

A tile at level L is up to 256 consecutive Merkle Tree Hashes of subtrees of
height 8L: at level 0 the leaf hashes, at level L the hashes of full tiles of
level L-1. Entry bundles hold the entries (the envelopes, whose RFC 9162 leaf
hashes make the level-0 tiles), each prefixed by its length as a big-endian
uint16. From a checkpoint and these files anyone computes any inclusion or
consistency proof, so readers put no load on the log's database.

An envelope may exceed the 65,535 bytes a uint16 can count (a public
declaration with its full text). The spec lets a log serve entries in another
format at another path: accordwatch publishes every bundle also at
`tile/accordwatch-entries/<N>`, each entry prefixed by a big-endian uint32, and
the standard bundle only where every entry fits.

Beside them, the ciphertexts of confidential openings, addressed by digest:
`sealed/<64 lowercase hex of the entry's RFC 9162 leaf hash>` holds the
canonical JSON `{"entry": INDEX, "sealed": [{"party", "key_id",
"ciphertext"}, ...]}` (by key id) of every ciphertext the entry's submitter
sealed, one per reader key. Anyone may download them; only their readers open
them. Ciphertexts shared later are entries themselves (`opening.share`) and
come with the bundles. A confidential entry with no such file has no
ciphertext at the log (an opening it holds in plaintext, as before sealing).

`draw-basis/<64 hex of an inspection plan's leaf hash>` holds the checkpoint
its draw is seeded with (the first witnessed one after the plan), as the log
signed it with its cosignatures: a reader that was not following the log at
that moment gets it there. It is written once the quorum cosigned it, and
may gain cosignatures later.

Pure: paths, sizes and byte layouts; the store reads the hashes and the shell
writes the files.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from accordwatch.errors import InputError
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.sealed_opening import SealedOpening, sealed_from_json

TILE_WIDTH = 256
HASH_SIZE = 32
#: the Merkle height of one tile (8 levels: 256 hashes)
TILE_HEIGHT = 8
MAX_BUNDLE_ENTRY = 0xFFFF
ENTRIES = "entries"
#: accordwatch's own bundle format (uint32 lengths), at a path of its own
LARGE_ENTRIES = "accordwatch-entries"
#: the folder of the submitters' ciphertexts, by the leaf hash of their entry
SEALED = "sealed"
#: the folder of the checkpoints inspection draws are seeded with, by the plan's leaf hash
DRAW_BASIS = "draw-basis"


class TilePathError(ValueError):
    """A path that names no tile."""


@dataclass(frozen=True, order=True)
class Tile:
    """Tile `index` of `level` (`level` None for an entry bundle), `width` hashes wide."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    def path(self, bundle: str = ENTRIES) -> str:
        """`tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for a bundle."""
        head = bundle if self.level is None else str(self.level)
        tail = f".p/{self.width}" if self.partial else ""
        return f"tile/{head}/{index_path(self.index)}{tail}"

    def first_leaf(self) -> int:
        """The first entry the tile spans."""
        span: int = TILE_WIDTH ** ((self.level or 0) + 1)
        return self.index * span

    def node_indices(self) -> range:
        """Indices, at Merkle level 8L, of the subtree hashes the tile holds."""
        start = self.index * TILE_WIDTH
        return range(start, start + self.width)

    @property
    def merkle_level(self) -> int:
        return TILE_HEIGHT * (self.level or 0)


def index_path(index: int) -> str:
    """`<N>` as zero-padded 3-digit elements, all but the last starting with `x`."""
    if index < 0:
        raise ValueError(f"a tile index is not negative, not {index}")
    parts = []
    while True:
        parts.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    parts.reverse()
    return "/".join([*(f"x{p}" for p in parts[:-1]), parts[-1]])


_PATH = re.compile(
    r"tile/(?P<head>0|[1-9][0-9]?|entries|accordwatch-entries)/"
    r"(?P<index>(?:x[0-9]{3}/)*[0-9]{3})(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> tuple[Tile, str | None]:
    """The tile a path names, and the bundle format (None for a hash tile)."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TilePathError(f"not a tile path: {path!r}")
    head, width_text = match["head"], match["width"]
    width = int(width_text) if width_text else TILE_WIDTH
    if width_text and width >= TILE_WIDTH:
        raise TilePathError(f"a partial tile is 1 to 255 wide, not {width}: {path!r}")
    index = int("".join(part.lstrip("x") for part in match["index"].split("/")))
    if head in (ENTRIES, LARGE_ENTRIES):
        return Tile(None, index, width), head
    level = int(head)
    if level > 63:
        raise TilePathError(f"a tile level is 0 to 63, not {level}: {path!r}")
    return Tile(level, index, width), None


def tiles_for(size: int) -> Iterator[Tile]:
    """Every tile of a tree of `size` entries: full ones, then the partial one of each level."""
    level = 0
    while TILE_WIDTH**level <= size:
        hashes = size // TILE_WIDTH**level
        for index in range(hashes // TILE_WIDTH):
            yield Tile(level, index)
        if hashes % TILE_WIDTH:
            yield Tile(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH)
        level += 1


def bundles_for(size: int) -> Iterator[Tile]:
    """Every entry bundle of a tree of `size` entries (a level-0 tile's entries)."""
    for index in range(size // TILE_WIDTH):
        yield Tile(None, index)
    if size % TILE_WIDTH:
        yield Tile(None, size // TILE_WIDTH, size % TILE_WIDTH)


def new_tiles(old_size: int, new_size: int) -> Iterator[Tile]:
    """The tiles a tree of `new_size` has that one of `old_size` lacks (or has narrower)."""
    old = set(tiles_for(old_size))
    for tile in tiles_for(new_size):
        if tile not in old:
            yield tile


def check_width(tile: Tile, size: int) -> None:
    """Refuse a tile that a tree of `size` entries does not hold (it must not be served)."""
    span: int = TILE_WIDTH ** (tile.level or 0)
    hashes = size // span
    full = hashes // TILE_WIDTH
    if tile.index < full and not tile.partial:
        return
    if tile.index == full and tile.width <= hashes % TILE_WIDTH:
        return
    raise TilePathError(f"tree size {size} has no tile {tile.path()}")


def bundle(entries: Sequence[bytes]) -> bytes:
    """A standard entry bundle: each entry after its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_BUNDLE_ENTRY:
            raise ValueError(
                f"an entry of {len(entry)} bytes does not fit a tlog-tiles bundle "
                f"(at most {MAX_BUNDLE_ENTRY})"
            )
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def large_bundle(entries: Sequence[bytes]) -> bytes:
    """accordwatch's entry bundle: each entry after its big-endian uint32 length."""
    return b"".join(struct.pack(">I", len(e)) + e for e in entries)


def fits_bundle(entries: Sequence[bytes]) -> bool:
    return all(len(e) <= MAX_BUNDLE_ENTRY for e in entries)


def read_bundle(data: bytes, *, large: bool = False) -> list[bytes]:
    """The entries of a bundle; ValueError if it does not parse to the end."""
    width, fmt = (4, ">I") if large else (2, ">H")
    out = []
    position = 0
    while position < len(data):
        if position + width > len(data):
            raise ValueError(f"a bundle ends inside an entry's length at byte {position}")
        (length,) = struct.unpack_from(fmt, data, position)
        position += width
        if position + length > len(data):
            raise ValueError(f"a bundle ends inside an entry at byte {position}")
        out.append(data[position : position + length])
        position += length
    return out


def read_tile(data: bytes, tile: Tile) -> list[bytes]:
    """The hashes of a tile's bytes; ValueError if it is not `width` hashes long."""
    if len(data) != tile.width * HASH_SIZE:
        raise ValueError(f"{tile.path()} has {len(data)} bytes, not {tile.width * HASH_SIZE}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


_DIGEST_PATH = re.compile(r"(?P<folder>sealed|draw-basis)/(?P<hash>[0-9a-f]{64})")


def sealed_path(entry_leaf_hash: bytes, folder: str = SEALED) -> str:
    """`sealed/<hex>` (or `draw-basis/<hex>`): the file of the entry with this leaf hash."""
    if len(entry_leaf_hash) != HASH_SIZE:
        raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, not {len(entry_leaf_hash)}")
    return f"{folder}/{entry_leaf_hash.hex()}"


def parse_sealed_path(path: str, folder: str = SEALED) -> bytes:
    """The leaf hash a `sealed/<hex>` (or `draw-basis/<hex>`) path names."""
    match = _DIGEST_PATH.fullmatch(path)
    if match is None or match["folder"] != folder:
        raise TilePathError(f"not a path {folder}/<64 lowercase hex>: {path!r}")
    return bytes.fromhex(match["hash"])


def sealed_file(entry: int, sealed: Sequence[SealedOpening]) -> bytes:
    """The file of entry `entry`'s ciphertexts: canonical JSON, ciphertexts by key id."""
    ordered = sorted(sealed, key=lambda s: s.key_id)
    return canonical_json({"entry": entry, "sealed": [s.to_json() for s in ordered]})


def read_sealed_file(data: bytes, *, where: str) -> tuple[int, tuple[SealedOpening, ...]]:
    """The entry a ciphertext file names and its ciphertexts; InputError if malformed."""
    obj = parse_json(data, where=where)
    if not isinstance(obj, dict) or set(obj) != {"entry", "sealed"}:
        raise InputError("a sealed-opening file holds entry and sealed only", where=where)
    entry = obj["entry"]
    if not isinstance(entry, int) or isinstance(entry, bool) or entry < 0:
        raise InputError("a sealed-opening file's entry is a log index", where=where)
    return entry, sealed_from_json(obj["sealed"], where=where)
