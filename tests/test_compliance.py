"""Obligations and their evaluation: each resolution from its own date, binding or not."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from accordwatch.compliance.events import Event, LoggedEvent, current_events
from accordwatch.compliance.obligations import (
    builtin_obligations,
    combine,
    load_obligations,
    read_obligations,
)
from accordwatch.compliance.violations import evaluate, violation_id
from accordwatch.errors import InputError
from tests.conftest import SHARED

AS_OF = date(2026, 11, 1)


def launch(
    on: date,
    missile_class: str | None = "SRBM",
    type_name: str = "missile_launch",
    *,
    site: str = "sohae",
    count: int = 1,
    key: str | None = None,
    actor: str = "dprk",
    precision: str = "day",
) -> Event:
    attrs: dict[str, Any] = {"site": site}
    if missile_class is not None:
        attrs["missile_class"] = missile_class
    return Event(
        event_id=f"test:{key or on.isoformat() + site}",
        type=type_name,
        on=on,
        occurrence=f"test:{on.isoformat()}:{site}",
        actor=actor,
        attributes=attrs,
        count=count,
        precision=precision,
    )


def binding_instruments(events: list[Event]) -> set[str]:
    found = evaluate(events, builtin_obligations(), AS_OF).violations()
    return {v.instrument for v in found if v.certain}


def test_a_2005_launch_violates_nothing_binding() -> None:
    ev = evaluate([launch(date(2005, 5, 1))], builtin_obligations(), AS_OF)
    assert ev.violations() == []
    assert ev.violations(binding=False) == []


def test_a_launch_between_1695_and_1718_violates_only_what_does_not_bind() -> None:
    ev = evaluate([launch(date(2006, 8, 1), "MRBM")], builtin_obligations(), AS_OF)
    assert ev.violations() == []
    assert [v.instrument for v in ev.violations(binding=False)] == ["unsc-1695"]


def test_a_2007_launch_violates_1718() -> None:
    assert binding_instruments([launch(date(2007, 6, 1))]) == {"unsc-1718"}


def test_a_2012_satellite_launch_violates_1874_and_not_1718() -> None:
    sat = launch(date(2012, 12, 12), "SLV", "satellite_launch")
    assert binding_instruments([sat]) == {"unsc-1874"}


def test_a_2009_satellite_launch_before_1874_violates_nothing_binding() -> None:
    # 1718 forbids launches of ballistic missiles; satellite launches only from 1874 on
    assert binding_instruments([launch(date(2009, 4, 5), "SLV", "satellite_launch")]) == set()


def test_each_resolution_takes_effect_on_its_own_adoption_date() -> None:
    obligations = builtin_obligations()
    with (SHARED / "data" / "unsc_resolutions.csv").open(encoding="utf-8") as f:
        adopted = {
            f"unsc-{row['resolution']}": date.fromisoformat(row["adopted_date"])
            for row in csv.DictReader(f)
            if row["event_types_covered"]
        }
    assert {i.id for i in obligations.instruments} == set(adopted)
    for ob in obligations.obligations:
        assert ob.effective == adopted[ob.instrument.id], ob.id
        on_the_day = launch(ob.effective, "ICBM")
        day_before = launch(date.fromordinal(ob.effective.toordinal() - 1), "ICBM")
        found = {
            v.obligation.id
            for v in evaluate([on_the_day, day_before], obligations, AS_OF).violations(
                binding=ob.binding
            )
            if v.on == on_the_day.on
        }
        before = {
            v.obligation.id
            for v in evaluate([day_before], obligations, AS_OF).violations(binding=ob.binding)
        }
        if "launch" in ob.id or "technology" in ob.id:
            assert ob.id in found and ob.id not in before, ob.id
    assert {i.id for i in obligations.instruments if not i.binding} == {"unsc-1695"}


def test_nuclear_tests_and_the_year_they_fall_in() -> None:
    def test(on: date) -> Event:
        return Event(f"t:{on}", "nuclear_test", on, f"t:{on}", "dprk", {"site": "punggye-ri"})

    # the 2006 test came before 1718; the 2009 one after
    assert binding_instruments([test(date(2006, 10, 9))]) == set()
    assert binding_instruments([test(date(2009, 5, 25))]) == {"unsc-1718"}
    # as the Council's draft of 2375 lists them: 1718 to 2371
    assert binding_instruments([test(date(2017, 9, 3))]) == {
        f"unsc-{n}" for n in (1718, 1874, 2087, 2094, 2270, 2321, 2356, 2371)
    }


def test_an_unclassified_launch_is_uncertain_and_says_why() -> None:
    unknown = launch(date(2019, 4, 17), None, "unclassified_launch")
    ev = evaluate([unknown], builtin_obligations(), AS_OF)
    found = ev.violations()
    assert found and not any(v.certain for v in found)
    assert "does not say what kind of launch" in found[0].evidence[0].uncertain_because
    assert ev.row_status.tolist() == [1]


def test_an_occurrence_is_certain_if_any_row_is() -> None:
    day = date(2022, 11, 2)
    rows = [
        launch(day, "SRBM", key="a", count=2),
        launch(day, None, "unclassified_launch", key="b", count=3),
    ]
    ev = evaluate(rows, builtin_obligations(), AS_OF)
    one = [v for v in ev.violations() if v.instrument == "unsc-2397"]
    assert len(one) == 1 and one[0].certain and one[0].missiles == 2
    assert one[0].id == violation_id(f"test:{day}:sohae", "unsc-2397-bm-technology")
    assert [e.certain for e in one[0].evidence] == [True, False]


def test_a_month_only_date_around_an_adoption_is_uncertain() -> None:
    october = launch(date(2006, 10, 1), "SRBM", precision="month")
    ev = evaluate([october], builtin_obligations(), AS_OF)
    found = [v for v in ev.violations() if v.instrument == "unsc-1718"]
    assert len(found) == 1 and not found[0].certain
    assert "dated only to the month" in found[0].evidence[0].uncertain_because
    # November 2006 lies wholly after 14 October: certain
    assert binding_instruments([launch(date(2006, 11, 1), precision="month")]) == {"unsc-1718"}


def test_only_the_bound_party_is_checked() -> None:
    assert binding_instruments([launch(date(2016, 1, 1), actor="rok")]) == set()


def test_ends_and_custom_obligations(tmp_path: Path) -> None:
    path = tmp_path / "moratorium.yaml"
    path.write_text(
        """
