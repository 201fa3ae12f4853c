"""The shapes of the evaluations' answers: road map status, compliance, safeguards.

The JSON is the evaluations' own (`status --format json`, `compliance
report --format json`, `accountancy balance --format json`, `inspection
compare --format json`), with the two dates and the checkpoint a view was
computed for; these models state it for the OpenAPI schema, with an example
each. Days are `YYYY-MM-DD`, times RFC 3339 UTC with `Z`, hashes base64.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from accordwatch.service.api.models import ROOT, Document, example


class ViewCheckpoint(BaseModel):
    """The checkpoint a view was computed from."""

    size: int
    root: str = Field(description="Merkle tree root, base64")


class Dated(BaseModel):
    """What every view says it was computed for."""

    as_of: str = Field(description="The day the view describes (YYYY-MM-DD)")
    known_at: str | None = Field(
        description="The day the log was read as of (null: its latest checkpoint)"
    )
    checkpoint: ViewCheckpoint


_DATED = {"as_of": "2021-06-01", "known_at": None, "checkpoint": {"size": 64, "root": ROOT}}


# --- road map -------------------------------------------------------------------------------


class InForce(BaseModel):
    digest: str = Field(description="SHA-256 of the accord version's canonical text")
    title: str
    since: str | None
    index: int = Field(description="Log index of the signature that brought it into force")


class Signed(BaseModel):
    party: str
    on: str | None
    index: int


class VersionSignatures(BaseModel):
    digest: str
    title: str
    state: str
    complete_on: str | None
    signed: list[Signed]
    missing: list[str]


class StepStatus(BaseModel):
    id: str
    title: str
    party: str
    verifier: str | None
    kind: str
    phase: str | None
    status: str
    deadline: str | None
    reported_on: str | None
    verified_on: str | None
    result_on: str | None
    days_late: int | None
    waiting_for: list[str]
    report_indices: list[int]
    verification_indices: list[int]


class NextDeadline(BaseModel):
    step: str
    deadline: str | None


class PartyStatus(BaseModel):
    id: str
    name: str | None
    role: str | None
    steps: int
    on_time: int
    late: int
    outstanding: int
    overdue: int
    verified: int
    disputed: int
    awaiting_verification: int
    next_deadlines: list[NextDeadline]


class Finding(BaseModel):
    kind: str
    date: str | None
    step: str | None
    party: str | None
    message: str
    indices: list[int]


class BalancePoint(BaseModel):
    date: str | None
    verified_weight: float
    concession_weight: float


class Span(BaseModel):
    start: str | None
    end: str | None


class RoadmapBalance(BaseModel):
    points: list[BalancePoint]
    ahead: list[Span] = Field(description="Periods when concessions ran ahead of verified steps")


class RoadmapStatus(Dated):
    """The road map's status as of a date (`accordwatch status --format json`)."""

    format: str
    accord_id: str | None = Field(description="The accord evaluated (null: none signed yet)")
    in_force: InForce | None
    signatures: list[VersionSignatures]
    counts: dict[str, int] = Field(description="Steps per status")
    steps: list[StepStatus]
    parties: list[PartyStatus]
    findings: list[Finding]
    balance: RoadmapBalance

    model_config = example(
        {
            **_DATED,
            "format": "accordwatch.roadmap-status/1",
            "accord_id": None,
            "in_force": None,
            "signatures": [],
            "counts": {},
            "steps": [],
            "parties": [],
            "findings": [],
            "balance": {"points": [], "ahead": []},
        }
    )


# --- compliance -----------------------------------------------------------------------------


class Evidence(BaseModel):
    event_id: str
    log_index: int = Field(description="The log entry the event was recorded in")
    certain: bool
    source: str | None = Field(default=None, description="The source's name")
    file: str | None = Field(default=None, description="The file in the source")
    row: str | None = Field(default=None, description="The row's key in the source")
    line: int | None = Field(default=None, description="Line (CSV) or position (JSON) in the file")
    uncertain_because: str | None = None


_VIOLATION = {
    "id": "cns-demo:2019-05-04:wonsan/unscr-1718-para-2",
    "occurrence": "cns-demo:2019-05-04:wonsan",
    "date": "2019-05-04",
    "status": "violation",
    "binding": True,
    "obligation": "unscr-1718-para-2",
    "instrument": "unscr-1718",
    "instrument_title": "Resolution 1718 (2006)",
    "missiles": 2,
    "types": ["missile"],
    "classes": ["SRBM"],
    "evidence": [{"event_id": "cns-2019-05-04-a", "log_index": 41, "certain": True}],
}


