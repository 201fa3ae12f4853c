"""Declaration schemas and internal consistency: the examples pass, every planted fault is found."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from accordwatch.declarations.base import Problem, Program
from accordwatch.declarations.check import check_internal, checked
from accordwatch.declarations.reading import (
    DeclarationError,
    document,
    json_schema,
    parse_declaration,
    parse_declaration_json,
)
from accordwatch.examples import DECLARATION_EXAMPLES as EXAMPLES
from accordwatch.examples import declaration_example_path as example_path


def example_doc(name: str) -> dict[str, Any]:
    """A shipped example as its parsed YAML document (dates as dates)."""
    data = yaml.safe_load(example_path(name).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def problems_of(doc: dict[str, Any]) -> list[Problem]:
    return check_internal(parse_declaration(doc))


def only(problems: list[Problem], kind: str, where: str) -> Problem:
    """The one problem of `kind` at `where` (a field path)."""
    found = [p for p in problems if p.kind == kind and p.format().startswith(where + ":")]
    assert len(found) == 1, [p.format() for p in problems]
    return found[0]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_are_valid_and_consistent(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")  # a dev dependency, without type stubs
    doc = example_doc(name)
    declaration = parse_declaration(doc)
    assert check_internal(declaration) == []
    assert declaration.illustrative
    assert declaration.sources, "an illustrative declaration cites the estimates it follows"
    jsonschema.validate(json.loads(json.dumps(doc, default=str)), json_schema())
    # The signed form reads back to the same declaration, by either path.
    signed = document(declaration)
    assert parse_declaration(signed) == declaration
    assert parse_declaration_json(json.dumps(signed)) == declaration


def test_published_schemas_are_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for program in (None, *Program):
        schema = json_schema(program)
        jsonschema.Draft202012Validator.check_schema(schema)
    nuclear = json_schema(Program.NUCLEAR)
    assert "inventory" in nuclear["required"]
    assert "missiles" in json_schema(Program.MISSILE)["required"]


def test_every_schema_problem_is_listed_with_its_path() -> None:
    doc = example_doc("dprk-missile")
    doc["missiles"][3]["status"] = "lost"
    doc["facilities"][0]["location"]["latitude"] = 91
    del doc["launchers"]
    with pytest.raises(DeclarationError) as caught:
        parse_declaration(doc)
    where = {p.format().split(":")[0] for p in caught.value.problems}
    assert where == {"missiles[3].status", "facilities[0].location.latitude", "launchers"}
    assert caught.value.total == 3


def test_unknown_program_is_named() -> None:
    with pytest.raises(DeclarationError, match="program must be 'nuclear' or 'missile'"):
        parse_declaration({"program": "chemical"})


Edit = Callable[[dict[str, Any]], None]


def _line(doc: dict[str, Any], batch: str) -> dict[str, Any]:
    line = next(x for x in doc["inventory"] if x["batch"] == batch)
    assert isinstance(line, dict)
    return line


NUCLEAR_FAULTS: list[tuple[str, Edit, str, str]] = [
    (
        "total",
        lambda d: d["inventory_totals"][0].__setitem__("element_mass", 48001),
        "inventory_totals[0].element_mass",
        "sum to 48000",
    ),
    (
        "total",
        lambda d: d["inventory_totals"][1].__setitem__("items", 7999),
        "inventory_totals[1].items",
        "7999 items declared, its lines hold 8000",
    ),
    (
        "unit",
        lambda d: _line(d, "pu-metal-01").__setitem__("unit", "kg"),
        "inventory[10].unit",
        "plutonium is reported in g, not kg",
    ),
    (
        "range",
        lambda d: _line(d, "heu-metal-01").__setitem__("isotope_mass", 160001),
        "inventory[11].isotope_mass",
        "is above the U mass",
    ),
    (
        "range",
        lambda d: _line(d, "uep-leu-01").update(enrichment=25, isotope_mass=300000),
        "inventory[6].enrichment",
        "outside the range of low-enriched uranium",
    ),
    (
        "range",
        lambda d: _line(d, "uep-heu-01").__setitem__("enrichment", 93),
        "inventory[5].enrichment",
        "does not match the masses",
    ),
    (
        "range",
        lambda d: _line(d, "pu-metal-01").__setitem__("enrichment", 93),
        "inventory[10].enrichment",
        "applies to uranium",
    ),
    (
        "location",
        lambda d: d["material_balance_areas"][0].__setitem__("site", "nowhere"),
        "material_balance_areas[0].site",
        "not a declared site",
    ),
    (
        "location",
        lambda d: d["key_measurement_points"][0].__setitem__("mba", "nowhere"),
        "key_measurement_points[0].mba",
        "not a declared MBA",
    ),
    (
        "location",
        lambda d: _line(d, "core-2018").__setitem__("kmp", "yb-uep-feed"),
        "inventory[0].kmp",
        "not a declared KMP of MBA yb-5mwe",
    ),
    (
        "location",
        lambda d: d["production_history"][0].__setitem__("site", "kangson"),
        "production_history[0].site",
        "not a declared site",
    ),
    (
        "location",
        lambda d: d["weapons"][0].__setitem__("site", "nowhere"),
        "weapons[0].site",
        "not a declared site",
    ),
    (
        "duplicate",
        lambda d: d["sites"].append(copy.deepcopy(d["sites"][0])),
        "sites[10]",
        "site yongbyon-5mwe is declared twice",
    ),
    (
        "range",
        lambda d: d["production_history"][0].__setitem__("end", "1989-12-31"),
        "production_history[0].end",
        "before it starts",
    ),
    (
        "range",
        lambda d: d["inventory_changes"].append(
            {
                "date": "2021-01-01",
                "mba": "yb-uep",
                "kind": "loss",
                "material": "plutonium",
                "element_mass": 1,
                "unit": "g",
            }
        ),
        "inventory_changes[0].date",
        "after the declaration's date",
    ),
    (
        "header",
        lambda d: d.update(supersedes="a", updates="b"),
        "updates",
        "not both",
    ),
]


@pytest.mark.parametrize(("kind", "edit", "where", "text"), NUCLEAR_FAULTS)
def test_nuclear_inconsistency_is_found(kind: str, edit: Edit, where: str, text: str) -> None:
    doc = example_doc("dprk-nuclear")
    edit(doc)
    problem = only(problems_of(doc), kind, where)
    assert text in problem.message
    assert problem.severity == "error"


def test_inventory_line_in_an_undeclared_mba_and_without_a_total() -> None:
    doc = example_doc("dprk-nuclear")
    _line(doc, "waste-pu-01")["mba"] = "hidden"
    problems = problems_of(doc)
    only(problems, "location", "inventory[12].mba")
    messages = [p.message for p in problems if p.kind == "total"]
    assert any("no total is declared for plutonium in hidden" in m for m in messages)
    assert any("yb-waste is 150 g, its 0 line(s) sum to 0" in m for m in messages)


MISSILE_FAULTS: list[tuple[str, Edit, str, str]] = [
    (
        "duplicate uid",
        lambda d: d["launchers"].__setitem__(
            1, {**d["launchers"][1], "uid": d["missiles"][0]["uid"]}
        ),
        "launchers[1].uid",
        "KP-SCB-0001 appears twice",
    ),
    (
        "reference",
        lambda d: d["missiles"][5].__setitem__("type", "Hwasong-99"),
        "missiles[5].type",
        "not a declared missile type",
    ),
    (
        "location",
        lambda d: d["launchers"][0].__setitem__("location", "nowhere"),
        "launchers[0].location",
        "not a declared facility",
    ),
    (
        "location",
        lambda d: d["missiles"][0].pop("location"),
        "missiles[0].location",
        "has no location",
    ),
    (
        "total",
        lambda d: d["missile_types"][0].__setitem__("declared_launchers", 9),
        "missile_types[0].declared_launchers",
        "9 declared, 8 listed",
    ),
    (
        "range",
        lambda d: d["missile_types"][10].__setitem__("range_km", 4000),
        "missile_types[10].range_km",
        "not that of an ICBM",
    ),
    (
        "status",
        lambda d: d["changes"].append(
            {"date": "2021-02-01", "kind": "eliminated", "uid": "KP-SCB-0001"}
        ),
        "changes[0].uid",
        "reported eliminated but listed as not eliminated",
    ),
]


@pytest.mark.parametrize(("kind", "edit", "where", "text"), MISSILE_FAULTS)
def test_missile_inconsistency_is_found(kind: str, edit: Edit, where: str, text: str) -> None:
    doc = example_doc("dprk-missile")
    edit(doc)
    problem = only(problems_of(doc), kind, where)
    assert text in problem.message


def test_an_inconsistent_declaration_is_refused_with_every_problem() -> None:
    doc = example_doc("dprk-missile")
    doc["missiles"][5]["type"] = "Hwasong-99"
    doc["launchers"][0]["location"] = "nowhere"
    with pytest.raises(DeclarationError) as caught:
        checked(doc)
    assert caught.value.total == 3  # the type, the location, and Scud-B's count
    assert checked(example_doc("dprk-missile")).id == "dprk-missile-2021-03"
