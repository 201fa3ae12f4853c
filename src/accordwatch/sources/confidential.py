"""The operator's views of confidential entries, read from the store.

Reads the rows `log.confidential` computes its views from (to whom each
opening is sealed, which are in plaintext, the registry) for a page of
entries, one entry or the whole log. What the views say is decided there;
`log get`, `log show`, `party list`, `openings status`, the API and the
explorer all come here for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from accordwatch.catalog import CATALOG
from accordwatch.log.canonical import parse_json
from accordwatch.log.confidential import (
    ConfidentialEntry,
    OpeningsSummary,
    PartyReader,
    entry_view,
    held_words,
    openings_summary,
    party_readers,
)
from accordwatch.log.registry import Registry
from accordwatch.store import sealed as store
from accordwatch.store.log_reader import LogReader, StoredEntry


def _commitment(entry: StoredEntry) -> str | None:
    # a cheap test first: only a confidential envelope has the member at all
    if b'"commitment"' not in entry.envelope:
        return None
    found = parse_json(entry.envelope, where=f"log entry {entry.index}").get("commitment")
    return found if isinstance(found, str) else None


def confidential_views(
    log: LogReader, entries: Iterable[StoredEntry], registry: Registry | None = None
) -> dict[int, ConfidentialEntry]:
    """The confidential ones of `entries` as the operator sees them, by index."""
    chosen = [(e, c) for e in entries if (c := _commitment(e)) is not None]
    if not chosen:
        return {}
    indices = [e.index for e, _ in chosen]
    rows = store.sealed_rows(log, indices)
    plain = store.plaintext_indices(log, indices)
    if registry is None:
        # only an opening not sealed yet needs the readers' keys: a sealed one names them
        unsealed = any(i in plain or i not in rows for i in indices)
        registry = log.registry() if unsealed else Registry()
    return {
        e.index: entry_view(
            CATALOG,
            registry,
            index=e.index,
            record_type=e.record_type,
            submitter=e.party,
            commitment=commitment,
            rows=rows.get(e.index, []),
            plaintext=e.index in plain,
        )
        for e, commitment in chosen
    }


def entry_confidentiality(log: LogReader, entry: StoredEntry) -> ConfidentialEntry | None:
    """One entry as the operator sees it (None: it is public)."""
    return confidential_views(log, [entry]).get(entry.index)


def views_at(log: LogReader, indices: Iterable[int]) -> dict[int, ConfidentialEntry]:
    """The confidential ones of the entries at `indices` (a few: each is read on its own)."""
    return confidential_views(log, [log.entry(i) for i in sorted(set(indices))])


def readers_of(log: LogReader, registry: Registry | None = None) -> list[PartyReader]:
    """Every party as a reader: its current encryption key, and the entries sealed to it."""
    registry = registry if registry is not None else log.registry()
    counts: Counter[str] = Counter()
    for rows in store.sealed_rows(log).values():
        counts.update({r.party for r in rows})
    return party_readers(CATALOG, registry, counts)


def held_counts(log: LogReader) -> dict[str, Any]:
    """How many entries the log holds sealed and in plaintext, counted without reading the log."""
    sealed, plaintext = store.sealed_count(log), store.plaintext_count(log)
    return {"sealed": sealed, "plaintext": plaintext, "words": held_words(sealed, plaintext)}


def openings_status(log: LogReader) -> OpeningsSummary:
    """Every confidential entry of the log counted by what it holds, and its parties as readers."""
    registry = log.registry()
    views = confidential_views(log, log.entries(0, log.size()), registry)
    return openings_summary(CATALOG, registry, views.values())
