"""`accord_check`: every problem in an accord file is reported once, where it is.

The files in `tests/accord_files/` are one small accord with one planted problem
each (named in the file's first line); the shipped examples must pass clean;
and no mutation of the DPRK example makes the check raise.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accordwatch.errors import InputError, NotFoundError
from accordwatch.examples import EXAMPLES, WEAK_EXAMPLES, example_path, example_text
from accordwatch.roadmap.accord import AccordRole, StepKind, VerificationMethod, json_schema
from accordwatch.roadmap.accord_check import check_file, load_accord
from accordwatch.roadmap.accord_problems import CheckResult, Problem

FILES = Path(__file__).parent / "accord_files"
ROOT = Path(__file__).resolve().parents[1]


def only_problem(result: CheckResult, ignore: str | None = None) -> Problem:
    problems = [p for p in result.problems if ignore is None or ignore not in p.message]
    assert len(problems) == 1, result.format()
    return problems[0]


# --- the shipped examples -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_shipped_examples_pass_without_errors_or_warnings(name: str) -> None:
    result = check_file(example_path(name))
    if name in WEAK_EXAMPLES:  # weak on purpose: warnings, never errors
        assert result.warnings and not result.errors, result.format()
    else:
        assert result.problems == [], result.format()
    assert result.ok
    assert result.accord is not None
    assert result.accord.illustrative
    assert "illustrative" in result.accord.note.lower()


def test_example_text_is_the_example_file() -> None:
    for name in EXAMPLES:
        assert example_text(name) == example_path(name).read_text(encoding="utf-8")
    with pytest.raises(NotFoundError, match="dprk-roadmap"):
        example_path("no-such-example")


def test_examples_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"examples/*.yaml"' in pyproject


def test_dprk_roadmap_follows_the_seed() -> None:
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None
    roles = {party.id: party.role for party in accord.parties}
    assert roles == {
        "dprk": AccordRole.INSPECTED,
        "usa": AccordRole.COUNTERPART,
        "rok": AccordRole.COUNTERPART,
        "iaea": AccordRole.INSPECTORATE,
    }
    assert 25 <= len(accord.steps) <= 40
    assert 4 <= len(accord.phases) <= 5
    assert accord.phases[0].ends.year == 2020
    kinds = {step.kind for step in accord.steps}
    assert kinds >= {
        StepKind.FREEZE,
        StepKind.DECLARE,
        StepKind.GRANT_ACCESS,
        StepKind.DISABLE,
        StepKind.DISMANTLE,
        StepKind.REMOVE,
        StepKind.TRANSFER,
        StepKind.CONCESSION,
    }
    concessions = [step for step in accord.steps if step.kind is StepKind.CONCESSION]
    tranches = [step for step in concessions if "tranche" in step.title.lower()]
    assert len(tranches) >= 3
    for step in concessions:
        assert step.party in {"usa", "rok"}
        assert step.requires, step.id
        assert all(accord.step(ref).party == "dprk" for ref in step.requires), step.id
    declarations = [step for step in accord.steps if step.kind is StepKind.DECLARE]
    assert all(
        step.verification.method is VerificationMethod.DECLARATION_ACCEPTED for step in declarations
    )
    # Deadlines on both sides, and one answering the other's: the same year-end day.
    fixed = {step.id: step.deadline for step in accord.steps if isinstance(step.deadline, date)}
    assert {accord.step(ident).party for ident in fixed} >= {"dprk", "usa"}
    assert fixed["declare-nuclear"] == fixed["usa-sanctions-relief-1"] == date(2020, 12, 31)
    text = example_text("dprk-roadmap")
    assert "reciprocate North Korea's end-of-year deadline with one" in " ".join(text.split())


# --- one planted problem per file -----------------------------------------------------------------

BROKEN = [
    ("syntax-error.yaml", "error", 52, 17, "YAML syntax: expected ',' or ']'"),
    ("duplicate-key.yaml", "error", 35, 5, "duplicate key 'deadline' (first at line 34)"),
    ("duplicate-step-id.yaml", "error", 45, 9, "duplicate step id 'a-freeze' (first at line 22)"),
    ("unknown-party.yaml", "error", 25, 12, "acting party 'stat-a' is not declared"),
    ("unknown-required-step.yaml", "error", 42, 26, "required step 'a-declared' is not declared"),
    ("unknown-deadline-step.yaml", "error", 41, 15, "counts from step 'a-report' is not declared"),
    (
        "cycle.yaml",
        "error",
        35,
        16,
        "requires form a cycle: a-declare -> a-disable -> b-relief -> a-declare",
    ),
    (
        "deadline-before-required.yaml",
        "error",
        50,
        15,
        "deadline 2025-05-15 cannot be met: it falls before the deadline of 'b-relief' "
        "(due 2025-05-30)",
    ),
    (
        "no-way-to-verify.yaml",
        "error",
        35,
        54,
        "no way to verify: method 'declaration accepted' needs a party with role "
        "'inspectorate', but 'state-b' is 'counterpart'",
    ),
    ("wrong-type.yaml", "error", 44, 13, "step 'b-relief': weight must be a valid number"),
    ("bad-deadline.yaml", "error", 50, 15, "deadline 'when the plant is ready' must be a date"),
    (
        "concession-without-requires.yaml",
        "warning",
        36,
        5,
        "step 'b-relief': concession not tied to any verified step",
    ),
    (
        "phases-out-of-order.yaml",
        "error",
        20,
        11,
        "phase 'second' ends 2025-12-31, not after phase 'first' (2026-01-31)",
    ),
    ("unknown-field.yaml", "error", 53, 5, "unknown field 'wieght' (did you mean 'weight'?)"),
    ("missing-fields.yaml", "error", 22, 5, "missing required fields 'kind', 'verification'"),
]


@pytest.mark.parametrize(("name", "severity", "line", "column", "message"), BROKEN)
def test_each_planted_problem_is_reported_once_where_it_is(
    name: str, severity: str, line: int, column: int, message: str
) -> None:
    path = FILES / name
    result = check_file(path)
    problem = only_problem(result)
    assert (problem.severity, problem.line, problem.column) == (severity, line, column)
    assert message in problem.message
    assert problem.source == str(path)
    assert problem.format() == f"{path}:{line}:{column}: {severity}: {problem.message}"
    assert result.ok is (severity == "warning")
    assert (result.accord is not None) is result.ok


def test_every_broken_file_is_covered() -> None:
    assert {path.name for path in FILES.glob("*.yaml")} == {name for name, *_ in BROKEN}


def test_planted_problems_together_are_each_reported_once() -> None:
    """All planted semantic problems in one file: none is lost, none repeated."""
    text = (FILES / "cycle.yaml").read_text(encoding="utf-8")
    text = text.replace("    party: state-b\n", "    party: state-c\n")
    text = text.replace("{method: inspectorate, by: agency}", "{method: inspectorate, by: state-b}")
    text = text.replace("    weight: 3\n", '    weight: "heavy"\n')
    result = load_accord(text, "many.yaml")
    found = [
        (p.line, p.column, re.sub("^step '.*?': ", "", p.message)[:20]) for p in result.problems
    ]
    assert found == [
        (28, 46, "no way to verify: me"),  # a-freeze
        (35, 16, "requires form a cycl"),
        (40, 12, "acting party 'state-"),
        (53, 46, "no way to verify: me"),  # a-disable
        (54, 13, "weight must be a val"),
    ], result.format()
    assert result.accord is None
    assert [p.line for p in result.problems] == sorted(p.line for p in result.problems)


# --- YAML layer -----------------------------------------------------------------------------------


def test_empty_and_non_mapping_files() -> None:
    assert only_problem(load_accord("", "f")).message.startswith("the file is empty")
    problem = only_problem(load_accord("- a\n- b\n", "f"))
    assert (problem.line, problem.column) == (1, 1)
    assert "must be a mapping" in problem.message


def test_several_documents_are_one_syntax_problem() -> None:
    problem = only_problem(load_accord("id: a\n---\nid: b\n", "f"))
    assert problem.line == 2
    assert "single document" in problem.message


def test_control_characters_are_located() -> None:
    problem = only_problem(load_accord("id: a\ntitle: x\x07y\n", "f"))
    assert (problem.line, problem.column) == (2, 9)


def test_unsupported_tags_and_recursive_aliases_do_not_raise() -> None:
    result = load_accord("a: !!python/object:os.system x\nb: &r [*r]\n", "f")
    messages = [problem.message for problem in result.problems]
    assert any("YAML tag" in message for message in messages)
    assert any("alias refers to a value that contains it" in message for message in messages)


def test_alias_expansion_is_bounded() -> None:
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    problem = only_problem(load_accord("\n".join(lines) + "\n", "f"))
    assert "too many values" in problem.message


def test_deep_nesting_is_a_problem() -> None:
    problem = only_problem(load_accord("a: " + "[" * 5000 + "]" * 5000 + "\n", "f"))
    assert "nested too deeply" in problem.message


def test_merge_keys_are_supported() -> None:
    text = example_text("generic-tutorial").replace(
        "    verification: {method: inspectorate, by: agency, within_days: 30}\n",
        "    verification: &inspected {method: inspectorate, by: agency, within_days: 30}\n",
    )
    text = text.replace(
        "    verification: {method: inspectorate, by: agency}\n",
        "    verification: {<<: *inspected, within_days: 45}\n",
    )
    result = load_accord(text, "f")
    assert result.problems == [], result.format()
    assert result.accord is not None
    assert result.accord.step("a-disable").verification.within_days == 45
    assert result.accord.step("a-disable").verification.by == "agency"


def test_a_date_that_is_not_a_date_is_reported_once() -> None:
    text = example_text("generic-tutorial").replace("ends: 2025-06-30", "ends: 2025-13-45")
    problem = only_problem(load_accord(text, "f"))
    assert problem.message.startswith("phase 'first': ends must be a valid date")


def test_check_file_reads_only_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: a\ntitle: caf\xe9\n")
    problem = only_problem(check_file(path))
    assert (problem.line, problem.column) == (2, 11)
    assert "not UTF-8" in problem.message


def test_check_file_raises_only_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        check_file(tmp_path / "missing.yaml")
    with pytest.raises(InputError):
        check_file(tmp_path)


# --- meaning --------------------------------------------------------------------------------------


def accord_text(steps: list[dict[str, Any]], **extra: Any) -> str:
    """A small accord around `steps` (each gets a default phase, party and verification)."""
    document: dict[str, Any] = {
        "id": "t",
        "title": "T",
        "parties": [
            {"id": "a", "name": "A", "role": "inspected"},
            {"id": "b", "name": "B", "role": "counterpart"},
            {"id": "insp", "name": "I", "role": "inspectorate"},
        ],
        "phases": [{"id": "p", "title": "P", "ends": date(2025, 12, 31)}],
        "steps": [
            {
                "title": step["id"],
                "phase": "p",
                "party": "a",
                "kind": "other",
                "verification": {"method": "inspectorate", "by": "insp"},
                **step,
            }
            for step in steps
        ],
        **extra,
    }
    return yaml.safe_dump(document, sort_keys=False)


def messages(text: str) -> list[str]:
    """The problems found, except parties left idle by these small accords."""
    problems = load_accord(text, "t.yaml").problems
    return [f"{p.severity}: {p.message}" for p in problems if "never acts" not in p.message]


def test_relative_deadlines_count_from_the_deadline_of_their_step() -> None:
    steps: list[dict[str, Any]] = [
        {"id": "x", "deadline": date(2025, 1, 31)},
        {"id": "y", "deadline": "30d after x verified"},  # scheduled 2025-03-02
        {"id": "z", "deadline": "10d after x reported", "requires": ["y"]},  # 2025-02-10
        {"id": "w", "deadline": date(2025, 3, 2), "requires": ["y"]},  # same day: fine
    ]
    assert messages(accord_text(steps)) == [
        "error: step 'z': deadline 2025-02-10 (counting from 'x' taken on its deadline) cannot "
        "be met: it falls before the deadline of 'y' (due 2025-03-02), which must be verified "
        "first"
    ]


def test_end_of_phase_deadlines_are_compared_by_the_phase_end() -> None:
    steps: list[dict[str, Any]] = [
        {"id": "x", "deadline": date(2026, 1, 31)},
        {"id": "y", "deadline": "end of phase", "requires": ["x"]},
    ]
    found = messages(accord_text(steps))
    assert len(found) == 2
    assert found[0].startswith("warning: step 'x': due 2026-01-31, after its phase 'p' ends")
    assert found[1].startswith("error: step 'y': deadline 2025-12-31 cannot be met")


def test_cycles_through_deadlines_are_named_once_at_the_first_step() -> None:
    steps: list[dict[str, Any]] = [
        {"id": "free", "deadline": date(2025, 1, 31)},
        {"id": "c", "deadline": date(2025, 3, 1), "requires": ["d"]},
        {"id": "d", "deadline": "5d after e verified"},
        {"id": "e", "deadline": date(2025, 2, 1), "requires": ["c", "free"]},
    ]
    result = load_accord(accord_text(steps), "t.yaml")
    problem = only_problem(result, ignore="never acts")
    assert problem.message.startswith("requires and deadlines form a cycle: c -> d -> e -> c")
    assert "'d' counts its deadline from 'e'" in problem.message
    text = accord_text(steps)
    assert problem.line == text.splitlines().index("  - d") + 1  # c's requires entry


def test_self_requirement_is_a_cycle() -> None:
    steps: list[dict[str, Any]] = [{"id": "x", "deadline": date(2025, 1, 31), "requires": ["x"]}]
    assert messages(accord_text(steps)) == [
        "error: requires form a cycle: x -> x; none of these steps can be taken"
    ]


def test_ways_to_verify() -> None:
    def step(method: str, by: str, party: str = "a") -> dict[str, Any]:
        verification = {"method": method, "by": by}
        return {"id": f"s-{method[:3]}-{by}", "deadline": date(2025, 1, 1), "party": party,
                "verification": verification}  # fmt: skip

    fine = [
        step("inspectorate", "insp"),
        step("declaration accepted", "insp"),
        step("acknowledgment", "b"),
        step("acknowledgment", "a", party="b"),
    ]
    assert messages(accord_text(fine)) == []
    broken = [
        step("inspectorate", "b"),
        step("declaration accepted", "a", party="b"),
        step("acknowledgment", "a"),
    ]
    found = messages(accord_text(broken))
    assert len(found) == 3
    assert all("no way to verify" in message for message in found)
    assert "'a' cannot verify a step it takes itself" in found[2]


def test_idle_parties_are_a_warning() -> None:
    text = accord_text([{"id": "x", "deadline": date(2025, 1, 31)}])
    result = load_accord(text, "t.yaml")
    assert result.ok
    assert [p.message for p in result.problems] == ["party 'b' never acts or verifies a step"]


def test_unknown_phase_and_verifier() -> None:
    steps: list[dict[str, Any]] = [{"id": "x", "deadline": "end of phase", "phase": "pp",
              "verification": {"method": "inspectorate", "by": "inspp"}}]  # fmt: skip
    found = messages(accord_text(steps))
    assert "error: step 'x': phase 'pp' is not declared (did you mean 'p'?)" in found
    assert "error: step 'x': verifying party 'inspp' is not declared (did you mean 'insp'?)" in (
        found
    )


def test_a_bad_field_does_not_hide_other_problems() -> None:
    steps: list[dict[str, Any]] = [
        {"id": "x", "deadline": date(2025, 1, 31), "weight": "heavy", "requires": ["nope"]},
    ]
    found = messages(accord_text(steps))
    assert any("weight must be a valid number" in message for message in found)
    assert any("required step 'nope' is not declared" in message for message in found)


def test_far_relative_deadlines_do_not_overflow() -> None:
    steps: list[dict[str, Any]] = [
        {"id": "x", "deadline": date(2025, 1, 31)},
        {"id": "y", "deadline": "99999999999d after x reported"},
    ]
    assert any("beyond the last representable date" in m for m in messages(accord_text(steps)))


# --- the JSON Schema ------------------------------------------------------------------------------


def test_json_schema_is_json_and_names_every_kind_and_method() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    assert json.loads(text) == schema
    assert schema["$schema"].startswith("https://json-schema.org/")
    for value in [*StepKind, *VerificationMethod, *AccordRole]:
        assert json.dumps(value.value) in text, value


def test_examples_validate_against_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")  # not a dependency; checked when present
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in EXAMPLES:
        data = json.loads(json.dumps(yaml.safe_load(example_text(name)), default=str))
        jsonschema.validate(data, schema)


# --- bad input never raises -----------------------------------------------------------------------

DPRK = example_text("dprk-roadmap")
TOKENS = [":", "- ", "[", "]", "{", "}", "&a ", "*a", "!x ", "!!int ", "#", "'", '"', "\n", "  ",
          "\t", "|", ">", "<<: ", "%", "@", "`", "? ", "\x00", "\ufeff", "---\n", "2020-02-30",
          "dprk", "usa", "declare-nuclear", "end of phase", "requires: [", "999999999999",
          "1d after freeze-missile-tests reported"]  # fmt: skip


@st.composite
def mutated_dprk(draw: st.DrawFn) -> str:
    text = DPRK
    for _ in range(draw(st.integers(1, 4))):
        cut = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["truncate", "delete", "insert", "lines", "swap"]))
        if operation == "truncate":
            text = text[:cut]
        elif operation == "delete":
            text = text[:cut] + text[cut + draw(st.integers(1, 200)) :]
        elif operation == "insert":
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=3))
            text = text[:cut] + token + text[cut:]
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) < 2:
                continue
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if operation == "lines":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


def assert_well_formed(result: CheckResult, text: str) -> None:
    assert isinstance(result, CheckResult)
    assert (result.accord is not None) is result.ok
    # YAML breaks lines at CR, LF, CRLF, NEL and the Unicode line and paragraph separators.
    line_count = len(re.findall("\r\n|[\n\r\x85\u2028\u2029]", text)) + 2
    for problem in result.problems:
        assert problem.severity in ("error", "warning")
        assert 1 <= problem.line <= line_count
        assert problem.column >= 1
        assert problem.message and "\n" not in problem.message
    seen = [(p.line, p.column, p.message) for p in result.problems]
    assert len(seen) == len(set(seen))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_dprk())
def test_mutations_of_the_dprk_example_never_raise(text: str) -> None:
    assert_well_formed(load_accord(text, "dprk.yaml"), text)


def test_every_truncation_of_the_tutorial_never_raises() -> None:
    text = example_text("generic-tutorial")
    for end in sorted({m.start() for m in re.finditer(r"[\n:\[{ ]", text)}):
        assert_well_formed(load_accord(text[:end], "t.yaml"), text[:end])


def test_dates_are_read_as_the_schema_reads_them() -> None:
    """A midnight timestamp is a date to pydantic, so the schedule checks must see it too."""
    text = example_text("generic-tutorial").replace("ends: 2025-12-31", "ends: 2025-01-01 00:00:00")
    found = messages(text)
    assert found[0].startswith("error: phase 'second' ends 2025-01-01, not after phase 'first'")
