"""Submitting to the log, and checking envelopes and receipts offline.

A draft file (JSON or YAML) names the record type and payload:

    record_type: statement
    confidential: false          # optional
    readers: [usa, rok]          # optional: further readers of a confidential record
    payload: {subject: "...", text: "..."}

A confidential record's opening is sealed on the signer's side to each
reader's encryption key (the submitter, the roles its record type names,
and the draft's `readers`), when every reader has registered one.

`submit FILE --as PARTY` signs and submits it; `envelope sign` signs without
submitting (for a party whose keys stay on its own machine), and `submit` of
the signed file then needs no key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accordwatch.cli.context import (
    console,
    destination,
    print_json,
    read_document,
    shown,
    signing_key,
    workspace,
)
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.errors import AccordwatchError, InputError, NotFoundError, VerificationError
from accordwatch.private_files import write_private_text
from accordwatch.reports.exports import encode_hash

if TYPE_CHECKING:
    from accordwatch.log.envelope import Submission
    from accordwatch.log.note import Verifier
    from accordwatch.log.policy import Policy
    from accordwatch.log.receipt import Receipt
    from accordwatch.log.registry import Registry

envelope_app = typer.Typer(help="Sign and check envelopes offline.", no_args_is_help=True)
receipt_app = typer.Typer(help="Check receipts offline.", no_args_is_help=True)


def _draft(doc: Any, where: str) -> tuple[str, dict[str, Any], bool]:
    if not isinstance(doc, dict) or "record_type" not in doc or "payload" not in doc:
        raise InputError("a draft needs record_type and payload", where=where)
    extra = set(doc) - {"record_type", "payload", "confidential", "readers"}
    if extra:
        raise InputError(f"unknown draft member(s): {', '.join(sorted(extra))}", where=where)
    if not isinstance(doc["payload"], dict):
        raise InputError("payload must be a mapping", where=where)
    confidential = doc.get("confidential", False)
    if not isinstance(confidential, bool):
        raise InputError("confidential must be true or false", where=where)
    return str(doc["record_type"]), doc["payload"], confidential


def _readers(doc: Any, registry: Registry, where: str) -> list[str]:
    """The further readers a draft names: known parties."""
    named = doc.get("readers", [])
    if not isinstance(named, list) or not all(isinstance(p, str) for p in named):
        raise InputError("readers must be a list of party names", where=where)
    for party in named:
        if party not in registry.parties:
            raise NotFoundError(f"unknown party {party!r} among the readers", where=where)
    return named


def _is_signed(doc: Any) -> bool:
    return isinstance(doc, dict) and ("envelope" in doc or "signature" in doc)


def _sign(
    path: Path, as_party: str, key_file: Path | None, confidential: bool | None
) -> Submission:
    from accordwatch.log.envelope import seal
    from accordwatch.sources.reading import seal_submission

    ws = workspace()
    ledger = ws.ledger()
    doc = read_document(path)
    rtype, payload, draft_confidential = _draft(doc, str(path))
    registry = ledger.registry()
    named = _readers(doc, registry, str(path))
    key = signing_key(ws, registry, as_party, key_file)
    submission = seal(
        log=ledger.origin,
        record_type=rtype,
        party=as_party,
        key=key,
        time=ledger.clock(),
        payload=payload,
        confidential=draft_confidential if confidential is None else confidential,
    )
    return seal_submission(registry, submission, named)


def submit(
    file: Path = typer.Argument(..., help="Draft (JSON/YAML) or signed submission (JSON)"),
    as_party: str = typer.Option(None, "--as", help="Sign the draft as this party"),
    key_file: Path = typer.Option(None, "--key", help="Private key file [default: workspace key]"),
    confidential: bool = typer.Option(
        None, "--confidential/--public", help="Override the draft's confidentiality"
    ),
    receipt_out: Path = typer.Option(None, "--receipt", help="Also write the receipt here"),
    fmt: str = typer.Option("text", "--format", help="text or json (the receipt)"),
) -> None:
    """Sign (if a draft) and submit a record; print its receipt."""
    from accordwatch.log.envelope import Submission

    ws = workspace()
    ledger = ws.ledger()
    to = destination(ws, ledger)
    doc = read_document(file)
    if _is_signed(doc):
        if as_party:
            raise InputError("the file is already signed; drop --as", where=str(file))
        submission = Submission.from_json(doc, where=str(file))
    else:
        if not as_party:
            raise InputError("a draft must be signed: give --as PARTY", where=str(file))
        submission = _sign(file, as_party, key_file, confidential)
    size_before = ledger.size()
    receipt = (to or ledger).submit(submission, where=str(file))
    # the log keeps one copy of an envelope: sent again, it answers with the first receipt
    already = receipt.index < size_before
    if receipt_out is not None:
        write_private_text(receipt_out, json.dumps(receipt.to_json(), indent=2) + "\n")
    if fmt == "json":
        print_json(receipt.to_json())
    else:
        env = submission.envelope
        kind = "confidential " if env.confidential else ""
        if already:
            console.print(
                f"already logged at index [bold]{receipt.index}[/]: this {kind}"
                f"{shown(env.record_type)} by {shown(env.party)} was not added again "
                f"(leaf {receipt.leaf_hash.hex()[:16]}; its receipt is the one first given)"
            )
            return
        console.print(
            f"logged {kind}{shown(env.record_type)} by {shown(env.party)} at index "
            f"[bold]{receipt.index}[/] "
            f"(tree size {receipt.tree_size}, leaf hash {encode_hash(receipt.leaf_hash)})"
        )


@envelope_app.command("sign")
def envelope_sign(
    file: Path = typer.Argument(..., help="Draft (JSON or YAML)"),
    as_party: str = typer.Option(..., "--as", help="Sign as this party"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
    out: Path = typer.Option(None, "--out", "-o", help="Write here [default: stdout]"),
    confidential: bool = typer.Option(None, "--confidential/--public"),
) -> None:
    """Sign a draft into a submission without submitting it."""
    submission = _sign(file, as_party, key_file, confidential)
    text = json.dumps(submission.to_json(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_private_text(out, text)
        console.print(f"signed {shown(submission.envelope.record_type)} written to {out}")


@envelope_app.command("verify")
def envelope_verify(
    file: Path = typer.Argument(..., help="Signed envelope or submission (JSON)"),
    public_key: str = typer.Option(None, "--public-key", help="The signer's base64 public key"),
    key_file: Path = typer.Option(None, "--key", help="The signer's private key file"),
    log: Path = typer.Option(None, "--log", help="An exported log to take the key from"),
) -> None:
    """Check an envelope's form, signature and commitment without the database."""
    from accordwatch.log.encoding import decode_base64
    from accordwatch.log.envelope import Submission
    from accordwatch.log.keys import SigningKey

    submission = Submission.from_json(read_document(file), where=str(file))
    env = submission.envelope
    submission.check_opening(where=str(file))
    if public_key:
        pub = decode_base64(public_key, "--public-key")
    elif key_file:
        pub = SigningKey.read(key_file).public_key
    else:
        registry = _registry_from(log) if log else _workspace_registry()
        record = registry.keys.get(env.key_id)
        if record is None or record.party != env.party:
            raise NotFoundError(f"key {env.key_id} of party {env.party!r} is not in the log")
        pub = record.public_key
    env.verify_signature(pub)
    opened = (
        " and its opening matches the commitment"
        if submission.opening
        else f"; its opening is sealed to {len(submission.sealed)} reader key(s)"
        if submission.sealed
        else ""
    )
    console.print(
        f"valid: {shown(env.record_type)} signed by {shown(env.party)} with key "
        f"{shown(env.key_id)} at {shown(env.time_text)}{opened}; "
        f"leaf hash {encode_hash(env.leaf_hash)}"
    )


