"""Whether a step report or verification may be logged at all, before it is.

The status (`roadmap.status`) ignores a report by a party that is not the
step's actor, and a verification by a party that is not its verifier, and
sets aside a verification of a step nobody reported. Logged anyway, such a
record would stay in the log for ever, counted for nothing. `refusal` says
why a new record would be one of those, so that the command line and the
API refuse it before anything is stored; the log itself stays open to any
well-signed record (a replayed or imported log is taken as it is).

Pure: the log's road map records in, a reason (or None) out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.history import Report, RoadmapRecord, Signature

#: the record types `refusal` judges, and what each is
STEP_RECORDS: dict[str, Literal["report", "verification"]] = {
    "step.report": "report",
    "step.verification": "verification",
}


@dataclass(frozen=True)
class Refusal:
    """Why a step record is refused: `kind` says which error it is to the user."""

    kind: Literal["unknown", "not-allowed", "not-reported"]
    reason: str


def signed_version(records: Sequence[RoadmapRecord], accord_id: str) -> Accord | None:
    """The latest version of accord `accord_id` any party signed, if one did."""
    versions = [r.accord for r in records if isinstance(r, Signature) and r.accord.id == accord_id]
    return versions[-1] if versions else None


def refusal(
    records: Sequence[RoadmapRecord],
    what: Literal["report", "verification"],
    party: str,
    accord_id: str,
    step_id: str,
) -> Refusal | None:
    """Why `party`'s report (or verification) of `step_id` would not count; None if it would."""
    accord = signed_version(records, accord_id)
    if accord is None:
        return Refusal("unknown", f"no accord {accord_id!r} has been signed in this log")
    step = next((s for s in accord.steps if s.id == step_id), None)
    if step is None:
        return Refusal("unknown", f"accord {accord_id!r} has no step {step_id!r}")
    if what == "report":
        if party != step.party:
            return Refusal(
                "not-allowed",
                f"step {step_id!r} is taken by {step.party!r}: only {step.party!r} may "
                f"report it, not {party!r}",
            )
        return None
    verifier = step.verification.by
    if party != verifier:
        return Refusal(
            "not-allowed",
            f"step {step_id!r} is verified by {verifier!r}: only {verifier!r} may "
            f"verify it, not {party!r}",
        )
    reported = any(
        isinstance(r, Report)
        and r.accord_id == accord_id
        and r.step == step_id
        and r.party == step.party
        for r in records
    )
    if not reported:
        return Refusal(
            "not-reported",
            f"step {step_id!r} has not been reported by {step.party!r}: "
            "there is nothing to verify yet",
        )
    return None
