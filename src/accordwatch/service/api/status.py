"""Public evaluations as of a date: the road map's status and compliance with obligations.

Both are the pure evaluations the CLI prints (`accordwatch status`,
`accordwatch compliance evaluate|report`), over the records in the log;
compliance is judged against the shipped resolutions and the obligations of the
accords in force (`sources.compliance.evaluate_log`).

Each is computed once per signed checkpoint and date (`service.view_cache`):
`status_at` and `evaluation_at` are what the dashboard's pages build on too,
and each answer's JSON is encoded once.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from accordwatch.compliance.report import UNITS, build_report
from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS, responses_as_of
from accordwatch.errors import InputError
from accordwatch.roadmap import status as roadmap
from accordwatch.roadmap.consequences import Consequences
from accordwatch.service.api.deps import Service, ServiceDep
from accordwatch.sources.compliance import LogEvaluation, compliance_records, evaluate_log
from accordwatch.sources.consequences import roadmap_view
from accordwatch.sources.snapshot import Snapshot, choose_snapshot
from accordwatch.timeutil import parse_date

router = APIRouter(prefix="/api", tags=["status"])


def _date_format(schema: dict[str, Any]) -> None:
    """Say in the OpenAPI schema that the text is a date (`format: date`), or empty.

    Empty is what a page's cleared date field sends: it means today, as no
    value does.
    """
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["format"] = "date"
    schema.setdefault("anyOf", []).append({"type": "string", "enum": [""]})


AsOf = Annotated[
    str | None,
    Query(
        description="Date (YYYY-MM-DD) [default: today, UTC]",
        max_length=10,
        json_schema_extra=_date_format,
    ),
]


KnownAt = Annotated[
    str | None,
    Query(
        description="The log as it stood at the end of this day, by log time (YYYY-MM-DD) "
        "[default: the latest checkpoint]",
        max_length=10,
        json_schema_extra=_date_format,
    ),
]
LogSize = Annotated[
    int | None, Query(ge=1, description="Read the log as the checkpoint of this size states it")
]


def view_log(svc: Service, known_at: str | None, log_size: int | None) -> Snapshot:
    """The checkpoint a view reads: `known_at` or `log_size` (not both), else the default."""
    day = parse_date(known_at, where="known_at") if known_at else None
    return choose_snapshot(svc.ledger, day, log_size)


def dated(log: Snapshot, day: date, answer: dict[str, Any]) -> dict[str, Any]:
    """An answer with the two dates it was computed for and its checkpoint."""
    last = log.known_day  # None: the latest checkpoint, as no known_at was given
    return {
        **answer,
        "as_of": day.isoformat(),
        "known_at": last.isoformat() if last is not None else None,
        "checkpoint": log.checkpoint_json(),
    }


def as_of_day(svc: Service, text: str | None) -> date:
    return parse_date(text, where="as_of") if text else svc.clock().astimezone(UTC).date()


def roadmap_status(
    svc: Service, log: Snapshot, day: date, accord: str | None = None
) -> tuple[roadmap.Status, Consequences]:
    """The status (with its consequences' findings) and the consequences (`roadmap_view`)."""
    try:
        return roadmap_view(log, day, accord, lambda: evaluation_at(svc, log, day))
    except ValueError as exc:
        raise InputError(str(exc), where="accord") from exc


def _roadmap_at(
    svc: Service, log: Snapshot, day: date, accord: str | None
) -> tuple[roadmap.Status, Consequences]:
    return svc.views.view(
        log,
        "roadmap status",
        (day, accord),
        None,
        lambda log: roadmap_status(svc, log, day, accord),
    )


def status_at(svc: Service, log: Snapshot, day: date, accord: str | None = None) -> roadmap.Status:
    """The road map status, computed once per checkpoint, date and accord."""
    return _roadmap_at(svc, log, day, accord)[0]


def consequences_at(
    svc: Service, log: Snapshot, day: date, accord: str | None = None
) -> Consequences:
    """The consequences of the accord in force, computed once per checkpoint, date and accord."""
    return _roadmap_at(svc, log, day, accord)[1]


def roadmap_json(
    svc: Service, log: Snapshot, day: date, accord: str | None = None
) -> dict[str, Any]:
    """The status as `status --format json` gives it, consequences included."""
    status, consequences = _roadmap_at(svc, log, day, accord)
    return {**status.to_json(), "consequences": consequences.to_json()}


def evaluation_at(svc: Service, log: Snapshot, day: date) -> LogEvaluation:
    """`evaluate_log`, computed once per checkpoint and date."""
    return svc.views.view(
        log, "compliance evaluation", (day,), None, lambda log: evaluate_log(log, day)
    )


@router.get(
    "/roadmap/status",
    summary="The road map's status as of a date",
    response_model=dict[str, Any],
)
def get_roadmap_status(
    svc: ServiceDep,
    as_of: AsOf = None,
    accord: Annotated[str | None, Query(max_length=100)] = None,
    known_at: KnownAt = None,
    log_size: LogSize = None,
) -> Response:
    day = as_of_day(svc, as_of)
    return svc.views.json(
        view_log(svc, known_at, log_size),
        "api roadmap status",
        (day, accord),
        None,
        lambda log: dated(log, day, roadmap_json(svc, log, day, accord)),
    )


def _violations(svc: Service, log: Snapshot, day: date) -> dict[str, Any]:
    evaluation = evaluation_at(svc, log, day).evaluation
    return {
        "as_of": day.isoformat(),
        "events": len(evaluation.events),
        "obligations": len(evaluation.obligations.obligations),
        "violations": [v.to_json() for v in evaluation.violations()],
        "non_binding": [v.to_json() for v in evaluation.violations(binding=False)],
    }


@router.get(
    "/compliance/violations",
    summary="Violations of obligations as of a date",
    response_model=dict[str, Any],
)
def get_violations(
    svc: ServiceDep, as_of: AsOf = None, known_at: KnownAt = None, log_size: LogSize = None
) -> Response:
    day = as_of_day(svc, as_of)
    return svc.views.json(
        view_log(svc, known_at, log_size),
        "api violations",
        (day,),
        None,
        lambda log: dated(log, day, _violations(svc, log, day)),
    )


def _responses(log: Snapshot, day: date) -> list[dict[str, Any]]:
    responses = responses_as_of(compliance_records(log).responses, day)
    return [{**r.to_json(), "to": list(r.to)} for r in responses]


@router.get(
    "/compliance/responses",
    summary="Responses to violations in the log",
    response_model=list[dict[str, Any]],
)
def get_responses(svc: ServiceDep, as_of: AsOf = None) -> Response:
    day = as_of_day(svc, as_of)
    return svc.views.json(
        svc.snapshot(), "api responses", (day,), None, lambda log: _responses(log, day)
    )


@router.get(
    "/compliance/report",
    summary="Violations by year, instrument and type, with responses",
    response_model=dict[str, Any],
)
def get_compliance_report(
    svc: ServiceDep,
    by: Annotated[
        str, Query(description=f"one of {', '.join(UNITS)}", json_schema_extra={"enum": [*UNITS]})
    ] = UNITS[0],
    year: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    as_of: AsOf = None,
    window: Annotated[int, Query(ge=0, le=3650)] = DEFAULT_WINDOW_DAYS,
    known_at: KnownAt = None,
    log_size: LogSize = None,
) -> Response:
    if by not in UNITS:
        raise InputError(f"by must be one of {', '.join(UNITS)}, not {by!r}")
    day = as_of_day(svc, as_of)

    def report(log: Snapshot) -> dict[str, Any]:
        found = evaluation_at(svc, log, day)
        return build_report(
            found.evaluation,
            found.responses,
            unit=by,
            year=year,
            window=window,
            superseded=found.superseded,
        ).to_json()

    params = (day, by, year, window)
    return svc.views.json(
        view_log(svc, known_at, log_size),
        "api compliance report",
        params,
        None,
        lambda log: dated(log, day, report(log)),
    )
