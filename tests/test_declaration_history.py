"""Declarations over time, against the accord, against observed launches, and their diff."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter

from accordwatch.declarations.base import Problem
from accordwatch.declarations.check import check_internal
from accordwatch.declarations.completeness import check_completeness
from accordwatch.declarations.diff import diff_declarations
from accordwatch.declarations.history import (
    Filed,
    Reports,
    check_over_time,
    in_effect,
    reports_from,
)
from accordwatch.declarations.launches import ObservedLaunch, check_launches
from accordwatch.declarations.missile import MissileChange, MissileDeclaration
from accordwatch.declarations.reading import Declaration, parse_declaration
from accordwatch.declarations.review import review
from accordwatch.examples import example_path as accord_path
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.accord_check import check_file
from tests.test_declaration_check import example_doc


def roadmap() -> Accord:
    accord = check_file(accord_path("dprk-roadmap")).accord
    assert accord is not None
    return accord


def retotal(doc: dict[str, Any]) -> dict[str, Any]:
    """Make a nuclear document's totals the sums of its lines again."""
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for line in doc["inventory"]:
        acc = sums[(line["mba"], line["material"])]
        acc[0] += Decimal(str(line["element_mass"]))
        acc[1] += Decimal(str(line.get("isotope_mass", 0)))
        acc[2] += line.get("items", 1)
    for total in doc["inventory_totals"]:
        element, isotope, items = sums[(total["mba"], total["material"])]
        total["element_mass"] = str(element)
        if "isotope_mass" in total:
            total["isotope_mass"] = str(isotope)
        total["items"] = int(items)
    return doc


def recount(doc: dict[str, Any]) -> dict[str, Any]:
    """Make a missile document's declared counts those of its items again."""
    for what, field, type_field in (
        ("missiles", "declared_missiles", "type"),
        ("launchers", "declared_launchers", "missile_type"),
    ):
        counts = Counter(x[type_field] for x in doc[what] if x["status"] != "eliminated")
        for mtype in doc["missile_types"]:
            mtype[field] = counts[mtype["name"]]
    return doc


def update_of(name: str, as_of: str) -> dict[str, Any]:
    doc = example_doc(name)
    doc["updates"] = doc["id"]
    doc["id"] = f"{doc['id']}-update"
    doc["as_of"] = as_of
    return doc


def over_time(before: dict[str, Any], after: dict[str, Any]) -> list[Problem]:
    a, b = parse_declaration(before), parse_declaration(after)
    assert check_internal(b) == [], [p.format() for p in check_internal(b)]
    return check_over_time(a, b, reports_from([Filed(1, "dprk", a), Filed(2, "dprk", b)]))


def kinds(problems: list[Problem]) -> list[str]:
    return sorted(p.kind for p in problems)


# -- nuclear over time -----------------------------------------------------------------


def _shipment(doc: dict[str, Any], grams: int, isotope: int) -> None:
    doc["inventory_changes"].append(
        {
            "date": "2021-03-01",
            "mba": "yb-store",
            "kind": "shipment",
            "material": "plutonium",
            "element_mass": grams,
            "isotope_mass": isotope,
            "unit": "g",
            "counterpart": "IAEA custody abroad",
        }
    )


def test_a_reported_shipment_explains_the_change() -> None:
    after = update_of("dprk-nuclear", "2021-06-30")
    line = next(x for x in after["inventory"] if x["batch"] == "pu-metal-01")
    line.update(element_mass=7000, isotope_mass=6510)
    _shipment(after, 2000, 1860)
    after["weapons"][0]["weapons"] = 38
    after["weapon_changes"].append({"date": "2021-05-01", "kind": "dismantled", "weapons": 2})
    assert over_time(example_doc("dprk-nuclear"), retotal(after)) == []


def test_an_unexplained_change_in_inventory_and_weapons_is_a_finding() -> None:
    after = update_of("dprk-nuclear", "2021-06-30")
    line = next(x for x in after["inventory"] if x["batch"] == "pu-metal-01")
    line.update(element_mass=6900, isotope_mass=6510)
    _shipment(after, 2000, 1860)
    after["weapons"][0]["weapons"] = 38
    problems = over_time(example_doc("dprk-nuclear"), retotal(after))
    assert kinds(problems) == ["unexplained change", "unexplained change"]
    pu, weapons = problems
    assert pu.format().startswith("inventory_totals[9]: plutonium in yb-store: element mass")
    assert "(unexplained -100 g)" in pu.message
    assert "nuclear weapons went from 45 to 43 (-2)" in weapons.message


