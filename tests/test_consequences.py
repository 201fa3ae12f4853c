"""Consequences as of a date: triggered by which entries, answered or not, cleared, findings.

Pure: the DPRK example's scripted history becomes road map records directly
(index = place in the history), with responses and violations made here.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, time

from accordwatch.compliance.obligations import Instrument, Obligation
from accordwatch.compliance.responses import Response
from accordwatch.compliance.rules import parse_rule
from accordwatch.compliance.violations import Evidence, Violation
from accordwatch.examples import example_path
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.accord_check import check_file, load_accord
from accordwatch.roadmap.consequences import (
    Consequences,
    evaluate_consequences,
    with_consequences,
)
from accordwatch.roadmap.findings import FindingKind
from accordwatch.roadmap.history import Report, RoadmapRecord, Signature, VerificationResult
from accordwatch.roadmap.scenario import parse_scenario
from accordwatch.roadmap.status import evaluate


def noon(day: date | str) -> datetime:
    return datetime.combine(
        day if isinstance(day, date) else date.fromisoformat(day), time(12), tzinfo=UTC
    )


def dprk() -> tuple[Accord, list[RoadmapRecord]]:
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None
    text = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    records: list[RoadmapRecord] = []
    for index, event in enumerate(parse_scenario(text, accord)):
        p = event.payload
        if event.record_type == "accord.signature":
            records.append(Signature(index, noon(event.on), event.party, accord))
        elif event.record_type == "step.report":
            records.append(
                Report(index, noon(event.on), event.party, accord.id, p["step"], event.on)
            )
        else:
            verified = p["result"] == "verified"
            records.append(
                VerificationResult(
                    index, noon(event.on), event.party, accord.id, p["step"], event.on, verified
                )
            )
    return accord, records


def index_of(records: list[RoadmapRecord], kind: type, step: str, day: str) -> int:
    return next(
        r.index
        for r in records
        if isinstance(r, kind)
        and isinstance(r, Report | VerificationResult)
        and r.step == step
        and r.on == date.fromisoformat(day)
    )


def response(index: int, to: str, on: str, kind: str = "resumed-exercise") -> Response:
    return Response(index, noon("2022-12-01"), "usa", (to,), kind, date.fromisoformat(on))


def consequences(
    records: list[RoadmapRecord],
    day: str,
    responses: tuple[Response, ...] = (),
    violations: tuple[Violation, ...] = (),
) -> Consequences:
    status = evaluate(records, date.fromisoformat(day))
    return evaluate_consequences(records, status, violations, responses)


def test_dprk_history_triggers_answers_clears_and_finds_a_concession_while_suspended() -> None:
    _, records = dprk()
    answer = response(1000, "resume-exercises/2021-02-15", "2021-03-10")
    found = consequences(records, "2021-12-31", (answer,))
    by_id = {c.id: c for c in found.items}
    assert list(by_id) == [
        "resume-exercises",
        "enforce-sanctions",
        "moratorium-broken",
        "suspend-inspector-access",
        "suspend-missile-freeze",
    ]

    # The nuclear declaration found not verified: answered in time, cleared when accepted.
    (exercises,) = by_id["resume-exercises"].occasions
    assert exercises.id == "resume-exercises/2021-02-15"
    assert exercises.entries == (
        index_of(records, VerificationResult, "declare-nuclear", "2021-02-15"),
    )
    assert "found not verified" in exercises.why
    assert exercises.state == "answered"
    assert exercises.response is not None and exercises.response.days == 23
    assert exercises.cleared_on == date(2021, 4, 20)
    assert exercises.cleared_by == index_of(
        records, VerificationResult, "declare-nuclear", "2021-04-20"
    )

    # The missile declaration 30 days overdue on 30 January: never answered.
    (sanctions,) = by_id["enforce-sanctions"].occasions
    assert sanctions.triggered_on == date(2021, 1, 30)
    completing = evaluate(records, date(2021, 12, 31)).in_force
    assert completing is not None and sanctions.entries == (completing.index,)
    assert sanctions.state == "unanswered" and sanctions.respond_by == date(2021, 3, 1)
    assert sanctions.cleared_on == date(2021, 5, 10)

    # Relief tranche 1 was 25 days late: DPRK's 30 days never ran out.
    assert by_id["suspend-inspector-access"].occasions == ()
    assert by_id["moratorium-broken"].occasions == ()

    # The liaison office opened on 5 May while enforce-sanctions held it back.
    (finding,) = found.findings
    assert finding.kind is FindingKind.CONCESSION_WHILE_SUSPENDED
    assert finding.step == "usa-liaison-office" and finding.date == date(2021, 5, 5)
    report = index_of(records, Report, "usa-liaison-office", "2021-05-05")
    assert finding.indices == tuple(sorted((report, completing.index)))
    assert "enforce-sanctions/2021-01-30" in finding.message

    totals = found.totals
    assert totals["triggered"] == 2
    assert totals["answered"] == 1
    assert totals["unanswered"] == 1
    assert totals["without_response_within_window"] == 1
    assert totals["standing"] == 0
    assert totals["concessions_while_suspended"] == 1


def test_as_of_an_earlier_date() -> None:
    _, records = dprk()
    early = consequences(records, "2021-02-01")
    (sanctions,) = next(c for c in early.items if c.id == "enforce-sanctions").occasions
    assert sanctions.state == "open" and sanctions.standing
    assert early.totals == {
        "consequences": 5,
        "triggered": 1,
        "standing": 1,
        "answered": 0,
        "late": 0,
        "unanswered": 0,
        "open": 1,
        "without_response_within_window": 0,
        "concessions_while_suspended": 0,
    }
    assert consequences(records, "2021-01-29").totals["triggered"] == 0


def test_responses_that_do_not_count() -> None:
    _, records = dprk()
    to = "resume-exercises/2021-02-15"
    ignored = (
        response(1000, to, "2021-03-01", kind="none-decided"),
        response(1001, "resume-exercises/2021-02-16", "2021-03-01"),
    )
    (occasion,) = next(
        c for c in consequences(records, "2021-12-31", ignored).items if c.id == "resume-exercises"
    ).occasions
    assert occasion.state == "unanswered"
    late = (response(1002, to, "2021-04-01"),)
    (occasion,) = next(
        c for c in consequences(records, "2021-12-31", late).items if c.id == "resume-exercises"
    ).occasions
    assert occasion.state == "late" and occasion.response is not None


def test_status_carries_the_findings_of_its_consequences() -> None:
    _, records = dprk()
    status = evaluate(records, date(2021, 12, 31))
    found = evaluate_consequences(records, status)
    merged = with_consequences(status, found)
    kinds = [f.kind for f in merged.findings]
    assert kinds.count(FindingKind.CONCESSION_WHILE_SUSPENDED) == 1
    assert len(merged.findings) == len(status.findings) + 1
    as_json = found.to_json()
    assert as_json["format"] == "accordwatch.consequences/1"
    assert as_json["consequences"][1]["occasions"][0]["id"] == "enforce-sanctions/2021-01-30"


SMALL = """\
id: small
title: A small accord
parties:
  - {id: a, name: A, role: inspected}
  - {id: b, name: B, role: counterpart}
  - {id: i, name: I, role: inspectorate}
