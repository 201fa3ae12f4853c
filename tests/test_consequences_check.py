"""`accord check` of consequences: every error at its line and column."""

from __future__ import annotations

import textwrap

from accordwatch.roadmap.accord_check import load_accord
from accordwatch.roadmap.consequence_terms import (
    AllTrigger,
    AnyTrigger,
    Overdue,
    VerificationIs,
    ViolationOf,
)

HEAD = """\
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
  - {id: s1, title: S1, phase: p1, party: a, kind: declare, deadline: 2020-06-30,
     verification: {method: inspectorate, by: i}}
  - {id: s2, title: S2, phase: p1, party: a, kind: dismantle, deadline: end of phase,
     requires: [c1], verification: {method: inspectorate, by: i}}
  - {id: c1, title: C1, phase: p1, party: b, kind: concession, deadline: end of phase,
     requires: [s1], verification: {method: acknowledgment, by: a}}
consequences:
"""


def check(consequences: str) -> list[str]:
    text = HEAD + textwrap.indent(textwrap.dedent(consequences), "  ")
    result = load_accord(text, "f.yaml")
    return [p.format() for p in result.problems]


def test_a_sound_consequence_parses_with_its_trigger() -> None:
    text = HEAD + textwrap.indent(
        textwrap.dedent(
            """\
            - id: hold
              party: b
              when:
                any:
                  - overdue: {step: s1, days: 30}
                  - violation: {obligation: small.no-tests}
                  - all:
                      - verification: {step: s1, result: not-verified}
                      - violation: {obligation: unsc-1718-nuclear-test}
              respond: {kind: resume-exercises, within_days: 30}
              suspends: [c1]
              until: {step: s1, verified: true}
              text: B holds back its concession.
            """
        ),
        "  ",
    )
    result = load_accord(text, "f.yaml")
    assert result.problems == [], result.format()
    assert result.accord is not None
    consequence = result.accord.consequence("hold")
    assert consequence.trigger == AnyTrigger(
        (
            Overdue("s1", 30),
            ViolationOf("small.no-tests"),
            AllTrigger((VerificationIs("s1", False), ViolationOf("unsc-1718-nuclear-test"))),
        )
    )
    assert "consequences" in result.accord.model_dump(mode="json")


def test_an_accord_without_consequences_keeps_its_digest() -> None:
    bare = load_accord(HEAD.removesuffix("consequences:\n"), "f.yaml").accord
    empty = load_accord(HEAD + "  []\n", "f.yaml").accord
    assert bare is not None and empty is not None
    assert bare.digest() == empty.digest()
    assert "consequences" not in bare.model_dump(mode="json")


def test_unknown_steps_parties_and_obligations_are_errors_where_they_are() -> None:
    problems = check(
        """\
        - id: x
          party: zz
          when:
            any:
              - overdue: {step: s9, days: 30}
              - verification: {step: s1, result: verified}
              - violation: {obligation: no-such}
          respond: {kind: r, within_days: 30}
          suspends: [c9]
          until: {step: s8}
          text: x
        """
    )
    assert problems == [
        "f.yaml:20:12: error: consequence 'x': acting party 'zz' is not declared",
        "f.yaml:23:27: error: consequence 'x': overdue trigger's step 's9' is not declared",
        "f.yaml:25:35: error: consequence 'x': violation trigger's obligation 'no-such' is not "
        "declared (neither the accord's nor a shipped resolution's)",
        "f.yaml:27:16: error: consequence 'x': suspended step 'c9' is not declared",
        "f.yaml:28:19: error: consequence 'x': cleared by step 's8' is not declared",
    ]


def test_triggers_that_can_never_fire() -> None:
    problems = check(
        """\
        - id: x
          party: b
          when:
            any:
              - violation: {obligation: unsc-1695-missile-launch}
              - all: []
          respond: {kind: r, within_days: 30}
          text: x
        """
    )
    assert len(problems) == 2
    assert problems[0].startswith("f.yaml:23:35: error: consequence 'x': violation trigger")
    assert "non-binding resolution" in problems[0] and "can never fire" in problems[0]
    assert problems[1] == (
        "f.yaml:24:16: error: consequence 'x': trigger 'all' lists no trigger: it can never fire"
    )


def test_a_suspended_step_must_be_a_concession() -> None:
    problems = check(
        """\
        - id: x
          party: b
          when: {overdue: {step: s1, days: 0}}
          respond: {kind: r, within_days: 30}
          suspends: [c1, s1]
          text: x
        """
    )
    assert problems == [
        "f.yaml:23:20: error: consequence 'x': suspends step 's1', a 'declare' step: only "
        "concessions are held back"
    ]


def test_a_cycle_between_a_consequence_and_requirements() -> None:
    # c1 is held back until s2 is verified, but s2 requires c1.
    problems = check(
        """\
        - id: x
          party: b
          when: {overdue: {step: s1, days: 10}}
          respond: {kind: r, within_days: 30}
          suspends: [c1]
          until: {step: s2, verified: true}
          text: x
        """
    )
    assert problems == [
        "f.yaml:23:16: error: consequence 'x': holds back 'c1' until 's2' is verified, but "
        "that waits for 'c1' (c1 -> s2 -> c1): the consequence can never be cleared"
    ]


def test_malformed_triggers_are_placed_inside_the_trigger() -> None:
    problems = check(
        """\
        - id: x
          party: b
          when:
            all:
              - overdue: {step: s1, days: soon}
              - verification: {step: s1, result: maybe}
          respond: {kind: r, within_days: 0}
          until: {step: s1, verified: false}
          bogus: 1
          text: x
        """
    )
    assert problems[0] == (
        "f.yaml:23:37: error: consequence 'x': when.all[0].overdue.days: must be a whole number "
        "of days, got 'soon'"
    )
    assert problems[1:] == [
        "f.yaml:25:37: error: consequence 'x': respond.within_days must be greater than or "
        "equal to 1, got 0",
        "f.yaml:26:33: error: consequence 'x': until.verified must be True, got False",
        "f.yaml:27:5: error: consequence 'x': unknown field 'bogus'",
    ]


def test_duplicate_consequence_ids() -> None:
    problems = check(
        """\
        - {id: x, party: b, when: {overdue: {step: s1, days: 1}},
           respond: {kind: r, within_days: 9}, text: x}
        - {id: x, party: b, when: {overdue: {step: s1, days: 2}},
           respond: {kind: r, within_days: 9}, text: x}
        """
    )
    assert problems == ["f.yaml:21:10: error: duplicate consequence id 'x' (first at line 19)"]


def test_accord_diff_names_a_changed_consequence() -> None:
    from accordwatch.roadmap.diff import diff_accords

    one = """\
    - id: x
      party: b
      when: {overdue: {step: s1, days: 30}}
      respond: {kind: r, within_days: 30}
      text: x
    """
    old = load_accord(HEAD + textwrap.indent(textwrap.dedent(one), "  ")).accord
    new = load_accord(
        HEAD + textwrap.indent(textwrap.dedent(one.replace("days: 30}}", "days: 90}}")), "  ")
    ).accord
    assert old is not None and new is not None
    (change,) = diff_accords(old, new)
    assert change.describe() == (
        "consequence x: when {'overdue': {'step': 's1', 'days': 30}} -> "
        "{'overdue': {'step': 's1', 'days': 90}}"
    )
