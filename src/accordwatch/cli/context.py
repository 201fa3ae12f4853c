"""What every command needs: the workspace, key files, output helpers.

Every command module imports this one when the command line starts, even for
`--help`: the workspace, the ledger and the log's key and envelope code are
imported by the helpers that use them, not here.

Record text (what parties and observers wrote: an event's occurrence, a
title, a note) reaches the terminal only through `shown` (for Rich) or
`plain` (for plain text): Rich would read `[link=...]` or `[reverse]` in it as
markup, and a terminal would act on escape sequences (colours, the window
title, a carriage return that hides the line), even through a pipe.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from accordwatch.documents import read_yaml
from accordwatch.errors import AccordwatchError, AuthorityError, InputError, NotFoundError
from accordwatch.log.canonical import parse_json
from accordwatch.private_files import write_private_text

if TYPE_CHECKING:
    from accordwatch.log.access import Reader
    from accordwatch.log.envelope import Submission
    from accordwatch.log.hpke import EncryptionKey
    from accordwatch.log.keys import SigningKey
    from accordwatch.log.note import Verifier
    from accordwatch.log.receipt import Receipt
    from accordwatch.log.registry import Registry
    from accordwatch.sources.appending import Destination
    from accordwatch.sources.remote_log import NodeConfig
    from accordwatch.sources.remote_submit import RemoteLog
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.store.ledger import AppendResult, Ledger
    from accordwatch.workspace import Workspace

PASSPHRASE_ENV = "ACCORDWATCH_PASSPHRASE"


# Rich assumes 80 columns when output is not a terminal; tables then truncate ids.
# No emoji codes: ":warning:" in record text stays as written.
console = Console(width=None if sys.stdout.isatty() else 160, emoji=False)
err_console = Console(stderr=True, emoji=False)

# C0 and C1 control characters and DEL, but for the tab and the line feed; and
# with them, in one-line text, the tab, the line feed and the Unicode line breaks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\t\n\u2028\u2029]")
# Those JSON leaves as they are (it escapes C0 only).
_JSON_UNESCAPED = re.compile("[\x7f-\x9f]")


def plain(value: object, *, one_line: bool = False) -> str:
    """Record text for the terminal as plain text: control characters removed."""
    text = _CONTROL.sub("", str(value))
    return _LINE_BREAK.sub(" ", text) if one_line else text


def utc_text(moment: datetime) -> str:
    """A time as the terminal shows it: UTC to the second, with its `Z` (`2026-01-31T12:00:00Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown(value: object, *, one_line: bool = False) -> str:
    """Record text to print through Rich: control characters removed, markup escaped.

    `one_line` turns line breaks and tabs into spaces, for text inside a line
    of output (a table cell may keep its lines).
    """
    return escape(plain(value, one_line=one_line))


@dataclass
class State:
    home: str | None = None
    database_url: str | None = None
    verbose: bool = False
    log_level: str = "warning"
    #: `--to URL`: the log that writes are sent to, from any workspace
    to: str | None = None
    #: `--log-key VKEY`: the key the receipts of `--to URL` are checked with
    log_key: str | None = None


STATE = State()


def home_path(option: str | None = None) -> Path | None:
    chosen = option or STATE.home
    return Path(chosen) if chosen else None


def workspace() -> Workspace:
    from accordwatch.workspace import Workspace

    return Workspace.open(home_path(), database_url=STATE.database_url)


def emit(text: str, out: Path | None, what: str) -> None:
    """Print `text`, or write it to `out` (0600) and say so (the shipped examples' commands)."""
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        write_private_text(out, text)
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc
    console.print(f"wrote {what} to {out}")


def print_json(value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    # C1 controls and DEL can only stand inside strings: write them as \u escapes
    typer.echo(_JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


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


def passphrase(key: str, *, confirm: bool = False) -> str:
    """The passphrase of `key` (what the prompt names: "key file keys/usa/…"), asked or from
    ACCORDWATCH_PASSPHRASE."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InputError(
            f"the passphrase of {key} is needed: set {PASSPHRASE_ENV} or run interactively"
        )
    value: str = typer.prompt(f"Passphrase of {key}", hide_input=True, confirmation_prompt=confirm)
    return value


def read_key(path: Path) -> SigningKey:
    from accordwatch.log.keys import SigningKey

    try:
        encrypted = b"ENCRYPTED" in path.read_bytes()[:64]
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror}", where=str(path)) from exc
    return SigningKey.read(path, passphrase(f"key file {path}") if encrypted else None)


def read_encryption_key(path: Path) -> EncryptionKey:
    """A private encryption key file, asking its passphrase when it has one."""
    from accordwatch.log.hpke import EncryptionKey

    try:
        encrypted = b"ENCRYPTED" in path.read_bytes()[:64]
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror}", where=str(path)) from exc
    return EncryptionKey.read(path, passphrase(f"key file {path}") if encrypted else None)


def reader_as(ledger: Ledger, party: str | None) -> Reader | None:
    """The reader `--as PARTY` stands for, with the private encryption keys it holds here.

    A confidential entry sealed to its readers opens only with the reader's own
    key: the files of its encryption keys in the workspace's keys folder. On a
    node, a command reads as the node's party unless `--as` says otherwise.
    """
    ws = workspace()
    if party is None:
        return node_reader(ws, ledger)
    from accordwatch.sources.reading import reader_with_keys

    return reader_with_keys(ledger, ledger.registry(), party, ws.keys_dir, read_encryption_key)


def node_party(ws: Workspace) -> str | None:
    """The party that runs the node `ws` is, or None on the log's own workspace."""
    if not ws.is_node:
        return None
    from accordwatch.sources.remote_log import NodeConfig

    return NodeConfig.read(ws.home).party


def node_reader(ws: Workspace, ledger: Ledger) -> Reader | None:
    """On a node, its party reading with its keys; None on the log's own workspace (the
    operator's view) and on a node whose party the log has not added yet."""
    party = node_party(ws)
    if party is None:
        return None
    registry = ledger.registry()
    if party not in registry.parties:
        return None
    from accordwatch.sources.reading import reader_with_keys

    return reader_with_keys(ledger, registry, party, ws.keys_dir, read_encryption_key)


def read_view(ledger: Ledger, reader: Reader | None = None) -> Snapshot:
    """The default snapshot a command reads, as `reader` reads it (by default: on a node,
    its party; on the log's workspace, the operator)."""
    from accordwatch.sources.snapshot import Snapshot

    return Snapshot.default(ledger).read_as(reader or node_reader(workspace(), ledger))


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
    from accordwatch.sources.appending import Signer, sign_and_submit

    to = destination(ws, ledger)
    key = signing_key(ws, ledger.registry(), party, key_file)
    signer = Signer(party, key)
    return sign_and_submit(
        ledger, signer, record, payload, confidential=confidential, where=where, to=to
    )


SYNC_HINT = "run accordwatch node sync to hold it"


def destination(ws: Workspace, ledger: Ledger) -> Destination | None:
    """Where this command's writes go: None for the ledger here; on a node, the log it
    follows (its http(s) URL); with `--to URL`, that log, from any workspace.

    The receipts are checked with the node's log key, or with `--log-key`, or
    (from the log's own workspace) with the workspace's key once the URL is
    seen to serve that same log.
    """
    from accordwatch.log.note import Verifier
    from accordwatch.sources.remote_log import NodeConfig

    node = NodeConfig.read(ws.home) if ws.is_node else None
    if STATE.to is None and node is None:
        return None
    address = STATE.to or (node.log if node is not None else None)
    assert address is not None
    if STATE.to is None and not address.startswith(("http://", "https://")):
        raise InputError(
            "this node follows a published folder, which takes no submissions: give the "
            "log's URL with accordwatch --to URL",
            where=address,
        )
    if STATE.log_key is not None:
        try:
            verifier = Verifier.parse(STATE.log_key)
        except AccordwatchError as exc:
            raise InputError(exc.message, where="--log-key") from None
    elif node is not None:
        verifier = Verifier.parse(node.log_key)
    else:
        verifier = ledger.signer.verifier
    if verifier.name != ledger.origin:
        raise InputError(
            f"this workspace holds log {ledger.origin}, not {verifier.name}: it signs entries "
            "for the log it holds only",
            where="--log-key",
        )
    return _Sending(node, address, verifier, check_first=STATE.log_key is None and node is None)


class _Sending:
    """A remote log that says where each entry went, checked as `destination` describes."""

    def __init__(
        self,
        node: NodeConfig | None,
        address: str,
        verifier: Verifier,
        *,
        check_first: bool,
    ) -> None:
        from accordwatch.sources.remote_submit import RemoteLog

        hint = "this node's copy of the registry is behind the log's: run accordwatch node sync"
        self.node = node
        self.remote: RemoteLog = RemoteLog(
            address, verifier, stale_hint=hint if node is not None else None
        )
        # from the log's own workspace without --log-key: the URL must serve this very log
        self.unchecked = check_first

    def _first(self) -> None:
        if self.unchecked:
            from accordwatch.errors import VerificationError

            try:
                self.remote.check_serves()
            except VerificationError as exc:
                raise VerificationError(
                    f"{exc.message}: give that log's key with accordwatch --log-key VKEY",
                    where=exc.where,
                ) from None
            self.unchecked = False

    def submit(self, submission: Submission, *, where: str = "submission") -> Receipt:
        self._first()
        receipt = self.remote.submit(submission, where=where)
        self._said([receipt.index])
        return receipt

    def append(
        self, submissions: Sequence[Submission], *, where: str = "submission"
    ) -> AppendResult:
        self._first()
        result = self.remote.append(submissions, where=where)
        self._said([e.index for e in result.entries])
        return result

    def _said(self, indices: list[int]) -> None:
        at = f"entry {indices[0]}" if len(indices) == 1 else f"entries {indices[0]}..{indices[-1]}"
        then = f"; {SYNC_HINT}" if self.node is not None else ""
        typer.echo(f"sent to {plain(self.remote.address)}: {at}, receipt verified{then}", err=True)


def held(ledger: Ledger, index: int) -> bool:
    """Whether the entry at `index` is in this workspace's own copy (not so, just after a
    node sent it: its next `node sync` brings it)."""
    return index < ledger.size()


def registrar_only(ws: Workspace, command: str) -> None:
    """Refuse a command that is the log's registrar's alone on a node."""
    if ws.is_node:
        raise AuthorityError(
            f"{command} is the log registrar's: run it in the log's workspace, not on a node"
        )


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
        (k for k in registry.keys_of(party) if k.active and k.purpose == "signing"),
        key=lambda k: k.registered_at,
        reverse=True,
    )
    for record in active:
        path = ws.party_key_path(party, record.key_id)
        if path.is_file():
            return read_key(path)
    raise NotFoundError(
        f"no active key of party {party!r} in {ws.keys_dir / party}: a party's keys stay "
        f"with it (run this on {party}'s own node, or give --key FILE)"
    )
