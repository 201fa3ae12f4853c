"""Signing payloads as a party and appending them: the one path every writer takes.

A command, the demo or an import signs what it logs with a party's key, at
the log's own clock (`Ledger.clock`, which the workspace sets), and appends
it; this is that sequence, once. On a node, or with `--to URL`, the ledger
still gives the clock, the log's name and the registry (the node's verified
copy), and a `Destination` elsewhere takes the submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from accordwatch.log.envelope import Submission, seal
from accordwatch.log.keys import SigningKey
from accordwatch.log.receipt import Receipt
from accordwatch.store.ledger import AppendResult, Ledger


class Destination(Protocol):
    """Where signed submissions go: the ledger here, or a log elsewhere (`remote_submit`)."""

    def submit(self, submission: Submission, *, where: str = ...) -> Receipt: ...

    def append(self, submissions: Sequence[Submission], *, where: str = ...) -> AppendResult: ...


@dataclass(frozen=True)
class Signer:
    """A party and the key it signs with."""

    party: str
    key: SigningKey


def sealed(
    ledger: Ledger,
    signer: Signer,
    records: Sequence[tuple[str, dict[str, Any]]],
    *,
    confidential: bool = False,
    readers: Sequence[str] = (),
) -> list[Submission]:
    """`records` (record type, payload) as submissions signed by `signer`, all at one time.

    A confidential payload's opening is sealed to each of its readers'
    encryption keys (the submitter, the roles its record type names, and
    `readers`) when every one of them has registered one; otherwise it goes in
    plaintext beside the envelope, as before keys for sealing were registered.
    """
    moment = ledger.clock()
    made = [
        seal(
            log=ledger.origin,
            record_type=record_type,
            party=signer.party,
            key=signer.key,
            time=moment,
            payload=payload,
            confidential=confidential,
        )
        for record_type, payload in records
    ]
    if not confidential:
        return made
    from accordwatch.sources.reading import seal_submission

    registry = ledger.registry()
    return [seal_submission(registry, s, readers) for s in made]


def sign_and_submit(
    ledger: Ledger,
    signer: Signer,
    record_type: str,
    payload: dict[str, Any],
    *,
    confidential: bool = False,
    where: str | None = None,
    readers: Sequence[str] = (),
    to: Destination | None = None,
) -> Receipt:
    """Sign one payload and append it in its own transaction (or send it `to` a log
    elsewhere); its receipt. The ledger gives the clock, the log's name and the registry."""
    (submission,) = sealed(
        ledger, signer, [(record_type, payload)], confidential=confidential, readers=readers
    )
    return (ledger if to is None else to).submit(submission, where=where or record_type)


def sign_and_append(
    ledger: Ledger,
    signer: Signer,
    record_type: str,
    payloads: Sequence[dict[str, Any]],
    *,
    confidential: bool = False,
    where: str | None = None,
    to: Destination | None = None,
) -> AppendResult:
    """Sign payloads and append them together, all or none (sent `to` a log elsewhere:
    one by one, in order)."""
    records = [(record_type, payload) for payload in payloads]
    batch = sealed(ledger, signer, records, confidential=confidential)
    return (ledger if to is None else to).append(batch, where=where or record_type)
