"""The spreadsheet route: template, round trip, and every problem placed by sheet, row, column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from accordwatch.declarations.base import Program
from accordwatch.declarations.check import check_internal
from accordwatch.declarations.files import read_declaration_file
from accordwatch.declarations.history import Filed
from accordwatch.declarations.reading import (
    DeclarationError,
    document,
    parse_declaration,
)
from accordwatch.declarations.review import review
from accordwatch.declarations.xlsx import read_workbook, write_workbook
from accordwatch.errors import InputError
from tests.test_declaration_check import example_doc
from tests.test_declaration_history import recount, roadmap, update_of


def workbook_of(tmp_path: Path, doc: dict[str, Any], name: str = "d.xlsx") -> Path:
    declaration = parse_declaration(doc)
    path = tmp_path / name
    write_workbook(path, Program(declaration.program), document(declaration))
    return path


def edited(path: Path, edit: Callable[[Any], None]) -> Path:
    wb = load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def problems(path: Path) -> list[str]:
    """Every problem of a workbook, schema and internal, as the user sees them."""
    try:
        declaration, locate = read_workbook(path)
    except DeclarationError as exc:
        return [p.format(exc.locate) for p in exc.problems]
    return [p.format(locate) for p in check_internal(declaration)]


@pytest.mark.parametrize("name", ["dprk-nuclear", "dprk-nuclear-corrected", "dprk-missile"])
def test_examples_go_through_a_workbook_unchanged(tmp_path: Path, name: str) -> None:
    doc = example_doc(name)
    path = workbook_of(tmp_path, doc)
    seen: list[tuple[int, int]] = []
    declaration, _ = read_workbook(path, progress=lambda done, total: seen.append((done, total)))
    assert declaration == parse_declaration(doc)
    assert seen and seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize("program", list(Program))
def test_the_template_has_a_sheet_per_section_and_instructions(
    tmp_path: Path, program: Program
) -> None:
    path = tmp_path / "template.xlsx"
    write_workbook(path, program)
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["instructions", "declaration"]
    sites = {"nuclear": "sites", "missile": "facilities"}[program]
    assert sites in wb.sheetnames[2:]
    assert wb["declaration"]["B3"].value == program.value
    status = next(
        dv for dv in wb[sites].data_validations.dataValidation if "operating" in dv.formula1
    )
    assert str(status.sqref).endswith("1048576")
    # The empty template names what is missing, by sheet, row and column.
    assert problems(path) == [
        "sheet 'declaration' row 2 column B (id): missing",
        "sheet 'declaration' row 4 column B (party): missing",
        "sheet 'declaration' row 5 column B (as_of): missing",
    ]


def _set(sheet: str, cell: str, value: Any) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        wb[sheet][cell] = value

    return edit


NUCLEAR_FAULTS = [
    (
        _set("inventory_totals", "C2", 48001),
        "sheet 'inventory_totals' row 2 column C (element_mass): total of natural uranium in "
        "yb-5mwe is 48001 kg, its 1 line(s) sum to 48000",
    ),
    (
        _set("inventory", "F12", "kg"),
        "sheet 'inventory' row 12 column F (unit): plutonium is reported in g, not kg",
    ),
    (
        _set("inventory", "E13", 170000),
        "sheet 'inventory' row 13 column E (isotope_mass): U-235 mass 170000 g is above",
    ),
    (
        _set("inventory", "G7", 95),
        "sheet 'inventory' row 7 column G (enrichment): enrichment 95 % does not match",
    ),
    (
        _set("inventory", "A15", "hidden"),
        "sheet 'inventory' row 15 column A (mba): batch yellowcake-2020 is in hidden, which is "
        "not a declared MBA",
    ),
    (
        _set("sites", "E11", -181),
        "sheet 'sites' row 11 column E (longitude): Input should be greater than or equal to -180",
    ),
    (
        _set("sites", "D11", 91),
        "sheet 'sites' row 11 column D (latitude): Input should be less than or equal to 90",
    ),
    (
        _set("inventory", "G7", 120),
        "sheet 'inventory' row 7 column G (enrichment): Input should be less than or equal to 100",
    ),
    (
        _set("sites", "C2", "bakery"),
        "sheet 'sites' row 2 column C (category): Input should be 'mine', 'milling'",
    ),
    (
        _set("declaration", "B5", "someday"),
        "sheet 'declaration' row 5 column B (as_of): Input should be a valid date",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), NUCLEAR_FAULTS)
def test_nuclear_problems_are_placed(
    tmp_path: Path, edit: Callable[[Any], None], expected: str
) -> None:
    path = edited(workbook_of(tmp_path, example_doc("dprk-nuclear")), edit)
    found = problems(path)
    assert any(p.startswith(expected) for p in found), found


MISSILE_FAULTS = [
    (
        _set("launchers", "A3", "KP-L-SCB-01"),
        "sheet 'launchers' row 3 column A (uid): unique identifier KP-L-SCB-01 appears twice",
    ),
    (
        _set("missiles", "B5", "Hwasong-99"),
        "sheet 'missiles' row 5 column B (type): KP-SCB-0004 is of type Hwasong-99",
    ),
    (
        _set("missiles", "D7", "nowhere"),
        "sheet 'missiles' row 7 column D (location): KP-SCB-0006 is at nowhere",
    ),
    (
        _set("missile_types", "H2", 41),
        "sheet 'missile_types' row 2 column H (declared_missiles): Scud-B: 41 declared, 40 listed",
    ),
    (
        _set("missile_types", "F3", 5000),
        "sheet 'missile_types' row 3 column F (range_km): Scud-C: a range of 5000 km",
    ),
    (
        _set("missiles", "C9", "lost"),
        "sheet 'missiles' row 9 column C (status): Input should be 'deployed'",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), MISSILE_FAULTS)
def test_missile_problems_are_placed(
    tmp_path: Path, edit: Callable[[Any], None], expected: str
) -> None:
    path = edited(workbook_of(tmp_path, example_doc("dprk-missile")), edit)
    found = problems(path)
    assert any(p.startswith(expected) for p in found), found


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    path = workbook_of(tmp_path, example_doc("dprk-missile"))
    for edit, _ in MISSILE_FAULTS[:5]:
        edited(path, edit)
    # Five planted; Scud-B's count is wrong anyway once one of its missiles changed type.
    assert len(problems(path)) == 5


def test_shape_problems_are_named(tmp_path: Path) -> None:
    path = workbook_of(tmp_path, example_doc("dprk-missile"))

    def reshape(wb: Any) -> None:
        del wb["changes"]
        wb["missiles"]["E1"] = "colour"
        wb["launchers"]["A1"] = "serial"
        wb["facilities"]["K4"] = "stray"
        wb["declaration"]["A20"] = "secret"
        wb["declaration"]["B20"] = "x"

    edited(path, reshape)
    found = problems(path)
    assert found[:5] == [
        "sheet 'declaration' row 20 column A: unknown field 'secret' (fields: id, program, party, "
        "as_of, accord, step, supersedes, updates, illustrative, note, sources, declared_empty)",
        "sheet 'facilities' row 4: a value lies right of the named columns",
        "sheet 'missiles' row 1 column E: unknown column 'colour' (columns: uid, type, status, "
        "location)",
        "sheet 'launchers' row 1 column A: unknown column 'serial' (columns: uid, kind, "
        "missile_type, status, location)",
        "sheet 'launchers' row 1: required column 'uid' is missing",
    ]
    assert "sheet 'changes' is missing" in found[5]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a spreadsheet")
    with pytest.raises(InputError, match=r"not a readable \.xlsx workbook"):
        read_declaration_file(path)
    with pytest.raises(InputError, match="no such file"):
        read_declaration_file(tmp_path / "missing.xlsx")


def test_over_time_findings_through_the_spreadsheet_route(tmp_path: Path) -> None:
    after = update_of("dprk-missile", "2021-09-01")
    after["missiles"] = [m for m in after["missiles"] if m["uid"] != "KP-SCB-0001"]
    after["missiles"].append(
        {"uid": "KP-H17-0003", "type": "Hwasong-17", "status": "stored", "location": "kanggye"}
    )
    path = workbook_of(tmp_path, recount(after))
    declaration, locate = read_workbook(path)
    first = Filed(5, "dprk", parse_declaration(example_doc("dprk-missile")))
    result = review(Filed(-1, "dprk", declaration), [first], accord=roadmap())
    assert [p.format(locate) for p in result.problems] == [
        "sheet 'missiles': KP-SCB-0001 (Scud-B, deployed on 2021-03-01) is missing on "
        "2021-09-01 with no elimination record",
        "sheet 'missiles' row 252 column A (uid): KP-H17-0003 (Hwasong-17, stored) appears with "
        "no production record since 2021-03-01",
    ]