def _workspace_registry() -> Registry:
    """The registry of the workspace at hand, or a one-line hint of the offline ways."""
    try:
        ws = workspace()
    except NotFoundError:
        raise InputError(
            "no workspace here to find the signer's key in: give --log EXPORT (an exported "
            "log), --public-key KEY or --key FILE to check the envelope offline"
        ) from None
    return ws.ledger().registry()


def _registry_from(path: Path) -> Registry:
    """Parties and keys as an exported log holds them, after auditing it."""
    from accordwatch.catalog import CATALOG
    from accordwatch.log.audit import audit
    from accordwatch.log.export import read_export
    from accordwatch.log.note import Verifier

    header, entries = read_export(path)
    return audit(
        entries, header.checkpoints, Verifier.parse(header.log_key), catalog=CATALOG
    ).registry


@receipt_app.command("verify")
def receipt_verify(
    file: Path = typer.Argument(
        ..., help="Receipt: JSON (submit --receipt, log prove) or tlog-proof text"
    ),
    log_key: str = typer.Option(None, "--log-key", help="The log's verifier key (name+id+key)"),
    log: Path = typer.Option(None, "--log", help="An exported log to check the entry against"),
    envelope: Path = typer.Option(None, "--envelope", help="The envelope the receipt is for"),
    policy_file: Path = typer.Option(
        None,
        "--policy",
        help="Witness policy (C2SP tlog-policy) to check the cosignatures and quorum with "
        "[default: the one in force in the workspace's log, if there is one]",
    ),
) -> None:
    """Check a receipt offline: log signature, cosignatures and quorum, inclusion, the entry.

    Exit 0 when verified (and witnessed, if a policy applies); 8 when all
    holds but the witnesses' quorum is not met ("not witnessed").
    """
    from accordwatch.cli.policy import read_policy
    from accordwatch.log.envelope import Submission
    from accordwatch.log.export import read_export
    from accordwatch.log.merkle import leaf_hash
    from accordwatch.log.note import Verifier
    from accordwatch.log.receipt import PROOF_HEADER, Receipt

    if not log_key and not log:
        raise InputError("give the log's key (--log-key) or an exported log (--log)")
    entry_bytes: bytes | None = None
    if envelope is not None:
        entry_bytes = Submission.from_json(read_document(envelope)).envelope.canonical
    if log is not None:
        header, entries = read_export(log)
        if log_key and Verifier.parse(log_key).text() != header.log_key:
            raise VerificationError("the exported log is signed by another key than --log-key")
        log_key = log_key or header.log_key
    receipt = _read_receipt(file, entry_bytes, PROOF_HEADER)
    if log is not None:
        for entry in entries:
            if entry.index == receipt.index:
                if entry_bytes is not None and entry_bytes != entry.envelope:
                    raise VerificationError("the envelope differs from the exported entry")
                entry_bytes = entry.envelope
                break
        else:
            raise NotFoundError(f"the exported log has no entry {receipt.index}")
        if receipt.leaf_hash == b"" and entry_bytes is not None:
            receipt = Receipt(
                receipt.index,
                receipt.tree_size,
                leaf_hash(entry_bytes),
                receipt.proof,
                receipt.checkpoint,
            )
    if not receipt.leaf_hash:
        raise InputError(
            "a tlog-proof names no leaf: give the entry (--envelope or --log)", where=str(file)
        )
    verifier = Verifier.parse(log_key)
    policy = read_policy(policy_file) if policy_file is not None else _workspace_policy(verifier)
    what = f"entry {receipt.index}"
    if entry_bytes is not None:
        what += f" (leaf hash {encode_hash(leaf_hash(entry_bytes))})"
    if policy is None:
        cp = receipt.verify(verifier, entry_bytes)
        console.print(f"valid: {what} is in log {shown(cp.origin)} at tree size {cp.size}")
        console.print("witnesses not checked: no witness policy (give --policy FILE)")
        return
    witnessed = receipt.verify_witnessed(policy, verifier, entry_bytes)
    cp = witnessed.checkpoint
    if not witnessed.quorum_met:
        console.print(
            f"not witnessed: {what} is in log {shown(cp.origin)} at tree size {cp.size}, "
            "but that checkpoint lacks its quorum of witnesses",
            highlight=False,
        )
        console.print(shown(witnessed.summary()), highlight=False)
        raise typer.Exit(ExitCode.NOT_WITNESSED)
    _keep_seen(receipt.checkpoint, verifier)
    console.print(
        f"valid: {what} is in log {shown(cp.origin)} at tree size {cp.size}; "
        f"{shown(witnessed.summary())}",
        highlight=False,
    )


