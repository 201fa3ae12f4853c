"""The demo's compliance step: launches and tests against the UN resolutions and the road map.

The shipped events (every launch of 2019 among them) are imported from the
observer's node, the Security Council's answers to three events of 2017
recorded from the United States' node, and the violations reported year by
year and charted. The United States' answer to
one of the road map's consequences is recorded, and the road map's status
shows it answered in time beside one left unanswered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from accordwatch.cli.context import console
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.cli.demo.shell import Shell, step

# The Council's answers to the three 2017 events of the demo's events file
# (adoption dates and triggers as in its resolutions 2371, 2375 and 2397).
RESPONSES = (
    ("cns-demo:2017-07-04:panghyon", "2017-08-05", "S/RES/2371 (2017)"),
    ("usgs-iris:2017-09-03:punggye-ri", "2017-09-11", "S/RES/2375 (2017)"),
    ("cns-demo:2017-11-28:pyongsong", "2017-12-22", "S/RES/2397 (2017)"),
)


def run(shell: Shell, nodes: Nodes) -> None:
    step("11. Compliance: launches and tests against UN resolutions and the road map")
    # The events file runs to November 2022: it is imported after, in one go,
    # the launches of 2019 with the rest. An event is dated by its occurrence,
    # whenever the log learnt of it (`--as-of` is a day in the world).
    shell.clock(datetime(2022, 12, 1, 9, tzinfo=UTC))
    events = nodes.folder("cns") / "demo-events.json"
    shell.quiet("events", "example", "--out", str(events))
    nodes.write(shell, "cns", "events", "import", str(events), "--format", "json")
    # the United States answers events its node holds
    shell.cosign()
    nodes.sync(shell, "usa")
    for occurrence, day, resolution in RESPONSES:
        nodes.write(
            shell, "usa", "response", "record", "--to", occurrence, "--kind", "sc-resolution",
            "--on", day, "--by", "UN Security Council", "--reference", resolution,
        )  # fmt: skip
    # The road map's consequences (step 7): the United States answers the one set
    # off by the nuclear declaration found not verified, within its 30 days, and
    # records nothing for the missile declaration's lateness, which stays unanswered.
    nodes.write(
        shell, "usa", "response", "record", "--to", "resume-exercises/2021-02-15",
        "--kind", "resumed-exercise", "--on", "2021-03-10",
        "--note", "Combined spring exercises resumed",
    )  # fmt: skip
    # As of today (December 2022): a response counts from the day the log knew it.
    shell.typed("status")
    shell.typed("compliance", "report", "--by", "event", "--year", "2017")
    # Every launch of 2019 is in the file as the CNS database records it; the
    # demo records no response to them, so they stand unanswered.
    shell.typed("compliance", "report", "--by", "event", "--year", "2019")
    # As the world stood at the end of 2019, by what the log knows now: the same launches.
    shell.typed("compliance", "evaluate", "--as-of", "2019-12-31")
    # The road map signed above forbids nuclear tests from its entry into force
    # (6 January 2020) and long-range and space launches from the deadline of its
    # missile freeze (31 January 2020); the file's only later event is one launch
    # of 2022 whose class the source does not give.
    console.print(
        "The road map's moratoria bind from January 2020: the 2019 launches are judged "
        "by the resolutions alone; the unclassified launch of 2022 may break the "
        "road map (dprk-roadmap) as well."
    )
    shell.typed("compliance", "report", "--by", "event", "--year", "2022")
    shell.typed("compliance", "chart", "--by", "event", "--out", str(shell.home))
