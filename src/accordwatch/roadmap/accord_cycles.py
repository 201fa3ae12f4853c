"""Cycles through `requires` and relative deadlines: steps none of which can be taken.

A step waits for the steps it `requires` and for the step its relative
deadline counts from. A cycle of such waits is an error, reported once per
cycle, at the first step of the cycle in file order (at its `requires`
entry or deadline that leads into the cycle), naming the shortest cycle
through it and which of its links are deadlines.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from accordwatch.documents import Pointer
from accordwatch.roadmap.accord import RelativeDeadline
from accordwatch.roadmap.accord_problems import ProblemReport
from accordwatch.roadmap.accord_views import AccordView, StepView


@dataclass(frozen=True)
class Edge:
    """A step waits for `target`: through a `requires` entry, or its deadline, at `at`."""

    target: str
    at: Pointer
    via_deadline: bool


def check_cycles(view: AccordView, report: ProblemReport) -> set[str]:
    """Report each cycle once; return the ids of all steps on a cycle."""
    graph = {ident: _edges(view, step) for ident, step in view.steps.items()}
    on_cycle: set[str] = set()
    for component in strongly_connected(graph):
        first = min(component, key=lambda ident: view.steps[ident].index)
        if len(component) == 1 and not any(e.target == first for e in graph[first]):
            continue
        on_cycle.update(component)
        path = shortest_cycle(graph, first, component)
        chain = " -> ".join([first, *(edge.target for edge in path)])
        waits = [
            f"{source!r} counts its deadline from {edge.target!r}"
            for source, edge in zip([first, *(e.target for e in path)], path, strict=False)
            if edge.via_deadline
        ]
        if waits:
            message = f"requires and deadlines form a cycle: {chain} ({'; '.join(waits)})"
        else:
            message = f"requires form a cycle: {chain}"
        report.error(path[0].at, f"{message}; none of these steps can be taken")
    return on_cycle


def _edges(view: AccordView, step: StepView) -> list[Edge]:
    edges: dict[str, Edge] = {}
    for j, ref in step.requires:
        if ref in view.steps:
            edges.setdefault(ref, Edge(ref, (*step.at, "requires", j), False))
    if isinstance(step.due, RelativeDeadline) and step.due.step in view.steps:
        ref = step.due.step
        edges.setdefault(ref, Edge(ref, (*step.at, "deadline"), True))
    return list(edges.values())


def strongly_connected(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            edges = graph[node]
            if next_edge < len(edges):
                work.append((node, next_edge + 1))
                target = edges[next_edge].target
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def shortest_cycle(graph: dict[str, list[Edge]], start: str, within: list[str]) -> list[Edge]:
    """The edges of a shortest cycle from `start` back to itself inside one component."""
    allowed = set(within)
    came_by: dict[str, Edge] = {}
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in graph[node]:
            if edge.target not in allowed:
                continue
            if edge.target == start:
                path = [edge]
                while node != start:
                    path.append(came_by[node])
                    node = previous[node]
                return path[::-1]
            if edge.target not in came_by:
                came_by[edge.target] = edge
                previous[edge.target] = node
                queue.append(edge.target)
    raise AssertionError("a strongly connected component always has a cycle")
