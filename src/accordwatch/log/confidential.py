"""What the log's operator sees of confidential entries: commitments, and whose keys seal them.

The log holds a confidential entry's commitment and, for its opening, either
ciphertexts sealed to its readers' encryption keys (which it cannot open),
the opening in plaintext (a workspace made before sealing, or one whose
readers did not all have a key), or neither (a copy of the log that was not
given it). `entry_view` says which, and to whom each ciphertext is sealed;
`party_readers` says which parties hold a current encryption key (so can be
sealed to) and, for those that do not, which confidential records would stay
in plaintext; `openings_summary` counts it all.

Computed once here, from the registry and the stored rows the caller reads,
and shown alike by `log get`, `log show`, `party list`, `openings status`,
the API and the explorer. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from accordwatch.log.records import Catalog
from accordwatch.log.registry import Registry
from accordwatch.log.sealing import SEALED_BY_SUBMITTER, current_recipient, reader_keys


class Held(StrEnum):
    """What the log holds of a confidential entry's opening."""

    SEALED = "sealed"
    PLAINTEXT = "plaintext"
    NONE = "none"


@dataclass(frozen=True)
class SealedRow:
    """One stored ciphertext without its bytes: its reader, key, and where it came from."""

    party: str
    key_id: str
    #: `SEALED_BY_SUBMITTER`, or the index of the `opening.share` entry that added it
    source: int


@dataclass(frozen=True)
class SealedTo:
    """A reader an entry's opening is sealed to; `shared_at` the share's entry, if shared later."""

    party: str
    key_id: str
    shared_at: int | None

    def to_json(self) -> dict[str, Any]:
        return {"party": self.party, "key_id": self.key_id, "shared_at": self.shared_at}

    def words(self) -> str:
        return f"{self.party} (key {self.key_id})"


@dataclass(frozen=True)
class ConfidentialEntry:
    """A confidential entry as the log's operator sees it."""

    index: int
    record_type: str
    submitter: str
    commitment: str
    held: Held
    sealed_to: tuple[SealedTo, ...]
    #: who reads it: the parties sealed to, or (in plaintext) those it would be sealed to
    readers: tuple[str, ...]
    #: readers with no current encryption key (why a plaintext one cannot be sealed yet)
    without_key: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "commitment": self.commitment,
            "opening_held": self.held.value,
            "sealed_to": [s.to_json() for s in self.sealed_to],
            "readers": list(self.readers),
            "readers_without_key": list(self.without_key),
            "confidentiality": self.describe(),
        }

    def sealed_words(self) -> str:
        """`dprk (key K), iaea (key L); shared with iaea2 (key M) at entry 9`, or ""."""
        own = [s.words() for s in self.sealed_to if s.shared_at is None]
        shared = [
            f"shared with {s.words()} at entry {s.shared_at}"
            for s in self.sealed_to
            if s.shared_at is not None
        ]
        return "; ".join(filter(None, [", ".join(own), *shared]))

    def describe(self) -> str:
        """One line: the commitment, and what the log holds of the opening and for whom."""
        head = f"confidential: commitment {self.commitment}"
        if self.held is Held.SEALED:
            return (
                f"{head}; sealed to {self.sealed_words()}; the log holds ciphertexts only and "
                "cannot open it"
            )
        if self.held is Held.NONE:
            return f"{head}; the log holds no opening of it, in plaintext or sealed"
        readers = ", ".join(self.readers)
        if self.without_key:
            lacking = ", ".join(self.without_key)
            return (
                f"{head}; its opening is still in PLAINTEXT at the log (readers: {readers}); "
                f"it cannot be sealed until {lacking} register(s) an encryption key "
                "(accordwatch key new --purpose encryption), then accordwatch openings seal"
            )
        return (
            f"{head}; its opening is still in PLAINTEXT at the log (readers: {readers}); "
            "accordwatch openings seal would seal it to them"
        )

    def short(self) -> str:
        """A compact mark for a listing: `sealed`, `plaintext` or `none`."""
        return self.held.value


def sealed_to(rows: Iterable[SealedRow]) -> tuple[SealedTo, ...]:
    """The readers from the stored rows: the submitter's own first, then shares in log order."""
    found = sorted(rows, key=lambda r: (r.source != SEALED_BY_SUBMITTER, r.source, r.party))
    return tuple(
        SealedTo(r.party, r.key_id, None if r.source == SEALED_BY_SUBMITTER else r.source)
        for r in found
    )


def encryption_key_id(registry: Registry, party: str) -> str | None:
    """The id of the party's current encryption key, if it registered one."""
    key = current_recipient(registry, party)
    return None if key is None else key.key_id


