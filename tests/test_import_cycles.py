"""No import cycle between modules of accordwatch, counting imports made inside functions.

The graph is built statically with `ast`, so an import deferred into a function
body or guarded by `if TYPE_CHECKING:` counts as much as one at the top of a
module: deferring an import hides a cycle from the interpreter, not from readers.

Edges: `import a.b.c` points at `a.b.c` (or its longest prefix that is a
module); `from a.b import c` points at the module `a.b.c` when there is one,
else at `a.b`. Relative imports are resolved against the importing module.
Only modules of the package under test are nodes; imports of anything else
are ignored.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Container, Iterable, Mapping
from pathlib import Path

import accordwatch

Graph = dict[str, set[str]]


def _module_names(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module of the package, by dotted name, with its file."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([package, *parts])] = path
    return modules


def _known_prefix(name: str, modules: Container[str]) -> str | None:
    """The longest dotted prefix of `name` (itself included) that is a module."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement may point at, before keeping only known ones."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        # A package's own name is the anchor of its relative imports; a plain
        # module's anchor is the package that holds it.
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        if node.level > 1:
            anchor = anchor[: max(0, len(anchor) - (node.level - 1))]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]


def module_graph(package_dir: Path, package: str) -> Graph:
    """Who imports whom among the modules of `package`, whose sources sit in `package_dir`."""
    modules = _module_names(package_dir, package)
    graph: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets: set[str] = set()
            if isinstance(node, ast.Import):
                for dotted in _imported(node, name, is_package):
                    found = _known_prefix(dotted, modules)
                    if found is not None:
                        targets.add(found)
            else:
                base, *members = _imported(node, name, is_package)
                member_modules = {member for member in members if member in modules}
                targets |= member_modules
                # Names that are not modules are attributes of the base module.
                if len(member_modules) < len(members) or not members:
                    found = _known_prefix(base, modules)
                    if found is not None:
                        targets.add(found)
            graph[name] |= targets - {name}
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit to hit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        # Each frame: a module being visited and the imports of it still to follow.
        work: list[tuple[str, list[str]]] = []
        child: str | None = root
        while True:
            if child is not None:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, sorted(graph.get(child, ()), reverse=True)))
                child = None
            if not work:
                break
            node, pending = work[-1]
            if pending:
                target = pending.pop()
                if target not in index:
                    child = target
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _shortest_cycle(graph: Mapping[str, Iterable[str]], start: str, within: set[str]) -> list[str]:
    """The shortest path from `start` back to itself through the modules of `within`."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph.get(node, ())):
            if child not in within:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    return []


def import_cycles(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Cycles written `a -> b -> a`, enough of them to name every module caught in one."""
    cycles: list[str] = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        members = set(component)
        covered: set[str] = set()
        for start in component:
            if start in covered:
                continue
            cycle = _shortest_cycle(graph, start, members)
            covered.update(cycle)
            cycles.append(" -> ".join(cycle))
    return sorted(cycles)


PACKAGE_DIR = Path(accordwatch.__file__).resolve().parent


def test_no_import_cycle_in_accordwatch() -> None:
    cycles = import_cycles(module_graph(PACKAGE_DIR, "accordwatch"))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_graph_finds_cycles_hidden_in_functions_and_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    _write(pkg, "__init__.py", '"""Toy."""\n')
    _write(pkg, "base.py", "import os\n")
    # a -> b at the top, b -> a only inside a function body.
    _write(pkg, "a.py", "from toy import b\n")
    _write(pkg, "b.py", "def late() -> None:\n    from . import a\n")
    # c -> d through a relative `from .d import name`, d -> c under TYPE_CHECKING.
    _write(pkg, "c.py", "from .d import thing\n")
    _write(
        pkg,
        "d.py",
        "from typing import TYPE_CHECKING\nthing = 1\nif TYPE_CHECKING:\n    import toy.c\n",
    )
    # A subpackage reaching up two levels, and a chain that is not a cycle.
    _write(pkg, "sub/__init__.py", "")
    _write(pkg, "sub/e.py", "from ..base import os\nfrom . import f\n")
    _write(pkg, "sub/f.py", "from ...elsewhere import x\n")

    graph = module_graph(pkg, "toy")

    assert graph["toy.a"] == {"toy.b"}
    assert graph["toy.b"] == {"toy.a"}
    assert graph["toy.c"] == {"toy.d"}
    assert graph["toy.d"] == {"toy.c"}
    assert graph["toy.sub.e"] == {"toy.base", "toy.sub.f"}
    assert graph["toy.sub.f"] == set()
    assert import_cycles(graph) == ["toy.a -> toy.b -> toy.a", "toy.c -> toy.d -> toy.c"]


def test_a_longer_cycle_is_listed_through_every_module() -> None:
    graph = {
        "p.a": {"p.b"},
        "p.b": {"p.c"},
        "p.c": {"p.a", "p.d"},
        "p.d": {"p.b"},
        "p.e": {"p.a"},
    }
    assert sorted(strongly_connected(graph)) == [["p.a", "p.b", "p.c", "p.d"], ["p.e"]]
    assert import_cycles(graph) == [
        "p.a -> p.b -> p.c -> p.a",
        "p.d -> p.b -> p.c -> p.d",
    ]
