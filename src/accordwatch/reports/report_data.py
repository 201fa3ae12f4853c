"""What a report reads from the log: the road map, compliance, declarations, safeguards,
escrows and the checkpoint, each as the JSON its own command gives, and the charts.

`report_model.build` turns it into the report's sections; the Markdown, HTML and
PDF writers render those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chart:
    title: str
    png: str  # file name, next to the report
    svg: str  # the SVG document text, for inlining in HTML
    kind: str = ""  # "roadmap" (the timeline) or "compliance"


@dataclass(frozen=True)
class ReportData:
    as_of: str
    origin: str
    log_key: str
    checkpoint: str
    size: int
    roadmap: dict[str, Any]
    compliance: dict[str, Any]
    charts: list[Chart] = field(default_factory=list)
    #: the log's day the report reads the log as of ("" when not said)
    known_at: str = ""
    simulated_clock: bool = False
    #: the party the report reads confidential records as ("" for none)
    reading_as: str = ""
    #: the checkpoint's witness status in words ("" when no policy was checked)
    witnessed: str = ""
    #: `sources.verification.balance_summary` (None: no accountancy report in the log)
    safeguards: dict[str, Any] | None = None
    #: one row per declaration entry: index, time, party, access, id, program, as_of, problems
    declarations: list[dict[str, Any]] = field(default_factory=list)
    #: escrowed declarations (`sources.escrow_status.EscrowView.summaries`)
    escrows: list[dict[str, Any]] = field(default_factory=list)

    def dates_line(self) -> str:
        """Both dates and the clock: `As of 2021-03-01 (world); log as known at ... (log time).`"""
        text = f"As of {self.as_of} (day in the world)"
        if self.known_at:
            text += f"; the log as known at {self.known_at} (log time)"
        if self.simulated_clock:
            text += "; simulated clock"
        return text + "."
