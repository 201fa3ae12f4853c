"""The package's floor plan: concept packages, small modules, nothing left flat.

The import rules themselves (layers, a log that knows no domain, a pure core)
are import-linter's contracts in pyproject.toml, run by `lint-imports` in CI.
"""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "accordwatch"
MAX_LINES = 600

#: what may stand flat in the package: the foundation, the catalog and the workspace
FLAT = {
    "__init__.py",
    "__main__.py",
    "errors.py",
    "timeutil.py",
    "settings.py",
    "validation_messages.py",
    "documents.py",
    "private_files.py",
    "catalog.py",
    "workspace.py",
}

#: the concept packages (and the shipped data), each named after what it holds
PACKAGES = {
    "log",
    "roadmap",
    "compliance",
    "safeguards",
    "declarations",
    "store",
    "sources",
    "reports",
    "service",
    "witness",
    "cli",
    "data",
    "examples",
}


def oversize_modules(root: Path, limit: int) -> list[str]:
    """Modules under `root` with more than `limit` lines, as `path: lines`."""
    out = []
    for path in sorted(root.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            out.append(f"{path.relative_to(root)}: {lines}")
    return out


def test_no_module_is_over_600_lines() -> None:
    assert oversize_modules(SRC, MAX_LINES) == []


def test_the_oversize_check_finds_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * 10)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "long.py").write_text("x = 1\n" * 601)
    assert oversize_modules(tmp_path, MAX_LINES) == [f"{Path('pkg', 'long.py')}: 601"]


def test_nothing_is_left_flat_but_the_foundation_the_catalog_and_the_workspace() -> None:
    flat = {p.name for p in SRC.glob("*.py")}
    assert flat <= FLAT, f"modules left flat in accordwatch/: {sorted(flat - FLAT)}"
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == PACKAGES


def test_every_package_says_what_it_holds() -> None:
    for init in sorted(SRC.rglob("__init__.py")):
        text = init.read_text(encoding="utf-8").lstrip()
        assert text.startswith('"""'), f"{init.relative_to(SRC)} has no docstring"