def _read_receipt(file: Path, leaf: bytes | None, header: str) -> Receipt:
    from accordwatch.log.merkle import leaf_hash
    from accordwatch.log.receipt import Receipt

    if str(file) != "-":
        try:
            head = file.read_bytes()[: len(header)]
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", where=str(file)) from exc
        if head == header.encode():
            try:
                text = file.read_text("utf-8")
            except UnicodeDecodeError:
                raise InputError("the proof is not UTF-8 text", where=str(file)) from None
            return Receipt.from_proof_text(
                text, leaf_hash(leaf) if leaf is not None else b"", where=str(file)
            )
    return Receipt.from_json(read_document(file), where=str(file))


def _workspace_policy(verifier: Verifier) -> Policy | None:
    """The policy in force in the workspace's log, when a workspace of this log is at hand."""
    from accordwatch.cli.policy import policy_for, workspace_ledger

    try:
        ledger = workspace_ledger()
    except AccordwatchError:
        return None
    if ledger is None or ledger.signer.verifier != verifier:
        return None
    return policy_for(None, ledger)


def _keep_seen(note: str, verifier: Verifier) -> None:
    """Check a witnessed checkpoint against the one the workspace kept, if this is its log."""
    from accordwatch.cli.policy import workspace_ledger
    from accordwatch.cli.seen import check_and_keep

    try:
        ledger = workspace_ledger()
    except AccordwatchError:
        return
    if ledger is None or ledger.signer.verifier != verifier:
        return
    check_and_keep(workspace().home, ledger, note)


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)
    app.add_typer(envelope_app, name="envelope")
    app.add_typer(receipt_app, name="receipt")