def test_a_change_reported_outside_the_period_does_not_count() -> None:
    after = update_of("dprk-nuclear", "2021-06-30")
    line = next(x for x in after["inventory"] if x["batch"] == "pu-metal-01")
    line.update(element_mass=7000, isotope_mass=6510)
    _shipment(after, 2000, 1860)
    after["inventory_changes"][0]["date"] = "2020-12-01"  # before the first declaration
    problems = over_time(example_doc("dprk-nuclear"), retotal(after))
    assert kinds(problems) == ["unexplained change", "unexplained change"]


def test_sites_and_history_stay_declared() -> None:
    before = example_doc("dprk-nuclear")
    before["sites"][9]["status"] = "dismantled"
    after = update_of("dprk-nuclear", "2021-06-30")
    after["sites"][9]["status"] = "operating"
    del after["sites"][6]  # the waste store, and its balance area and holdings
    after["material_balance_areas"] = [
        m for m in after["material_balance_areas"] if m["site"] != "yongbyon-waste"
    ]
    after["key_measurement_points"] = [
        k for k in after["key_measurement_points"] if k["mba"] != "yb-waste"
    ]
    after["inventory"] = [x for x in after["inventory"] if x["mba"] != "yb-waste"]
    after["inventory_totals"] = [x for x in after["inventory_totals"] if x["mba"] != "yb-waste"]
    after["production_history"][1]["element_mass"] = 15000
    problems = over_time(before, after)
    assert kinds(problems) == [
        "disappeared",
        "disappeared",
        "history changed",
        "status",
        "unexplained change",
        "unexplained change",
    ]
    text = " ".join(p.message for p in problems)
    assert "site yongbyon-waste is no longer declared" in text
    assert "was dismantled on 2020-12-15 and is operating" in text
    assert "plutonium in yb-waste: element mass went from 150 g to 0 g" in text


# -- missiles over time ----------------------------------------------------------------


def _item(doc: dict[str, Any], uid: str) -> dict[str, Any]:
    found = next(x for x in doc["missiles"] + doc["launchers"] if x["uid"] == uid)
    assert isinstance(found, dict)
    return found


def test_eliminated_and_produced_items_with_records_pass() -> None:
    after = update_of("dprk-missile", "2021-09-01")
    _item(after, "KP-H15-0001").update(status="eliminated")
    new = {"uid": "KP-H17-0003", "type": "Hwasong-17", "status": "stored", "location": "kanggye"}
    after["missiles"].append(new)
    after["missiles"].append({**new, "uid": "KP-H17-0004", "status": "in production"})
    after["changes"] += [
        {"date": "2021-06-01", "kind": "eliminated", "uid": "KP-H15-0001", "method": "cut up"},
        {"date": "2021-07-01", "kind": "produced", "uid": "KP-H17-0003", "facility": "mupyong-ni"},
    ]
    assert over_time(example_doc("dprk-missile"), recount(after)) == []


def test_items_that_vanish_appear_are_reused_or_come_back_are_findings() -> None:
    after = update_of("dprk-missile", "2021-09-01")
    after["missiles"] = [m for m in after["missiles"] if m["uid"] != "KP-SCB-0001"]
    _item(after, "KP-H15-0002").update(status="eliminated")  # no elimination record
    after["missiles"].append(
        {"uid": "KP-H17-0003", "type": "Hwasong-17", "status": "deployed", "location": "kanggye"}
    )
    _item(after, "KP-NOD-0001").update(type="ER Scud")
    _item(after, "KP-MUS-0001").update(status="stored", location="kanggye")
    problems = over_time(example_doc("dprk-missile"), recount(after))
    by_kind = {p.kind: p for p in problems}
    assert kinds(problems) == [
        "appeared",
        "disappeared",
        "eliminated unrecorded",
        "reappeared",
        "uid reused",
    ]
    assert (
        "KP-SCB-0001 (Scud-B, deployed on 2021-03-01) is missing" in by_kind["disappeared"].message
    )
    assert by_kind["appeared"].format().startswith("missiles[250].uid: KP-H17-0003")
    assert "named a Nodong missile on 2021-03-01 and a ER Scud missile" in (
        by_kind["uid reused"].message
    )
    assert "KP-MUS-0001 was eliminated by 2021-03-01 and is stored" in (
        by_kind["reappeared"].message
    )


def test_reports_from_another_source_explain_changes() -> None:
    after = update_of("dprk-missile", "2021-09-01")
    after["missiles"] = [m for m in after["missiles"] if m["uid"] != "KP-SCB-0001"]
    a, b = parse_declaration(example_doc("dprk-missile")), parse_declaration(recount(after))
    assert kinds(check_over_time(a, b, Reports())) == ["disappeared"]
    record = TypeAdapter(MissileChange).validate_python(
        {"date": "2021-04-01", "kind": "eliminated", "uid": "KP-SCB-0001"}
    )
    assert check_over_time(a, b, Reports(missiles=[record])) == []


