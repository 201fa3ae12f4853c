"""`accordwatch token issue|revoke|list`: bearer tokens for reading confidential payloads.

A token is printed once, when issued; the database keeps only its SHA-256.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import console, print_json, shown, workspace
from accordwatch.errors import AuthorityError, InputError, NotFoundError
from accordwatch.timeutil import utc_now

if TYPE_CHECKING:
    from accordwatch.service.tokens import Grant
    from accordwatch.store.ledger import Ledger

token_app = typer.Typer(help="Bearer tokens of the web service.", no_args_is_help=True)


def issue_token(ledger: Ledger, party: str, role: str | None, expires: str) -> tuple[str, Grant]:
    """Issue a token for a registered party in its registered role; only its hash is stored.

    `role` None is the party's registered role; a role given must be that one.
    """
    from accordwatch.log.roles import Role
    from accordwatch.service.token_store import TokenStore
    from accordwatch.service.tokens import TOKEN_BYTES, check_role, expiry, make_token

    record = ledger.registry().parties.get(party)
    if record is None:
        raise NotFoundError(f"unknown party {party!r}")
    if record.revoked_at is not None:
        raise AuthorityError(
            f"party {party!r} was revoked at log entry {record.revoked_at}: "
            "no token is issued to it"
        )
    registered = Role(record.role)
    granted = check_role(party, role, registered) if role is not None else registered
    now = utc_now()
    until = expiry(expires, now)
    token = make_token(secrets.token_bytes(TOKEN_BYTES))
    grant = TokenStore(ledger.engine, ledger.url).add(token, party, granted, now, until)
    return token, grant


@token_app.command("issue")
def issue(
    party: str = typer.Option(..., "--party", help="The party the token reads as"),
    role: str = typer.Option(
        None, "--role", help="The party's registered role [default: that role]"
    ),
    expires: str = typer.Option(
        ..., "--expires", help="A duration (12h, 30d, 4w, 1y) or a date (to its end, UTC)"
    ),
) -> None:
    """Issue a token and print it (once: only its hash is stored)."""
    token, grant = issue_token(workspace().ledger(), party, role, expires)
    typer.echo(token)
    typer.echo(
        f"token {grant.token_id} for {party} ({grant.role.value}) expires "
        f"{grant.expires_at.isoformat().replace('+00:00', 'Z')}; it is shown only now",
        err=True,
    )


@token_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The token's id (from token list)")) -> None:
    """Revoke a token: requests bearing it are refused from now on."""
    from accordwatch.service.token_store import TokenStore

    if not token_id or len(token_id) > 16:
        raise InputError(f"malformed token id {token_id!r}")
    ledger = workspace().ledger()
    grant = TokenStore(ledger.engine, ledger.url).revoke(token_id, utc_now())
    console.print(f"revoked token {grant.token_id} of {grant.party}")


@token_app.command("list")
def list_tokens(fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Tokens issued: id, party, role, issued, expires, state (never the token itself)."""
    from rich.table import Table

    from accordwatch.service.token_store import TokenStore

    if fmt not in ("table", "json"):
        raise InputError(f"--format must be one of table, json, not {fmt!r}")
    ledger = workspace().ledger()
    now = utc_now()
    rows = [
        {
            "token_id": g.token_id,
            "party": g.party,
            "role": g.role.value,
            "issued_at": g.issued_at.isoformat().replace("+00:00", "Z"),
            "expires_at": g.expires_at.isoformat().replace("+00:00", "Z"),
            "state": g.state(now),
        }
        for g in TokenStore(ledger.engine, ledger.url).all()
    ]
    if fmt == "json":
        print_json(rows)
        return
    table = Table("id", "party", "role", "issued", "expires", "state")
    for r in rows:
        table.add_row(
            shown(r["token_id"]),
            shown(r["party"]),
            r["role"],
            r["issued_at"][:19] + "Z",
            r["expires_at"][:19] + "Z",
            r["state"],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