def entry_view(
    catalog: Catalog,
    registry: Registry,
    *,
    index: int,
    record_type: str,
    submitter: str,
    commitment: str,
    rows: Sequence[SealedRow],
    plaintext: bool,
) -> ConfidentialEntry:
    """A confidential entry as the operator sees it, from its stored rows.

    Its readers are the parties its ciphertexts are sealed to; for one in
    plaintext, the readers its record type names today (those a submitter
    named in a draft are known only once it is sealed).
    """
    to = sealed_to(rows)
    if plaintext or not to:
        keys, missing = reader_keys(catalog, registry, record_type, submitter)
        would = tuple(sorted([k.party for k in keys] + missing))
        lacking = tuple(missing)
        held = Held.PLAINTEXT if plaintext else Held.NONE
        return ConfidentialEntry(
            index, record_type, submitter, commitment, held, to, would, lacking
        )
    readers = tuple(sorted({s.party for s in to}))
    return ConfidentialEntry(
        index, record_type, submitter, commitment, Held.SEALED, to, readers, ()
    )


@dataclass(frozen=True)
class PartyReader:
    """A party as a reader: its current encryption key, and the entries sealed to it."""

    party: str
    role: str
    active: bool
    key_id: str | None
    #: record types whose confidential records of every party it reads, by its role
    reads_by_role: tuple[str, ...]
    sealed_entries: int

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "role": self.role,
            "active": self.active,
            "encryption_key": self.key_id,
            "reads_by_role": list(self.reads_by_role),
            "sealed_entries": self.sealed_entries,
        }

    def stays_plaintext(self) -> str:
        """Which confidential records stay in plaintext while it has no key, in words."""
        own = f"{self.party}'s own confidential records"
        if not self.reads_by_role:
            return own
        return f"{own}, and every party's {', '.join(self.reads_by_role)}"


def party_readers(
    catalog: Catalog, registry: Registry, sealed_counts: Mapping[str, int] | None = None
) -> list[PartyReader]:
    """Every registered party, in registration order, as a reader of confidential records."""
    counts = sealed_counts or {}
    out = []
    for p in sorted(registry.parties.values(), key=lambda p: p.registered_at):
        by_role = tuple(rt.name for rt in catalog if p.role in rt.readers)
        out.append(
            PartyReader(
                p.name,
                p.role.value,
                p.active,
                encryption_key_id(registry, p.name),
                by_role,
                counts.get(p.name, 0),
            )
        )
    return out


def readers_without_key(readers: Iterable[PartyReader]) -> list[PartyReader]:
    """The active parties that hold no current encryption key."""
    return [r for r in readers if r.active and r.key_id is None]


def without_key_line(readers: Iterable[PartyReader]) -> str:
    """One line naming the readers without a key and what stays in plaintext, or saying none."""
    lacking = readers_without_key(readers)
    if not lacking:
        return "every active party holds an encryption key: confidential records are sealed"
    named = "; ".join(r.stays_plaintext() for r in lacking)
    return (
        f"without an encryption key: {', '.join(r.party for r in lacking)}. Until they "
        f"register one, these stay in plaintext at the log: {named}"
    )


@dataclass(frozen=True)
class TypeCount:
    record_type: str
    sealed: int
    plaintext: int
    none: int

    def to_json(self) -> dict[str, Any]:
        return {
            "record_type": self.record_type,
            "sealed": self.sealed,
            "plaintext": self.plaintext,
            "none": self.none,
        }


@dataclass(frozen=True)
class OpeningsSummary:
    """The log's confidential entries counted by what it holds, and its parties as readers."""

    by_type: tuple[TypeCount, ...]
    parties: tuple[PartyReader, ...]

    def total(self, held: Held) -> int:
        return sum(getattr(t, held.value) for t in self.by_type)

    def to_json(self) -> dict[str, Any]:
        return {
            "sealed": self.total(Held.SEALED),
            "plaintext": self.total(Held.PLAINTEXT),
            "none": self.total(Held.NONE),
            "by_record_type": [t.to_json() for t in self.by_type],
            "parties": [p.to_json() for p in self.parties],
            "readers_without_key": [p.party for p in readers_without_key(self.parties)],
        }

    def headline(self) -> str:
        """`N confidential entries: S sealed to their readers, P in plaintext at the log`."""
        n = sum(self.total(h) for h in Held)
        text = f"{n} confidential entr{'y' if n == 1 else 'ies'}: " + held_words(
            self.total(Held.SEALED), self.total(Held.PLAINTEXT)
        )
        if self.total(Held.NONE):
            text += f", {self.total(Held.NONE)} with no opening held"
        return text


def held_words(sealed: int, plaintext: int) -> str:
    """`S sealed to their readers, P in plaintext at the log`."""
    return f"{sealed} sealed to their readers, {plaintext} in plaintext at the log"


def openings_summary(
    catalog: Catalog, registry: Registry, entries: Iterable[ConfidentialEntry]
) -> OpeningsSummary:
    """Counts by record type and what is held, and each party with the entries sealed to it."""
    counts: dict[str, Counter[Held]] = {}
    sealed_per_party: Counter[str] = Counter()
    for e in entries:
        counts.setdefault(e.record_type, Counter())[e.held] += 1
        sealed_per_party.update({s.party for s in e.sealed_to})
    by_type = tuple(
        TypeCount(t, c[Held.SEALED], c[Held.PLAINTEXT], c[Held.NONE])
        for t, c in sorted(counts.items())
    )
    return OpeningsSummary(by_type, tuple(party_readers(catalog, registry, sealed_per_party)))
