"""Party and key commands: who may write to the log, and with which keys."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import console, passphrase, shown, submit_as, workspace
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.errors import InputError, NotFoundError
from accordwatch.log.roles import Role

if TYPE_CHECKING:
    from accordwatch.workspace import Workspace

party_app = typer.Typer(help="Parties to the accord and their roles.", no_args_is_help=True)
key_app = typer.Typer(help="Party signing keys: new, rotate, revoke, list.", no_args_is_help=True)


def _registrar_submit(ws: Workspace, record: str, payload: dict[str, Any]) -> int:
    return submit_as(ws, ws.ledger(), ws.settings.registrar, None, record, payload).index


@party_app.command("add")
def party_add(
    name: str = typer.Argument(..., help="Short identifier, e.g. dprk, usa, iaea"),
    role: Role = typer.Option(..., "--role", help="What the party does in the accord"),
    display_name: str = typer.Option("", "--display-name", help="Full name"),
) -> None:
    """Register a party (signed by the log's registrar)."""
    from accordwatch.validation_messages import id_problem

    problem = id_problem(name, "party")
    if problem is not None:
        raise InputError(problem)
    ws = workspace()
    index = _registrar_submit(
        ws, "party.register", {"name": name, "role": role.value, "display_name": display_name}
    )
    console.print(f"registered party [bold]{name}[/] ({role.value}) at log entry {index}")


@party_app.command("revoke")
def party_revoke(
    name: str = typer.Argument(..., help="The party to end"),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the log)"),
) -> None:
    """End a party (signed by the registrar): its keys are revoked, its tokens stop working.

    Its later submissions are refused and no token is issued to it; the
    entries it made before stay valid.
    """
    ws = workspace()
    record = ws.ledger().registry().parties.get(name)
    if record is None:
        raise NotFoundError(f"unknown party {name!r}")
    index = _registrar_submit(ws, "party.revoke", {"name": name, "reason": reason})
    console.print(f"party [bold]{name}[/] revoked at log entry {index}: its keys and tokens too")


@party_app.command("list")
def party_list(fmt: Format = "text", output: OutputFile = None, as_json: JsonAlias = False) -> None:
    """List registered parties with their active keys, and which were revoked."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    chosen = chosen_format(fmt, as_json, output)
    registry = workspace().ledger().registry()
    sheet = Sheet(
        "parties",
        (
            Column("name", "party", Kind.ID),
            Column("role"),
            Column("display_name", "name"),
            Column("registered_at", "entry", Kind.ID),
            Column("active_keys", "active keys", Kind.ID),
            Column("revoked_at", "revoked at", Kind.ID),
            Column("revoked_reason", "reason"),
        ),
    )
    for p in sorted(registry.parties.values(), key=lambda p: p.registered_at):
        sheet.add(
            name=p.name,
            role=p.role.value,
            display_name=p.display_name,
            registered_at=p.registered_at,
            active_keys=[k.key_id for k in registry.keys_of(p.name) if k.active],
            revoked_at=p.revoked_at,
            revoked_reason=p.reason,
        )
    deliver(
        chosen,
        json=sheet.records,
        sheets=lambda: [sheet],
        text=lambda: print_sheet(sheet, show={"active_keys": "\n".join}),
    )


@key_app.command("new")
def key_new(
    party: str = typer.Option(..., "--party", help="The party the key belongs to"),
    out: Path = typer.Option(None, "--out", help="Private key file [default: in the workspace]"),
    encrypt: bool = typer.Option(
        False, "--passphrase", help="Encrypt the key file (asks, or reads ACCORDWATCH_PASSPHRASE)"
    ),
    replaces: str = typer.Option(None, "--replaces", help="Key id this key rotates out"),
) -> None:
    """Make an Ed25519 key, write it (mode 0600) and register its public half in the log."""
    from accordwatch.log.keys import SigningKey

    ws = workspace()
    registry = ws.ledger().registry()
    if party not in registry.parties:
        raise NotFoundError(f"unknown party {party!r} (add it with accordwatch party add)")
    key = SigningKey.generate()
    path = out or ws.party_key_path(party, key.key_id)
    if path.exists():
        raise InputError("key file already exists; refusing to overwrite", where=str(path))
    secret = (
        passphrase(f"new key {key.key_id} of {party} ({path})", confirm=True) if encrypt else None
    )
    payload: dict[str, object] = {
        "party": party,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_key).decode(),
    }
    if replaces:
        payload["replaces"] = replaces
    # Write the file first: a registered key nobody holds would be worse than a stray file.
    key.write(path, secret)
    try:
        index = _registrar_submit(ws, "key.register", payload)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    console.print(f"key [bold]{key.key_id}[/] of {party} registered at log entry {index}")
    console.print(f"  private key: {path}")
    if replaces:
        console.print(f"  key {replaces} is revoked from entry {index} on")


@key_app.command("revoke")
def key_revoke(
    key_id: str = typer.Argument(..., help="The key to revoke"),
    reason: str = typer.Option("", "--reason", help="Why (e.g. compromised)"),
    as_party: str = typer.Option(
        None, "--as", help="Sign as this party (the key's owner) instead of the registrar"
    ),
    key_file: Path = typer.Option(None, "--key", help="Private key file to sign with"),
) -> None:
    """Revoke a key: later signatures by it are refused; earlier entries stay valid."""
    ws = workspace()
    ledger = ws.ledger()
    registry = ledger.registry()
    record = registry.keys.get(key_id)
    if record is None:
        raise NotFoundError(f"unknown key {key_id}")
    signer = as_party or ws.settings.registrar
    payload = {"party": record.party, "key_id": key_id, "reason": reason}
    index = submit_as(ws, ledger, signer, key_file, "key.revoke", payload).index
    console.print(f"key {shown(key_id)} of {shown(record.party)} revoked at log entry {index}")


@key_app.command("list")
def key_list(
    party: str = typer.Option(None, "--party", help="Only this party's keys"),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """List keys with the log entries that registered and revoked them."""
    from accordwatch.reports.exports import Column, Kind, Sheet

    chosen = chosen_format(fmt, as_json, output)
    registry = workspace().ledger().registry()
    keys = [k for k in registry.keys.values() if party is None or k.party == party]
    sheet = Sheet(
        "keys",
        (
            Column("key_id", "key", Kind.ID),
            Column("party", kind=Kind.ID),
            Column("registered_at", "registered", Kind.ID),
            Column("revoked_at", "revoked", Kind.ID),
            Column("reason"),
            Column("public_key", "public key"),
        ),
    )
    for k in sorted(keys, key=lambda k: k.registered_at):
        sheet.add(
            key_id=k.key_id,
            party=k.party,
            registered_at=k.registered_at,
            revoked_at=k.revoked_at,
            reason=k.reason,
            public_key=k.public_key,
        )
    on_screen = Sheet(sheet.name, sheet.columns[:-1], sheet.rows)
    deliver(chosen, json=sheet.records, sheets=lambda: [sheet], text=lambda: print_sheet(on_screen))


def register(app: typer.Typer) -> None:
    app.add_typer(party_app, name="party")
    app.add_typer(key_app, name="key")
