"""One-line descriptions of a witness policy and of an accord's policy state, for commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accordwatch.cli.context import shown

if TYPE_CHECKING:
    from accordwatch.log.policy import Policy


def describe(policy: Policy) -> str:
    urls = sum(1 for w in policy.witnesses if w.url)
    return (
        f"{len(policy.logs)} log(s), {len(policy.witnesses)} witness(es) ({urls} with a URL); "
        f"quorum {policy.describe_quorum()}"
    )


def policy_line(state: object) -> str:
    """One line on the witness policy of an accord: in force, pending, or none."""
    from accordwatch.log.policy import Policy
    from accordwatch.roadmap.witness_policy import PolicyState

    if not isinstance(state, PolicyState) or not state.versions:
        return "witness policy: none signed (accordwatch accord policy FILE --as PARTY)"
    if state.in_force is not None:
        policy = Policy.parse(state.in_force.text)
        return shown(f"witness policy in force: {state.in_force.digest[:12]}, {describe(policy)}")
    pending = state.versions[-1]
    return shown(
        f"witness policy: none in force; {pending.digest[:12]} awaits {', '.join(pending.missing)}"
    )
