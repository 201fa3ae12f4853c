"""The compliance report the dashboard shows, counted per event, and the entries it rests on.

`/compliance`, its chart and the overview's violation figures all come from
`compliance_report`, so they count the same events the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from accordwatch.compliance.report import EventLine, Report, build_report
from accordwatch.compliance.responses import DEFAULT_WINDOW_DAYS
from accordwatch.compliance.responses import Response as ViolationResponse
from accordwatch.service.api.deps import Service
from accordwatch.service.api.status import evaluation_at
from accordwatch.sources.snapshot import Snapshot


def compliance_report(
    svc: Service, log: Snapshot, day: date
) -> tuple[Report, list[ViolationResponse]]:
    """Violations by year with the responses they drew, as `compliance report --by event`."""
    found = evaluation_at(svc, log, day)
    report = build_report(
        found.evaluation,
        found.responses,
        unit="event",
        year=None,
        window=DEFAULT_WINDOW_DAYS,
        superseded=found.superseded,
    )
    return report, found.responses


def evidence_indices(event: EventLine) -> list[int]:
    """The log entries an event's violations rest on, each once, in log order.

    An event breaks several obligations on the same evidence: the entry is named once.
    """
    return sorted(
        {ev.log_index for v in event.violations for ev in v.evidence if ev.log_index >= 0}
    )


def compliance_json(report: Report) -> dict[str, Any]:
    """The report as `/compliance.json` gives it: each event also names its entries once."""
    out = report.to_json()
    for line, event in zip(report.events, out["events"], strict=True):
        event["evidence_entries"] = evidence_indices(line)
    return out
