"""`accordwatch token issue|revoke|list`: bearer tokens for reading confidential payloads.

A token is printed once, when issued; the database keeps only its SHA-256.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import console, node_party, workspace
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.errors import AuthorityError, InputError, NotFoundError
from accordwatch.timeutil import format_time, utc_now

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
    party: str = typer.Option(
        None, "--party", help="The party the token reads as [default on a node: the node's party]"
    ),
    role: str = typer.Option(
        None, "--role", help="The party's registered role [default: that role]"
    ),
    expires: str = typer.Option(
        ..., "--expires", help="A duration (12h, 30d, 4w, 1y) or a date (to its end, UTC)"
    ),
) -> None:
    """Issue a token and print it (once: only its hash is stored)."""
    ws = workspace()
    party = party or node_party(ws) or ""
    if not party:
        raise InputError("--party is required (it defaults to the node's party on a node only)")
    token, grant = issue_token(ws.ledger(), party, role, expires)
    typer.echo(token)
    typer.echo(
        f"token {grant.token_id} for {party} ({grant.role.value}) expires "
        f"{format_time(grant.expires_at)}; it is shown only now",
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
def list_tokens(
    fmt: Format = "text", output: OutputFile = None, as_json: JsonAlias = False
) -> None:
    """Tokens issued: id, party, role, issued, expires, state (never the token itself)."""
    from accordwatch.reports.exports import Column, Kind, Sheet, encode_time
    from accordwatch.service.token_store import TokenStore

    chosen = chosen_format(fmt, as_json, output)
    ledger = workspace().ledger()
    now = utc_now()
    sheet = Sheet(
        "tokens",
        (
            Column("token_id", "id", Kind.ID),
            Column("party", kind=Kind.ID),
            Column("role"),
            Column("issued_at", "issued", Kind.DATE),
            Column("expires_at", "expires", Kind.DATE),
            Column("state"),
        ),
    )
    for g in TokenStore(ledger.engine, ledger.url).all():
        sheet.add(
            token_id=g.token_id,
            party=g.party,
            role=g.role.value,
            issued_at=encode_time(g.issued_at),
            expires_at=encode_time(g.expires_at),
            state=g.state(now),
        )
    deliver(chosen, json=sheet.records, sheets=lambda: [sheet], text=lambda: print_sheet(sheet))


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
