"""The obligations of the accords in force, and the obligations that apply as of a date.

An accord file may list `obligations` (see `accord`): what a party must not do
while the accord is in force, with the same rules as an obligations file. Here
they become `Obligation`s like those of a Security Council resolution, so the
compliance evaluation, its reports and charts treat both alike:

- the instrument is the accord: its id and title, kind `accord`, adopted on
  the day the accord entered into force, binding;
- each obligation's id is `ACCORD.ID` (the accord's id, a dot, its own id), so
  obligations of several accords never clash with each other or with the
  resolutions;
- it applies to events from the day it takes effect to its `ends` (both
  included).

Which accord and when. As of a date D, every accord signed in the log is
looked at; one with no version in force on D (see `roadmap`) creates no
obligation. The obligations are those of the version in force on D. The day
an obligation takes effect (`effective`):

- `entry into force` (the default): the day the accord entered into force,
  that is the day its first version was signed by all its parties, so that an
  amendment carrying a freeze over does not reopen it;
- a date: that date;
- `deadline of STEP`: the step's deadline as the road map computes it as of D;
- `STEP reported` / `STEP verified`: the day the step was first reported /
  first verified, as of D.

Never before the accord entered into force: an earlier date binds from entry
into force. An obligation whose step has no such date yet as of D (a relative
deadline whose anchor has not happened, a step not yet verified) does not bind
yet, and is left out. Pure: records and a date in, obligations out.

`obligations_as_of` is the one place where the obligations evaluated on a date
are put together: the shipped resolutions, the accords' obligations and any
obligations files given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from accordwatch.compliance.obligations import (
    Instrument,
    Obligation,
    Obligations,
    builtin_obligations,
    combine,
)
from accordwatch.compliance.rules import parse_rule
from accordwatch.roadmap import status as roadmap
from accordwatch.roadmap.accord import EntryIntoForceStart, FixedStart, StepStart
from accordwatch.roadmap.history import (
    RoadmapRecord,
    accord_ids,
    gather_versions,
    in_force,
    schedule,
)

KIND = "accord"


def accord_obligations(records: Sequence[RoadmapRecord], as_of: date) -> Obligations:
    """The obligations of every accord in force as of `as_of`, from the log's road map records."""
    sets = [
        found
        for accord_id in accord_ids(records, as_of)
        if (found := _of_accord(records, accord_id, as_of)) is not None
    ]
    return combine(*sets) if sets else Obligations((), ())


def obligations_as_of(
    records: Sequence[RoadmapRecord], as_of: date, *more: Obligations
) -> Obligations:
    """What compliance is evaluated against as of a date: resolutions, accords, then `more`."""
    return combine(builtin_obligations(), accord_obligations(records, as_of), *more)


def _of_accord(records: Sequence[RoadmapRecord], accord_id: str, as_of: date) -> Obligations | None:
    versions = gather_versions(records, accord_id, as_of)
    current = in_force(versions, as_of)
    if current is None:
        return None
    accord = current.accord
    entered = min(day for day, _ in schedule(versions))  # the first version signed by all
    instrument = Instrument(
        id=accord.id,
        title=accord.title,
        kind=KIND,
        adopted=entered,
        binding=True,
        basis=f"in force since {entered.isoformat()} (version {current.digest[:12]})",
        note="illustrative example, not agreed terms" if accord.illustrative else "",
    )
    status = (
        roadmap.evaluate(records, as_of, accord_id)
        if any(isinstance(o.start, StepStart) for o in accord.obligations)
        else None
    )
    obligations = []
    for terms in accord.obligations:
        start = _start_day(terms.start, status, entered)
        if start is None or (terms.ends is not None and terms.ends < start):
            continue  # not binding yet, or its whole span falls before entry into force
        obligations.append(
            Obligation(
                id=f"{accord.id}.{terms.id}",
                instrument=instrument,
                party=terms.party,
                effective=start,
                ends=terms.ends,
                text=terms.text,
                rule=parse_rule(terms.rule),
            )
        )
    source = f"accord {accord.id} (version {current.digest[:12]})"
    return Obligations((instrument,), tuple(obligations), (source,))


def _start_day(
    start: EntryIntoForceStart | FixedStart | StepStart,
    status: roadmap.Status | None,
    entered: date,
) -> date | None:
    if isinstance(start, EntryIntoForceStart):
        return entered
    if isinstance(start, FixedStart):
        return max(start.on, entered)
    if status is None or all(s.id != start.step for s in status.steps):
        return None  # a step the version in force lacks (`accord check` rejects it)
    step = status.step(start.step)
    day = {
        "deadline": step.deadline,
        "reported": step.reported_on,
        "verified": step.verified_on,
    }[start.event]
    return None if day is None else max(day, entered)
