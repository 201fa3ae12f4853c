"""A cryptographic escrow of a declaration: commit to every item at once, open it part by part.

After Philippe, Glaser and Felten, "A cryptographic escrow for treaty
declarations and step-by-step verification" (Science & Global Security
27(1), 2019). The declarant commits to its whole declaration, item by item,
on the day it is due, and opens it one part (a region, a site category, any
field's value) at a time as the process advances. Each opening can be shown
to be exactly the part committed: every item, no more, no fewer.

The tree, with the log's RFC 9162 hashing (`accordwatch.log.merkle`):

- a leaf per item, `SHA-256(0x00 || salt || canonical item)`, with a 32-byte
  random salt per item, so that a leaf says nothing of an item that is not
  opened (no guessing of likely items);
- one tree per part over its leaves, in the part's order (its *part root*);
- the escrow root: the tree whose leaves are the parts, each the leaf hash of
  the canonical `{"count": N, "part": NAME, "root": HEX}`, in name order. The
  count is thus bound into the root: an opening that drops or adds an item
  cannot match it.

Where the accord keeps counts secret, every part is padded to one count with
padding items (`{"padding": n, ...}`), salted like the others and opened with
them, so the padding hides nothing.

The canonical item is RFC 8785 JSON of `{"key", "section", "entry"}`: the
declaration section it comes from, the entry as the declaration document
holds it, and the item's key (`section/uid`, `section/id`, `section/batch`,
or `section/#n` for entries without an identifier), which names it across
escrow versions.

Pure: a declaration document and random bytes in (the caller draws them),
commitments, openings and verdicts out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from accordwatch.errors import InputError, VerificationError
from accordwatch.log.canonical import canonical_json, parse_json
from accordwatch.log.merkle import (
    MemoryTree,
    leaf_hash,
    root_from_leaf_hashes,
    verify_inclusion,
)

SALT_SIZE = 32
#: the part of items that have no value for the partition
UNPARTITIONED = "unpartitioned"
#: the partitions with a meaning of their own; any other is a field name
REGION = "region"
SITE_CATEGORY = "site-category"

RandomBytes = Callable[[int], bytes]

#: the fields by which an entry names the site, balance area or facility it belongs to
_REFERENCES = ("site", "mba", "location", "facility")
#: the sections whose entries others refer to, by their `id`
_ANCHORS = ("sites", "facilities", "material_balance_areas")
#: the fields that identify an entry for its whole life
_KEYS = ("uid", "id", "batch")
_HEADER = frozenset(
    {
        "id",
        "program",
        "party",
        "as_of",
        "accord",
        "step",
        "supersedes",
        "updates",
        "illustrative",
        "note",
        "sources",
        "declared_empty",
    }
)
_SLUG = re.compile(r"[^a-z0-9]+")


class Item(NamedTuple):
    """One declaration entry as committed: its key, its part and its canonical bytes.

    A tuple: a million of them are made at once.
    """

    key: str
    part: str
    data: bytes


def slug(value: object) -> str:
    """A value as the tail of a part name: lower case, runs of other characters as `-`."""
    text = _SLUG.sub("-", str(getattr(value, "value", value)).casefold()).strip("-")
    return text or "blank"


def part_name(partition: str, value: object | None) -> str:
    """`region` and `North` -> `region-north`; no value -> `unpartitioned`."""
    if value is None or value == "":
        return UNPARTITIONED
    return f"{slug(partition)}-{slug(value)}"[:64].rstrip("-")


def _field(entry: Mapping[str, Any], path: str) -> Any:
    value: Any = entry
    for name in path.split("."):
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def _region(entry: Mapping[str, Any]) -> str | None:
    location = entry.get("location")
    if not isinstance(location, dict):
        return None
    region = location.get("region")
    if region:
        return str(region)
    # Without a region, a place written "town, province" is in its province.
    place = str(location.get("place") or "").strip()
    return place.rsplit(",", 1)[-1].strip() or None


class _Anchors:
    """The entry an entry belongs to (a site, a balance area, a facility), followed to the end."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.by_id: dict[str, Mapping[str, Any]] = {}
        for section in _ANCHORS:
            for entry in doc.get(section) or ():
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    self.by_id.setdefault(entry["id"], entry)
        #: the partition's value for each entry others name, by `id()` of the entry
        self.memo: dict[int, Any] = {}

    def chain(self, entry: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """The entry, then what it names, then what that names, until nothing (or a loop)."""
        seen: set[int] = set()
        current: Mapping[str, Any] | None = entry
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            current = self._parent(current)

    def _parent(self, entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
        for name in _REFERENCES:
            ref = entry.get(name)
            if isinstance(ref, str) and ref in self.by_id:
                parent = self.by_id[ref]
                return parent if parent is not entry else None
        return None

    def value(self, entry: Mapping[str, Any], partition: str) -> Any:
        """The partition's value on the entry, else on what it names (looked up once each)."""
        found = _own_value(entry, partition)
        if found is not None and found != "":
            return found
        parent = self._parent(entry)
        if parent is None:
            return None
        key = id(parent)
        if key not in self.memo:
            self.memo[key] = next(
                (
                    v
                    for v in (_own_value(c, partition) for c in self.chain(parent))
                    if v is not None and v != ""
                ),
                None,
            )
        return self.memo[key]


def _own_value(entry: Mapping[str, Any], partition: str) -> Any:
    if partition == REGION:
        return _region(entry)
    if partition == SITE_CATEGORY:
        # only a site or facility has a site category
        return (entry.get("category") or entry.get("kind")) if "location" in entry else None
    return _field(entry, partition)


def item_key(section: str, entry: Mapping[str, Any], index: int) -> str:
    """The name of an entry across versions: `sites/yongbyon-5mwe`, `inventory/#3`."""
    for name in _KEYS:
        value = entry.get(name)
        if isinstance(value, str) and value:
            return f"{section}/{value}"
    return f"{section}/#{index}"


def declaration_items(doc: Mapping[str, Any], partition: str) -> Iterator[Item]:
    """Every entry of a declaration document's list sections, with its key and part.

    An entry's part is the value of the partition on the entry itself, or on
    the site, balance area or facility it names (a batch is in its balance
    area's region, a missile in its base's); `region` is a location's
    `region`, else the province in its `place` (`town, province`);
    `site-category` is a site's `category` or a facility's `kind`; any other
    partition is a field name (dotted for nested fields). Entries with no
    value go to the part `unpartitioned`.
    """
    if not partition.strip():
        raise InputError("give the partition: region, site-category or a field name")
    anchors = _Anchors(doc)
    seen: set[str] = set()
    names: dict[Any, str] = {}
    for section, entries in doc.items():
        if section in _HEADER or not isinstance(entries, list):
            continue
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            key = item_key(section, entry, n)
            if key in seen:
                # Two lines of one batch (one per material): the later ones by position.
                key = f"{key}@{n}"
            seen.add(key)
            data = canonical_item(key, section, entry)
            value = anchors.value(entry, partition)
            try:
                part = names.get(value)
                if part is None:
                    part = names[value] = part_name(partition, value)
            except TypeError:  # a list or mapping as the value
                part = part_name(partition, value)
            yield Item(key, part, data)


def canonical_item(key: str, section: str, entry: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of `{"entry": entry, "key": key, "section": section}`.

    Put together from the canonical form of each member, in JCS key order: a
    million items are canonicalised at once, and only the entry differs much.
    """
    return b"".join(
        (b'{"entry":', canonical_json(entry), b',"key":', _string(key), _section(section))
    )


def _string(text: str) -> bytes:
    # An ASCII string's JCS form is JSON's, escapes and all (`canonical_json` says why).
    if text.isascii():
        return encode_basestring(text).encode()
    return canonical_json(text)


@cache
def _section(section: str) -> bytes:
    return b',"section":' + canonical_json(section) + b"}"


def padding_item(part: str, n: int) -> bytes:
    """The canonical bytes of the n-th padding item of a part."""
    return canonical_json({"key": f"padding/{part}/{n}", "padding": n})


def part_leaf(name: str, count: int, root: bytes) -> bytes:
    """The escrow tree's leaf for one part: it binds the part's name, count and root."""
    return leaf_hash(canonical_json({"count": count, "part": name, "root": root.hex()}))


def item_leaf(salt: bytes, data: bytes) -> bytes:
    """`SHA-256(0x00 || salt || canonical item)`: RFC 9162's leaf hash of the salted item."""
    return leaf_hash(salt + data)


@dataclass(frozen=True)
class PartCommitment:
    """What the escrow record says of one part: its name, root and (padded) count."""

    name: str
    root: bytes
    count: int

    def leaf(self) -> bytes:
        return part_leaf(self.name, self.count, self.root)


def escrow_root(parts: Sequence[PartCommitment]) -> bytes:
    """The root over the parts, in the order given (name order in an escrow)."""
    return root_from_leaf_hashes([p.leaf() for p in parts])


@dataclass(frozen=True)
class EscrowPart:
    """One part as the declarant keeps it: every item (padding last) and its salt."""

    name: str
    items: tuple[bytes, ...]
    salts: tuple[bytes, ...]
    #: how many of the items are declared items, not padding
    declared: int

    def leaves(self) -> list[bytes]:
        return [item_leaf(s, d) for s, d in zip(self.salts, self.items, strict=True)]

    def commitment(self) -> PartCommitment:
        return PartCommitment(self.name, root_from_leaf_hashes(self.leaves()), len(self.items))


@dataclass(frozen=True)
class Reveal:
    """The opening of one part: its items and salts, and the proof of its place in the escrow."""

    part: str
    index: int
    parts: int
    count: int
    part_root: bytes
    items: tuple[bytes, ...]
    salts: tuple[bytes, ...]
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class Escrow:
    """An escrowed declaration on the declarant's side: every part with its items and salts."""

    parts: tuple[EscrowPart, ...]
    commitments: tuple[PartCommitment, ...]
    root: bytes

    def part(self, name: str) -> tuple[int, EscrowPart]:
        for n, part in enumerate(self.parts):
            if part.name == name:
                return n, part
        known = ", ".join(p.name for p in self.parts)
        raise InputError(f"the escrow has no part {name!r} (parts: {known})")

    def reveal(self, name: str) -> Reveal:
        """The opening of part `name`, with its inclusion proof up to the escrow root."""
        return reveal_part(self.part(name)[1], self.commitments)


def reveal_part(part: EscrowPart, commitments: Sequence[PartCommitment]) -> Reveal:
    """The opening of `part` of the escrow whose parts are `commitments` (in escrow order).

    Refused unless the part's items and salts hash to what the escrow committed.
    """
    index = next((n for n, c in enumerate(commitments) if c.name == part.name), None)
    if index is None:
        raise InputError(f"the escrow has no part {part.name!r}")
    committed = commitments[index]
    if part.commitment() != committed:
        raise InputError(f"the items held for part {part.name} are not those committed")
    tree = MemoryTree(c.leaf() for c in commitments)
    return Reveal(
        part.name,
        index,
        len(commitments),
        committed.count,
        committed.root,
        part.items,
        part.salts,
        tuple(tree.inclusion_proof(index)),
    )


def build_escrow(
    items: Iterable[Item],
    random_bytes: RandomBytes,
    *,
    pad_to: int | None = None,
    parts: Iterable[str] = (),
) -> Escrow:
    """Commit to `items`, one salt each from `random_bytes`, one tree per part.

    `parts` names parts to commit even if empty (an empty region is a
    statement too). With `pad_to`, every part is padded to that many items
    (at least the largest part's count): the counts the escrow shows are then
    all the same.
    """
    grouped: dict[str, list[bytes]] = defaultdict(list)
    for name in parts:
        grouped[name]
    for item in items:
        grouped[item.part].append(item.data)
    if not grouped:
        raise InputError("the declaration has no item to escrow")
    largest = max(len(v) for v in grouped.values())
    if pad_to is not None and pad_to < largest:
        raise InputError(f"cannot pad parts to {pad_to} items: one part has {largest}")
    total = sum(pad_to if pad_to is not None else len(v) for v in grouped.values())
    pool = random_bytes(total * SALT_SIZE)
    if len(pool) != total * SALT_SIZE:
        raise InputError(f"the random source gave {len(pool)} bytes, not {total * SALT_SIZE}")
    built = []
    at = 0
    for name in sorted(grouped):
        data = grouped[name]
        declared = len(data)
        if pad_to is not None:
            data.extend(padding_item(name, n) for n in range(pad_to - declared))
        salts = tuple(pool[i : i + SALT_SIZE] for i in range(at, at + len(data) * SALT_SIZE, 32))
        at += len(data) * SALT_SIZE
        built.append(EscrowPart(name, tuple(data), salts, declared))
    commitments = tuple(p.commitment() for p in built)
    return Escrow(tuple(built), commitments, escrow_root(commitments))


def verify_reveal(
    reveal: Reveal,
    root: bytes,
    committed: Sequence[PartCommitment] | None = None,
    *,
    canonical: bool = False,
) -> PartCommitment:
    """Raise `VerificationError` unless `reveal` opens exactly one committed part of `root`.

    Every item must be canonical JSON (`canonical`: the caller made it so)
    and hash, with its salt, to a leaf of the part; the leaves must be all the
    part's leaves, as many as committed; the part (name, count, root) must be
    a leaf of the escrow tree with `root` (`verify_place`).
    """
    if len(reveal.items) != len(reveal.salts):
        raise VerificationError(
            f"part {reveal.part}: {len(reveal.items)} items but {len(reveal.salts)} salts"
        )
    if len(reveal.items) != reveal.count:
        raise VerificationError(
            f"part {reveal.part}: {len(reveal.items)} items opened, {reveal.count} committed"
        )
    for n, (salt, data) in enumerate(zip(reveal.salts, reveal.items, strict=True)):
        if len(salt) != SALT_SIZE:
            raise VerificationError(f"part {reveal.part}: salt {n} is {len(salt)} bytes, not 32")
        if canonical:
            continue
        try:
            again = canonical_json(parse_json(data, where=f"item {n}"))
        except InputError as exc:
            raise VerificationError(f"part {reveal.part}: {exc.message}") from None
        if again != data:
            raise VerificationError(f"part {reveal.part}: item {n} is not canonical JSON")
    root_of_items = root_from_leaf_hashes(
        [item_leaf(s, d) for s, d in zip(reveal.salts, reveal.items, strict=True)]
    )
    if root_of_items != reveal.part_root:
        raise VerificationError(
            f"part {reveal.part}: the opened items and salts do not hash to the part's root"
        )
    return verify_place(reveal, root, committed)


def verify_place(
    reveal: Reveal, root: bytes, committed: Sequence[PartCommitment] | None = None
) -> PartCommitment:
    """Raise unless the part a reveal names (name, count, root) is a leaf of the escrow `root`.

    With `committed` (the escrow record's parts), the part must also be the
    one the record lists at that place. Only the part's own root is taken as
    given: `verify_reveal` checks the items against it.
    """
    found = PartCommitment(reveal.part, reveal.part_root, reveal.count)
    if committed is not None:
        if len(committed) != reveal.parts:
            raise VerificationError(
                f"the reveal counts {reveal.parts} parts, the escrow has {len(committed)}"
            )
        if not 0 <= reveal.index < len(committed) or committed[reveal.index] != found:
            raise VerificationError(
                f"part {reveal.part} (count {reveal.count}) is not the escrow's part "
                f"at place {reveal.index}"
            )
    try:
        verify_inclusion(reveal.index, reveal.parts, found.leaf(), reveal.proof, root)
    except VerificationError as exc:
        raise VerificationError(f"part {reveal.part} is not in the escrow root: {exc}") from None
    return found


def opened_items(reveal: Reveal) -> list[dict[str, Any]]:
    """The declared items a verified reveal opens, padding left out."""
    out = []
    for n, data in enumerate(reveal.items):
        item = parse_json(data, where=f"part {reveal.part} item {n}")
        if isinstance(item, dict) and "padding" not in item:
            out.append(item)
    return out
