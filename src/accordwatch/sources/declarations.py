"""Declarations in the log, read back for a reader allowed to see them, and what they meet.

`logged_declarations` reads every `declaration` entry with its stored content
(the opening, for a confidential one) and opens those the reader may read,
each checked against the commitment the log holds (`declaration_access`); the
others are listed without their content. It also finds the accord a
declaration names (its latest signed version), the launches observed in the
logged events, and every entry that names an item (`item_mentions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from accordwatch.catalog import CATALOG
from accordwatch.declarations.escrow_log import ESCROW_TYPES, escrow_mentions
from accordwatch.declarations.history import Filed
from accordwatch.declarations.items import Mention, declaration_mentions, payload_mentions
from accordwatch.declarations.launches import ObservedLaunch
from accordwatch.declarations.reading import Declaration, DeclarationError, parse_declaration
from accordwatch.errors import AccordwatchError, InputError, NotFoundError
from accordwatch.log.access import Reader, open_record
from accordwatch.log.roles import Role
from accordwatch.roadmap.accord import Accord
from accordwatch.roadmap.history import Signature
from accordwatch.sources.roadmap import roadmap_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.store.ledger import Ledger

LAUNCH_TYPES = ("missile_launch", "satellite_launch", "unclassified_launch")


@dataclass(frozen=True)
class LoggedDeclaration:
    """A declaration entry: public facts always, the declaration when the reader may read it."""

    index: int
    time: datetime
    party: str
    confidential: bool
    declaration: Declaration | None
    unreadable: str = ""

    def filed(self) -> Filed:
        if self.declaration is None:
            raise NotFoundError(self.unreadable, where=f"log entry {self.index}")
        return Filed(self.index, self.party, self.declaration)


def reader_for(ledger: Ledger, party: str | None) -> Reader | None:
    """The reader a party name stands for, with its registered role."""
    if party is None:
        return None
    record = ledger.registry().parties.get(party)
    if record is None:
        raise NotFoundError(f"unknown party {party!r}")
    return Reader(party, Role(record.role))


def logged_declarations(log: Snapshot, reader: Reader | None) -> list[LoggedDeclaration]:
    """Every declaration in the log, in log order, opened where `reader` may read it."""
    out = []
    for index, envelope, opening, logged_at in log.rows(("declaration",)):
        where = f"log entry {index}"
        declaration = None
        unreadable = ""
        try:
            payload = open_record(CATALOG, envelope, opening, reader, where=where)
            declaration = parse_declaration(payload.get("declaration"), where=where)
        except DeclarationError as exc:
            unreadable = f"the stored declaration no longer reads: {exc.message}"
        except AccordwatchError as exc:
            unreadable = exc.message
        out.append(
            LoggedDeclaration(
                index,
                logged_at,
                envelope.party,
                envelope.confidential,
                declaration,
                unreadable,
            )
        )
    return out


def find_declaration(logged: Sequence[LoggedDeclaration], ref: str) -> LoggedDeclaration:
    """A declaration by log index, or by declaration id (the latest entry with that id)."""
    if ref.isdigit():
        for item in logged:
            if item.index == int(ref):
                return item
        raise NotFoundError(f"log entry {ref} is not a declaration")
    matches = [i for i in logged if i.declaration is not None and i.declaration.id == ref]
    if not matches:
        hidden = sum(1 for i in logged if i.declaration is None)
        extra = f" ({hidden} declaration(s) you may not read were not searched)" if hidden else ""
        raise NotFoundError(f"no declaration {ref!r} in the log{extra}")
    return matches[-1]


def readable(logged: Sequence[LoggedDeclaration]) -> list[Filed]:
    return [i.filed() for i in logged if i.declaration is not None]


def signed_accord(log: Snapshot, accord_id: str | None) -> Accord | None:
    """The latest signed version of an accord in the log, if any."""
    if accord_id is None:
        return None
    versions = [
        r.accord
        for r in roadmap_records(log)
        if isinstance(r, Signature) and r.accord.id == accord_id
    ]
    return versions[-1] if versions else None


def observed_launches(log: Snapshot) -> list[ObservedLaunch]:
    """The launches among the logged events (the current version of each source row)."""
    from accordwatch.compliance.events import current_events
    from accordwatch.sources.compliance import compliance_records

    events = current_events(compliance_records(log).events, date.max).events
    out = []
    for event in events:
        if event.type not in LAUNCH_TYPES:
            continue
        attrs = event.attributes
        site = attrs.get("site_name") or attrs.get("site") or ""
        out.append(
            ObservedLaunch(
                event.on,
                str(attrs.get("missile_name") or ""),
                str(site),
                f"log entry {event.log_index} ({event.event_id})",
            )
        )
    return out


def item_mentions(log: Snapshot, uid: str, reader: Reader | None) -> tuple[list[Mention], int]:
    """Every entry whose content (as far as the reader may read) names `uid`.

    Returns the mentions and the number of confidential entries the reader
    may not read, which were not searched.
    """
    if not uid.strip():
        raise InputError("give the unique identifier of an item")
    found: list[Mention] = []
    hidden = 0
    for index, envelope, opening, logged_at in log.rows():
        where = f"log entry {index}"
        try:
            payload = open_record(CATALOG, envelope, opening, reader, where=where)
        except AccordwatchError:
            hidden += 1
            continue
        if envelope.record_type in ESCROW_TYPES:
            details = escrow_mentions(envelope.record_type, payload, uid)
        elif envelope.record_type == "declaration":
            try:
                declaration = parse_declaration(payload.get("declaration"), where=where)
            except DeclarationError:
                continue
            details = declaration_mentions(declaration, uid)
        else:
            details = payload_mentions(payload, uid)
        found.extend(
            Mention(index, logged_at, envelope.party, envelope.record_type, text)
            for text in details
        )
    return found, hidden
