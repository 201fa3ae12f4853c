"""The demo's road map step: the DPRK road map signed, its scripted history logged, its standing.

Every party signs the shipped road map example; its illustrative history of
reports and verifications is logged; its status, findings, balance and
consequences (triggered, held back, cleared) are shown as of several dates,
and its timeline chart drawn.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from accordwatch.cli.context import console
from accordwatch.cli.demo.shell import set_clock, step
from accordwatch.examples import example_path
from accordwatch.log.keys import SigningKey
from accordwatch.reports.charts.roadmap_chart import draw_roadmap
from accordwatch.roadmap.accord_check import check_file
from accordwatch.roadmap.scenario import parse_scenario, scenario_submissions, scenario_time
from accordwatch.roadmap.status import evaluate
from accordwatch.sources.consequences import roadmap_view
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.store.ledger import Ledger

SHOWN_FINDINGS = ("premature concession", "missed deadline", "concession while suspended")


def run(ledger: Ledger, keys: dict[str, SigningKey], home: Path) -> None:
    """Sign the DPRK road map, replay its scripted history, and show where it stands."""
    from accordwatch.sources.snapshot import Snapshot

    step("7. The road map: signed by every party, then an (illustrative) history")
    accord = check_file(example_path("dprk-roadmap")).accord
    assert accord is not None  # the shipped example is checked by the tests
    history = example_path("dprk-roadmap").with_name("dprk-history.yaml").read_text("utf-8")
    events = parse_scenario(history, accord, source="dprk-history.yaml")
    # Replayed event by event: the simulated clock is moved to noon of each
    # event's day and the entry signed and logged then, as it would have been.
    for event, submission in zip(
        events, scenario_submissions(events, keys, ledger.origin), strict=True
    ):
        set_clock(home, scenario_time(event.on), say=False)
        ledger.submit(submission, where="history")
    console.print(
        f"  {accord.title}\n  version {accord.digest()[:12]}: {len(accord.steps)} steps in "
        f"{len(accord.phases)} phases; {len(events)} signatures, reports and "
        f"verifications logged one by one on the simulated clock, from {events[0].on} "
        f"to {events[-1].on}"
    )
    log = Snapshot.default(ledger)
    records = roadmap_records(log)
    for day in ("2020-02-20", "2021-03-01", "2021-12-31"):
        # with the accord's consequences: triggered, held back, cleared
        status, consequences = roadmap_view(log, date.fromisoformat(day))
        counts = ", ".join(f"{n} {k}" for k, n in status.counts.items() if n)
        console.print(f"\n  [bold]as of {day}[/]: {counts}")
        for finding in status.findings:
            if finding.kind.value in SHOWN_FINDINGS:
                console.print(
                    f"    [red]{finding.kind.value}[/]: {finding.message}", highlight=False
                )
        for occasion in consequences.occasions:
            cleared = f"cleared {occasion.cleared_on}" if occasion.cleared_on else "standing"
            console.print(
                f"    [yellow]consequence {occasion.id}[/]: {occasion.why}; response due by "
                f"{occasion.respond_by}: {occasion.state}; {cleared}",
                highlight=False,
            )
        for period in status.ahead:
            console.print(
                f"    [yellow]concessions ran ahead of verified steps[/] from {period.start} "
                f"to {period.end or day}"
            )
    final = evaluate(records, date(2021, 12, 31))
    charts = draw_roadmap(records, final, home)
    console.print(f"\n  timeline chart: {charts[0]} and {charts[1].name}")
