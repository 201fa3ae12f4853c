"""What the escrow shows was hidden: undeclared items in revealed parts, and relocations.

The escrow fixes every part's items before any is opened, so anything found
in an opened part that its reveal does not hold was left out of the
declaration:

- *undeclared item*: an observation (`observations`) of a site that falls in
  a part already revealed (by the escrow's own partition: its region, its
  category, ...) when no item the reveals of that part opened is that site
  (the same declared `id`, or the same category within `TOLERANCE_DEGREES` of
  its coordinates); or an inspection report's undeclared item (an identifier
  read on an item the declaration does not list) in a balance area that a
  revealed part holds, when no item of that part carries the identifier;
- *relocation*: an amendment that moves an item from a part not yet revealed
  into one already revealed: an item taken out of the way of the next opening.

Each finding names its escrow, part and the log entries it rests on. Pure:
the `EscrowBook` of the log and the logged observations and inspections in,
findings out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from accordwatch.declarations.draw import Draw
from accordwatch.declarations.escrow import declaration_items, opened_items
from accordwatch.declarations.escrow_log import EscrowBook, EscrowState, LoggedEscrow, RevealCheck
from accordwatch.declarations.observations import ObservationRecord, ObservedSite
from accordwatch.roadmap.findings import Finding, FindingKind
from accordwatch.safeguards.inspection import LoggedInspection

#: how far apart (in degrees of latitude and of longitude) a declared site may be and still be
#: the observed one: about 2 km, the precision of coordinates given to 0.01 degree
TOLERANCE_DEGREES = 0.02


class EscrowFindingKind(StrEnum):
    UNDECLARED_ITEM = "undeclared item"
    RELOCATION = "relocation"
    UNDRAWN_PART = "undrawn part"


_ROADMAP_KINDS = {
    EscrowFindingKind.UNDECLARED_ITEM: FindingKind.UNDECLARED_ITEM,
    EscrowFindingKind.RELOCATION: FindingKind.RELOCATION,
    EscrowFindingKind.UNDRAWN_PART: FindingKind.UNDRAWN_PART,
}


@dataclass(frozen=True)
class LoggedObservation:
    index: int
    time: datetime
    party: str
    record: ObservationRecord


@dataclass(frozen=True)
class EscrowFinding:
    kind: EscrowFindingKind
    date: date
    message: str
    escrow: int
    part: str
    party: str
    step: str | None
    indices: tuple[int, ...]

    def finding(self) -> Finding:
        """The road map's form of it, for the status and its findings list."""
        return Finding(
            _ROADMAP_KINDS[self.kind], self.date, self.message, self.step, self.party, self.indices
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "date": self.date.isoformat(),
            "message": self.message,
            "escrow": self.escrow,
            "part": self.part,
            "party": self.party,
            "step": self.step,
            "indices": list(self.indices),
        }


@dataclass(frozen=True)
class Opened:
    """A part opened in some version of an escrow: the first reveal that verified, and its items."""

    part: str
    check: RevealCheck
    items: tuple[dict[str, Any], ...]


def opened_parts(
    book: EscrowBook, state: EscrowState, *, before: int | None = None
) -> dict[str, Opened]:
    """Parts of `state`'s escrow, or of the versions it amends, opened by a verified reveal.

    With `before`, only reveals logged before that index count.
    """
    out: dict[str, Opened] = {}
    for version in book.versions(state.escrow.index):
        for part, checks in book.states[version.index].reveals.items():
            for check in checks:
                record = check.reveal.record
                if not check.verified or record is None or part in out:
                    continue
                if before is not None and check.reveal.index >= before:
                    continue
                out[part] = Opened(part, check, tuple(opened_items(record.reveal())))
    return out


def site_part(site: ObservedSite, partition: str) -> str:
    """The part an observed site would be in under an escrow's partition."""
    entry = site.model_dump(mode="json", exclude_none=True)
    return next(declaration_items({"sites": [entry]}, partition)).part


def _same_site(entry: Mapping[str, Any], site: ObservedSite) -> bool:
    if site.id is not None and entry.get("id") == site.id:
        return True
    category = entry.get("category") or entry.get("kind")
    location = entry.get("location")
    if not isinstance(category, str) or not isinstance(location, Mapping):
        return False
    if category.casefold() != site.category.casefold():
        return False
    try:
        lat, lon = float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        return False
    return (
        abs(lat - site.location.latitude) <= TOLERANCE_DEGREES
        and abs(lon - site.location.longitude) <= TOLERANCE_DEGREES
    )


