"""The consequences of the accord in force, read from the log as of a date.

`roadmap_view` is the road map as every view shows it (CLI, API, dashboard,
report): the status as of a date, with the findings of the accord's
consequences among its own, and the consequences themselves, judged against
the violations of the compliance evaluation (only when a consequence has a
violation trigger) and the responses recorded by then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from accordwatch.compliance.records import ResponseRecord
from accordwatch.compliance.responses import Response, responses_as_of
from accordwatch.compliance.violations import Violation
from accordwatch.roadmap import status as roadmap
from accordwatch.roadmap.consequences import (
    Consequences,
    evaluate_consequences,
    needs_violations,
    with_consequences,
)
from accordwatch.roadmap.history import RoadmapRecord, accord_ids
from accordwatch.sources.compliance import LogEvaluation, evaluate_log, response_from
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot


def logged_responses(log: Snapshot, as_of: date) -> list[Response]:
    """The responses recorded as of `as_of` (without reading the events)."""
    out = [
        response_from(e.index, e.logged_at, e.party, e.payload)
        for e in log.payloads(("response",))
        if isinstance(e.payload, ResponseRecord)
    ]
    return responses_as_of(out, as_of)


def log_consequences(
    log: Snapshot,
    records: Sequence[RoadmapRecord],
    status: roadmap.Status,
    evaluation: Callable[[], LogEvaluation] | None = None,
) -> Consequences:
    """The consequences of `status`'s accord; `evaluation` gives the compliance evaluation."""
    day = status.as_of
    violations: list[Violation] = []
    if needs_violations(records, status):
        found = evaluation() if evaluation is not None else evaluate_log(log, day)
        violations, responses = found.evaluation.violations(), found.responses
    else:
        responses = logged_responses(log, day)
    return evaluate_consequences(records, status, violations, responses)


def roadmap_view(
    log: Snapshot,
    as_of: date,
    accord_id: str | None = None,
    evaluation: Callable[[], LogEvaluation] | None = None,
) -> tuple[roadmap.Status, Consequences]:
    """The status with its consequences' findings, and the consequences (ValueError: `evaluate`)."""
    records = roadmap_records(log)
    status = roadmap.evaluate(records, as_of, accord_id)
    found = log_consequences(log, records, status, evaluation)
    return with_consequences(status, found), found


def consequences_in_force(log: Snapshot, as_of: date) -> list[Consequences]:
    """The consequences of every accord signed in the log, as of `as_of`."""
    records = roadmap_records(log)
    return [
        log_consequences(log, records, roadmap.evaluate(records, as_of, accord_id))
        for accord_id in accord_ids(records, as_of)
    ]
