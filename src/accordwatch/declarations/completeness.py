"""Completeness of a declaration against the accord step it fulfils.

An accord says what its declaration steps require in its `definitions`: the
list named after the step (`declare-nuclear: [enrichment, reprocessing, ...]`)
when there is one, otherwise its general `site-categories` and `programs`
lists, each term taken for the program it belongs to. Every required
category must be present in the declaration, or declared empty in
`declared_empty`, as Additional Protocol declarations state an empty section
rather than leave it out. A category declared empty must be empty, and the
step must be a declaration step of the declaring party.

Categories (the names `declared_empty` takes; accord terms are read with
`-` and spaces alike, and the synonyms below):

- nuclear: every site category (`enrichment`, `fuel-fabrication`,
  `test-site`, ...), every material (`plutonium`, `high-enriched-uranium`,
  ...), `nuclear-weapons` and `weapons-<location category>` (`weapons-storage`);
- missile: every missile class (`icbm`, `slv`, ...) and `missile-<facility
  kind>` (`missile-production`, `missile-test`, `missile-space-launch`).

Pure: the declaration and the accord in, findings out.
"""

from __future__ import annotations

from collections.abc import Callable

from accordwatch.declarations.base import Problem
from accordwatch.declarations.missile import FacilityKind, MissileClass, MissileDeclaration
from accordwatch.declarations.nuclear import (
    Material,
    NuclearDeclaration,
    SiteCategory,
    WeaponLocation,
)
from accordwatch.declarations.reading import Declaration
from accordwatch.roadmap.accord import Accord, StepKind

SYNONYMS = {
    "nuclear-test-site": "test-site",
    "highly-enriched-uranium": "high-enriched-uranium",
    "heu": "high-enriched-uranium",
    "leu": "low-enriched-uranium",
    "r-and-d": "research-and-development",
    "missile-test-site": "missile-test",
    "space-launch-site": "missile-space-launch",
    "space-launch-vehicles": "slv",
    "space-launch-vehicle": "slv",
    "nuclear-weapon": "nuclear-weapons",
}

Present = Callable[[Declaration], int]


def _slug(term: str) -> str:
    return "-".join(term.lower().replace("_", " ").replace("-", " ").split())


def category(term: str) -> str:
    """The category an accord term or `declared_empty` entry names."""
    slug = _slug(term)
    return SYNONYMS.get(slug, slug)


def _nuclear_categories() -> dict[str, Present]:
    out: dict[str, Present] = {}

    def sites(c: SiteCategory) -> Present:
        return lambda d: (
            sum(1 for s in d.sites if s.category is c) if isinstance(d, NuclearDeclaration) else 0
        )

    def material(m: Material) -> Present:
        return lambda d: (
            sum(1 for line in d.inventory if line.material is m)
            if isinstance(d, NuclearDeclaration)
            else 0
        )

    def weapons(where: WeaponLocation | None) -> Present:
        return lambda d: (
            sum(
                w.weapons + w.warheads
                for w in d.weapons
                if where is None or w.location_category is where
            )
            if isinstance(d, NuclearDeclaration)
            else 0
        )

    for c in SiteCategory:
        out[_slug(c)] = sites(c)
    for m in Material:
        out[_slug(m)] = material(m)
    out["nuclear-weapons"] = weapons(None)
    for where in WeaponLocation:
        out["weapons-" + _slug(where)] = weapons(where)
    return out


def _missile_categories() -> dict[str, Present]:
    out: dict[str, Present] = {}

    def of_class(c: MissileClass) -> Present:
        return lambda d: (
            sum(1 for t in d.missile_types if t.missile_class is c)
            if isinstance(d, MissileDeclaration)
            else 0
        )

    def facilities(k: FacilityKind) -> Present:
        return lambda d: (
            sum(1 for f in d.facilities if f.kind is k) if isinstance(d, MissileDeclaration) else 0
        )

    for c in MissileClass:
        out[_slug(c)] = of_class(c)
    for k in FacilityKind:
        out["missile-" + _slug(k)] = facilities(k)
    return out


CATEGORIES: dict[str, dict[str, Present]] = {
    "nuclear": _nuclear_categories(),
    "missile": _missile_categories(),
}


def _finding(kind: str, path: tuple[str | int, ...], message: str) -> Problem:
    return Problem("completeness", kind, path, message)


def required_categories(declaration: Declaration, accord: Accord) -> tuple[list[str], list[str]]:
    """(categories the step requires of this program, accord terms no category covers)."""
    known = CATEGORIES[declaration.program]
    step = declaration.step or ""
    explicit = accord.definitions.get(step)
    terms = (
        explicit
        if explicit is not None
        else [
            *accord.definitions.get("site-categories", []),
            *accord.definitions.get("programs", []),
        ]
    )
    required: list[str] = []
    unknown: list[str] = []
    other = CATEGORIES["missile" if declaration.program == "nuclear" else "nuclear"]
    for term in terms:
        name = category(term)
        if name in known:
            if name not in required:
                required.append(name)
        elif explicit is not None or name not in other:
            unknown.append(term)
    return required, unknown


def check_completeness(declaration: Declaration, accord: Accord | None) -> list[Problem]:
    """Findings on what the accord step requires and the declaration leaves out."""
    out: list[Problem] = []
    known = CATEGORIES[declaration.program]
    for n, term in enumerate(declaration.declared_empty):
        name = category(term)
        if name not in known:
            out.append(
                _finding(
                    "unknown category",
                    ("declared_empty", n),
                    f"{term} is not a category of a {declaration.program} declaration",
                )
            )
        elif count := known[name](declaration):
            out.append(
                _finding(
                    "declared empty",
                    ("declared_empty", n),
                    f"{term} is declared empty, yet {count} entries of it are declared",
                )
            )
    if declaration.accord is None or declaration.step is None:
        out.append(
            _finding(
                "no step",
                ("step",),
                "the declaration names no accord and step: completeness is not checked",
            )
        )
        return out
    if accord is None:
        out.append(
            _finding(
                "no accord",
                ("accord",),
                f"accord {declaration.accord} is not signed in this log: completeness is not "
                "checked",
            )
        )
        return out
    step = next((s for s in accord.steps if s.id == declaration.step), None)
    if step is None:
        out.append(
            _finding("no step", ("step",), f"accord {accord.id} has no step {declaration.step}")
        )
        return out
    if accord.base_kind(step) is not StepKind.DECLARE or step.party != declaration.party:
        out.append(
            _finding(
                "wrong step",
                ("step",),
                f"step {step.id} is a {step.kind} step of {step.party}, not a declaration "
                f"step of {declaration.party}",
            )
        )
    required, unknown = required_categories(declaration, accord)
    for term in unknown:
        out.append(
            _finding(
                "unknown category",
                ("step",),
                f"accord {accord.id} requires {term} for step {step.id}, which is not a category "
                f"of a {declaration.program} declaration",
            )
        )
    empty = {category(t) for t in declaration.declared_empty}
    for name in required:
        if name not in empty and not known[name](declaration):
            out.append(
                _finding(
                    "missing category",
                    (),
                    f"step {step.id} of accord {accord.id} requires {name}: none is declared, "
                    "and it is not declared empty",
                )
            )
    return out