class Violation(BaseModel):
    """One occurrence (an event) against one obligation."""

    id: str = Field(description="`<occurrence>/<obligation>`: what a response names")
    occurrence: str
    date: str = Field(description="The day of the event (UTC)")
    status: str = Field(description="`violation` (certain) or `uncertain`")
    binding: bool
    obligation: str
    instrument: str
    instrument_title: str
    missiles: int
    types: list[str]
    classes: list[str]
    evidence: list[Evidence]

    model_config = example(_VIOLATION)


class ViolationPage(Dated):
    """A page of violations as of a date, in date order."""

    events: int = Field(description="Events known as of the date")
    obligations: int = Field(description="Obligations they were judged against")
    items: list[Violation]
    limit: int
    next: str | None

    model_config = example(
        {**_DATED, "events": 310, "obligations": 40, "items": [_VIOLATION], "limit": 1,
         "next": "/api/compliance/violations?as_of=2021-06-01&limit=1&log_size=64&start=1"}
    )  # fmt: skip


class ResponseRecord(BaseModel):
    log_index: int
    kind: str
    on: str
    by: str
    recorded_by: str
    reference: str
    note: str


_RESPONSE = {
    "log_index": 52,
    "kind": "resolution",
    "on": "2019-12-22",
    "by": "unsc",
    "recorded_by": "usa",
    "reference": "S/RES/2397",
    "note": "",
    "to": ["cns-demo:2019-05-04:wonsan/unscr-1718-para-2"],
}


class LoggedResponse(ResponseRecord):
    """A response to violations, as recorded in the log."""

    to: list[str] = Field(description="The violation ids it answers")

    model_config = example(_RESPONSE)


class ResponsePage(BaseModel):
    """A page of responses in log order."""

    items: list[LoggedResponse]
    limit: int
    next: str | None

    model_config = example({"items": [_RESPONSE], "limit": 100, "next": None})


class FirstResponse(ResponseRecord):
    days: int = Field(description="Days from the violation to the response")


class Tally(BaseModel):
    violations: int
    uncertain: int


class States(BaseModel):
    answered: int
    late: int
    unanswered: int
    open: int


class Totals(States):
    counted_per: str
    violations: int
    uncertain: int
    without_response_within_window: int


class YearRow(States):
    year: int
    violations: int
    uncertain: int
    non_binding_only: int
    without_response_within_window: int
    by_type: dict[str, Tally]


class GroupRow(BaseModel):
    key: str
    label: str
    binding: bool
    violations: int
    uncertain: int


class YearTable(BaseModel):
    counted_per: str
    rows: list[YearRow]


class GroupTable(BaseModel):
    counted_per: str
    rows: list[GroupRow]


class EventLine(BaseModel):
    occurrence: str
    date: str
    status: str
    missiles: int
    types: list[str]
    classes: list[str]
    instruments: list[str]
    first_response: FirstResponse | None
    response_state: str
    considered_without_decision: bool
    violations: list[Violation]


class ComplianceReport(Dated):
    """Violations by year, instrument, type and class, with responses (`compliance report`)."""

    counted_per: str = Field(description="`event` or `missile`")
    year: int | None
    window_days: int = Field(description="Days within which a response counts as timely")
    obligation_files: list[str]
    overview: dict[str, int]
    totals: Totals
    by_year: YearTable
    by_instrument: GroupTable
    by_type: GroupTable
    by_class: GroupTable
    events: list[EventLine]

    model_config = example(
        {
            **_DATED,
            "counted_per": "event",
            "year": None,
            "window_days": 90,
            "obligation_files": ["unsc-dprk.yaml"],
            "overview": {"events": 310},
            "totals": {
                "counted_per": "event",
                "violations": 0,
                "uncertain": 0,
                "answered": 0,
                "late": 0,
                "unanswered": 0,
                "open": 0,
                "without_response_within_window": 0,
            },
            "by_year": {"counted_per": "event", "rows": []},
            "by_instrument": {"counted_per": "event", "rows": []},
            "by_type": {"counted_per": "event", "rows": []},
            "by_class": {"counted_per": "event", "rows": []},
            "events": [],
        }
    )


# --- safeguards -----------------------------------------------------------------------------


class Reader(BaseModel):
    party: str
    role: str


class Filed(BaseModel):
    """That a record was filed: public, whoever reads."""

    index: int
    time: str = Field(description="When the log recorded it, RFC 3339 UTC")
    party: str
    record_type: str
    confidential: bool
    readable: bool
    unreadable: str | None = Field(description="Why this reader may not read it")