# -- corrections, updates and the whole review -------------------------------------------


def _filed(index: int, doc: dict[str, Any]) -> Filed:
    return Filed(index, "dprk", parse_declaration(doc))


def test_a_correction_takes_the_place_of_what_it_corrects() -> None:
    first = _filed(10, example_doc("dprk-nuclear"))
    fixed = _filed(11, example_doc("dprk-nuclear-corrected"))
    missile = _filed(12, example_doc("dprk-missile"))
    assert [f.index for f in in_effect([first, fixed, missile], "dprk", "nuclear")] == [11]
    result = review(first, [first, fixed, missile], accord=roadmap())
    assert result.superseded_by == 11 and result.ok
    # An update is compared with the correction, not with what it corrected.
    update = update_of("dprk-nuclear-corrected", "2021-06-30")
    update["updates"] = "dprk-nuclear-2020-12-rev1"
    del update["supersedes"]
    later = _filed(13, update)
    result = review(later, [first, fixed, missile, later], accord=roadmap())
    assert result.previous is not None and result.previous.index == 11
    assert result.ok, result.to_json()


def test_chain_findings() -> None:
    first = _filed(10, example_doc("dprk-nuclear"))
    doc = example_doc("dprk-nuclear-corrected")
    doc["as_of"] = "2020-12-31"
    fixed = _filed(11, doc)
    problems = review(fixed, [first, fixed], accord=roadmap()).problems
    assert [p.kind for p in problems] == ["reference"]
    assert "keeps the date of what it corrects (2020-12-15)" in problems[0].message
    again = _filed(12, example_doc("dprk-nuclear"))
    problems = review(again, [first, again], accord=roadmap()).problems
    assert [p.kind for p in problems] == ["duplicate id"]
    orphan = example_doc("dprk-missile")
    orphan["updates"] = "no-such-declaration"
    lone = _filed(13, orphan)
    problems = review(lone, [lone], accord=roadmap()).problems
    assert [p.message for p in problems] == [
        "no earlier declaration no-such-declaration of dprk in the log"
    ]


# -- completeness against the accord -------------------------------------------------------


def test_examples_are_complete_for_the_road_map() -> None:
    for name in ("dprk-nuclear", "dprk-nuclear-corrected", "dprk-missile"):
        assert check_completeness(parse_declaration(example_doc(name)), roadmap()) == []


def test_a_missing_category_must_be_declared_empty() -> None:
    doc = example_doc("dprk-missile")
    doc["missile_types"] = [t for t in doc["missile_types"] if t["missile_class"] != "SLBM"]
    doc["missiles"] = [m for m in doc["missiles"] if m["type"] != "Pukguksong-3"]
    doc["launchers"] = [x for x in doc["launchers"] if x["missile_type"] != "Pukguksong-3"]
    declaration = parse_declaration(doc)
    problems = check_completeness(declaration, roadmap())
    assert [p.message for p in problems] == [
        "step declare-missile of accord dprk-roadmap requires slbm: none is declared, and it is "
        "not declared empty"
    ]
    doc["declared_empty"] = ["SLBM"]
    assert check_completeness(parse_declaration(doc), roadmap()) == []


def test_declared_empty_must_be_empty_and_known() -> None:
    doc = example_doc("dprk-nuclear")
    doc["declared_empty"] = ["plutonium", "anthrax"]
    problems = check_completeness(parse_declaration(doc), roadmap())
    assert [p.kind for p in problems] == ["declared empty", "unknown category"]
    assert "plutonium is declared empty, yet 4 entries" in problems[0].message


def test_the_step_list_in_the_accord_is_what_is_required() -> None:
    accord = roadmap()
    definitions = dict(accord.definitions)
    definitions["declare-nuclear"] = ["enrichment", "thorium", "conversion", "centrifuges"]
    special = accord.model_copy(update={"definitions": definitions})
    problems = check_completeness(parse_declaration(example_doc("dprk-nuclear")), special)
    assert [(p.kind, p.message.split(":")[0]) for p in problems] == [
        (
            "unknown category",
            "accord dprk-roadmap requires centrifuges for step declare-nuclear, which is not a "
            "category of a nuclear declaration",
        ),
        ("missing category", "step declare-nuclear of accord dprk-roadmap requires conversion"),
    ]


def test_a_declaration_must_fulfil_a_declaration_step_of_its_party() -> None:
    doc = example_doc("dprk-nuclear")
    doc["step"] = "disable-reactor"
    problems = check_completeness(parse_declaration(doc), roadmap())
    assert [p.kind for p in problems] == ["wrong step"]
    assert check_completeness(parse_declaration(example_doc("dprk-nuclear")), None)[0].kind == (
        "no accord"
    )


