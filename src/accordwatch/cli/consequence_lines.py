"""How `status` prints the accord's consequences as of its date: one block per occasion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accordwatch.cli.context import console, shown

if TYPE_CHECKING:
    from accordwatch.roadmap.consequences import Consequences

STATE_STYLE = {"answered": "green", "late": "yellow", "unanswered": "red", "open": "cyan"}


def entries(indices: tuple[int, ...] | list[int]) -> str:
    return ", ".join(f"#{i}" for i in indices) or "none"


def print_consequences(found: Consequences) -> None:
    if not found.items:
        return
    totals = found.totals
    console.print(
        f"[bold]consequences ({totals['consequences']})[/]: {totals['triggered']} triggered, "
        f"{totals['standing']} standing; {totals['without_response_within_window']} without "
        f"response within their window",
        highlight=False,
    )
    for item in found.items:
        if not item.occasions:
            console.print(
                f"  {shown(item.id)} ({shown(item.party)}): not triggered", highlight=False
            )
            continue
        for o in item.occasions:
            style = STATE_STYLE.get(o.state, "")
            console.print(
                f"  {shown(o.id)} ({shown(item.party)}): triggered by {shown(o.why)} "
                f"(entries {entries(o.entries)})",
                highlight=False,
            )
            if o.response is not None:
                r = o.response.response
                answer = f"{r.kind} on {r.on} (#{r.index}), {o.response.days} days"
            else:
                answer = "none recorded"
            console.print(
                f"    respond {shown(item.respond_kind)} by {o.respond_by}: "
                f"[{style}]{o.state}[/] ({answer})",
                highlight=False,
            )
            if o.suspended:
                held = ", ".join(shown(s) for s in o.suspended)
                cleared = (
                    f"cleared on {o.cleared_on} (#{o.cleared_by})"
                    if o.cleared_on is not None
                    else "still standing"
                )
                console.print(f"    holds back {held}; {cleared}", highlight=False)
            elif o.cleared_on is not None:
                console.print(f"    cleared on {o.cleared_on} (#{o.cleared_by})", highlight=False)
