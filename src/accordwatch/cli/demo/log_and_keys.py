"""The demo's first six steps: the log and the parties' keys.

A fresh workspace; the parties registered with their keys; signed statements,
one confidential; a receipt checked with the log's public key alone; a key
rotated and the revoked key refused; the database audited, then an exported
copy offline, and one word changed in the export caught.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.panel import Panel

from accordwatch.catalog import CATALOG
from accordwatch.cli.context import console
from accordwatch.cli.demo.shell import set_clock, step
from accordwatch.errors import AccordwatchError, InputError
from accordwatch.log.audit import audit
from accordwatch.log.export import read_export
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import Verifier
from accordwatch.log.receipt import Receipt
from accordwatch.sources.appending import Signer, sign_and_submit
from accordwatch.store.auditing import audit_database
from accordwatch.store.exporting import export_ledger
from accordwatch.store.ledger import Ledger
from accordwatch.workspace import Workspace, init_workspace

MARKER = ".accordwatch-demo"
#: the demo's simulated clock starts here, and only moves forward
START = datetime(2019, 10, 1, 9, tzinfo=UTC)

PARTIES = [
    ("dprk", "declarant", "Democratic People's Republic of Korea"),
    ("usa", "party", "United States of America"),
    ("rok", "party", "Republic of Korea"),
    ("iaea", "inspectorate", "International Atomic Energy Agency"),
    ("cns", "observer", "James Martin Center for Nonproliferation Studies"),
]

# Illustrative statements for the demo, paraphrasing the October 2019 commentary
# the project started from; they are labelled as demo entries in the log.
STATEMENTS = [
    (
        "usa",
        "Demo: proposal of a detailed road map",
        "Illustrative demo entry. Proposes a comprehensive road map with deadlines on both sides.",
    ),
    (
        "dprk",
        "Demo: position on the talks",
        "Illustrative demo entry. Asks for an end to joint exercises and to sanctions first.",
    ),
    (
        "iaea",
        "Demo: readiness to verify",
        "Illustrative demo entry. Ready to verify declarations once access is agreed.",
    ),
]


@dataclass(frozen=True)
class Logged:
    """What the first steps leave for the rest of the demo."""

    ledger: Ledger
    keys: dict[str, SigningKey]  # each party's active key
    first_entry: int  # the first statement's, whose receipt is written to the workspace
    export: Path  # the exported log


def run(home: Path) -> Logged:
    """Steps 1 to 6, in a fresh workspace at `home`."""
    _prepare_home(home)
    step("1. A new workspace: database, log key, genesis entry")
    # A log's origin must be unique in the world: an envelope names the log it is
    # for, and any log with the same origin would take it. A fresh one per run.
    # It runs on a simulated clock, from October 2019: the log records every
    # entry at the clock's time and refuses an envelope dated away from it, so
    # the story is told by moving the clock forward, never by backdating.
    ws = init_workspace(
        home, origin=f"accordwatch.demo/{secrets.token_hex(6)}", simulated_clock=START
    )
    (home / MARKER).write_text("created by accordwatch demo; removed by the next demo run\n")
    ledger = ws.ledger()
    console.print(f"log [bold]{ledger.origin}[/], verifier key:\n  {ledger.signer.verifier.text()}")
    console.print(
        f"simulated clock from {START:%Y-%m-%d %H:%M} UTC (accordwatch clock show): every "
        "entry is logged at the clock's time, and the clock only moves forward"
    )

    step("2. Parties and their keys, registered by the registrar")
    registrar_key = _key_of(ws, ledger, ws.settings.registrar)
    keys: dict[str, SigningKey] = {}
    for name, role, display in PARTIES:
        _as(
            ledger,
            ws.settings.registrar,
            registrar_key,
            "party.register",
            {"name": name, "role": role, "display_name": display},
        )
        key = SigningKey.generate()
        key.write(ws.party_key_path(name, key.key_id))
        _as(
            ledger,
            ws.settings.registrar,
            registrar_key,
            "key.register",
            {"party": name, "key_id": key.key_id, "public_key": _b64(key.public_key)},
        )
        keys[name] = key
        console.print(f"  {name:5} {role:12} key {key.key_id}")

    step("3. Signed statements; each append returns a receipt")
    set_clock(home, datetime(2019, 10, 8, 10, tzinfo=UTC))
    receipts = []
    for party, subject, text in STATEMENTS:
        r = _as(ledger, party, keys[party], "statement", {"subject": subject, "text": text})
        receipts.append(r)
        console.print(f"  entry {r.index}: {subject!r} by {party}")
    secret = _as(
        ledger,
        "iaea",
        keys["iaea"],
        "statement",
        {
            "subject": "Demo: confidential inspection note",
            "text": "Illustrative demo entry held in confidence.",
        },
        confidential=True,
    )
    public_view = json.loads(ledger.entry(secret.index).envelope)
    console.print(
        f"  entry {secret.index}: confidential; the public log holds only "
        f"{public_view['commitment'][:30]}..."
    )

    step("4. A receipt, checked with nothing but the log's public key")
    receipt = ledger.receipt(receipts[0].index, at="latest")
    console.print(
        Panel(json.dumps(receipt.to_json(), indent=2), title=f"receipt of entry {receipt.index}")
    )
    receipt_file = home / f"receipt-{receipt.index}.json"
    receipt_file.write_text(json.dumps(receipt.to_json(), indent=2) + "\n", "utf-8")
    cp = receipt.verify(Verifier.parse(ledger.signer.verifier.text()))
    console.print(f"  [green]valid[/]: entry {receipt.index} is in the tree of size {cp.size}")

    step("5. Key rotation and revocation")
    set_clock(home, datetime(2019, 11, 4, 10, tzinfo=UTC))
    _rotate_and_refuse(ws, ledger, registrar_key, keys)

    step("6. Audit: the database, then an exported copy offline")
    export = _audit(ledger, home)
    return Logged(ledger=ledger, keys=keys, first_entry=receipts[0].index, export=export)


def _prepare_home(home: Path) -> None:
    if home.exists():
        if not (home / MARKER).exists():
            raise InputError(
                "folder exists and is not a demo workspace; choose another --home", where=str(home)
            )
        shutil.rmtree(home)


def _rotate_and_refuse(
    ws: Workspace, ledger: Ledger, registrar_key: SigningKey, keys: dict[str, SigningKey]
) -> None:
    """Rotate dprk's key (in `keys` too), then show the old key refused and the new accepted."""
    old = keys["dprk"]
    new = SigningKey.generate()
    new.write(ws.party_key_path("dprk", new.key_id))
    _as(
        ledger,
        ws.settings.registrar,
        registrar_key,
        "key.register",
        {
            "party": "dprk",
            "key_id": new.key_id,
            "public_key": _b64(new.public_key),
            "replaces": old.key_id,
        },
    )
    keys["dprk"] = new
    console.print(f"  dprk rotated key {old.key_id} -> {new.key_id}")
    try:
        _as(ledger, "dprk", old, "statement", {"subject": "Demo: signed with the old key"})
    except AccordwatchError as exc:
        console.print(f"  [red]refused[/]: {exc.diagnostic()}")
    r = _as(ledger, "dprk", new, "statement", {"subject": "Demo: signed with the new key"})
    console.print(f"  entry {r.index} signed with the new key; entries signed before stay valid")


