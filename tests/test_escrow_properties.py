"""Escrowed declarations: every part of any escrow opens, and no altered opening does."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.declarations.escrow import (
    Escrow,
    Item,
    PartCommitment,
    Reveal,
    build_escrow,
    declaration_items,
    opened_items,
    verify_reveal,
)
from accordwatch.declarations.escrow_records import EscrowRecord, RevealRecord, reveal_payload
from accordwatch.errors import InputError, VerificationError
from accordwatch.log.canonical import canonical_json

REGIONS = ("north", "south", "east", "west", "central")


def _doc(sites: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "id": "d",
        "program": "nuclear",
        "party": "dprk",
        "as_of": "2021-03-31",
        "sites": [
            {
                "id": f"site-{n}",
                "name": name,
                "category": category,
                "location": {"latitude": 1.5, "longitude": 2.25, "region": region},
                "status": "operating",
            }
            for n, (name, category, region) in enumerate(sites)
        ],
        "material_balance_areas": [
            {"id": f"mba-{n}", "site": f"site-{n}"} for n in range(0, len(sites), 2)
        ],
    }


declarations = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=12),
        st.sampled_from(("reactor", "enrichment", "storage")),
        st.sampled_from(REGIONS),
    ),
    min_size=1,
    max_size=25,
)


def _escrow(doc: dict[str, Any], partition: str, seed: int, pad: bool = False) -> Escrow:
    items = list(declaration_items(doc, partition))
    largest = max(sum(1 for i in items if i.part == p) for p in {i.part for i in items})
    return build_escrow(items, random.Random(seed).randbytes, pad_to=largest + 3 if pad else None)


@settings(max_examples=60, deadline=None)
@given(
    declarations,
    st.sampled_from(("region", "site-category", "status")),
    st.integers(),
    st.booleans(),
)
def test_every_part_of_any_escrow_opens_against_its_root(
    sites: list[tuple[str, str, str]], partition: str, seed: int, pad: bool
) -> None:
    doc = _doc(sites)
    escrow = _escrow(doc, partition, seed, pad)
    opened = 0
    for commitment in escrow.commitments:
        reveal = escrow.reveal(commitment.name)
        assert verify_reveal(reveal, escrow.root, escrow.commitments) == commitment
        opened += len(opened_items(reveal))
    # every entry of every section is in exactly one part
    assert opened == len(doc["sites"]) + len(doc["material_balance_areas"])


def _flip(data: bytes, bit: int) -> bytes:
    at = bit % (len(data) * 8)
    out = bytearray(data)
    out[at // 8] ^= 1 << (at % 8)
    return bytes(out)


def _fails(reveal: Reveal, escrow: Escrow) -> None:
    with pytest.raises(VerificationError):
        verify_reveal(reveal, escrow.root, escrow.commitments)
    with pytest.raises(VerificationError):
        verify_reveal(reveal, escrow.root)


@settings(max_examples=120, deadline=None)
@given(
    declarations,
    st.integers(),
    st.sampled_from(("item", "salt", "proof", "part_root")),
    st.integers(min_value=0),
    st.integers(min_value=0),
)
def test_any_flipped_bit_fails(
    sites: list[tuple[str, str, str]], seed: int, what: str, which: int, bit: int
) -> None:
    escrow = _escrow(_doc(sites), "region", seed)
    candidates = [c for c in escrow.commitments if what != "proof" or len(escrow.commitments) > 1]
    if not candidates:
        return  # a single part has an empty proof: nothing to flip
    reveal = escrow.reveal(candidates[which % len(candidates)].name)
    if what == "item":
        n = which % len(reveal.items)
        items = list(reveal.items)
        items[n] = _flip(items[n], bit)
        altered = replace(reveal, items=tuple(items))
    elif what == "salt":
        n = which % len(reveal.salts)
        salts = list(reveal.salts)
        salts[n] = _flip(salts[n], bit)
        altered = replace(reveal, salts=tuple(salts))
    elif what == "proof":
        n = which % len(reveal.proof)
        proof = list(reveal.proof)
        proof[n] = _flip(proof[n], bit)
        altered = replace(reveal, proof=tuple(proof))
    else:
        altered = replace(reveal, part_root=_flip(reveal.part_root, bit))
    _fails(altered, escrow)


@settings(max_examples=80, deadline=None)
@given(declarations, st.integers(), st.integers(min_value=0), st.booleans(), st.booleans())
def test_an_opening_that_omits_or_adds_an_item_fails(
    sites: list[tuple[str, str, str]], seed: int, which: int, add: bool, recount: bool
) -> None:
    escrow = _escrow(_doc(sites), "region", seed)
    reveal = escrow.reveal(escrow.commitments[which % len(escrow.commitments)].name)
    items, salts = list(reveal.items), list(reveal.salts)
    if add:
        extra = canonical_json({"key": "sites/hidden", "section": "sites", "entry": {"id": "x"}})
        items.insert(which % (len(items) + 1), extra)
        salts.insert(which % (len(salts) + 1), bytes(32))
    else:
        n = which % len(items)
        del items[n], salts[n]
    count = len(items) if recount else reveal.count
    _fails(replace(reveal, items=tuple(items), salts=tuple(salts), count=count), escrow)


def test_another_part_or_another_escrow_does_not_pass_for_this_one() -> None:
    doc = _doc([("a", "reactor", "north"), ("b", "reactor", "south"), ("c", "storage", "east")])
    first = _escrow(doc, "region", 1)
    second = _escrow(doc, "region", 2)
    reveal = first.reveal("region-north")
    with pytest.raises(VerificationError):
        verify_reveal(reveal, second.root)
    # a reveal presented at another part's place
    moved = replace(reveal, index=(reveal.index + 1) % reveal.parts)
    with pytest.raises(VerificationError):
        verify_reveal(moved, first.root, first.commitments)
    # the same salts give the same escrow: the core draws nothing itself
    assert _escrow(doc, "region", 1).root == first.root


def test_parts_follow_the_entries_they_name_and_padding_hides_counts() -> None:
    doc = _doc([("a", "reactor", "north"), ("b", "storage", "south")])
    doc["sites"][1]["location"] = {"latitude": 1, "longitude": 2, "place": "Town, South Hwanghae"}
    parts = {i.key: i.part for i in declaration_items(doc, "region")}
    assert parts == {
        "sites/site-0": "region-north",
        "sites/site-1": "region-south-hwanghae",
        "material_balance_areas/mba-0": "region-north",
    }
    categories = {i.key: i.part for i in declaration_items(doc, "site-category")}
    assert categories["material_balance_areas/mba-0"] == "site-category-reactor"
    escrow = build_escrow(declaration_items(doc, "region"), random.Random(0).randbytes, pad_to=4)
    assert {c.count for c in escrow.commitments} == {4}
    with pytest.raises(InputError, match="cannot pad parts to 1"):
        build_escrow(declaration_items(doc, "region"), random.Random(0).randbytes, pad_to=1)


def _record(escrow: Escrow) -> EscrowRecord:
    return EscrowRecord.model_validate(
        {
            "escrow_id": "e",
            "party": "dprk",
            "declaration_id": "d",
            "program": "nuclear",
            "as_of": "2021-03-31",
            "partition_by": "region",
            "root": escrow.root.hex(),
            "parts": [
                {"name": c.name, "root": c.root.hex(), "count": c.count} for c in escrow.commitments
            ],
        }
    )


def test_records_check_themselves() -> None:
    doc = _doc([("a", "reactor", "north"), ("b", "reactor", "south")])
    escrow = _escrow(doc, "region", 3)
    record = _record(escrow)
    payload = reveal_payload(
        escrow.reveal("region-south"), escrow_index=7, escrow=record, step=None
    )
    assert RevealRecord.model_validate(payload).reveal() == escrow.reveal("region-south")
    payload["items"][0]["item"]["entry"]["name"] = "b2"
    with pytest.raises(ValueError, match="do not hash to the part's root"):
        RevealRecord.model_validate(payload)
    data = record.model_dump(mode="json")
    data["parts"][0]["count"] += 1
    with pytest.raises(ValueError, match="root is not the root over the parts"):
        EscrowRecord.model_validate(data)


def test_commitment_binds_name_count_and_root() -> None:
    one = PartCommitment("region-a", bytes(32), 3)
    assert (
        len({one.leaf(), replace(one, name="region-b").leaf(), replace(one, count=4).leaf()}) == 3
    )
    assert isinstance(Item("k", "p", b"{}"), Item)