format: accordwatch/obligations/v1
instruments:
  - {id: roadmap-moratorium, title: Test moratorium, kind: accord clause,
     adopted: 2020-01-01, binding: true}
obligations:
  - id: no-long-range
    instrument: roadmap-moratorium
    party: dprk
    effective: 2020-02-01
    ends: 2020-12-31
    text: No launch reaching 1000 km or more.
    rule:
      all:
        - {type: [missile_launch, satellite_launch]}
        - {attribute: distance_km, gte: 1000}
""",
        encoding="utf-8",
    )
    mine = read_obligations(path)
    both = combine(builtin_obligations(), mine)
    assert len(both.obligations) == len(builtin_obligations().obligations) + 1

    def far(on: date, km: float | None) -> Event:
        attrs = {"missile_class": "ICBM"} | ({"distance_km": km} if km is not None else {})
        return Event(f"t:{on}{km}", "missile_launch", on, f"t:{on}:{km}", "dprk", attrs)

    rows = [
        far(date(2020, 1, 15), 2000),
        far(date(2020, 3, 1), 2000),
        far(date(2020, 3, 2), 500),
        far(date(2020, 3, 3), None),
        far(date(2021, 1, 1), 2000),
    ]
    found = evaluate(rows, mine, AS_OF).violations()
    assert [(v.on, v.certain) for v in found] == [
        (date(2020, 3, 1), True),
        (date(2020, 3, 3), False),
    ]
    with pytest.raises(InputError, match="defined in two files"):
        combine(mine, mine)


BASE = """format: accordwatch/obligations/v1
instruments:
  - {id: res-1, title: R1, kind: resolution, adopted: 2010-05-01, binding: true}
obligations:
  - id: ob-1
    instrument: res-1
    party: dprk
    text: No tests.
    rule:
      any:
        - {type: nuclear_test}
        - {attribute: missile_class, in: [ICBM]}
"""


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (("missile_class, in", "rnage_km, in"), "f.yaml:12:23", "no event type has attribute"),
        (
            ("    text: No tests.", "    effective: 2010-04-30\n    text: No tests."),
            "f.yaml:8:16",
            "before its instrument res-1 was adopted (2010-05-01)",
        ),
        (
            ("    text: No tests.", "    ends: 2009-01-01\n    text: No tests."),
            "f.yaml:8:11",
            "ends (2009-01-01) before it takes effect",
        ),
        (("instrument: res-1", "instrument: res-2"), "f.yaml:6:17", "unknown instrument 'res-2'"),
        (
            ("    party: dprk", "    party: dprk\n    colour: red"),
            "f.yaml:8:5",
            "unknown field 'colour'",
        ),
        (("adopted: 2010-05-01", "adopted: 2010-13-01"), "f.yaml:3:", "adopted"),
        (("{type: nuclear_test}", "{type: nuclear test}"), "f.yaml:11:", "unknown event type"),
        (("format: accordwatch/obligations/v1", "format: v2"), "f.yaml:1:9", "format 'v2'"),
        (("    text: No tests.", "    text: [No tests"), "f.yaml:", "malformed YAML"),
    ],
)
def test_bad_obligation_files_name_file_line_and_field(
    change: tuple[str, str], where: str, message: str
) -> None:
    assert change[0] in BASE
    with pytest.raises(InputError) as caught:
        load_obligations(BASE.replace(change[0], change[1]), file="f.yaml")
    assert caught.value.where is not None and caught.value.where.startswith(where)
    assert message in caught.value.message
    assert "\n" not in caught.value.diagnostic()


def test_current_events_take_the_latest_version_of_a_row() -> None:
    from datetime import UTC, datetime

    first = launch(date(2019, 5, 4), "SRBM", key="120")
    corrected = launch(date(2019, 5, 4), "MRBM", key="120")
    logged = [
        LoggedEvent(5, datetime(2026, 1, 1, tzinfo=UTC), "cns", first),
        LoggedEvent(9, datetime(2026, 2, 1, tzinfo=UTC), "cns", corrected, supersedes=5),
    ]
    now = current_events(logged, date(2026, 3, 1))
    assert [e.attributes["missile_class"] for e in now.events] == ["MRBM"]
    assert now.superseded == 1 and now.events[0].superseded == (5,)
    # the log as it stood before the correction (a snapshot without it): the first version
    then = current_events(logged[:1], date(2026, 3, 1))
    assert [e.attributes["missile_class"] for e in then.events] == ["SRBM"]
    # an event is dated by its occurrence, not by when the log learnt of it
    assert len(current_events(logged, date(2019, 5, 4)).events) == 1
    assert current_events(logged, date(2019, 5, 3)).events == []
