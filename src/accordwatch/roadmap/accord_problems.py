"""The problems found in an accord file, and the report that collects them as they are found.

A `Problem` is placed at a 1-based line and column of the file; the checks
name what they find by pointer into the data (`("steps", 3, "deadline")`)
and `ProblemReport` places it with the positions the document reader kept,
at the nearest enclosing value that was written when the pointer itself
was not (a missing field is reported at its mapping). Each problem is
reported once, and `CheckResult` lists them in file order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from accordwatch.documents import Document, Pointer, Position
from accordwatch.roadmap.accord import Accord

Severity = Literal["error", "warning"]

#: how a problem names an item of each list of the accord file ("step 'a-freeze'")
ITEM_NOUNS = {
    "parties": "party",
    "phases": "phase",
    "steps": "step",
    "obligations": "obligation",
    "kinds": "kind",
    "consequences": "consequence",
}


@dataclass(frozen=True)
class Problem:
    """One problem found in an accord file, at a 1-based line and column."""

    severity: Severity
    message: str
    line: int
    column: int
    source: str

    def format(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass
class CheckResult:
    """The outcome of checking one accord file.

    `accord` is the parsed accord only when no error was found (warnings are
    allowed): a non-None accord has resolvable references and no cycles, so
    the road map engine may rely on it.
    """

    source: str
    problems: list[Problem] = field(default_factory=list)
    accord: Accord | None = None
    #: the document read from the file, with the positions of its values (None if unreadable)
    document: Document | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings do not count)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        return (
            f"{self.source}: {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}"
        )

    def format(self) -> str:
        """One line per problem, in file order: `FILE:LINE:COL: error: message`."""
        return "\n".join(problem.format() for problem in self.problems)


class ProblemReport:
    """The problems of one accord file, each kept once, placed by the document's positions."""

    def __init__(self, source: str) -> None:
        self.source = source
        #: the document read from the file, once it could be read
        self.document: Document | None = None
        self.problems: list[Problem] = []
        self._seen: set[tuple[Severity, str, int, int]] = set()

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def locate(self, at: Pointer, *, key: bool = False) -> Position:
        """The position of `at` (its key, if `key`), or of the nearest enclosing value."""
        found = self.document.position(at, key=key) if self.document is not None else None
        return found or (1, 1)

    def add_at(self, severity: Severity, message: str, position: Position) -> None:
        line, column = position
        if (severity, message, line, column) not in self._seen:
            self._seen.add((severity, message, line, column))
            self.problems.append(Problem(severity, message, line, column, self.source))

    def error(self, at: Pointer, message: str, *, key: bool = False) -> None:
        self.add_at("error", message, self.locate(at, key=key))

    def warning(self, at: Pointer, message: str, *, key: bool = False) -> None:
        self.add_at("warning", message, self.locate(at, key=key))

    def result(self, accord: Accord | None) -> CheckResult:
        problems = sorted(self.problems, key=lambda p: (p.line, p.column))
        return CheckResult(self.source, problems, accord, self.document)
