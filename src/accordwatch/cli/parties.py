"""Party and key commands: who may write to the log, and with which keys."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import console, passphrase, print_json, shown, submit_as, workspace
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
def party_list(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """List registered parties with their active keys, and which were revoked."""
    from rich.markup import escape
    from rich.table import Table

    registry = workspace().ledger().registry()
    rows = [
        {
            "name": p.name,
            "role": p.role.value,
            "display_name": p.display_name,
            "registered_at": p.registered_at,
            "active_keys": [k.key_id for k in registry.keys_of(p.name) if k.active],
            "revoked_at": p.revoked_at,
            "revoked_reason": p.reason,
        }
        for p in sorted(registry.parties.values(), key=lambda p: p.registered_at)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("party", "role", "name", "entry", "active keys", "revoked")
    for r in rows:
        revoked = "" if r["revoked_at"] is None else f"at {r['revoked_at']}: {r['revoked_reason']}"
        revoked = escape(revoked)  # the reason is free text from the log
        table.add_row(
            shown(r["name"]),
            shown(r["role"]),
            shown(r["display_name"]),
            str(r["registered_at"]),
            shown(", ".join(r["active_keys"])),  # type: ignore[arg-type]  # list of key ids
            revoked,
        )
    console.print(table)


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
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """List keys with the log entries that registered and revoked them."""
    from rich.table import Table

    registry = workspace().ledger().registry()
    keys = [k for k in registry.keys.values() if party is None or k.party == party]
    rows = [
        {
            "key_id": k.key_id,
            "party": k.party,
            "registered_at": k.registered_at,
            "revoked_at": k.revoked_at,
            "reason": k.reason,
            "public_key": base64.b64encode(k.public_key).decode(),
        }
        for k in sorted(keys, key=lambda k: k.registered_at)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("key", "party", "registered", "revoked", "reason")
    for r in rows:
        revoked = "" if r["revoked_at"] is None else str(r["revoked_at"])
        table.add_row(
            shown(r["key_id"]),
            shown(r["party"]),
            str(r["registered_at"]),
            revoked,
            shown(r["reason"]),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(party_app, name="party")
    app.add_typer(key_app, name="key")
