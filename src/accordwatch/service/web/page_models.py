"""Response models of the dashboard's JSON twins: the data behind each page, member by member.

Each page's HTML is rendered from the dictionary its twin returns, so a twin
grows with its page: the models name and describe every member a page holds
today, and allow more. The members' own shapes are those of the API
operations named in each description (`/api/roadmap/status`, `/api/compliance/report`,
`/api/verification/balances`, ...), whose models type them in full.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Page(BaseModel):
    model_config = ConfigDict(extra="allow")


def _member(description: str) -> Any:
    return Field(default=None, description=description)


class OverviewPage(_Page):
    """The overview: each figure from the page that details it, and the log's health."""

    as_of: str | None = _member("The day the page reads the accord as of (YYYY-MM-DD, UTC)")
    log: Any = _member("The log: origin, size, key, checkpoints (as /api/log)")
    accord: Any = _member("The accord in force, or null")
    accord_id: str | None = _member("Its id")
    roadmap: Any = _member("Step counts and findings, linking to /roadmap")
    counts: Any = _member("Steps per status (as /api/roadmap/status)")
    parties: Any = _member("Per party: overdue, outstanding, next deadlines")
    findings: Any = _member("The road map's findings")
    consequences: Any = _member("The accord's consequences, totals")
    forks: Any = _member("Proofs that the log signed two histories")
    violations: Any = _member("Violations as /compliance counts them")
    safeguards: Any = _member("Safeguards alarms this visitor may read")
    health: Any = _member("Latest witnessed checkpoint, its age, last audit")


class RoadmapPage(_Page):
    """The road map: every step, the findings, the balance, the consequences."""

    as_of: str | None = _member("The day the status is computed as of")
    accord_id: str | None = _member("The accord's id")
    in_force: Any = _member("The version in force, or null")
    signatures: Any = _member("Each version and who signed it")
    counts: Any = _member("Steps per status")
    parties: Any = _member("Per party: on time, late, overdue, next deadlines")
    steps: Any = _member("Every step with its status and entries")
    findings: Any = _member("Findings with their entries")
    balance: Any = _member("Weight of verified steps against concessions")
    consequences: Any = _member("Each consequence triggered and answered")
    status_meanings: dict[str, str] | None = _member("What each status word means")
    format: str | None = _member("The shape's version")


class CompliancePage(_Page):
    """The compliance record: violations counted per event (as /api/compliance/report)."""

    as_of: str | None = _member("The day the record is evaluated as of")
    year: int | None = _member("The year shown, or null for every year")
    counted_per: str | None = _member("event or missile")
    window_days: int | None = _member("Days within which a response counts as timely")
    totals: Any = _member("Violations, uncertain, answered, unanswered")
    overview: Any = _member("Events, missiles and source rows read")
    by_year: Any = _member("Per year")
    by_instrument: Any = _member("Per resolution or accord")
    by_type: Any = _member("Per event type")
    by_class: Any = _member("Per missile class")
    events: Any = _member("Each violating event with its evidence entries")
    obligation_files: Any = _member("The obligation files evaluated")


class DeclarationsPage(_Page):
    """The declarations, their diffs and escrows, as the visitor may read them."""

    reading_as: Any = _member("The party and role read as, or null")
    declarations: Any = _member("Each declaration entry")
    hidden: int | None = _member("Declarations this visitor may not read")
    diffs: Any = _member("Readable corrections and updates, compared")
    selected: Any = _member("The declaration asked for, or null")
    escrows: Any = _member("Escrowed declarations: parts, reveals, findings")
    limits: Any = _member("How much of a declaration the page shows")


class SafeguardsPage(_Page):
    """Material balances and inspections (as /api/verification), as the visitor may read them."""

    log: Any = _member("The log")
    reading_as: Any = _member("The party and role read as, or null")
    readers: Any = _member("Who may read what this visitor may not")
    balances: Any = _member("The balances (as /api/verification/balances)")
    inspections: Any = _member("The inspections (as /api/verification/inspections)")


class ExplorerPage(_Page):
    """The log explorer: one entry with its content and proof, and a page of the listing."""

    log: Any = _member("The log")
    index: int | None = _member("The entry asked for, or null")
    entry: Any = _member("Its content, or commitment and readers")
    receipt: Any = _member("Its inclusion proof against a shown checkpoint")
    listing: Any = _member("A page of entries with its filters and links")


class SigninPage(_Page):
    """Whom the sign-in cookie reads as."""

    reading_as: Any = _member("The party and role, or null")
    message: str | None = _member("What the page says")
    problem: str | None = _member("Why a sign-in failed, or null")
    next: str | None = _member("Where the page goes after signing in")
