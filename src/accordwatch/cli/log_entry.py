"""One log entry as `log get` prints it, and its payload as a party reads it."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import console, node_party, print_json, reader_as, shown, workspace
from accordwatch.errors import AuthorityError, InputError, NotFoundError
from accordwatch.log.canonical import parse_json

if TYPE_CHECKING:
    from accordwatch.store.ledger import Ledger


def format_option(value: str, allowed: tuple[str, ...]) -> str:
    """A `--format` value among `allowed`, or a one-line error naming them."""
    if value not in allowed:
        raise InputError(f"--format must be one of {', '.join(allowed)}, not {value!r}")
    return value


def get(
    index: int = typer.Argument(..., help="Entry index"),
    fmt: str = typer.Option("json", "--format", help="json or text"),
    as_party: str = typer.Option(
        None,
        "--as",
        help="Also give the payload as this party reads it (a confidential one opened with "
        "its encryption key, or refused) [default on a node: the node's party, if it may]",
    ),
) -> None:
    """Print one entry's envelope, leaf hash, when it was logged and when witnessed.

    For a confidential entry, also what the log holds of it: its commitment,
    and the readers its opening is sealed to (the log holds ciphertexts only),
    or that it is still in plaintext at the log.
    """
    from accordwatch.cli.policy import policy_for
    from accordwatch.sources.confidential import entry_confidentiality
    from accordwatch.timeutil import format_time

    format_option(fmt, ("json", "text"))
    ws = workspace()
    ledger = ws.ledger()
    entry = ledger.entry(index)
    policy = policy_for(None, ledger)
    found = ledger.witnessed_covering(index, policy) if policy is not None else None
    witnessed: dict[str, object] | None = None
    if found is not None:
        when = found[1].witnessed_time
        witnessed = {
            "summary": found[1].summary(),
            "checkpoint_size": found[1].checkpoint.size,
            "witnessed_at": format_time(when) if when is not None else None,
        }
    out = {
        "index": entry.index,
        "leaf_hash": base64.b64encode(entry.leaf_hash).decode(),
        "recorded_at": format_time(entry.recorded_at),
        "logged_at": format_time(entry.recorded_at),
        "witnessed": witnessed,
        "envelope": parse_json(entry.envelope, where=f"entry {index}"),
    }
    secret = entry_confidentiality(ledger, entry)
    out["confidential"] = secret is not None
    if secret is not None:
        out.update(secret.to_json())
    if as_party is not None:
        out["payload"] = payload_as(ledger, index, entry.envelope, as_party)
    elif (own := node_party(ws)) is not None and own in ledger.registry().parties:
        # a node shows what its party may read, and the envelope of what it may not
        try:
            out["payload"] = payload_as(ledger, index, entry.envelope, own)
            as_party = own
        except (AuthorityError, NotFoundError) as refused:
            out["payload_refused"] = f"{own}: {refused.message}"
    if fmt == "json":
        print_json(out)
        return
    console.print(
        f"entry {index}: {shown(entry.record_type)} by {shown(entry.party)}", highlight=False
    )
    console.print(f"logged at {out['logged_at']}", highlight=False)
    if secret is not None:
        console.print(shown(secret.describe()), highlight=False)
    if witnessed is not None:
        console.print(shown(witnessed["summary"]), highlight=False)
    elif policy is None:
        console.print("not witnessed: no witness policy is in force", highlight=False)
    else:
        console.print(
            "not witnessed yet: no checkpoint that includes it has its quorum of cosignatures "
            f"({shown(policy.describe_quorum())})",
            highlight=False,
        )
    print_json(out["envelope"])
    if "payload_refused" in out:
        console.print(f"payload not readable by {shown(out['payload_refused'])}", highlight=False)
    if as_party is not None:
        console.print(f"payload as {shown(as_party)} reads it:", highlight=False)
        print_json(out["payload"])


def payload_as(ledger: Ledger, index: int, raw: bytes, party: str) -> object:
    """Entry `index`'s payload as `party` may read it, checked against its commitment."""
    from accordwatch.catalog import CATALOG
    from accordwatch.log.access import open_record
    from accordwatch.log.envelope import Envelope, Opening

    where = f"log entry {index}"
    envelope = Envelope.from_bytes(raw, where=where)
    held = ledger.opening(index) if envelope.confidential else None
    opening = None if held is None else Opening(held[0], parse_json(held[1], where=where))
    return open_record(CATALOG, envelope, opening, reader_as(ledger, party), where=where)
