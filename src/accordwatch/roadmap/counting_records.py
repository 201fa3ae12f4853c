"""The records that count for a step, found through the road map status's log indices.

`status.evaluate` has already sorted out which reports and verification
results count for each step (`StepStatus.report_indices`,
`verification_indices`); `CountingRecords` looks them up for the steps a
caller asks about (the consequences of the accord), rather than sorting the
whole log again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from accordwatch.roadmap.history import Report, RoadmapRecord, Signature, VerificationResult
from accordwatch.roadmap.status import Status


class CountingRecords:
    """The counting records of a step, found through its status's log indices.

    The status has already sorted out which reports and results count for each
    step (`StepStatus.report_indices`, `verification_indices`); they are looked
    up, for the steps the consequences ask about only, rather than sorted again.
    """

    def __init__(self, records: Sequence[RoadmapRecord], status: Status) -> None:
        self.steps = {s.id: s for s in status.steps}
        self.records: dict[int, Report | VerificationResult] = {
            r.index: r for r in records if not isinstance(r, Signature)
        }
        self._results: dict[str, list[VerificationResult]] = {}
        self._first: dict[str, Report | None] = {}
        self._verified: dict[str, tuple[list[date], list[VerificationResult]]] = {}

    def get(self, step: str) -> CountingRecords.Step | None:
        return CountingRecords.Step(self, step) if step in self.steps else None

    def results(self, step: str) -> list[VerificationResult]:
        """The step's counting verification results, by date and log index."""
        found = self._results.get(step)
        if found is None:
            found = [
                r
                for i in self.steps[step].verification_indices
                if isinstance(r := self.records[i], VerificationResult)
            ]
            found.sort(key=lambda r: (r.counts_from, r.index))
            self._results[step] = found
        return found

    def verified(self, step: str) -> tuple[list[date], list[VerificationResult]]:
        """The step's counting results that say verified, with their days, in date order."""
        found = self._verified.get(step)
        if found is None:
            results = [r for r in self.results(step) if r.verified]
            found = self._verified[step] = ([r.counts_from for r in results], results)
        return found

    def first_report(self, step: str) -> Report | None:
        """The step's earliest counting report, by date and log index."""
        if step not in self._first:
            reports = [
                r
                for i in self.steps[step].report_indices
                if isinstance(r := self.records[i], Report)
            ]
            self._first[step] = min(reports, key=lambda r: (r.counts_from, r.index), default=None)
        return self._first[step]

    @dataclass(frozen=True, slots=True)
    class Step:
        of: CountingRecords
        id: str

        @property
        def results(self) -> list[VerificationResult]:
            return self.of.results(self.id)

        @property
        def first_report(self) -> Report | None:
            return self.of.first_report(self.id)

        @property
        def first_verified(self) -> VerificationResult | None:
            return next((r for r in self.results if r.verified), None)
