"""The demo's first six steps: the log and the parties' keys.

A fresh workspace; the parties registered, each with a signing key and an
encryption key it made in a folder of its own, the registrar registering only
their public halves; signed statements, one confidential (sealed to its
readers); a receipt checked with the log's public key alone; DPRK rotating its
own key and the revoked key refused; the database audited, then an exported
copy offline, and one word changed in the export caught.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.panel import Panel

from accordwatch.catalog import CATALOG
from accordwatch.cli.context import console
from accordwatch.cli.demo.nodes import Nodes, mark, prepare_folder
from accordwatch.cli.demo.shell import Shell, set_clock, step
from accordwatch.errors import AccordwatchError
from accordwatch.log.audit import audit
from accordwatch.log.export import read_export
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import Verifier
from accordwatch.log.public_keys import PublicKeyFile
from accordwatch.log.receipt import Receipt
from accordwatch.sources.appending import Signer, sign_and_submit
from accordwatch.store.auditing import audit_database
from accordwatch.store.exporting import export_ledger
from accordwatch.store.ledger import Ledger
from accordwatch.workspace import Workspace, init_workspace

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


def run(home: Path, nodes: Nodes, shell: Shell) -> Logged:
    """Steps 1 to 6, in a fresh workspace at `home`, the parties' keys in their folders."""
    prepare_folder(home)
    nodes.prepare()
    step("1. A new workspace: database, log key, genesis entry")
    # A log's origin must be unique in the world: an envelope names the log it is
    # for, and any log with the same origin would take it. A fresh one per run.
    # It runs on a simulated clock, from October 2019: the log records every
    # entry at the clock's time and refuses an envelope dated away from it, so
    # the story is told by moving the clock forward, never by backdating.
    ws = init_workspace(
        home, origin=f"accordwatch.demo/{secrets.token_hex(6)}", simulated_clock=START
    )
    mark(home)
    ledger = ws.ledger()
    console.print(f"log [bold]{ledger.origin}[/], verifier key:\n  {ledger.signer.verifier.text()}")
    console.print(
        f"simulated clock from {START:%Y-%m-%d %H:%M} UTC (accordwatch clock show): every "
        "entry is logged at the clock's time, and the clock only moves forward"
    )

    step("2. Parties, each making its keys in a folder of its own")
    registrar_key = _key_of(ws, ledger, ws.settings.registrar)
    console.print(
        f"  Each party makes a signing key and an encryption key (HPKE, ML-KEM-768 + X25519) "
        f"in its own folder, {nodes.root}/PARTY/keys, as `accordwatch key new` does, and "
        "gives the registrar the public halves only:",
        highlight=False,
    )
    made: list[PublicKeyFile] = []
    for name, role, display in PARTIES:
        _as(
            ledger,
            ws.settings.registrar,
            registrar_key,
            "party.register",
            {"name": name, "role": role, "display_name": display},
        )
        signing = nodes.make_key(name, KeyPurpose.SIGNING)
        encryption = nodes.make_key(name, KeyPurpose.ENCRYPTION)
        made += [signing, encryption]
        console.print(
            f"  {name:5} {role:12} signing {signing.key_id}, encryption {encryption.key_id}",
            highlight=False,
        )
    # the registrar registers each public file; the fingerprint it prints is
    # read back to the party, who compares it with the one its key new printed
    first = made[0]
    console.print(
        f"  dprk's signing key fingerprint, as dprk's key new printed it: {first.fingerprint}",
        highlight=False,
    )
    shell.typed("key", "register", "--party", first.party, str(nodes.public_file(first)))
    for public in made[1:]:
        shell.quiet(
            "--home", str(home), "key", "register", "--party", public.party,
            str(nodes.public_file(public)),
        )  # fmt: skip
    console.print(
        f"  ... and the other {len(made) - 1} public keys the same way. The log's folder "
        f"holds the log's key and the registrar's, and no party's: {home}/keys/",
        highlight=False,
    )
    keys = dict(nodes.signing)

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
        f"  entry {secret.index}: confidential, sealed to its readers' encryption keys; the "
        f"public log holds only {public_view['commitment'][:30]}..."
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

    step("5. DPRK rotates its own key; the old key is refused")
    set_clock(home, datetime(2019, 11, 4, 10, tzinfo=UTC))
    _rotate_and_refuse(ledger, nodes, keys)

    step("6. Audit: the database, then an exported copy offline")
    export = _audit(ledger, home)
    return Logged(ledger=ledger, keys=keys, first_entry=receipts[0].index, export=export)


def _rotate_and_refuse(ledger: Ledger, nodes: Nodes, keys: dict[str, SigningKey]) -> None:
    """DPRK rotates its own key (in `keys` too); the old key is refused, the new accepted.

    As `accordwatch key rotate` does: the new key's public half, logged as
    `key.rotate` signed by the key it replaces; no registrar is involved.
    """
    old = keys["dprk"]
    new = nodes.make_key("dprk", KeyPurpose.SIGNING)
    _as(
        ledger,
        "dprk",
        old,
        "key.rotate",
        {
            "party": "dprk",
            "key_id": new.key_id,
            "public_key": new.public_key_text,
            "purpose": KeyPurpose.SIGNING.value,
            "replaces": old.key_id,
        },
    )
    keys["dprk"] = nodes.signing["dprk"]
    console.print(
        f"  dprk made key {new.key_id} in its folder and rotated {old.key_id} out, "
        f"signing the rotation with {old.key_id} (no registrar involved)",
        highlight=False,
    )
    try:
        _as(ledger, "dprk", old, "statement", {"subject": "Demo: signed with the old key"})
    except AccordwatchError as exc:
        console.print(f"  [red]refused[/]: {exc.diagnostic()}")
    r = _as(ledger, "dprk", keys["dprk"], "statement", {"subject": "Demo: signed with the new key"})
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
