"""The consequences of an accord file must name what exists and be able to happen.

Errors, each at the place in the consequence that is wrong:

- an undeclared acting `party`, or a step that a trigger, `suspends` or
  `until` names and the accord does not declare (with the closest name);
- a `violation` trigger naming an obligation that is neither the accord's own
  (`ACCORD.ID` or its bare id) nor one of a shipped Security Council
  resolution;
- a trigger that can never fire: an `any:`/`all:` that lists no trigger, or
  a violation of a non-binding resolution's obligation (its matches are never
  violations);
- a suspended step that is not a concession (only concessions are held back);
- a cycle between consequences and requirements: a concession held back
  until a step is verified, where that step (through `requires`, possibly
  through other held-back concessions) waits for the concession itself, so
  the consequence could never be cleared. Reported once per cycle, at the
  `suspends` entry that leads into it.
"""

from __future__ import annotations

from functools import cache

from accordwatch.compliance.obligations import builtin_obligations
from accordwatch.roadmap.accord import StepKind
from accordwatch.roadmap.accord_cycles import Edge, shortest_cycle, strongly_connected
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_references import undeclared
from accordwatch.roadmap.accord_views import AccordView
from accordwatch.roadmap.consequence_views import ConsequenceView


def check_consequences(view: AccordView, report: ProblemReport) -> None:
    accord_id = view.data.get("id")
    own = {o.id for o in view.obligations}
    for item in view.consequences:
        _check_one(view, item, own, accord_id if isinstance(accord_id, str) else "", report)
    _check_suspension_cycles(view, report)


def _check_one(
    view: AccordView, item: ConsequenceView, own: set[str], accord_id: str, report: ProblemReport
) -> None:
    name = f"consequence {item.id!r}"
    steps = list(view.steps)
    if item.party is not None and item.party not in view.parties:
        message = f"acting party {undeclared(item.party, list(view.parties))}"
        report.error((*item.at, "party"), f"{name}: {message}")
    for at in item.empty:
        report.error(at, f"{name}: trigger {at[-1]!r} lists no trigger: it can never fire")
    for trigger in item.triggers:
        if trigger.name is None:
            continue  # the schema check says why
        if trigger.kind == "violation":
            problem = _obligation_problem(trigger.name, own, accord_id)
            if problem:
                report.error(trigger.at, f"{name}: {problem}")
        elif trigger.name not in view.steps:
            message = f"{trigger.kind} trigger's step {undeclared(trigger.name, steps)}"
            report.error(trigger.at, f"{name}: {message}")
    for j, ref in item.suspends:
        at = (*item.at, "suspends", j)
        step = view.steps.get(ref)
        if step is None:
            report.error(at, f"{name}: suspended step {undeclared(ref, steps)}")
        elif step.kind is not None and step.kind is not StepKind.CONCESSION:
            report.error(
                at,
                f"{name}: suspends step {ref!r}, a {step.kind.value!r} step: only concessions "
                "are held back",
            )
    if item.until is not None and item.until not in view.steps:
        message = f"cleared by step {undeclared(item.until, steps)}"
        report.error((*item.at, "until", "step"), f"{name}: {message}")


def _obligation_problem(name: str, own: set[str], accord_id: str) -> str:
    bare = name.removeprefix(f"{accord_id}.") if accord_id else name
    if bare in own:
        return ""
    shipped = _shipped_obligations()
    if name in shipped:
        if not shipped[name]:
            return (
                f"violation trigger names obligation {name!r} of a non-binding resolution: its "
                "matches are never violations, so the trigger can never fire"
            )
        return ""
    known = sorted(own | {f"{accord_id}.{o}" for o in own} | set(shipped))
    return (
        f"violation trigger's obligation {undeclared(name, known)} (neither the "
        "accord's nor a shipped resolution's)"
    )


@cache
def _shipped_obligations() -> dict[str, bool]:
    """Shipped obligation id -> whether its instrument binds."""
    return {o.id: o.binding for o in builtin_obligations().obligations}


def _check_suspension_cycles(view: AccordView, report: ProblemReport) -> None:
    # A step waits for the steps it requires (to be verified); a held-back
    # concession waits for its consequence's `until` step. A cycle through at
    # least one such hold can never be broken.
    graph: dict[str, list[Edge]] = {ident: [] for ident in view.steps}
    for ident, step in view.steps.items():
        for j, ref in step.requires:
            if ref in view.steps:
                graph[ident].append(Edge(ref, (*step.at, "requires", j), False))
    holds = False
    for item in view.consequences:
        if item.until is None or item.until not in view.steps:
            continue
        for j, ref in item.suspends:
            if ref in view.steps:
                graph[ref].append(Edge(item.until, (*item.at, "suspends", j), False))
                holds = True
    if not holds:
        return
    for component in strongly_connected(graph):
        members = set(component)
        held = [
            (source, edge)
            for source in component
            for edge in graph[source]
            if edge.at[0] == "consequences" and edge.target in members
        ]
        if not held:
            continue  # a cycle of `requires` alone: `accord_cycles` reports it
        source, edge = min(held, key=lambda pair: report.locate(pair[1].at))
        # the shortest way round that starts with this hold
        path = shortest_cycle({**graph, source: [edge]}, source, component)
        chain = " -> ".join([source, *(e.target for e in path)])
        consequence = next(c for c in view.consequences if c.at == edge.at[:2])
        if edge.target == source:
            why = f"until {source!r} itself is verified"
        else:
            why = f"until {edge.target!r} is verified, but that waits for {source!r} ({chain})"
        report.error(
            edge.at,
            f"consequence {consequence.id!r}: holds back {source!r} {why}: "
            "the consequence can never be cleared",
        )