def _entries(items: Iterable[dict[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        entry = item.get("entry")
        if isinstance(entry, Mapping):
            yield entry


def _step_of(escrow: LoggedEscrow, opened: Opened) -> str | None:
    record = opened.check.reveal.record
    return (record.step if record is not None else None) or escrow.record.step


def observation_findings(
    book: EscrowBook, observations: Sequence[LoggedObservation]
) -> list[EscrowFinding]:
    """Observed sites in a revealed part that no item of its reveals is."""
    out = []
    for state in book.current():
        escrow = state.escrow
        opened = opened_parts(book, state)
        if not opened:
            continue
        for seen in observations:
            if seen.record.program != escrow.record.program:
                continue
            site = seen.record.site
            part = site_part(site, escrow.record.partition_by)
            found = opened.get(part)
            if found is None:
                continue
            if any(_same_site(e, site) for e in _entries(found.items)):
                continue
            revealed = found.check.reveal
            out.append(
                EscrowFinding(
                    EscrowFindingKind.UNDECLARED_ITEM,
                    max(seen.time, revealed.time).date(),
                    f"{seen.record.observer} observed {site.name} ({site.category}, "
                    f"{site.location.latitude:.2f} {site.location.longitude:.2f}) on "
                    f"{seen.record.observed_on} in part {part} of escrow "
                    f"{escrow.record.escrow_id}, revealed at log entry {revealed.index} "
                    f"without it: an undeclared item (observation {seen.record.observation_id}, "
                    f"{seen.record.method})",
                    escrow.index,
                    part,
                    escrow.party,
                    _step_of(escrow, found),
                    tuple(sorted({escrow.index, revealed.index, seen.index})),
                )
            )
    return out


_IDENTIFIERS = ("uid", "id", "batch")


def inspection_findings(
    book: EscrowBook, inspections: Sequence[LoggedInspection]
) -> list[EscrowFinding]:
    """Undeclared items an inspection found in a balance area that a revealed part holds."""
    out = []
    for state in book.current():
        escrow = state.escrow
        opened = opened_parts(book, state)
        for logged in inspections:
            report = logged.report
            holder = next(
                (
                    o
                    for o in opened.values()
                    if any(
                        i.get("section") == "material_balance_areas"
                        and isinstance(i.get("entry"), Mapping)
                        and i["entry"].get("id") == report.mba
                        for i in o.items
                    )
                ),
                None,
            )
            if holder is None:
                continue
            held = {
                str(e[name]) for e in _entries(holder.items) for name in _IDENTIFIERS if name in e
            }
            for obs in report.observations:
                if obs.status != "undeclared" or obs.observed_id is None:
                    continue
                if obs.observed_id in held:
                    continue
                revealed = holder.check.reveal
                out.append(
                    EscrowFinding(
                        EscrowFindingKind.UNDECLARED_ITEM,
                        max(logged.time, revealed.time).date(),
                        f"inspection {report.report_id} of {report.mba} on {report.date} found "
                        f"item {obs.observed_id}, which part {holder.part} of escrow "
                        f"{escrow.record.escrow_id}, revealed at log entry {revealed.index}, "
                        "does not hold: an undeclared item",
                        escrow.index,
                        holder.part,
                        escrow.party,
                        _step_of(escrow, holder),
                        tuple(sorted({escrow.index, revealed.index, logged.index})),
                    )
                )
    return out


def relocation_findings(book: EscrowBook) -> list[EscrowFinding]:
    """Items an amendment moved from a part not yet revealed into one already revealed."""
    out = []
    for state in book.states.values():
        amendment = state.escrow
        old = book.find(amendment.record.supersedes, amendment.party, before=amendment.index)
        if old is None:
            continue
        opened = opened_parts(book, book.states[old.index], before=amendment.index)
        for change in amendment.record.changes:
            source = change.from_part
            if source is None or source == change.part or source in opened:
                continue
            into = opened.get(change.part)
            if into is None:
                continue
            out.append(
                EscrowFinding(
                    EscrowFindingKind.RELOCATION,
                    amendment.time.date(),
                    f"escrow amendment {amendment.record.escrow_id} (log entry {amendment.index}) "
                    f"moves item {change.item} from part {source}, not yet revealed, into part "
                    f"{change.part}, revealed at log entry {into.check.reveal.index}: a "
                    f"relocation ({change.reason})",
                    amendment.index,
                    change.part,
                    amendment.party,
                    amendment.record.step,
                    tuple(sorted({old.index, into.check.reveal.index, amendment.index})),
                )
            )
    return out


def undrawn_findings(book: EscrowBook, draws: Mapping[str, Draw]) -> list[EscrowFinding]:
    """Reveals for a drawn step that open another part than the draw chose, or open one
    before the draw was complete (its last nonce logged)."""
    out = []
    for check in book.checks:
        record = check.reveal.record
        if not check.verified or record is None or record.step is None:
            continue
        result = draws.get(record.step)
        if result is None or result.accord_id != record.accord_id:
            continue
        escrow = book.escrows[record.escrow]
        last_nonce = max((r.index for r in result.nonces.values()), default=None)
        if result.part is None or last_nonce is None or last_nonce > check.reveal.index:
            why = "before its draw was complete"
        elif result.part != record.part:
            why = f"where the draw chose part {result.part}"
        else:
            continue
        out.append(
            EscrowFinding(
                EscrowFindingKind.UNDRAWN_PART,
                check.reveal.time.date(),
                f"the reveal at log entry {check.reveal.index} opens part {record.part} of "
                f"escrow {record.escrow_id} for drawn step {record.step} {why}",
                escrow.index,
                record.part,
                escrow.party,
                record.step,
                tuple(sorted({check.reveal.index, *result.indices})),
            )
        )
    return out


def escrow_findings(
    book: EscrowBook,
    observations: Sequence[LoggedObservation] = (),
    inspections: Sequence[LoggedInspection] = (),
) -> list[EscrowFinding]:
    """Every undeclared item and relocation, by date then first entry."""
    found = [
        *observation_findings(book, observations),
        *inspection_findings(book, inspections),
        *relocation_findings(book),
    ]
    return sorted(found, key=lambda f: (f.date, f.indices, f.kind.value, f.message))
