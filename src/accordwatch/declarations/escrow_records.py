"""The escrow's record types: an escrow (or its amendment) and the reveal of one part.

`escrow` is public: the escrow root, each part's name, root and (padded)
count, the declaration and accord step it belongs to and, for an amendment,
the escrow it supersedes with every item added, withdrawn or changed and why.
The items and their salts stay with the declarant. `escrow.reveal` opens one
part: its items with their salts and the part's proof up to the escrow root;
public, or confidential to the inspectorate. Each record checks itself when
it is read (the escrow root is the root over its parts; the reveal's items
lead to the root it names); whether a reveal opens a part of the escrow
entry it names is checked against that entry (`escrow_log`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from accordwatch.declarations.escrow import (
    PartCommitment,
    Reveal,
    escrow_root,
    verify_reveal,
)
from accordwatch.errors import VerificationError
from accordwatch.log.canonical import canonical_json
from accordwatch.log.records import Name, Payload, RecordType
from accordwatch.log.roles import Role

Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="32 bytes, lower-case hex")]
ItemKey = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_]+/[A-Za-z0-9#][A-Za-z0-9._/#-]{0,127}$",
        description="an item's key: section/uid, section/id, section/batch or section/#n",
    ),
]


class EscrowPartEntry(Payload):
    name: Name
    root: Hex32
    count: int = Field(ge=0, description="items committed in the part (padded, if counts are)")

    def commitment(self) -> PartCommitment:
        return PartCommitment(self.name, bytes.fromhex(self.root), self.count)


class ItemChange(Payload):
    """One item an amendment adds, withdraws or changes, with the part it is in and why."""

    item: ItemKey
    change: Literal["added", "withdrawn", "changed"]
    part: Name = Field(description="its part in the new escrow (withdrawn: in the old one)")
    from_part: Name | None = Field(
        default=None, description="its part in the superseded escrow, if it moved"
    )
    reason: str = Field(min_length=1, max_length=2000)


class EscrowRecord(Payload):
    """A commitment to a whole declaration, part by part (`declarations.escrow`)."""

    escrow_id: Name
    party: Name
    declaration_id: Name
    program: Literal["nuclear", "missile"]
    as_of: date
    accord_id: Name | None = None
    step: Name | None = Field(default=None, description="the declaration step it belongs to")
    partition_by: str = Field(min_length=1, max_length=100)
    counts: Literal["exact", "padded"] = "exact"
    root: Hex32
    parts: list[EscrowPartEntry] = Field(min_length=1)
    supersedes: Name | None = Field(default=None, description="the escrow this one amends")
    changes: list[ItemChange] = Field(default_factory=list)
    illustrative: bool = False

    @model_validator(mode="after")
    def _root_over_parts(self) -> EscrowRecord:
        names = [p.name for p in self.parts]
        if names != sorted(set(names)):
            raise ValueError("parts must be listed once each, in name order")
        if escrow_root(self.commitments()).hex() != self.root:
            raise ValueError("root is not the root over the parts listed")
        if self.counts == "padded" and len({p.count for p in self.parts}) > 1:
            raise ValueError("padded counts must be the same for every part")
        if self.changes and self.supersedes is None:
            raise ValueError("only an amendment (supersedes) lists changes")
        keys = [c.item for c in self.changes]
        if len(keys) != len(set(keys)):
            raise ValueError("an item is listed twice in changes")
        return self

    def commitments(self) -> list[PartCommitment]:
        return [p.commitment() for p in self.parts]

    def acting_party(self) -> str | None:
        return self.party


class RevealedItem(Payload):
    item: dict[str, Any]
    salt: Hex32


class RevealRecord(Payload):
    """The opening of one part of an escrow (`declarations.escrow.verify_reveal`)."""

    escrow: int = Field(ge=0, description="log index of the escrow entry")
    escrow_id: Name
    party: Name
    root: Hex32 = Field(description="the escrow root")
    part: Name
    index: int = Field(ge=0, description="the part's place among the escrow's parts")
    parts: int = Field(ge=1)
    count: int = Field(ge=0)
    part_root: Hex32
    items: list[RevealedItem]
    proof: list[Hex32]
    accord_id: Name | None = None
    step: Name | None = Field(default=None, description="the reveal step it fulfils")

    @model_validator(mode="after")
    def _opens_its_root(self) -> RevealRecord:
        try:
            # the items are canonical: `reveal` made their bytes so
            verify_reveal(self.reveal(), bytes.fromhex(self.root), canonical=True)
        except VerificationError as exc:
            raise ValueError(exc.message) from None
        return self

    def reveal(self) -> Reveal:
        return Reveal(
            self.part,
            self.index,
            self.parts,
            self.count,
            bytes.fromhex(self.part_root),
            tuple(canonical_json(i.item) for i in self.items),
            tuple(bytes.fromhex(i.salt) for i in self.items),
            tuple(bytes.fromhex(p) for p in self.proof),
        )

    def place(self) -> Reveal:
        """The reveal without its items: what `escrow.verify_place` reads."""
        return Reveal(
            self.part,
            self.index,
            self.parts,
            self.count,
            bytes.fromhex(self.part_root),
            (),
            (),
            tuple(bytes.fromhex(p) for p in self.proof),
        )

    def acting_party(self) -> str | None:
        return self.party


def reveal_payload(
    reveal: Reveal,
    *,
    escrow_index: int,
    escrow: EscrowRecord,
    step: str | None,
) -> dict[str, Any]:
    """The `escrow.reveal` payload of an opening, for the escrow logged at `escrow_index`."""
    from accordwatch.log.canonical import parse_json

    return {
        "escrow": escrow_index,
        "escrow_id": escrow.escrow_id,
        "party": escrow.party,
        "root": escrow.root,
        "part": reveal.part,
        "index": reveal.index,
        "parts": reveal.parts,
        "count": reveal.count,
        "part_root": reveal.part_root.hex(),
        "items": [
            {"item": parse_json(d, where=f"part {reveal.part}"), "salt": s.hex()}
            for d, s in zip(reveal.items, reveal.salts, strict=True)
        ],
        "proof": [p.hex() for p in reveal.proof],
        "accord_id": escrow.accord_id,
        "step": step,
    }


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "escrow",
        EscrowRecord,
        frozenset({Role.DECLARANT}),
        "commit to a whole declaration part by part (or amend an escrow): roots and counts",
    ),
    RecordType(
        "escrow.reveal",
        RevealRecord,
        frozenset({Role.DECLARANT}),
        "open one part of an escrow: its items, salts and proof (public or to the inspectorate)",
        may_be_confidential=True,
        readers=frozenset({Role.INSPECTORATE}),
    ),
)
