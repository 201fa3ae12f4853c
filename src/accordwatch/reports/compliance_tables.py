"""The compliance report as titled tables of text, for the command line (and any text view).

Pure: each table is a title, its column names and rows of strings; the
caller draws them. Every title says what the counts count.
"""

from __future__ import annotations

from dataclasses import dataclass

from accordwatch.compliance.report import Group, Report
from accordwatch.compliance.responses import RESPONSE_KINDS


@dataclass(frozen=True)
class TextTable:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _unit(report: Report) -> str:
    return "events" if report.unit == "event" else "missiles"


def _groups(title: str, key: str, groups: list[Group]) -> TextTable:
    return TextTable(
        title,
        (key, "violations", "uncertain"),
        [(g.label, str(g.tally.violations), str(g.tally.uncertain)) for g in groups],
    )


def report_tables(report: Report) -> list[TextTable]:
    """The report's tables: by year, instrument, type, class, and the events with responses."""
    unit = _unit(report)
    window = report.window_days
    years = TextTable(
        f"Violations per year, counted in {unit} (responses within {window} days)",
        (
            "year",
            "violations",
            "uncertain",
            "non-binding only",
            "answered",
            "late",
            "unanswered",
            "window open",
        ),
        [
            (
                str(y.year),
                str(y.tally.violations),
                str(y.tally.uncertain),
                str(y.non_binding_only),
                str(y.states["answered"]),
                str(y.states["late"]),
                str(y.states["unanswered"]),
                str(y.states["open"]),
            )
            for y in report.by_year
        ],
    )
    instruments = TextTable(
        f"By instrument, in {unit} (a non-binding instrument's matches are not violations)",
        ("instrument", "binding", "matches", "uncertain"),
        [
            (g.label, "yes" if g.binding else "no", str(g.tally.violations), str(g.tally.uncertain))
            for g in report.by_instrument
        ],
    )
    events = TextTable(
        "Events that violate, or may violate, a binding obligation",
        ("date", "event", "status", "missiles", "instruments", "first response", "days", "state"),
        [
            (
                e.on.isoformat(),
                e.occurrence,
                "violation" if e.certain else "uncertain",
                str(e.missiles),
                _instruments(e.instruments),
                _response(e.first.response.kind, e.first.response.reference) if e.first else "",
                str(e.first.days) if e.first else "",
                e.state if e.certain else "",
            )
            for e in report.events
        ],
    )
    return [
        years,
        instruments,
        _groups(f"By event type, in {unit}", "type", report.by_type),
        _groups(f"By missile class, in {unit}", "class", report.by_class),
        events,
    ]


def _instruments(ids: list[str]) -> str:
    numbers = [i.removeprefix("unsc-") for i in ids]
    if len(numbers) > 3:
        return f"{numbers[0]} ... {numbers[-1]} ({len(numbers)})"
    return ", ".join(numbers)


def _response(kind: str, reference: str) -> str:
    name = RESPONSE_KINDS.get(kind, kind)
    return f"{name} {reference}".strip()


def _n(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_lines(report: Report) -> list[str]:
    """The totals in words, each naming its unit."""
    unit = report.unit
    o = report.overview
    states = report.states
    scope = f"in {report.year}" if report.year is not None else "in all years"
    return [
        f"as of {report.as_of}, {scope}: {_n(o['events'], 'event')} "
        f"({_n(o['missiles'], 'missile')}) in {_n(o['rows'], 'source row')}; "
        f"{_n(o['superseded_versions'], 'superseded row version')}",
        f"violations of binding obligations: {_n(report.totals.violations, unit)}",
        f"uncertain (the source does not say enough), counted apart: "
        f"{_n(report.totals.uncertain, unit)}; launches the source does not classify: "
        f"{_n(o['unclassified_events'], 'event')} ({_n(o['unclassified_missiles'], 'missile')})",
        f"without any response within {report.window_days} days: "
        f"{_n(report.without_response, unit)} ({states['unanswered']} never answered, "
        f"{states['late']} answered late); {states['answered']} answered in time, "
        f"{states['open']} still within the window",
    ]
