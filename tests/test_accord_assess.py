"""accord assess: a draft's weaknesses, the Monte Carlo of delays, --against, the command."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from accordwatch.cli import main as cli_main
from accordwatch.errors import InputError
from accordwatch.examples import example_path
from accordwatch.roadmap.accord_check import check_file, load_accord
from accordwatch.roadmap.amendment import compare
from accordwatch.roadmap.assessment import Assessment, Code, assess
from accordwatch.roadmap.delays_file import load_delays
from tests.helpers import ANSI, Run, one_line_error

Cli = Callable[..., Run]

RUNS = 400


def base() -> dict[str, Any]:
    """A sound draft: a verified freeze and declaration earn one concession."""
    return {
        "id": "draft",
        "title": "A draft",
        "parties": [
            {"id": "a", "name": "A", "role": "inspected"},
            {"id": "b", "name": "B", "role": "counterpart"},
            {"id": "agency", "name": "Agency", "role": "inspectorate"},
        ],
        "phases": [{"id": "one", "title": "One", "ends": "2025-12-31"}],
        "obligations": [
            {"id": "no-tests", "party": "a", "text": "No test.", "rule": {"type": "nuclear_test"}}
        ],
        "steps": [
            _step("a-declare", "a", "declare", "2025-02-28", "declaration accepted", weight=2),
            _step("a-freeze", "a", "freeze", "2025-03-31", "inspectorate", weight=2),
            _step(
                "b-relief",
                "b",
                "concession",
                "30d after a-freeze verified",
                "acknowledgment",
                requires=["a-declare", "a-freeze"],
            ),
        ],
        "consequences": [
            _consequence("late-declare", "b", {"overdue": {"step": "a-declare", "days": 0}}),
            _consequence("late-freeze", "b", {"overdue": {"step": "a-freeze", "days": 0}}),
            _consequence("late-relief", "a", {"overdue": {"step": "b-relief", "days": 0}}),
            _consequence("tests", "b", {"violation": {"obligation": "draft.no-tests"}}),
        ],
    }


def _step(
    ident: str,
    party: str,
    kind: str,
    deadline: str,
    method: str,
    *,
    requires: list[str] | None = None,
    weight: float = 1,
    within_days: int | None = None,
) -> dict[str, Any]:
    by = "agency" if method != "acknowledgment" else ("b" if party == "a" else "a")
    verification: dict[str, Any] = {"method": method, "by": by}
    if within_days is not None:
        verification["within_days"] = within_days
    return {
        "id": ident,
        "title": ident,
        "phase": "one",
        "party": party,
        "kind": kind,
        "deadline": deadline,
        "requires": requires or [],
        "verification": verification,
        "weight": weight,
    }


def _consequence(ident: str, party: str, when: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ident,
        "party": party,
        "when": when,
        "respond": {"kind": "protest", "within_days": 30},
        "text": "A response.",
    }


def assessed(data: dict[str, Any], *, runs: int = RUNS, seed: int = 1) -> Assessment:
    text = yaml.safe_dump(data, sort_keys=False)
    result = load_accord(text, "draft.yaml")
    assert result.accord is not None, result.format()
    return assess(result.accord, result.document, source="draft.yaml", runs=runs, seed=seed)


def codes(assessment: Assessment) -> set[tuple[str, str, str]]:
    return {(w.code.value, w.severity, w.subject) for w in assessment.weaknesses}


def find(assessment: Assessment, code: Code) -> list[Any]:
    return [w for w in assessment.weaknesses if w.code is code]


# --- each weakness ----------------------------------------------------------------------------


def test_a_sound_draft_has_no_weakness() -> None:
    result = assessed(base())
    assert result.weaknesses == ()
    assert result.exposure.weight == 0
    assert result.monte_carlo.p_ahead == 0


def test_a_concession_that_requires_nothing_is_given_for_promises() -> None:
    data = base()
    data["steps"][2]["requires"] = []
    data["steps"][2]["deadline"] = "2025-06-30"
    found = find(assessed(data), Code.CONCESSION_FOR_PROMISES)
    assert [(w.subject, w.severity, w.steps) for w in found] == [
        ("b-relief", "error", ("b-relief",))
    ]


def test_a_concession_resting_on_acknowledged_steps_only() -> None:
    data = base()
    data["steps"][1]["verification"] = {"method": "acknowledgment", "by": "b"}
    data["steps"][2]["requires"] = ["a-freeze"]
    result = assessed(data)
    (found,) = find(result, Code.CONCESSION_ON_ACKNOWLEDGMENT)
    assert found.severity == "error"
    assert found.steps == ("b-relief", "a-freeze")
    # the acknowledged freeze is itself a step without verification on the ground
    assert ("step without verification", "warning", "a-freeze") in codes(result)


def _irreversible(data: dict[str, Any]) -> dict[str, Any]:
    data["kinds"] = [
        {"id": "sanctions-lift", "of": "concession", "reversible": False},
        {"id": "dismantle", "reversible": False},
    ]
    data["steps"][2]["kind"] = "sanctions-lift"
    return data


def test_an_irreversible_concession_resting_on_no_irreversible_step_is_an_error() -> None:
    (found,) = find(assessed(_irreversible(base())), Code.IRREVERSIBLE_CONCESSION_FIRST)
    assert found.severity == "error"
    assert "the inspected party takes none" in found.message


def test_an_irreversible_concession_before_some_irreversible_steps_is_a_warning() -> None:
    data = _irreversible(base())
    data["steps"].append(_step("a-dismantle", "a", "dismantle", "2025-04-30", "inspectorate"))
    data["steps"].append(_step("a-dismantle-2", "a", "dismantle", "2025-11-30", "inspectorate"))
    data["steps"][2]["requires"].append("a-dismantle")
    (found,) = find(assessed(data), Code.IRREVERSIBLE_CONCESSION_FIRST)
    assert found.severity == "warning"
    assert found.steps == ("b-relief", "a-dismantle-2")
    data["steps"][2]["requires"].append("a-dismantle-2")
    data["steps"][2]["deadline"] = "2025-12-31"
    assert find(assessed(data), Code.IRREVERSIBLE_CONCESSION_FIRST) == []


def test_the_largest_exposure_on_the_deadline_schedule() -> None:
    data = base()
    # 3 of relief for promises on 2025-05-01, before the declaration (weight 2, due
    # 2025-02-28) is verified at the end of its 90-day window, on 2025-05-29
    data["steps"].append(
        _step("b-early", "b", "concession", "2025-05-01", "acknowledgment", weight=3)
    )
    data["consequences"].append(
        _consequence("late-early", "a", {"overdue": {"step": "b-early", "days": 0}})
    )
    result = assessed(data)
    assert result.exposure.weight == 3
    assert str(result.exposure.on) == "2025-05-01"
    assert result.exposure.concessions == ("b-early",)
    (found,) = find(result, Code.EXPOSURE)
    assert found.severity == "error"


def test_an_inspected_step_whose_deadline_waits_for_the_other_side() -> None:
    data = base()
    data["steps"].append(
        _step("a-shut", "a", "freeze", "60d after b-relief reported", "inspectorate")
    )
    result = assessed(data)
    (found,) = find(result, Code.STEP_WITHOUT_DEADLINE)
    assert found.steps == ("a-shut", "b-relief")
    assert "b's step b-relief is reported" in found.message


def test_declarations_no_step_requires_and_phases_without_one() -> None:
    data = base()
    data["steps"][2]["requires"] = ["a-freeze"]
    result = assessed(data)
    assert ("declaration not required", "warning", "a-declare") in codes(result)
    assert find(result, Code.PHASE_WITHOUT_DECLARATION) == []
    data["steps"] = [s for s in data["steps"] if s["id"] != "a-declare"]
    data["consequences"] = data["consequences"][1:]
    (phase,) = find(assessed(data), Code.PHASE_WITHOUT_DECLARATION)
    assert phase.subject == "one"
    assert phase.steps == ("a-freeze",)


def test_deadlines_and_obligations_without_consequence() -> None:
    data = base()
    data["consequences"] = data["consequences"][1:3]  # no late-declare, no tests
    result = assessed(data)
    assert find(result, Code.DEADLINE_WITHOUT_CONSEQUENCE)[0].subject == "a-declare"
    assert [w.subject for w in find(result, Code.DEADLINE_WITHOUT_CONSEQUENCE)] == ["a-declare"]
    assert [w.subject for w in find(result, Code.OBLIGATION_WITHOUT_CONSEQUENCE)] == ["no-tests"]
    # an obligation may be named by its bare id too, inside any: or all:
    data["consequences"].append(
        _consequence(
            "both",
            "b",
            {
                "any": [
                    {"violation": {"obligation": "no-tests"}},
                    {"overdue": {"step": "a-declare", "days": 10}},
                ]
            },
        )
    )
    assert assessed(data).weaknesses == ()


def test_weaknesses_are_placed_where_the_file_says_it() -> None:
    text = example_path("weak-freeze").read_text("utf-8")
    lines = text.splitlines()
    result = check_file(example_path("weak-freeze"))
    assert result.accord is not None
    found = assess(result.accord, result.document, source="w", runs=50, seed=1)
    for weakness in found.weaknesses:
        line = lines[weakness.line - 1]
        assert weakness.column <= len(line)
        if weakness.code is Code.STEP_WITHOUT_VERIFICATION:
            assert line[weakness.column - 1 :].startswith("acknowledgment")
        if weakness.code is Code.DEADLINE_WITHOUT_CONSEQUENCE:
            assert line.strip().startswith("deadline:")


# --- the shipped drafts -----------------------------------------------------------------------


def _example(name: str, runs: int = RUNS, seed: int = 1) -> Assessment:
    result = check_file(example_path(name))
    assert result.accord is not None
    return assess(result.accord, result.document, source=name, runs=runs, seed=seed)


def test_the_weak_draft_names_unverified_concessions_declarations_and_consequences() -> None:
    result = _example("weak-freeze")
    found = codes(result)
    assert ("concession for promises", "error", "usa-suspend-exercises") in found
    assert ("concession on acknowledgment", "error", "usa-lift-sanctions") in found
    assert ("irreversible concession first", "error", "usa-peace-declaration") in found
    assert {w.subject for w in find(result, Code.PHASE_WITHOUT_DECLARATION)} == {
        "freeze",
        "relief",
    }
    assert len(find(result, Code.DEADLINE_WITHOUT_CONSEQUENCE)) == 6
    assert [w.subject for w in find(result, Code.OBLIGATION_WITHOUT_CONSEQUENCE)] == [
        "nuclear-test-moratorium"
    ]
    assert result.exposure.weight == 3
    assert result.monte_carlo.p_ahead == 1.0


def test_the_dprk_example_has_no_error_and_gives_the_monte_carlo_figures() -> None:
    result = _example("dprk-roadmap")
    assert result.errors == ()
    mc = result.monte_carlo
    assert mc.delays_from == "draft"
    assert mc.p_ahead == 0.0
    assert mc.completion[5] <= mc.completion[50] <= mc.completion[95]
    assert mc.completion[50].year in (2025, 2026)
    assert len(mc.spread_days) > 50


# --- the Monte Carlo --------------------------------------------------------------------------


def test_the_assessment_is_a_function_of_the_draft_and_the_seed() -> None:
    first = _example("generic-tutorial", seed=7).to_json()
    assert _example("generic-tutorial", seed=7).to_json() == first
    other = _example("generic-tutorial", seed=8).to_json()
    assert other["monte_carlo"]["spread"] != first["monte_carlo"]["spread"]
    assert other["weaknesses"] == first["weaknesses"]


def test_monte_carlo_days_ahead_match_a_hand_count() -> None:
    # A concession (weight 3) on 2025-01-01; the freeze (weight 2) and the declaration
    # (weight 2) it does not wait for, taken on 2025-01-31 and verified 0 or 1 day later:
    # concessions are ahead from 2025-01-01 for 30 days plus the larger lag.
    data = base()
    data["delays"] = {"default": {"fixed": 0}}
    data["steps"] = [
        _step(
            "a-declare",
            "a",
            "declare",
            "2025-01-31",
            "declaration accepted",
            weight=2,
            within_days=1,
        ),
        _step("a-freeze", "a", "freeze", "2025-01-31", "inspectorate", weight=2, within_days=1),
        _step("b-relief", "b", "concession", "2025-01-01", "acknowledgment", weight=3),
    ]
    data["consequences"] = []
    mc = assessed(data, runs=4000).monte_carlo
    assert mc.p_ahead == 1.0
    # the later of two lags in {0, 1}: 1 with probability 3/4
    assert mc.mean_days_ahead == pytest.approx(30.75, abs=0.05)
    assert mc.p_ahead_at_completion == 0.0
    # the concession's own acknowledgment may come up to 90 days after 2025-01-01
    assert mc.completion[95] <= mc.scheduled_completion


def test_delays_of_a_kind_come_before_those_of_a_party(tmp_path: Path) -> None:
    data = base()
    result = load_accord(yaml.safe_dump(data, sort_keys=False), "d.yaml")
    assert result.accord is not None
    late = load_delays("parties: {a: {fixed: 100}}\n", "d.yaml", result.accord)
    kind_first = load_delays(
        "parties: {a: {fixed: 100}}\nkinds: {freeze: {fixed: 0}, declare: {fixed: 0}}\n",
        "d.yaml",
        result.accord,
    )
    slow = assess(result.accord, None, source="d", runs=50, seed=1, delays=late)
    fast = assess(result.accord, None, source="d", runs=50, seed=1, delays=kind_first)
    assert fast.monte_carlo.completion[50] < slow.monte_carlo.completion[50]


@pytest.mark.parametrize(
    ("text", "needle", "where"),
    [
        ("parties: {x: {fixed: 1}}\n", "party 'x' is not one of accord draft's", "d.yaml:1:11"),
        ("default: {uniform: [5, 1]}\n", "must rise from LOW to HIGH", "d.yaml:1:10"),
        ("default: {fixed: 1, uniform: [0, 2]}\n", "exactly one of", "d.yaml:1:10"),
    ],
)
def test_a_bad_delays_file_is_one_error_with_its_place(text: str, needle: str, where: str) -> None:
    result = load_accord(yaml.safe_dump(base(), sort_keys=False), "a.yaml")
    assert result.accord is not None
    with pytest.raises(InputError) as raised:
        load_delays(text, "d.yaml", result.accord)
    assert needle in raised.value.message
    assert raised.value.where == where


# --- kinds in accord check --------------------------------------------------------------------


def test_accord_check_places_unknown_kinds_and_delay_names() -> None:
    data = _irreversible(base())
    data["steps"][0]["kind"] = "sanctions-lifts"
    data["kinds"].append({"id": "odd"})
    data["delays"] = {"parties": {"nobody": {"fixed": 1}}}
    text = yaml.safe_dump(data, sort_keys=False)
    result = load_accord(text, "k.yaml")
    messages = [p.message for p in result.errors]
    assert any("'sanctions-lifts' is neither built in" in m for m in messages), messages
    assert any("did you mean 'sanctions-lift'" in m for m in messages)
    assert any("which built-in kind it refines" in m for m in messages)
    assert any("delays: party 'nobody' is not declared" in m for m in messages)
    lines = text.splitlines()
    for problem in result.errors:
        assert problem.line <= len(lines)


def test_an_accord_without_kinds_or_delays_keeps_its_canonical_form() -> None:
    accord = check_file(example_path("generic-tutorial")).accord
    assert accord is not None
    dumped = accord.model_dump(mode="json")
    assert "kinds" not in dumped
    assert "delays" not in dumped


# --- an amendment -----------------------------------------------------------------------------


def test_an_amendment_that_weakens_says_so() -> None:
    signed = base()
    draft = copy.deepcopy(signed)
    draft["steps"][2]["requires"] = []
    draft["steps"][2]["deadline"] = "2025-01-15"
    amendment = compare(assessed(draft), assessed(signed))
    assert amendment.verdict == "weakens"
    assert {w.code for w in amendment.added} >= {Code.CONCESSION_FOR_PROMISES, Code.EXPOSURE}
    assert amendment.removed == ()
    figures = {f.name: f for f in amendment.figures}
    assert figures["largest exposure"].weakens is True
    back = compare(assessed(signed), assessed(draft))
    assert back.verdict == "strengthens"
    assert compare(assessed(signed), assessed(signed)).verdict == "no change"


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = 0
        try:
            cli_main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        out, err = capsys.readouterr()
        return Run(code, ANSI.sub("", out), ANSI.sub("", err))

    return run


def test_assess_text_fits_80_columns_and_keeps_ids_whole(cli: Cli, tmp_path: Path) -> None:
    draft = tmp_path / "weak.yaml"
    assert cli("accord", "example", "weak-freeze", "--out", draft).code == 0
    run = cli("accord", "assess", draft, "--runs", "200")
    assert run.code == 1  # the draft has errors
    lines = run.out.splitlines()
    assert max(len(line) for line in lines if str(draft) not in line) <= 80
    parsed = check_file(draft).accord
    assert parsed is not None
    words = set(run.out.replace(",", " ").replace(":", " ").split())
    for step in parsed.steps:
        assert step.id in words, step.id
    assert "error: concession for promises (2)" in run.out
    assert "deadline without consequence" in run.out
    assert "phase without declaration" in run.out


def test_assess_json_and_markdown(cli: Cli) -> None:
    dprk = example_path("dprk-roadmap")
    run = cli("accord", "assess", dprk, "--format", "json", "--runs", "300", "--seed", "5")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["errors"] == 0
    assert data["monte_carlo"]["runs"] == 300
    assert data["monte_carlo"]["seed"] == 5
    assert set(data["monte_carlo"]["completion"]) == {"p5", "p25", "p50", "p75", "p95"}
    assert {"code", "severity", "steps", "line", "column", "message"} <= set(data["weaknesses"][0])
    again = cli("accord", "assess", dprk, "--format", "json", "--runs", "300", "--seed", "5")
    assert again.out == run.out
    md = cli("accord", "assess", dprk, "--format", "md", "--runs", "300")
    assert md.out.startswith("# Assessment of `dprk-roadmap`")
    assert "| severity | where | weakness | steps |" in md.out


def test_assess_against_and_chart(cli: Cli, tmp_path: Path) -> None:
    signed = tmp_path / "signed.yaml"
    signed.write_text(yaml.safe_dump(base(), sort_keys=False))
    weaker = base()
    weaker["steps"][2]["requires"] = ["a-freeze"]
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(weaker, sort_keys=False))
    chart = tmp_path / "charts" / "spread"
    run = cli("accord", "assess", draft, "--against", signed, "--runs", "200", "--chart", chart)
    assert run.code == 0, run.err
    assert f"against {signed}: the amendment weakens" in run.flat
    assert "declaration not required" in run.out
    assert (tmp_path / "charts" / "spread.png").stat().st_size > 10_000
    assert (tmp_path / "charts" / "spread.svg").read_text().lstrip().startswith("<?xml")
    data = json.loads(
        cli("accord", "assess", draft, "--against", signed, "--format", "json", "--runs", "50").out
    )
    assert data["amendment"]["verdict"] == "weakens"
    assert data["amendment"]["added"][0]["code"] == "declaration not required"


def test_assess_bad_input_is_one_line(cli: Cli, tmp_path: Path) -> None:
    draft = tmp_path / "d.yaml"
    draft.write_text(yaml.safe_dump(base(), sort_keys=False))
    delays = tmp_path / "delays.yaml"
    delays.write_text("parties:\n  nobody: {fixed: 3}\n")
    one_line_error(cli("accord", "assess", draft, "--delays", delays), "delays.yaml:2:3", "nobody")
    one_line_error(cli("accord", "assess", draft, "--format", "html"), "--format")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\n")
    run = cli("accord", "assess", broken)
    assert run.code != 0
    assert "Traceback" not in run.err
