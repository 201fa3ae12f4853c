"""Party and key commands: who may write to the log, and with which keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import (
    console,
    passphrase,
    registrar_only,
    shown,
    submit_as,
    workspace,
)
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.errors import InputError, NotFoundError
from accordwatch.log.key_purpose import KeyPurpose
from accordwatch.log.roles import Role
from accordwatch.private_files import write_private_text

if TYPE_CHECKING:
    from accordwatch.log.hpke import EncryptionKey
    from accordwatch.log.keys import SigningKey
    from accordwatch.log.public_keys import PublicKeyFile
    from accordwatch.workspace import Workspace

party_app = typer.Typer(help="Parties to the accord and their roles.", no_args_is_help=True)
key_app = typer.Typer(
    help="Party keys, signing and encryption: new, register, rotate, revoke, list.",
    no_args_is_help=True,
)


def _registrar_submit(ws: Workspace, record: str, payload: dict[str, Any]) -> int:
    """Sign `payload` as the registrar: in the log's workspace only, never on a node."""
    registrar_only(
        ws,
        {"party.register": "party add", "party.revoke": "party revoke"}.get(record, "key register"),
    )
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
    """List registered parties with their active keys, and which were revoked.

    Each party's current encryption key says whether confidential records can
    be sealed to it as a reader; a closing line names the active parties
    without one, whose confidential records stay in plaintext at the log.
    """
    from accordwatch.log.confidential import without_key_line
    from accordwatch.reports.exports import Column, Kind, Sheet
    from accordwatch.sources.confidential import readers_of

    chosen = chosen_format(fmt, as_json, output)
    ledger = workspace().ledger()
    registry = ledger.registry()
    readers = {r.party: r for r in readers_of(ledger, registry)}
    sheet = Sheet(
        "parties",
        (
            Column("name", "party", Kind.ID),
            Column("role"),
            Column("display_name", "name"),
            Column("registered_at", "entry", Kind.ID),
            Column("active_keys", "active keys", Kind.ID),
            Column("encryption_key", "encryption key", Kind.ID),
            Column("sealed_entries", "sealed to it", Kind.FIGURE),
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
            encryption_key=readers[p.name].key_id,
            sealed_entries=readers[p.name].sealed_entries,
            revoked_at=p.revoked_at,
            revoked_reason=p.reason,
        )

    def text() -> None:
        print_sheet(sheet, show={"active_keys": "\n".join})
        console.print(shown(without_key_line(readers.values())), highlight=False)

    deliver(chosen, json=sheet.records, sheets=lambda: [sheet], text=text)


PURPOSE_OPTION = typer.Option(
    "signing", "--purpose", help="signing (Ed25519) or encryption (HPKE ML-KEM-768 + X25519)"
)


def _new_private_key(purpose: KeyPurpose) -> SigningKey | EncryptionKey:
    from accordwatch.log.hpke import EncryptionKey
    from accordwatch.log.keys import SigningKey

    return SigningKey.generate() if purpose is KeyPurpose.SIGNING else EncryptionKey.generate()


def _read_public_key_file(path: Path) -> PublicKeyFile:
    from accordwatch.log.public_keys import PublicKeyFile

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read public key file: {exc.strerror}", where=str(path)) from exc
    return PublicKeyFile.parse(data, where=str(path))


def _key_payload(public: PublicKeyFile, replaces: str | None) -> dict[str, object]:
    payload: dict[str, object] = {
        "party": public.party,
        "key_id": public.key_id,
        "public_key": public.public_key_text,
        "purpose": public.purpose.value,
    }
    if replaces:
        payload["replaces"] = replaces
    return payload


@key_app.command("new")
def key_new(
    party: str = typer.Option(..., "--party", help="The party the key belongs to"),
    out: Path = typer.Option(
        None,
        "--out",
        help="Write the private key here and its public half to FILE.pub, outside any "
        "workspace [default: on a node, its keys folder, for the registrar to register the "
        ".pub; in the log's workspace, made and registered at once]",
    ),
    purpose: KeyPurpose = PURPOSE_OPTION,
    encrypt: bool = typer.Option(
        False, "--passphrase", help="Encrypt the key file (asks, or reads ACCORDWATCH_PASSPHRASE)"
    ),
    replaces: str = typer.Option(None, "--replaces", help="Key id this key rotates out"),
) -> None:
    """Make a key on this machine: FILE (mode 0600) and FILE.pub with its fingerprint.

    With --out, nothing else is needed: no workspace, no log. Give FILE.pub to
    the registrar (`accordwatch key register`) and compare the fingerprints.
    On a node, without --out, the key goes in the node's keys folder with its
    .pub beside it, registered by no one until the registrar runs key register.
    In the log's workspace, without --out, it is made and registered at once.
    """
    from accordwatch.validation_messages import id_problem

    problem = id_problem(party, "party")
    if problem is not None:
        raise InputError(problem)
    if out is None:
        _key_new_in_workspace(party, purpose, encrypt, replaces)
        return
    if replaces:
        raise InputError(
            "--replaces registers at once, in the workspace: with --out, rotate with "
            "accordwatch key rotate OLD --new FILE.pub"
        )
    _write_key_pair(_new_private_key(purpose), party, purpose, out, encrypt)


def _write_key_pair(
    key: SigningKey | EncryptionKey, party: str, purpose: KeyPurpose, out: Path, encrypt: bool
) -> None:
    """Write a new key to `out` (0600) and its public half to `out.pub`; say what the
    registrar runs with it. Registers nothing."""
    from accordwatch.log.public_keys import PublicKeyFile

    public_path = out.with_name(out.name + ".pub")
    for path in (out, public_path):
        if path.exists():
            raise InputError("key file already exists; refusing to overwrite", where=str(path))
    secret = (
        passphrase(f"new key {key.key_id} of {party} ({out})", confirm=True) if encrypt else None
    )
    public = PublicKeyFile(party, purpose, key.public_key)
    key.write(out, secret)
    try:
        write_private_text(public_path, public.to_json())
    except OSError as exc:
        out.unlink(missing_ok=True)
        raise InputError(f"cannot write file: {exc.strerror}", where=str(public_path)) from exc
    console.print(f"{purpose} key [bold]{key.key_id}[/] of {party}")
    console.print(f"  fingerprint  [bold]{public.fingerprint}[/]")
    console.print(f"  private key  {out} (0600{', passphrase' if secret else ''}; keep it)")
    console.print(f"  public key   {public_path}")
    typer.echo(f"  {public.public_key_text}")
    console.print(f"give {public_path} to the log's registrar, who runs:", highlight=False)
    # a command to copy: never wrapped, whatever the width
    console.print(
        f"  accordwatch key register --party {party} {public_path.name}",
        soft_wrap=True,
        highlight=False,
    )
    console.print("and check that the fingerprint it prints is this one")


def _key_new_in_workspace(
    party: str, purpose: KeyPurpose, encrypt: bool, replaces: str | None
) -> None:
    from accordwatch.log.public_keys import PublicKeyFile

    ws = workspace()
    if ws.is_node:
        _key_new_on_node(ws, party, purpose, encrypt, replaces)
        return
    registry = ws.ledger().registry()
    if party not in registry.parties:
        raise NotFoundError(f"unknown party {party!r} (add it with accordwatch party add)")
    key = _new_private_key(purpose)
    path = ws.party_key_path(party, key.key_id)
    if path.exists():
        raise InputError("key file already exists; refusing to overwrite", where=str(path))
    secret = (
        passphrase(f"new key {key.key_id} of {party} ({path})", confirm=True) if encrypt else None
    )
    payload = _key_payload(PublicKeyFile(party, purpose, key.public_key), replaces)
    # Write the file first: a registered key nobody holds would be worse than a stray file.
    key.write(path, secret)
    try:
        index = _registrar_submit(ws, "key.register", payload)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    console.print(f"{purpose} key [bold]{key.key_id}[/] of {party} registered at log entry {index}")
    console.print(f"  private key: {path}")
    if replaces:
        console.print(f"  key {replaces} is revoked from entry {index} on")


def _key_new_on_node(
    ws: Workspace, party: str, purpose: KeyPurpose, encrypt: bool, replaces: str | None
) -> None:
    """A key of the node's party in the node's keys folder; the registrar registers its .pub."""
    from accordwatch.sources.remote_log import NodeConfig

    own = NodeConfig.read(ws.home).party
    if party != own:
        raise InputError(f"this node is party {own}'s: it makes keys of {own} only, not of {party}")
    if replaces:
        raise InputError(
            f"a node registers nothing: rotate with accordwatch key rotate {replaces} "
            "--new FILE.pub, signed with the current key"
        )
    key = _new_private_key(purpose)
    _write_key_pair(key, party, purpose, ws.party_key_path(party, key.key_id), encrypt)


@key_app.command("register")
def key_register(
    public_key_file: Path = typer.Argument(
        ..., help="FILE.pub, as the party's accordwatch key new --out FILE wrote it"
    ),
    party: str = typer.Option(..., "--party", help="The party the key belongs to"),
    replaces: str = typer.Option(None, "--replaces", help="Key id this key rotates out"),
) -> None:
    """Register a public key a party made itself (signed by the registrar).

    The purpose (signing or encryption) is the file's. Read the fingerprint
    printed here to the party: it must be the one its key new printed.
    """
    ws = workspace()
    registrar_only(ws, "key register")
    public = _read_public_key_file(public_key_file)
    if public.party != party:
        raise InputError(
            f"public key file is for party {public.party!r}, not {party!r}",
            where=str(public_key_file),
        )
    if party not in ws.ledger().registry().parties:
        raise NotFoundError(f"unknown party {party!r} (add it with accordwatch party add)")
    index = _registrar_submit(ws, "key.register", _key_payload(public, replaces))
    console.print(
        f"{public.purpose} key [bold]{public.key_id}[/] of {party} registered at log entry {index}"
    )
    console.print(f"  fingerprint  [bold]{public.fingerprint}[/]  (check it with {party})")
    if replaces:
        console.print(f"  key {replaces} is revoked from entry {index} on")


@key_app.command("rotate")
def key_rotate(
    key_id: str = typer.Argument(..., help="The party's current key to rotate out"),
    new: Path = typer.Option(
        ..., "--new", help="FILE.pub of the new key (accordwatch key new --out FILE)"
    ),
    key_file: Path = typer.Option(
        None,
        "--key",
        help="Private key file to sign with: the key itself for a signing key, an active "
        "signing key for an encryption key [default: the party's key in the workspace]",
    ),
) -> None:
    """Replace a key with a new one, signed by the party's current key (no registrar).

    The old key is revoked from that log entry on; what it signed before
    stays valid.
    """
    public = _read_public_key_file(new)
    ws = workspace()
    ledger = ws.ledger()
    registry = ledger.registry()
    record = registry.keys.get(key_id)
    if record is None:
        raise NotFoundError(f"unknown key {key_id}")
    if record.party != public.party:
        raise InputError(
            f"new key is for party {public.party!r}, key {key_id} is {record.party!r}'s",
            where=str(new),
        )
    if record.purpose is not public.purpose:
        raise InputError(
            f"key {key_id} is for {record.purpose}: a key for {public.purpose} cannot replace it",
            where=str(new),
        )
    if key_file is None and record.purpose is KeyPurpose.SIGNING:
        # a signing key is rotated by its own signature
        key_file = ws.party_key_path(record.party, key_id)
        if not key_file.is_file():
            raise NotFoundError(
                f"no private key {key_id} in {key_file.parent}: give the key file with --key"
            )
    payload = _key_payload(public, key_id)
    index = submit_as(ws, ledger, record.party, key_file, "key.rotate", payload).index
    console.print(
        f"{record.purpose} key {key_id} of {shown(record.party)} rotated to "
        f"[bold]{public.key_id}[/] at log entry {index}"
    )
    console.print(f"  fingerprint  [bold]{public.fingerprint}[/]")


@key_app.command("revoke")
def key_revoke(
    key_id: str = typer.Argument(..., help="The key to revoke"),
    reason: str = typer.Option("", "--reason", help="Why (e.g. compromised)"),
    as_party: str = typer.Option(
        None, "--as", help="Sign as this party (the key's owner) instead of the registrar"
    ),
    key_file: Path = typer.Option(
        None, "--key", help="Private key file to sign with (a party signs with its own key)"
    ),
) -> None:
    """Revoke a key: later signatures by it are refused; earlier entries stay valid.

    A party revokes its own keys with one of its active signing keys (--as
    PARTY --key FILE); the registrar may revoke any key.
    """
    ws = workspace()
    ledger = ws.ledger()
    registry = ledger.registry()
    record = registry.keys.get(key_id)
    if record is None:
        raise NotFoundError(f"unknown key {key_id}")
    if as_party is None and ws.is_node:
        from accordwatch.sources.remote_log import NodeConfig

        as_party = NodeConfig.read(ws.home).party
    signer = as_party or ws.settings.registrar
    payload = {"party": record.party, "key_id": key_id, "reason": reason}
    index = submit_as(ws, ledger, signer, key_file, "key.revoke", payload).index
    console.print(f"key {shown(key_id)} of {shown(record.party)} revoked at log entry {index}")


@key_app.command("list")
def key_list(
    party: str = typer.Option(None, "--party", help="Only this party's keys"),
    purpose: KeyPurpose = typer.Option(None, "--purpose", help="Only signing or encryption keys"),
    current: bool = typer.Option(
        False, "--current", help="Only each party's current key of each purpose"
    ),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """List keys with the log entries that registered and revoked them.

    A party's current key of a purpose is its newest active one: what is
    sealed to the party is encrypted to its current encryption key.
    """
    from accordwatch.reports.exports import Column, Kind, Sheet

    chosen = chosen_format(fmt, as_json, output)
    registry = workspace().ledger().registry()
    now = {
        k.key_id
        for p in registry.parties
        for use in KeyPurpose
        if (k := registry.current_key(p, use)) is not None
    }
    keys = [
        k
        for k in registry.keys.values()
        if (party is None or k.party == party)
        and (purpose is None or k.purpose is purpose)
        and (not current or k.key_id in now)
    ]
    sheet = Sheet(
        "keys",
        (
            Column("key_id", "key", Kind.ID),
            Column("party", kind=Kind.ID),
            Column("purpose"),
            Column("current"),
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
            purpose=k.purpose.value,
            current=k.key_id in now,
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
