"""Reveal steps in accord files: each names its escrow and part, checked where it is written."""

from __future__ import annotations

from accordwatch.examples import example_text
from accordwatch.roadmap.accord_check import load_accord

TEXT = example_text("dprk-escrow")


def _problems(text: str) -> list[tuple[str, int, int, str]]:
    result = load_accord(text, "a.yaml")
    return [(p.severity, p.line, p.column, p.message) for p in result.problems]


def _line(text: str, needle: str, nth: int = 0) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth]


def test_the_example_passes_and_its_steps_keep_their_terms() -> None:
    assert _problems(TEXT) == []
    accord = load_accord(TEXT).accord
    assert accord is not None
    reveal = accord.step("reveal-drawn")
    assert (reveal.kind, reveal.escrow, reveal.part, reveal.reveal_to) == (
        "reveal",
        "declare-sites",
        "drawn",
        "inspectorate",
    )
    assert accord.step("declare-sites").escrow_counts == "exact"


def test_steps_without_escrow_terms_keep_their_canonical_form() -> None:
    accord = load_accord(example_text("dprk-roadmap")).accord
    assert accord is not None
    dumped = accord.model_dump(mode="json")
    assert not any(
        key in step for step in dumped["steps"] for key in ("escrow", "part", "reveal_to")
    )


def test_an_unknown_escrow_step_is_reported_at_its_value() -> None:
    text = TEXT.replace(
        "escrow: declare-sites\n    part: region-north-east",
        "escrow: declare-site\n    part: region-north-east",
    )
    line = _line(text, "escrow: declare-site", 1)  # the second reveal step's
    assert _problems(text) == [
        (
            "error",
            line,
            13,
            "step 'reveal-north-east': escrow step 'declare-site' is not declared "
            "(did you mean 'declare-sites'?)",
        )
    ]


def test_an_escrow_that_is_not_a_declaration_step() -> None:
    text = TEXT.replace(
        "escrow: declare-sites\n    part: drawn",
        "escrow: reveal-north-west\n    part: drawn",
    )
    [(severity, line, _, message)] = _problems(text)
    assert severity == "error" and line == _line(text, "escrow: reveal-north-west")
    assert "is a reveal step, not a declare step" in message


def test_missing_and_malformed_parts_and_misplaced_terms() -> None:
    text = TEXT.replace("    part: region-north-west\n", "")
    [(severity, _, _, message)] = _problems(text)
    assert severity == "error" and "names the part it opens (or drawn)" in message
    text = TEXT.replace("part: region-north-west", "part: Region North")
    [(_, line, _, message)] = _problems(text)
    assert line == _line(text, "part: Region North") and "is not a part name" in message
    text = TEXT.replace("    kind: concession\n", "    kind: concession\n    part: region-south\n")
    [(_, line, _, message)] = _problems(text)
    assert line == _line(text, "part: region-south")
    assert message == "step 'usa-sanctions-relief': part belongs on a step of kind reveal"
    text = TEXT.replace("part: region-north-east", "part: region-north-west")
    [(severity, _, _, message)] = _problems(text)
    assert severity == "warning" and "already opened by step 'reveal-north-west'" in message
    text = TEXT.replace("part: region-north-east", "part: drawn")
    assert _problems(text) == []