def _audit(ledger: Ledger, home: Path) -> Path:
    """Audit the database and an export of it, then a tampered export; return the export."""
    report = audit_database(ledger)
    console.print(
        f"  database: {report.size} entries, {report.checkpoints} checkpoints, "
        f"{report.nodes} Merkle nodes: [green]ok[/]"
    )
    export = home / "log-export.jsonl"
    with export.open("w", encoding="utf-8") as fh:
        export_ledger(ledger, fh)
    header, entries = read_export(export)
    offline = audit(entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG)
    console.print(
        f"  {export}: {offline.size} entries, {offline.checkpoints} checkpoints: [green]ok[/]"
    )

    tampered = home / "log-export-tampered.jsonl"
    text = export.read_text("utf-8").replace("comprehensive road map", "comprehensive roadmap", 1)
    tampered.write_text(text, "utf-8")
    header, entries = read_export(tampered)
    try:
        audit(entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG)
        console.print("  [red]tampering went unnoticed[/]")
    except AccordwatchError as exc:
        console.print(f"  one word changed in {tampered.name}: [red]{exc.diagnostic()}[/]")
    return export


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _key_of(ws: Workspace, ledger: Ledger, party: str) -> SigningKey:
    record = next(k for k in ledger.registry().keys_of(party) if k.active)
    return SigningKey.read(ws.party_key_path(party, record.key_id))


def _as(
    ledger: Ledger,
    party: str,
    key: SigningKey,
    record: str,
    payload: dict[str, Any],
    *,
    confidential: bool = False,
) -> Receipt:
    """Sign `payload` as `party` with `key` and append it."""
    return sign_and_submit(ledger, Signer(party, key), record, payload, confidential=confidential)
