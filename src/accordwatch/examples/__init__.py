"""Accord files shipped with accordwatch.

- `dprk-roadmap`: a comprehensive, illustrative road map for the
  denuclearization of North Korea, the worked example of the project;
- `generic-tutorial`: a small accord between two made-up states and an
  inspectorate, for learning the file format;
- `weak-freeze`: a deliberately weak freeze-for-relief draft, with no
  declarations and no consequences, to show what `accordwatch accord assess`
  finds (it passes `accord check` with warnings);
- `dprk-history.yaml`: an illustrative, scripted history of signatures,
  reports and verifications for the DPRK road map (see `accordwatch.roadmap.scenario`).
- `dprk-declaration-*.yaml`: illustrative data declarations of the DPRK's
  nuclear and missile programs, and a correction of the nuclear one
  (`DECLARATION_EXAMPLES`).
- `dprk-accountancy.yaml`, `dprk-inspection.yaml`: illustrative accountancy
  reports of a plutonium store with a planted diversion, and the results of an
  inspection of it with one planted discrepancy, for the demo.

The first two pass `accordwatch accord check` without errors or warnings.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from accordwatch.errors import NotFoundError

#: example name -> file name in this package
EXAMPLES: dict[str, str] = {
    "dprk-roadmap": "dprk-roadmap.yaml",
    "generic-tutorial": "generic-tutorial.yaml",
    "weak-freeze": "weak-freeze.yaml",
}

#: examples written weak on purpose: they pass `accord check` with warnings, not cleanly
WEAK_EXAMPLES = frozenset({"weak-freeze"})


def _file_name(name: str) -> str:
    try:
        return EXAMPLES[name]
    except KeyError:
        known = ", ".join(sorted(EXAMPLES))
        raise NotFoundError(f"no example accord named {name!r} (examples: {known})") from None


def example_text(name: str) -> str:
    """The YAML text of the example accord `name`."""
    return files(__name__).joinpath(_file_name(name)).read_text(encoding="utf-8")


def example_path(name: str) -> Path:
    """The file of the example accord `name` (installed packages are plain folders)."""
    resource = files(__name__).joinpath(_file_name(name))
    path = Path(str(resource))
    if not path.is_file():
        raise NotFoundError(f"example accord {name!r} is not available as a file: {resource}")
    return path


#: the illustrative declarations shipped with accordwatch: name -> file in this package
DECLARATION_EXAMPLES: dict[str, str] = {
    "dprk-nuclear": "dprk-declaration-nuclear.yaml",
    "dprk-nuclear-corrected": "dprk-declaration-nuclear-corrected.yaml",
    "dprk-missile": "dprk-declaration-missile.yaml",
}


def declaration_example_path(name: str) -> Path:
    """The file of a shipped example declaration (installed packages are plain folders)."""
    if name not in DECLARATION_EXAMPLES:
        known = ", ".join(DECLARATION_EXAMPLES)
        raise NotFoundError(f"no example declaration named {name!r} (examples: {known})")
    path = Path(str(files(__name__).joinpath(DECLARATION_EXAMPLES[name])))
    if not path.is_file():
        raise NotFoundError(f"example declaration {name!r} is not available as a file: {path}")
    return path
