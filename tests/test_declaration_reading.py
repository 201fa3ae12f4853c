"""Reading large declarations: the collector pause, malformed JSON, the shared line sums."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from accordwatch.declarations import sums as declaration_sums
from accordwatch.declarations.check import check_internal
from accordwatch.declarations.diff import declaration_totals
from accordwatch.declarations.files import read_declaration_file
from accordwatch.declarations.history import Reports, check_over_time
from accordwatch.declarations.nuclear import NuclearDeclaration
from accordwatch.declarations.reading import (
    DeclarationError,
    collector_paused,
    parse_declaration,
)
from accordwatch.declarations.sums import line_sums
from accordwatch.examples import declaration_example_path as example_path


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Every test starts and ends with the collector as the test run has it: enabled."""
    assert gc.isenabled()
    yield
    gc.enable()


def nuclear_doc() -> dict[str, Any]:
    data = yaml.safe_load(example_path("dprk-nuclear").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def nuclear(doc: dict[str, Any]) -> NuclearDeclaration:
    declaration = parse_declaration(doc)
    assert isinstance(declaration, NuclearDeclaration)
    return declaration


def test_malformed_json_is_one_line_naming_the_file_and_place(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"program": "nuclear", "id": "x",\n  "party": ', "utf-8")
    with pytest.raises(DeclarationError) as caught:
        read_declaration_file(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert "Invalid JSON" in text and "line 2 column 11" in text
    assert gc.isenabled(), "a failed read leaves the collector as it was"


def test_collector_pause_nests_and_restores_the_previous_state() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner pause ends inside the outer one"
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled(), "a collector that was off stays off"


def test_line_sums_are_added_once_per_declaration_and_forgotten_with_it() -> None:
    d = nuclear(nuclear_doc())
    sums = line_sums(d)
    assert line_sums(d) is sums
    for (mba, material, unit), group in sums.items():
        lines = [
            x for x in d.inventory if (x.mba, str(x.material), str(x.unit)) == (mba, material, unit)
        ]
        assert group.lines == len(lines)
        assert group.element == sum((x.element_mass for x in lines), Decimal(0))
        assert group.isotope == sum((x.isotope_mass or Decimal(0) for x in lines), Decimal(0))
        assert group.items == sum(x.items for x in lines)
        assert group.with_isotope == sum(1 for x in lines if x.isotope_mass is not None)
    assert sum(g.lines for g in sums.values()) == len(d.inventory)
    gc.collect()  # what earlier tests left unreachable goes first, not in the count below
    held = len(declaration_sums._cache)
    del d, sums
    gc.collect()
    assert len(declaration_sums._cache) == held - 1


def test_lines_in_two_units_are_added_as_before_by_each_check() -> None:
    doc = nuclear_doc()
    before = nuclear(doc)
    # A second plutonium batch in yb-rcl, wrongly in kilograms: 1 kg is 1000 g.
    doc["inventory"].append(
        {
            "mba": "yb-rcl",
            "batch": "rcl-extra",
            "material": "plutonium",
            "element_mass": "1",
            "unit": "kg",
            "physical_form": "oxide",
        }
    )
    after = nuclear(doc)
    problems = {p.format() for p in check_internal(after)}
    n = len(doc["inventory"]) - 1
    assert f"inventory[{n}].unit: plutonium is reported in g, not kg" in problems
    # The internal check adds the declared numbers as they stand, as it always has.
    assert any(
        "total of plutonium in yb-rcl is 300 g, its 2 line(s) sum to 301 (difference -1)" in p
        for p in problems
    )
    # The diff's totals and the check over time count grams.
    totals = {name: value for name, value, _ in declaration_totals(after)}
    assert totals["plutonium in yb-rcl"] == Decimal(1300)
    unexplained = [
        p.message for p in check_over_time(before, after, Reports()) if "yb-rcl" in p.message
    ]
    assert any("element mass went from 300 g to 1300 g" in m for m in unexplained), unexplained