# -- observed launches ---------------------------------------------------------------------


def _missiles() -> MissileDeclaration:
    declaration = parse_declaration(example_doc("dprk-missile"))
    assert isinstance(declaration, MissileDeclaration)
    return declaration


def test_launches_of_declared_types_from_declared_sites_pass() -> None:
    launches = [
        ObservedLaunch(date(2017, 11, 28), "Hwasong-15", "Pyongyang International Airport", "a"),
        ObservedLaunch(date(2019, 7, 25), "Hwasong-11A (KN-23)", "Hodo Peninsula", "b"),
        ObservedLaunch(date(2016, 8, 24), "Pukguksong-1", "sinpo", "c"),
        ObservedLaunch(date(2019, 5, 4), "Unknown", "Unknown", "d"),
        ObservedLaunch(date(2022, 3, 24), "Hwasong-17", "Sunan", "after the declaration"),
        ObservedLaunch(date(2017, 7, 4), "hwasong 14", "SOHAE", "e"),
    ]
    result = check_launches(_missiles(), launches)
    assert result.compared == 5
    assert result.unidentified_missile == result.unidentified_site == 1
    assert [(p.kind, p.message) for p in result.problems] == [
        (
            "undeclared missile type",
            "Pukguksong-1 was launched but is not a declared missile type: 1 launch(es), "
            "2016-08-24 (c)",
        ),
        (
            "undeclared launch site",
            "missiles were launched from Hodo Peninsula, which is not a declared facility: "
            "1 launch(es), 2019-07-25 (b)",
        ),
    ]


# -- diff ----------------------------------------------------------------------------------


def _declaration(name: str) -> Declaration:
    return parse_declaration(example_doc(name))


def test_the_correction_shows_a_clear_diff() -> None:
    result = diff_declarations(_declaration("dprk-nuclear"), _declaration("dprk-nuclear-corrected"))
    assert [c.describe() for c in result.changes] == [
        "+ sites kangson added",
        "+ material_balance_areas ks-uep added",
        "+ key_measurement_points ks-uep-store added",
        "~ inventory yb-store/pu-metal-01/plutonium changed: element_mass 9000 -> 9400; "
        "isotope_mass 8370 -> 8742",
        "+ inventory ks-uep/ks-heu-01/high-enriched uranium added",
        "+ inventory ks-uep/ks-feed-01/natural uranium added",
        "~ inventory_totals yb-store/plutonium changed: element_mass 9000 -> 9400; "
        "isotope_mass 8370 -> 8742",
        "+ inventory_totals ks-uep/high-enriched uranium added",
        "+ inventory_totals ks-uep/natural uranium added",
        "+ production_history kangson/uranium enriched/high-enriched uranium/2012-01-01/"
        "2020-03-28 added",
    ]
    totals = {t.name: t for t in result.changed_totals()}
    heu = totals["high-enriched uranium element mass"]
    assert (heu.before, heu.after, heu.delta, heu.unit) == (
        Decimal(245000),
        Decimal(305000),
        Decimal(60000),
        "g",
    )
    assert totals["plutonium element mass"].delta == 400
    assert totals["sites"].delta == 1
    assert "nuclear weapons" not in totals
    assert [h[0] for h in result.header] == ["id", "supersedes"]


def test_missile_diff_counts_items_by_type_and_status() -> None:
    after = update_of("dprk-missile", "2021-09-01")
    _item(after, "KP-H15-0001").update(status="eliminated")
    after["missiles"] = [m for m in after["missiles"] if m["uid"] != "KP-SCB-0040"]
    result = diff_declarations(_declaration("dprk-missile"), parse_declaration(recount(after)))
    assert [c.describe() for c in result.changes] == [
        "~ missile_types Scud-B changed: declared_missiles 40 -> 39",
        "~ missile_types Hwasong-15 changed: declared_missiles 4 -> 3",
        "~ missiles KP-H15-0001 changed: status stored -> eliminated",
        "- missiles KP-SCB-0040 removed",
    ]
    totals = {t.name: t.delta for t in result.changed_totals()}
    assert totals == {
        "missiles": -2,
        "missiles eliminated": 1,
        "missiles stored": -2,
        "missiles of class ICBM": -1,
        "missiles of class SRBM": -1,
        "missiles of type Hwasong-15": -1,
        "missiles of type Scud-B": -1,
    }


def test_diff_refuses_two_programs() -> None:
    with pytest.raises(ValueError, match="cannot compare a nuclear declaration with a missile"):
        diff_declarations(_declaration("dprk-nuclear"), _declaration("dprk-missile"))
