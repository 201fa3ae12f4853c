"""Data declarations of nuclear and missile programs: reading them, every problem listed.

A declaration document is JSON or YAML (or a spreadsheet, `declarations.xlsx`)
with `program: nuclear` or `program: missile`; the schemas are
`declaration_nuclear` and `declaration_missile`, published as JSON Schema by
`accordwatch declaration schema`. Reading a document reports every schema
problem with its field path at once, rather than the first; the checks that
look across fields (`declaration_check`), across declarations over time
(`declaration_history`), against the accord (`declaration_completeness`) and
against observed events (`declaration_events`) build on the parsed model.

In the log a declaration is a `declaration` record whose payload is
`{"declaration": <document>}`, confidential by default (see
`declaration_access` for who may read it).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from accordwatch.declarations.base import FieldPath, Problem, Program, path_text
from accordwatch.declarations.missile import MissileDeclaration
from accordwatch.declarations.nuclear import NuclearDeclaration
from accordwatch.documents import read_yaml
from accordwatch.errors import InputError
from accordwatch.validation_messages import reason

Declaration = NuclearDeclaration | MissileDeclaration
MODELS: dict[Program, type[NuclearDeclaration] | type[MissileDeclaration]] = {
    Program.NUCLEAR: NuclearDeclaration,
    Program.MISSILE: MissileDeclaration,
}
_ADAPTER: TypeAdapter[Declaration] = TypeAdapter(
    Annotated[Declaration, Field(discriminator="program")]
)
#: at most this many schema problems are listed; the count says how many there were
MAX_LISTED = 1000

Locate = Callable[[FieldPath], str]


class DeclarationError(InputError):
    """A declaration with problems: every one is in `problems`, the message names the first."""

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        where: str | None = None,
        locate: Locate | None = None,
        total: int | None = None,
    ) -> None:
        self.problems = list(problems)
        self.locate = locate or path_text
        self.total = total if total is not None else len(self.problems)
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        super().__init__(
            f"{self.total} problem(s) in the declaration: {self.problems[0].format(locate)}{more}",
            where=where,
        )


_pause_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off while a declaration's objects are built.

    A declaration may hold a million entries, each a new container object:
    the collector would otherwise run every few hundred of them and walk the
    ever larger heap, which more than doubled the time to read one. Nothing
    built here forms a reference cycle. Reading always pauses it; a command
    that reads declarations and then checks or compares them may hold one
    pause across the whole (once re-enabled, the collector walks every new
    object two or three times more as it ages them, about a second per
    million entries). Nested and concurrent pauses share one; the collector's
    previous state is restored after the last.
    """
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def _problems(exc: ValidationError) -> list[Problem]:
    out = []
    for error in exc.errors(include_url=False)[:MAX_LISTED]:
        loc: FieldPath = tuple(error["loc"])
        # A discriminated union puts the program's tag first: it is not a field.
        if loc and loc[0] in MODELS:
            loc = loc[1:]
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            message = "program must be 'nuclear' or 'missile'"
            loc = ("program",)
        else:
            # "Field required" in the user's word; the location names the field
            message = reason(error) if error["type"] == "missing" else error["msg"]
        out.append(Problem("schema", error["type"], loc, message))
    return out


def parse_declaration(data: Any, *, where: str | None = None) -> Declaration:
    """A declaration from its parsed document; raises `DeclarationError` listing every problem."""
    if not isinstance(data, dict):
        problem = Problem("schema", "type", (), "a declaration must be a mapping of fields")
        raise DeclarationError([problem], where=where)
    try:
        with collector_paused():
            return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise DeclarationError(_problems(exc), where=where, total=exc.error_count()) from None


def parse_declaration_json(raw: bytes | str, *, where: str | None = None) -> Declaration:
    """A declaration straight from JSON text (no intermediate objects: the fast path)."""
    try:
        with collector_paused():
            return _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise DeclarationError(_problems(exc), where=where, total=exc.error_count()) from None


def document(declaration: Declaration) -> dict[str, Any]:
    """The declaration as a JSON document (masses as exact decimal strings), as it is signed."""
    return declaration.model_dump(mode="json", exclude_none=True)


def read_document_file(path: Path) -> tuple[Declaration, Locate]:
    """Read a YAML or JSON declaration file; problems name the file and their field path.

    Spreadsheets are read by `declarations.xlsx`, and `declarations.files`
    chooses between the two by suffix; any other suffix is refused here.
    """
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from exc
    if suffix == ".json":
        return parse_declaration_json(raw, where=str(path)), path_text
    if suffix not in (".yaml", ".yml"):
        raise InputError("a declaration file must be .yaml, .yml, .json or .xlsx", where=str(path))
    data = read_yaml(raw, source=str(path), dates="date").data
    return parse_declaration(data, where=str(path)), path_text


def json_schema(program: Program | None = None) -> dict[str, Any]:
    """The published JSON Schema of declaration documents (one program, or either)."""
    if program is None:
        schema = _ADAPTER.json_schema()
        title = "accordwatch data declaration"
    else:
        schema = MODELS[program].model_json_schema()
        title = f"accordwatch {program} program declaration"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema
