"""`accord assess` as text (80 columns, ids never broken) and as Markdown."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator

from accordwatch.roadmap.amendment import Amendment, FigureChange
from accordwatch.roadmap.assessment import Assessment, Weakness
from accordwatch.roadmap.monte_carlo import QUANTILES, MonteCarlo

WIDTH = 80


def _wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    # Ids are written with hyphens: never break a line inside one.
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _counts(assessment: Assessment) -> str:
    errors, warnings = len(assessment.errors), len(assessment.warnings)
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _number(value: float | str) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _margin(p: float, runs: int) -> float:
    """Half the width of a 95 % interval around an estimated probability."""
    return 1.96 * math.sqrt(p * (1 - p) / max(runs, 1))


def monte_carlo_lines(mc: MonteCarlo, delays: tuple[str, ...]) -> Iterator[str]:
    yield f"{mc.runs} runs, seed {mc.seed}, delays from {mc.delays_from}:"
    for line in delays:
        yield f"  {line}"
    yield (
        f"P(concessions ahead of verified steps at some point): {mc.p_ahead:.3f} "
        f"(+/- {_margin(mc.p_ahead, mc.runs):.3f})"
    )
    when = (
        f"{mc.mean_days_ahead_when_ahead:.1f} days"
        if mc.mean_days_ahead_when_ahead is not None
        else "never ahead"
    )
    yield f"expected time ahead: {mc.mean_days_ahead:.1f} days (in the runs ahead: {when})"
    yield f"P(still ahead when the last step is verified): {mc.p_ahead_at_completion:.3f}"
    yield (
        f"completion: {mc.scheduled_completion} if every party acts at its deadline; "
        f"mean {mc.mean_completion}"
    )
    yield "  " + ", ".join(f"p{q}={mc.completion[q]}" for q in QUANTILES)
    yield (
        f"largest exposure in a run: mean {mc.mean_largest_exposure:.3g}, "
        f"p95 {mc.p95_largest_exposure:.3g}"
    )


def _weakness_text(w: Weakness) -> list[str]:
    """`  LINE:COL  message`, wrapped under itself, and the steps when there are others."""
    where = f"  {w.line}:{w.column}"
    where += " " * max(2, 10 - len(where))
    lines = _wrap(w.message, " " * len(where))
    lines[0] = where + lines[0].lstrip()
    if w.steps and w.steps != (w.subject,):
        lines += _wrap("steps: " + ", ".join(w.steps), " " * len(where))
    return lines


def _grouped(weaknesses: tuple[Weakness, ...]) -> Iterator[str]:
    """The weaknesses under one heading per severity and code, in file order within each."""
    groups: dict[tuple[str, str], list[Weakness]] = {}
    for w in weaknesses:
        groups.setdefault((w.severity, w.code.value), []).append(w)
    for (severity, code), items in groups.items():
        yield ""
        yield f"{severity}: {code} ({len(items)})"
        for w in items:
            yield from _weakness_text(w)


def _figure(f: FigureChange) -> str:
    judged = {True: " (weakens)", False: " (strengthens)", None: ""}[f.weakens]
    return f"{f.name}: {_number(f.before)} -> {_number(f.after)}{judged}"


def assessment_text(assessment: Assessment, amendment: Amendment | None = None) -> str:
    a = assessment
    out = _wrap(f"accord {a.accord_id}: {a.title}", "")
    out += _wrap(f"{a.source}: {_counts(a)}", "")
    out += _grouped(a.weaknesses)
    out += ["", "largest exposure (every party at its deadline, verifiers at the end of"]
    out.append("their windows):")
    if a.exposure.weight > 0:
        e = a.exposure
        out += _wrap(
            f"{e.weight:g} on {e.on}: concessions {e.concession_weight:g} against verified "
            f"{e.verified_weight:g}; given while ahead: {', '.join(e.concessions)}",
            "  ",
        )
    else:
        out.append("  none: concessions never run ahead of verified steps")
    out += ["", "Monte Carlo of delays:"]
    for line in monte_carlo_lines(a.monte_carlo, a.delays):
        out += _wrap(line.strip(), "  " + " " * (len(line) - len(line.lstrip())))
    if amendment is not None:
        out += ["", *_wrap(f"against {amendment.against}: the amendment {amendment.verdict}", "")]
        for title, items in (("adds", amendment.added), ("removes", amendment.removed)):
            if items:
                out.append(f"  it {title}:")
                for w in items:
                    out += _wrap(f"{w.severity} {w.code}: {w.message}", "    ")
        for f in amendment.figures:
            out += _wrap(_figure(f), "  ")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def assessment_markdown(assessment: Assessment, amendment: Amendment | None = None) -> str:
    a = assessment
    out = [
        f"# Assessment of `{a.accord_id}`",
        "",
        f"{_cell(a.title)} (`{a.source}`): {_counts(a)}.",
        "",
        "## Weaknesses",
        "",
    ]
    if a.weaknesses:
        out += ["| severity | where | weakness | steps |", "|---|---|---|---|"]
        for w in a.weaknesses:
            steps = ", ".join(f"`{s}`" for s in w.steps)
            out.append(
                f"| {w.severity} | {w.line}:{w.column} | **{w.code}**: {_cell(w.message)} "
                f"| {steps} |"
            )
    else:
        out.append("None found.")
    out += ["", "## Largest exposure", ""]
    e = a.exposure
    if e.weight > 0:
        given = ", ".join(f"`{c}`" for c in e.concessions)
        out.append(
            f"If every party acts at its deadline: {e.weight:g} on {e.on} (concessions "
            f"{e.concession_weight:g} against verified {e.verified_weight:g}); given while "
            f"ahead: {given}."
        )
    else:
        out.append("None: concessions never run ahead of verified steps.")
    out += ["", "## Monte Carlo of delays", ""]
    out += [f"- {_cell(line.strip())}" for line in monte_carlo_lines(a.monte_carlo, a.delays)]
    if amendment is not None:
        out += ["", f"## Against `{amendment.against}`: the amendment {amendment.verdict}", ""]
        for title, items in (("Adds", amendment.added), ("Removes", amendment.removed)):
            for w in items:
                out.append(f"- {title} {w.severity} **{w.code}**: {_cell(w.message)}")
        for f in amendment.figures:
            out.append(f"- {_cell(_figure(f))}")
    return "\n".join(out) + "\n"
