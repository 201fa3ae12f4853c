"""A delays file for `accord assess --delays FILE`: the `delays` of an accord file, on its own.

```yaml
default: {triangular: [0, 15, 90]}
parties:
  dprk: {triangular: [0, 30, 365]}
kinds:
  concession: {uniform: [0, 30]}
```

It replaces the draft's own `delays`. A bad file is one `InputError` naming
the first problem and its line and column; parties and kinds must be the
draft's.
"""

from __future__ import annotations

from pydantic import ValidationError

from accordwatch.documents import Document, Pointer, read_yaml
from accordwatch.errors import InputError
from accordwatch.roadmap.accord import Accord, Delays, StepKind


def load_delays(text: str | bytes, source: str, accord: Accord) -> Delays:
    document = read_yaml(text, source=source, dates="text", duplicates="refuse")
    try:
        delays = Delays.model_validate(document.data if document.data is not None else {})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(part for part in error["loc"] if isinstance(part, str | int))
        message = error["msg"].removeprefix("Value error, ")
        name = ".".join(str(part) for part in loc) or "delays"
        raise InputError(f"{name}: {message}", where=_where(document, loc)) from None
    names = (
        ("parties", {p.id for p in accord.parties}, "party"),
        ("kinds", {k.value for k in StepKind} | {k.id for k in accord.kinds}, "kind"),
    )
    for section, known, noun in names:
        for name in getattr(delays, section):
            if name not in known:
                raise InputError(
                    f"{noun} {name!r} is not one of accord {accord.id}'s",
                    where=_where(document, (section, name), key=True),
                )
    return delays


def _where(document: Document, at: Pointer, *, key: bool = False) -> str:
    line, column = document.position(at, key=key) or (1, 1)
    return f"{document.source}:{line}:{column}"