obligations:
  - {id: no-tests, party: a, text: No tests, rule: {type: nuclear_test}}
phases:
  - {id: p1, title: P, ends: 2020-12-31}
steps:
  - {id: s1, title: S1, phase: p1, party: a, kind: declare, deadline: 2020-03-31,
     verification: {method: inspectorate, by: i}}
  - {id: c1, title: C1, phase: p1, party: b, kind: concession, deadline: end of phase,
     verification: {method: acknowledgment, by: a}}
consequences:
"""


def small(consequences_yaml: str) -> Accord:
    result = load_accord(SMALL + textwrap.indent(textwrap.dedent(consequences_yaml), "  "))
    assert result.accord is not None, result.format()
    return result.accord


def signed(accord: Accord) -> list[RoadmapRecord]:
    return [Signature(i, noon("2020-01-02"), p.id, accord) for i, p in enumerate(accord.parties)]


def violation(accord: Accord, on: str, entry: int, *, certain: bool = True) -> Violation:
    instrument = Instrument(accord.id, accord.title, "accord", date(2020, 1, 2), True)
    obligation = Obligation(
        f"{accord.id}.no-tests",
        instrument,
        "a",
        date(2020, 1, 2),
        None,
        "No tests",
        parse_rule({"type": "nuclear_test"}),
    )
    return Violation(
        id=f"test-{on}/{obligation.id}",
        occurrence=f"test-{on}",
        on=date.fromisoformat(on),
        obligation=obligation,
        certain=certain,
        missiles=1,
        types=("nuclear_test",),
        classes=(),
        evidence=(Evidence(f"test-{on}", entry, None, certain),),
    )


def test_violations_fire_each_time_without_until_and_uncertain_ones_do_not() -> None:
    accord = small(
        """\
        - id: answer-tests
          party: b
          when: {violation: {obligation: no-tests}}
          respond: {kind: protest, within_days: 10}
          suspends: [c1]
          text: B protests each test and holds back its concession.
        """
    )
    records = signed(accord)
    found = [
        violation(accord, "2019-12-01", 90),  # before entry into force: never fires
        violation(accord, "2020-05-01", 91),
        violation(accord, "2020-06-01", 92, certain=False),
        violation(accord, "2020-07-01", 93),
    ]
    records.append(Report(10, noon("2020-08-01"), "b", "small", "c1", date(2020, 8, 1)))
    status = evaluate(records, date(2020, 9, 1))
    result = evaluate_consequences(records, status, found)
    (item,) = result.items
    assert [(o.id, o.entries) for o in item.occasions] == [
        ("answer-tests/2020-05-01", (91,)),
        ("answer-tests/2020-07-01", (93,)),
    ]
    assert all(o.standing for o in item.occasions)
    assert [f.indices for f in result.findings] == [(10, 91), (10, 93)]


def test_all_fires_once_every_part_has_and_until_clears() -> None:
    accord = small(
        """\
        - id: both
          party: b
          when:
            all:
              - overdue: {step: s1, days: 10}
              - verification: {step: c1, result: verified}
          respond: {kind: protest, within_days: 10}
          until: {step: s1, verified: true}
          text: Both happened.
        """
    )
    records = signed(accord)
    records += [
        Report(10, noon("2020-03-01"), "b", "small", "c1", date(2020, 3, 1)),
        VerificationResult(11, noon("2020-05-01"), "a", "small", "c1", date(2020, 5, 1), True),
        Report(12, noon("2020-06-01"), "a", "small", "s1", date(2020, 6, 1)),
        VerificationResult(13, noon("2020-06-15"), "i", "small", "s1", date(2020, 6, 15), True),
    ]
    status = evaluate(records, date(2020, 12, 1))
    (item,) = evaluate_consequences(records, status).items
    (occasion,) = item.occasions
    # s1 overdue by 10 days on 10 April; c1 verified on 1 May: both by 1 May.
    assert occasion.triggered_on == date(2020, 5, 1)
    assert occasion.entries == (2, 11)  # the completing signature and the verification
    assert occasion.cleared_on == date(2020, 6, 15) and occasion.cleared_by == 13
    assert occasion.state == "unanswered"