class Period(BaseModel):
    start: str
    end: str
    entries: list[int] = Field(description="Log indices of the reports it rests on")


class Location(BaseModel):
    name: str
    kind: str
    method: str
    random_rsd: float
    systematic_rsd: float


class Alarm(BaseModel):
    first: int | None = Field(description="The first balance (from 1) that alarms")
    balances: list[int]


class Detection(BaseModel):
    alpha: float
    power: float
    unit: str
    diversion: list[float | None]
    material: str | None = None
    diversion_sq: list[float | None] | None = None


class Balance(BaseModel):
    """One balance area's sequence of material balances for one material, and its tests."""

    mba: str
    material: str
    periods: list[Period]
    locations: list[Location]
    exact_muf_kg: list[str] = Field(description="MUF per period, exact decimal kilograms")
    changes_outside_periods: int
    findings: list[str]
    period_count: int
    k: float
    K: float
    h: float
    unit: str
    muf: list[float | None]
    sigma_muf: list[float | None]
    cumuf: list[float | None]
    sigma_cumuf: list[float | None]
    sitmuf: list[float | None]
    page: list[float | None]
    alarms: dict[str, Alarm]
    detection: Detection
    thresholds: dict[str, list[float | None]]


class Unavailable(BaseModel):
    mba: str
    material: str
    detail: str


class BalancePage(BaseModel):
    """A page of material balances the reader may read, computed from those reports only."""

    reader: Reader | None = Field(description="Who the bearer reads as (null: anonymous)")
    records: list[Filed] = Field(description="The accountancy reports filed")
    withheld: int = Field(description="Accountancy reports this reader may not read")
    unavailable: list[Unavailable] = Field(description="Balances that could not be computed")
    items: list[Balance]
    limit: int
    next: str | None

    model_config = example(
        {
            "reader": None,
            "records": [],
            "withheld": 0,
            "unavailable": [],
            "items": [],
            "limit": 100,
            "next": None,
        }
    )


class Selection(BaseModel):
    plan_entry: int
    mba: str
    plan_id: str
    nonce_sha256: str | None = Field(
        description="SHA-256 of the inspectorate's secret nonce the plan commits to, base64"
    )
    revealed_by: int | None = Field(description="The report entry that revealed the nonce")
    checkpoint: str = Field(description="The checkpoint the draw's seed comes from")
    checkpoint_size: int
    witnessed: str | None = Field(
        description="How the checkpoint is witnessed (null: no witness policy for the log)"
    )
    seed: str = Field(description="The draw's seed, SHA-256(nonce || checkpoint), base64")
    selected: dict[str, list[str]] = Field(description="Per stratum, the items drawn")


class InspectionFinding(BaseModel):
    kind: str
    item_id: str | None
    message: str


class Difference(BaseModel):
    item_id: str
    stratum: str
    declared_kg: float
    measured_kg: float
    difference_kg: float
    sigma_kg: float
    significant: bool


class DStatistic(BaseModel):
    stratum: str
    population: int
    measured: int
    d_kg: float
    sigma_kg: float
    significant: bool
    d_sq: float | None = None


class Comparison(BaseModel):
    plan_entry: int
    report_entry: int
    report_id: str
    mba: str
    declared: str = Field(description="Where the declared items come from")
    k: float
    findings: list[InspectionFinding]
    differences: list[Difference]
    d_statistics: list[DStatistic]


_INSPECTION = {
    "index": 20,
    "time": "2021-05-02T08:00:00.000Z",
    "party": "iaea",
    "record_type": "inspection.plan",
    "confidential": True,
    "readable": False,
    "unreadable": "confidential to the inspectorate",
    "content": None,
    "selection": None,
    "unavailable": None,
}


class Inspection(Filed):
    """An inspection plan (with its draw) or report (with its comparison)."""

    content: Document | None = Field(description="The plan or report, where readable")
    selection: Selection | None = Field(default=None, description="A plan's draw")
    comparison: Comparison | None = Field(default=None, description="A report's comparison")
    unavailable: str | None = Field(description="Why the draw or comparison is missing")

    model_config = example(_INSPECTION)


class InspectionPage(BaseModel):
    """A page of inspection plans and reports in log order."""

    reader: Reader | None
    withheld: int = Field(description="Inspection records this reader may not read")
    accountancy_withheld: int = Field(description="Accountancy reports this reader may not read")
    items: list[Inspection]
    limit: int
    next: str | None

    model_config = example(
        {
            "reader": None,
            "withheld": 1,
            "accountancy_withheld": 0,
            "items": [_INSPECTION],
            "limit": 100,
            "next": None,
        }
    )
