"""What every command needs: the workspace, key files, output helpers.

Every command module imports this one when the command line starts, even for
`--help`: the workspace, the ledger and the log's key and envelope code are
imported by the helpers that use them, not here.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from accordwatch.documents import read_yaml
from accordwatch.errors import AuthorityError, InputError, NotFoundError
from accordwatch.log.canonical import parse_json
from accordwatch.timeutil import utc_now

if TYPE_CHECKING:
    from accordwatch.log.keys import SigningKey
    from accordwatch.log.receipt import Receipt
    from accordwatch.log.registry import Registry
    from accordwatch.store.ledger import Ledger
    from accordwatch.workspace import Workspace

PASSPHRASE_ENV = "ACCORDWATCH_PASSPHRASE"


# Rich assumes 80 columns when output is not a terminal; tables then truncate ids.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)


@dataclass
class State:
    home: str | None = None
    database_url: str | None = None
    verbose: bool = False


STATE = State()


def home_path(option: str | None = None) -> Path | None:
    chosen = option or STATE.home
    return Path(chosen) if chosen else None


def workspace() -> Workspace:
    from accordwatch.workspace import Workspace

    return Workspace.open(home_path(), database_url=STATE.database_url)


def emit(text: str, out: Path | None, what: str) -> None:
    """Print `text`, or write it to `out` and say so (the shipped examples' commands)."""
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, "utf-8")
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc
    console.print(f"wrote {what} to {out}")


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def read_document(path: Path) -> Any:
    """Read a JSON or YAML file (by extension; JSON is tried first otherwise)."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from exc
    if path.suffix.lower() in {".yaml", ".yml"}:
        # dates stay text: payloads are JSON, and schemas parse dates
        return read_yaml(data, source=str(path)).data
    return parse_json(data, where=str(path))


def passphrase(*, confirm: bool = False, prompt: str = "Passphrase") -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InputError(f"a passphrase is needed: set {PASSPHRASE_ENV} or run interactively")
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return value


def read_key(path: Path) -> SigningKey:
    from accordwatch.log.keys import SigningKey

    try:
        encrypted = b"ENCRYPTED" in path.read_bytes()[:64]
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror}", where=str(path)) from exc
    return SigningKey.read(path, passphrase() if encrypted else None)


def submit_as(
    ws: Workspace,
    ledger: Ledger,
    party: str,
    key_file: Path | None,
    record: str,
    payload: dict[str, Any],
    *,
    confidential: bool = False,
    where: str | None = None,
) -> Receipt:
    """Sign `payload` as `party` (with `key_file`, or its active key here) and append it."""
    from accordwatch.log.envelope import seal

    key = signing_key(ws, ledger.registry(), party, key_file)
    submission = seal(
        log=ledger.origin,
        record_type=record,
        party=party,
        key=key,
        time=utc_now(),
        payload=payload,
        confidential=confidential,
    )
    return ledger.submit(submission, where=where or record)


def signing_key(ws: Workspace, registry: Registry, party: str, key_file: Path | None) -> SigningKey:
    """The key `party` signs with: the given file, or its newest active key in the workspace."""
    member = registry.parties.get(party)
    if member is None:
        raise NotFoundError(f"unknown party {party!r}")
    if member.revoked_at is not None:
        raise AuthorityError(
            f"party {party!r} was revoked at log entry {member.revoked_at}: "
            "it may submit nothing more"
        )
    if key_file is not None:
        return read_key(key_file)
    active = sorted(
        (k for k in registry.keys_of(party) if k.active),
        key=lambda k: k.registered_at,
        reverse=True,
    )
    for record in active:
        path = ws.party_key_path(party, record.key_id)
        if path.is_file():
            return read_key(path)
    raise NotFoundError(
        f"no active key of party {party!r} in {ws.keys_dir / party} (use --key FILE, or "
        f"accordwatch key new --party {party})"
    )
