"""What went wrong on the road map: the findings of an evaluation, each tied to log entries.

Kinds (the rules are in the docstring of `roadmap`):

- `premature concession` / `premature step`: reported on a day when a step it
  `requires` was not verified;
- `unverified too long`: no verification result within the window after the report;
- `missed deadline`: not reported by the deadline (outstanding or reported late);
- `ignored record`: a record that does not count;
- `concession while suspended`: reported while a consequence of the accord
  held it back (`consequences`).
- `unrevealed nonce`, `undeclared item`, `relocation`, `undrawn part` (a
  drawn reveal step fulfilled by a part the draw did not choose): what an escrowed
  declaration's draws and reveals show (`declarations.draw`,
  `declarations.escrow_findings`), added to the status by its sources.

Each finding names the log indices it rests on, so every one can be checked
against the log (and its receipts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from accordwatch.roadmap.history import (
    Ignored,
    Plan,
    Report,
    Signature,
    StepLedger,
    VerificationResult,
    claimed_and_logged,
    value_at,
)


class FindingKind(StrEnum):
    PREMATURE_CONCESSION = "premature concession"
    PREMATURE_STEP = "premature step"
    UNVERIFIED_TOO_LONG = "unverified too long"
    MISSED_DEADLINE = "missed deadline"
    IGNORED_RECORD = "ignored record"
    CONCESSION_WHILE_SUSPENDED = "concession while suspended"
    UNREVEALED_NONCE = "unrevealed nonce"
    UNDECLARED_ITEM = "undeclared item"
    RELOCATION = "relocation"
    UNDRAWN_PART = "undrawn part"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    date: date
    message: str
    step: str | None = None
    party: str | None = None
    indices: tuple[int, ...] = ()  # the log entries it rests on, ascending

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "date": self.date.isoformat(),
            "step": self.step,
            "party": self.party,
            "message": self.message,
            "indices": list(self.indices),
        }


def ignored(item: Ignored) -> Finding:
    record = item.record
    return Finding(
        FindingKind.IGNORED_RECORD,
        record.counts_from,
        item.reason,
        record.step,
        record.party,
        (record.index,),
    )


def stranger(signature: Signature) -> Finding:
    """A signature by a party the signed version does not list."""
    return Finding(
        FindingKind.IGNORED_RECORD,
        signature.counts_from,
        f"signature by {signature.party}, who is not a party to version "
        f"{signature.digest[:12]} of {signature.accord.id}",
        None,
        signature.party,
        (signature.index,),
    )


def before_report(result: VerificationResult, ledger: StepLedger) -> Finding:
    """A verification result dated before the step's report (or with no report yet)."""
    first = ledger.first_report
    when = "any report of it" if first is None else f"its report {claimed_and_logged(first)}"
    return ignored(
        Ignored(
            result,
            f"verification result for step {result.step} {claimed_and_logged(result)} "
            f"precedes {when}",
        )
    )


def premature(plan: Plan, report: Report, ledgers: Mapping[str, StepLedger]) -> Finding | None:
    """Which required steps were not verified on the day `report` says the step was taken."""
    missing: list[str] = []
    indices = {report.index}
    for required in plan.requires:
        ledger = ledgers.get(required)
        if ledger is None:
            missing.append(f"{required} (not a step of the accord)")
            continue
        day = report.counts_from
        if value_at(ledger.history(), day) is True:
            continue
        decided = [r for r in ledger.results if r.counts_from <= day]
        if decided:
            last = max(decided, key=lambda r: (r.counts_from, r.index))
            indices.add(last.index)
            why = f"found not verified {claimed_and_logged(last)}"
        else:
            why = "not verified by then"
        later = ledger.first_verified
        if later is not None and later.counts_from > day:
            indices.add(later.index)
            why += f"; first verified {claimed_and_logged(later)}"
        missing.append(f"{required} ({why})")
    if not missing:
        return None
    kind = FindingKind.PREMATURE_CONCESSION if plan.concession else FindingKind.PREMATURE_STEP
    what = "concession" if plan.concession else "step"
    return Finding(
        kind=kind,
        date=report.counts_from,
        message=f"{plan.party} reported {what} {plan.id} {claimed_and_logged(report)} "
        f"before its prerequisites were verified: {'; '.join(missing)}",
        step=plan.id,
        party=plan.party,
        indices=tuple(sorted(indices)),
    )


def missed(
    plan: Plan,
    due: date | None,
    days_late: int,
    waiting_for: tuple[str, ...],
    ledgers: Mapping[str, StepLedger],
) -> Finding | None:
    """A deadline not kept: the step is overdue, or was reported after it."""
    if due is None or days_late <= 0:
        return None
    indices: list[int] = []
    if plan.anchor is not None and (anchor := ledgers.get(plan.anchor)) is not None:
        event = anchor.first_verified if plan.anchor_verified else anchor.first_report
        if event is not None:
            indices.append(event.index)
    first = ledgers[plan.id].first_report
    if first is None:
        message = (
            f"{plan.party} did not report step {plan.id} by its deadline "
            f"{due.isoformat()}: {days_late} days overdue"
        )
        if waiting_for:
            message += f" (still waiting for {', '.join(waiting_for)} to be verified)"
    else:
        indices.append(first.index)
        message = (
            f"{plan.party} reported step {plan.id} {days_late} days late "
            f"(deadline {due.isoformat()}, reported done {claimed_and_logged(first)})"
        )
    return Finding(
        FindingKind.MISSED_DEADLINE, due, message, plan.id, plan.party, tuple(sorted(indices))
    )


def unverified(plan: Plan, ledger: StepLedger, as_of: date) -> Finding | None:
    """No verification result, either way, within the window after the report."""
    first = ledger.first_report
    if first is None:
        return None
    reported = first.counts_from
    limit = reported + timedelta(days=plan.window)
    answer = min(ledger.results, key=lambda r: (r.counts_from, r.index), default=None)
    if (answer is not None and answer.counts_from <= limit) or as_of <= limit:
        return None
    if answer is not None:
        word = "verified" if answer.verified else "found not verified"
        tail = (
            f"{word} only {claimed_and_logged(answer)}, {(answer.counts_from - reported).days} days"
        )
        indices: tuple[int, ...] = tuple(sorted((first.index, answer.index)))
    else:
        tail = f"still awaiting verification after {(as_of - reported).days} days"
        indices = (first.index,)
    return Finding(
        FindingKind.UNVERIFIED_TOO_LONG,
        limit,
        f"step {plan.id} reported {claimed_and_logged(first)}; {plan.verifier} was to give "
        f"its word within {plan.window} days, by {limit.isoformat()}: {tail}",
        plan.id,
        plan.verifier,
        indices,
    )


_KIND_ORDER = {kind: i for i, kind in enumerate(FindingKind)}


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """By date, then the first log index, kind and step: a stable order."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (
                f.date,
                f.indices[0] if f.indices else -1,
                _KIND_ORDER[f.kind],
                f.step or "",
                f.message,
            ),
        )
    )
