"""Match rules: parsing, three-valued matching, and the column form agreeing with the single one."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.compliance.event_table import EventTable
from accordwatch.compliance.events import EVENT_TYPES, Event
from accordwatch.compliance.rules import (
    AllOf,
    AnyOf,
    AttributeTest,
    Compiler,
    Not,
    Rule,
    RuleError,
    Truth,
    TypeIs,
    attributes_of,
    describe,
    match,
    parse_rule,
)

BALLISTIC = ["SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "HGV"]
BM_TECHNOLOGY = {
    "any": [
        {"type": "satellite_launch"},
        {"all": [{"type": "missile_launch"}, {"attribute": "missile_class", "in": BALLISTIC}]},
    ]
}


def event(type_name: str = "missile_launch", **attributes: Any) -> Event:
    return Event(
        event_id="t:1",
        type=type_name,
        on=date(2020, 1, 1),
        occurrence="t:2020-01-01:x",
        actor="dprk",
        attributes=attributes,
    )


def test_ballistic_missile_technology_rule() -> None:
    rule = parse_rule(BM_TECHNOLOGY)
    assert match(rule, event(missile_class="ICBM")) is Truth.TRUE
    assert match(rule, event(missile_class="icbm")) is Truth.TRUE  # case is ignored
    assert match(rule, event("satellite_launch", missile_class="SLV")) is Truth.TRUE
    assert match(rule, event(missile_class="cruise")) is Truth.FALSE
    assert match(rule, event("nuclear_test")) is Truth.FALSE
    # the source does not say which class, or what kind of launch it was
    assert match(rule, event()) is Truth.UNKNOWN
    assert match(rule, event("unclassified_launch")) is Truth.UNKNOWN


def test_type_tests_on_an_unclassified_launch() -> None:
    both = parse_rule({"type": ["missile_launch", "satellite_launch"]})
    one = parse_rule({"type": "missile_launch"})
    none = parse_rule({"type": "nuclear_test"})
    assert match(both, event("unclassified_launch")) is Truth.TRUE
    assert match(one, event("unclassified_launch")) is Truth.UNKNOWN
    assert match(none, event("unclassified_launch")) is Truth.FALSE


def test_kleene_combinators() -> None:
    unknown = parse_rule({"attribute": "distance_km", "gte": 1000})
    false = parse_rule({"type": "nuclear_test"})
    true = parse_rule({"type": "missile_launch"})
    e = event()
    assert match(unknown, e) is Truth.UNKNOWN
    assert match(AllOf((unknown, false)), e) is Truth.FALSE
    assert match(AllOf((unknown, true)), e) is Truth.UNKNOWN
    assert match(AnyOf((unknown, true)), e) is Truth.TRUE
    assert match(AnyOf((unknown, false)), e) is Truth.UNKNOWN
    assert match(Not(unknown), e) is Truth.UNKNOWN
    assert match(Not(true), e) is Truth.FALSE


def test_attribute_tests() -> None:
    far = parse_rule({"attribute": "distance_km", "gte": 1000})
    assert match(far, event(distance_km=1000)) is Truth.TRUE
    assert match(far, event(distance_km=999.5)) is Truth.FALSE
    # an attribute the type does not have is false, not unknown
    assert match(far, event("nuclear_test")) is Truth.FALSE
    known = parse_rule({"attribute": "site", "known": False})
    assert match(known, event()) is Truth.TRUE
    assert match(known, event(site="sohae")) is Truth.FALSE
    assert (
        match(parse_rule({"attribute": "site", "eq": "Sohae"}), event(site="sohae")) is Truth.TRUE
    )


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"attribute": "rnage_km", "gt": 5}, "rule.attribute", "no event type has attribute"),
        (
            {"any": [{"type": "missile_launch"}, {"attribute": "rnage"}]},
            "rule.any[1].attribute",
            "no event type has attribute 'rnage'",
        ),
        ({"type": "rocket"}, "rule.type", "unknown event type 'rocket'"),
        ({"attribute": "site", "gt": 5}, "rule.gt", "site is text"),
        ({"attribute": "distance_km", "eq": "far"}, "rule.eq", "is a number"),
        ({"attribute": "site", "in": []}, "rule.in", "non-empty list"),
        ({"all": []}, "rule.all", "non-empty list"),
        ({"all": [{"type": "nuclear_test"}], "any": []}, "rule", "must stand alone"),
        ({"eval": "__import__('os')"}, "rule", "unknown rule key"),
        ("type == 'missile_launch'", "rule", "must be a mapping"),
        ({"attribute": "site", "known": "yes"}, "rule.known", "true or false"),
        ({"attribute": "site", "eq": "a", "in": ["b"]}, "rule", "exactly one"),
    ],
)
def test_bad_rules_name_the_place(rule: Any, path: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert caught.value.path == path
    assert message in caught.value.message


def test_describe_and_attributes() -> None:
    rule = parse_rule(BM_TECHNOLOGY)
    assert describe(rule) == (
        "(type is satellite_launch or (type is missile_launch and "
        "missile_class in [SRBM, MRBM, IRBM, ICBM, SLBM, HGV]))"
    )
    assert attributes_of(rule) == {"missile_class"}
    assert describe(parse_rule({"not": {"attribute": "yield_kt", "lt": 1.5}})) == (
        "not (yield_kt < 1.5)"
    )


# -- the column form agrees with `match` on any events and rules -----------------------

TEXT_VALUES = ["SRBM", "icbm", "SLV", "sohae", "hodo", None]
NUMBERS = [None, 0, 150, 299.5, 1000, 4475]


@st.composite
def events(draw: st.DrawFn) -> Event:
    type_name = draw(st.sampled_from(sorted(EVENT_TYPES)))
    attrs: dict[str, Any] = {}
    for name in sorted(EVENT_TYPES[type_name].attributes):
        value: Any
        if name in ("distance_km", "apogee_km", "yield_kt", "magnitude_mb"):
            value = draw(st.sampled_from(NUMBERS))
        else:
            value = draw(st.sampled_from(TEXT_VALUES))
        if value is not None:
            attrs[name] = value
    return event(type_name, **attrs)


leaf = st.one_of(
    st.builds(
        lambda t: TypeIs(frozenset(t)),
        st.lists(st.sampled_from(sorted(EVENT_TYPES)), min_size=1, max_size=3),
    ),
    st.builds(
        lambda a, op, v: AttributeTest(a, op, (v,)),
        st.sampled_from(["distance_km", "yield_kt"]),
        st.sampled_from(["eq", "gt", "gte", "lt", "lte"]),
        st.sampled_from([0.0, 150.0, 299.5, 1000.0]),
    ),
    st.builds(
        lambda a, vs: AttributeTest(a, "in", tuple(v.casefold() for v in vs)),
        st.sampled_from(["missile_class", "site", "activity"]),
        st.lists(st.sampled_from(["srbm", "icbm", "slv", "sohae", "absent"]), min_size=1),
    ),
    st.builds(
        lambda a, k: AttributeTest(a, "known", known=k),
        st.sampled_from(["site", "distance_km", "missile_class"]),
        st.booleans(),
    ),
)
rules: st.SearchStrategy[Rule] = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda ps: AllOf(tuple(ps)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda ps: AnyOf(tuple(ps)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(events(), min_size=1, max_size=30), rules)
def test_columns_agree_with_single_matching(sample: list[Event], rule: Rule) -> None:
    truth = Compiler(EventTable(sample)).truth(rule)
    assert truth.dtype == np.int8
    for i, e in enumerate(sample):
        assert Truth(int(truth[i])) is match(rule, e), (describe(rule), e)
