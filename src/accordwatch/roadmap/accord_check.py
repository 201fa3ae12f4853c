"""Check an accord file and say where every problem is.

`load_accord` reads the YAML text of an accord file and returns a
`CheckResult`: the parsed `Accord` when the file is sound, and every problem
found, each with its line and column (1-based) and reported once. Bad files
never raise; only a file that cannot be read at all (`check_file`) raises
`InputError`.

The check runs in three layers, each on what the one before could read:

1. YAML (`accordwatch.documents`). Every key and value keeps its position;
   what PyYAML would let pass silently is a problem: duplicate keys (the
   first value is kept and checked) and unsupported tags. A syntax error is
   one problem at its mark.
2. Shape (`accord_shape`). The data is validated by the pydantic `Accord`
   model; each error is placed at the nearest position recorded for it and
   worded plainly. A malformed obligation `rule` is located inside the rule
   (`rule.any[1].in`).
3. Meaning, on a lenient view of every party, phase, step and obligation
   (`accord_views`), so that one mistyped field hides nothing else:

   - duplicate party, phase, step and obligation ids (error, at the duplicate);
   - references to undeclared parties, phases and steps, an obligation's
     references and dates, an accord id that is a shipped instrument's
     (`accord_references`, errors); step kinds and `delays` entries that
     name no declared kind or party (`accord_kinds`, errors);
   - cycles through `requires` and relative deadlines (`accord_cycles`,
     error, one per cycle, at the first step of the cycle in file order);
   - steps without a way to be verified (`accord_verification`, error):
     `inspectorate` and `declaration accepted` need a party whose role is
     inspectorate, `acknowledgment` a party other than the acting one, and
     no party verifies its own step; a concession with empty `requires` and
     a party that never acts or verifies (warnings);
   - the schedule (`accord_schedule`): phases whose `ends` dates are not in
     order and deadlines that cannot be met (errors), a fixed deadline after
     the end of its step's phase (warning);
   - consequences (`accord_consequences`, errors): unknown steps, parties and
     obligations, triggers that can never fire, suspended steps that are not
     concessions, cycles between held-back concessions and requirements.
"""

from __future__ import annotations

import os
from pathlib import Path

from accordwatch.documents import DocumentError, read_yaml
from accordwatch.errors import InputError
from accordwatch.roadmap.accord_consequences import check_consequences
from accordwatch.roadmap.accord_cycles import check_cycles
from accordwatch.roadmap.accord_kinds import check_kinds
from accordwatch.roadmap.accord_problems import CheckResult, ProblemReport
from accordwatch.roadmap.accord_references import (
    check_instrument_id,
    check_obligations,
    check_step_references,
)
from accordwatch.roadmap.accord_schedule import check_phase_order, check_schedule
from accordwatch.roadmap.accord_shape import check_shape
from accordwatch.roadmap.accord_verification import (
    check_concessions,
    check_idle_parties,
    check_verification,
)
from accordwatch.roadmap.accord_views import AccordView


def check_file(path: str | os.PathLike[str]) -> CheckResult:
    """Check the accord file at `path`; raises `InputError` only if it cannot be read."""
    source = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        message = f"cannot read the accord file: {exc.strerror or exc}"
        raise InputError(message, where=source) from exc
    return load_accord(raw, source)


def load_accord(text: str | bytes, source: str = "<accord>") -> CheckResult:
    """Parse and check the YAML text of an accord file; never raises for bad content."""
    report = ProblemReport(source)
    if not _read(text, report):
        return report.result(None)
    assert report.document is not None
    data = report.document.data
    accord = check_shape(data, report)
    view = AccordView.read(data, report)
    check_step_references(view, report)
    check_kinds(view, report)
    in_cycle = check_cycles(view, report)
    check_verification(view, report)
    check_phase_order(view, report)
    check_schedule(view, report, in_cycle)
    check_concessions(view, report)
    check_idle_parties(view, report)
    check_obligations(view, report)
    check_instrument_id(view, report)
    check_consequences(view, report)
    return report.result(accord if not report.has_errors else None)


def _read(text: str | bytes, report: ProblemReport) -> bool:
    """Read the YAML into `report.document`; False, with the problem reported, when it cannot be."""
    try:
        document = read_yaml(
            text, source=report.source, dates="date", duplicates="refuse", lenient=True
        )
    except DocumentError as exc:
        report.add_at("error", _unreadable(exc), (exc.line, exc.column))
        return False
    for issue in document.issues:
        suffix = " in accord files" if issue.kind == "tag" else ""
        report.add_at("error", issue.message + suffix, (issue.line, issue.column))
    if document.empty:
        report.add_at("error", "the file is empty: an accord file is a YAML mapping", (1, 1))
        return False
    report.document = document
    return True


def _unreadable(exc: DocumentError) -> str:
    if exc.kind == "syntax":
        context = f" ({exc.context})" if exc.context else ""
        return f"YAML syntax: {exc.problem}{context}"
    return exc.problem
