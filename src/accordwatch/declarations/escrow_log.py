"""Escrows and reveals as the log holds them: which reveal opens what, and what it proves.

A reveal is checked against the escrow entry it names: same escrow id, party
and root, its part the one the escrow lists at that place (name, root and
count), its items hashing to that root (`escrow.verify_reveal`), and logged
after the escrow. An escrow is amended by a later escrow of the same party
that `supersedes` it; its changes name each item added, withdrawn or changed.
An item added to (or moved into) a part already revealed, in any version the
amendment replaces, is a *late addition*: the log shows it, it is not hidden.

`EscrowBook` is fed the log's escrow and reveal entries in order and answers
for each escrow which parts were opened, by which entry, and whether the
opening verified; `escrow_mentions` says what each version says of one item.

Pure: logged records in, states and findings out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from accordwatch.declarations.escrow import Item
from accordwatch.declarations.escrow_records import EscrowRecord, ItemChange, RevealRecord
from accordwatch.errors import VerificationError
from accordwatch.log.audit import AuditEntry
from accordwatch.log.envelope import Envelope

Change = Literal["added", "withdrawn", "changed"]


@dataclass(frozen=True)
class LoggedEscrow:
    index: int
    time: datetime
    party: str
    record: EscrowRecord


@dataclass(frozen=True)
class LoggedReveal:
    """A reveal entry; `record` is None when the reader may not read it (`unreadable` says why)."""

    index: int
    time: datetime
    party: str
    confidential: bool
    escrow: int
    part: str | None
    record: RevealRecord | None
    unreadable: str = ""


@dataclass(frozen=True)
class RevealCheck:
    """What one reveal entry proves: `problem` is empty when it verifies."""

    reveal: LoggedReveal
    problem: str = ""

    @property
    def verified(self) -> bool:
        return not self.problem and self.reveal.record is not None

    @property
    def status(self) -> str:
        if self.problem:
            return "does not verify"
        return "verified" if self.reveal.record is not None else "not readable"


@dataclass(frozen=True)
class LateAddition:
    """An item an amendment adds to, or moves into, a part opened before it."""

    amendment: int
    item: str
    part: str
    revealed_by: int
    change: ItemChange

    def message(self) -> str:
        return (
            f"escrow amendment at log entry {self.amendment} {self.change.change} item "
            f"{self.item} in part {self.part}, already revealed at log entry {self.revealed_by}: "
            f"a late addition ({self.change.reason})"
        )


@dataclass
class EscrowState:
    escrow: LoggedEscrow
    reveals: dict[str, list[RevealCheck]] = field(default_factory=dict)
    superseded_by: int | None = None

    def opened(self, part: str) -> RevealCheck | None:
        """The first reveal of `part` that verified (or the first one logged)."""
        checks = self.reveals.get(part, [])
        return next((c for c in checks if c.verified), checks[0] if checks else None)


def check_reveal(reveal: RevealRecord, index: int, escrows: Mapping[int, LoggedEscrow]) -> str:
    """Why `reveal` (logged at `index`) does not open a part of its escrow entry ('' if it does)."""
    logged = escrows.get(reveal.escrow)
    if logged is None:
        return f"log entry {reveal.escrow} is not an escrow"
    if reveal.escrow >= index:
        return f"the escrow at log entry {reveal.escrow} is not logged before the reveal"
    escrow = logged.record
    for what, said, held in (
        ("escrow id", reveal.escrow_id, escrow.escrow_id),
        ("party", reveal.party, escrow.party),
        ("root", reveal.root, escrow.root),
    ):
        if said != held:
            return f"the reveal names {what} {said}, the escrow's is {held}"
    from accordwatch.declarations.escrow import verify_place

    # A `RevealRecord` checked its items against its part's root when it was
    # read: what is left is whether that part is this escrow's.
    try:
        verify_place(reveal.place(), bytes.fromhex(escrow.root), escrow.commitments())
    except VerificationError as exc:
        return exc.message
    return ""


class EscrowBook:
    """Every escrow and reveal of a log, fed in log order."""

    def __init__(self) -> None:
        self.escrows: dict[int, LoggedEscrow] = {}
        self.states: dict[int, EscrowState] = {}
        self.checks: list[RevealCheck] = []
        self.late: list[LateAddition] = []

    def add_escrow(self, escrow: LoggedEscrow) -> None:
        self.escrows[escrow.index] = escrow
        self.states[escrow.index] = EscrowState(escrow)
        old = self.find(escrow.record.supersedes, escrow.party, before=escrow.index)
        if old is None:
            return
        self.states[old.index].superseded_by = escrow.index
        opened = self._opened_parts(old.index)
        for change in escrow.record.changes:
            if change.change == "withdrawn":
                continue
            moved_in = change.from_part is not None and change.from_part != change.part
            if change.change == "added" or moved_in:
                by = opened.get(change.part)
                if by is not None:
                    self.late.append(
                        LateAddition(escrow.index, change.item, change.part, by, change)
                    )

    def add_reveal(self, reveal: LoggedReveal) -> RevealCheck:
        if reveal.record is None:
            check = RevealCheck(reveal)
        else:
            check = RevealCheck(reveal, check_reveal(reveal.record, reveal.index, self.escrows))
        self.checks.append(check)
        state = self.states.get(reveal.escrow)
        if state is not None and reveal.part is not None:
            state.reveals.setdefault(reveal.part, []).append(check)
        return check

    def find(self, ref: str | None, party: str, *, before: int) -> LoggedEscrow | None:
        """The latest escrow of `party` with id `ref` logged before `before`."""
        if ref is None:
            return None
        found = [
            e
            for e in self.escrows.values()
            if e.party == party and e.record.escrow_id == ref and e.index < before
        ]
        return found[-1] if found else None

    def versions(self, index: int) -> list[LoggedEscrow]:
        """The escrow at `index` and every version it amends, oldest first."""
        chain = []
        current: LoggedEscrow | None = self.escrows.get(index)
        while current is not None:
            chain.append(current)
            current = self.find(current.record.supersedes, current.party, before=current.index)
        return chain[::-1]

    def _opened_parts(self, index: int) -> dict[str, int]:
        """Parts opened (by a reveal that verified) in the escrow at `index` or what it amends."""
        opened: dict[str, int] = {}
        for version in self.versions(index):
            for part, checks in self.states[version.index].reveals.items():
                good = next((c for c in checks if c.verified), None)
                if good is not None:
                    opened.setdefault(part, good.reveal.index)
        return opened

    def current(self) -> list[EscrowState]:
        """The escrows no later amendment supersedes, in log order."""
        return [s for s in self.states.values() if s.superseded_by is None]


def amendment_changes(
    old: Iterable[Item], new: Iterable[Item], reasons: Mapping[str, str], default: str
) -> list[dict[str, Any]]:
    """Item by item, what a new version of an escrowed declaration adds, withdraws or changes.

    Each change takes its reason from `reasons` (by item key), else `default`;
    an item whose content is the same but whose part differs is `changed`,
    with the part it comes from.
    """
    before = {i.key: i for i in old}
    after = {i.key: i for i in new}
    out: list[dict[str, Any]] = []
    for key, item in after.items():
        was = before.get(key)
        if was is None:
            change: Change = "added"
        elif was.data != item.data or was.part != item.part:
            change = "changed"
        else:
            continue
        entry: dict[str, Any] = {"item": key, "change": change, "part": item.part}
        if was is not None and was.part != item.part:
            entry["from_part"] = was.part
        entry["reason"] = reasons.get(key, default)
        out.append(entry)
    for key, item in before.items():
        if key not in after:
            out.append(
                {
                    "item": key,
                    "change": "withdrawn",
                    "part": item.part,
                    "reason": reasons.get(key, default),
                }
            )
    missing = [c["item"] for c in out if not c["reason"]]
    if missing:
        more = f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ValueError(f"no reason given for the change of item {missing[0]}{more}")
    return out


def names_item(key: str, uid: str) -> bool:
    """Whether an item key (`sites/yongbyon-5mwe`) names `uid` (the key, or its identifier)."""
    folded = uid.strip().casefold()
    key = key.casefold()
    return key == folded or key.split("/", 1)[-1] == folded


def escrow_mentions(record_type: str, payload: Mapping[str, Any], uid: str) -> list[str]:
    """What an escrow or reveal payload says of item `uid`, for `item history`.

    An escrow names items only in its amendment's changes; a reveal opens them.
    """
    out: list[str] = []
    escrow_id = payload.get("escrow_id")
    if record_type == "escrow":
        for change in payload.get("changes") or ():
            if isinstance(change, Mapping) and names_item(str(change.get("item", "")), uid):
                moved = f" from part {change['from_part']}" if change.get("from_part") else ""
                out.append(
                    f"escrow {escrow_id} (amending {payload.get('supersedes')}): "
                    f"{change.get('change')} in part {change.get('part')}{moved}: "
                    f"{change.get('reason')}"
                )
        return out
    for n, revealed in enumerate(payload.get("items") or ()):
        item = revealed.get("item") if isinstance(revealed, Mapping) else None
        if not isinstance(item, Mapping) or not names_item(str(item.get("key", "")), uid):
            continue
        entry = item.get("entry")
        fields = ", ".join(
            f"{k} {v}"
            for k, v in (entry.items() if isinstance(entry, Mapping) else ())
            if not isinstance(v, Mapping | list) and v not in ("", None)
        )
        out.append(
            f"revealed in part {payload.get('part')} of escrow {escrow_id} "
            f"(escrow entry {payload.get('escrow')}, item {n}): {fields}"
        )
    return out


def reveal_problems(checks: Sequence[RevealCheck]) -> list[str]:
    """One line per reveal that does not verify."""
    return [f"log entry {c.reveal.index}: {c.problem}" for c in checks if c.problem]


ESCROW_TYPES = ("escrow", "escrow.reveal")


def add_entry(
    book: EscrowBook,
    *,
    index: int,
    time: datetime,
    record_type: str,
    party: str,
    confidential: bool,
    payload: Mapping[str, Any] | None,
    unreadable: str = "",
) -> RevealCheck | None:
    """Feed one `escrow` or `escrow.reveal` entry (its payload, if the reader may read it)."""
    if record_type == "escrow":
        if payload is not None:
            try:
                record = EscrowRecord.model_validate(payload)
            except ValueError:
                return None  # the log's own check refuses it: the audit names it
            book.add_escrow(LoggedEscrow(index, time, party, record))
        return None
    reveal: RevealRecord | None = None
    problem = ""
    if payload is not None:
        try:
            reveal = RevealRecord.model_validate(payload)
        except ValueError as exc:
            problem = f"the reveal does not open its own root: {_first_error(exc)}"
    escrow_ref = payload.get("escrow") if payload is not None else None
    part = payload.get("part") if payload is not None else None
    logged = LoggedReveal(
        index,
        time,
        party,
        confidential,
        escrow_ref if isinstance(escrow_ref, int) else -1,
        part if isinstance(part, str) else None,
        reveal,
        unreadable,
    )
    if problem:
        check = RevealCheck(logged, problem)
        book.checks.append(check)
        return check
    return book.add_reveal(logged)


def _first_error(exc: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(exc)


def feed_envelopes(book: EscrowBook, entries: Iterable[AuditEntry]) -> Iterator[AuditEntry]:
    """Pass a log's entries through, feeding its escrows and reveals to `book` on the way.

    For an exported log, read once by the audit: a confidential reveal comes
    without its payload and is listed as not readable.
    """
    for entry in entries:
        if b'"record_type":"escrow' in entry.envelope:
            env = Envelope.from_bytes(entry.envelope, where=f"entry {entry.index}")
            if env.record_type in ESCROW_TYPES:
                payload = env.payload
                if payload is None and entry.opening is not None:
                    payload = entry.opening.payload
                add_entry(
                    book,
                    index=entry.index,
                    time=env.time,
                    record_type=env.record_type,
                    party=env.party,
                    confidential=env.confidential,
                    payload=payload,
                    unreadable="" if payload is not None else "confidential: not in the export",
                )
        yield entry
