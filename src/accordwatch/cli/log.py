"""`accordwatch log ...`: read, prove, export and audit the log."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import (
    console,
    err_console,
    print_json,
    registrar_only,
    shown,
    workspace,
)
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.cli.log_entry import format_option, get
from accordwatch.cli.output import (
    Format,
    JsonAlias,
    OutputFile,
    SheetFormat,
    chosen_format,
    deliver,
    print_sheet,
)
from accordwatch.errors import InputError, NotFoundError
from accordwatch.private_files import open_private_text

if TYPE_CHECKING:
    from accordwatch.log.audit import AuditReport
    from accordwatch.log.note import Verifier
    from accordwatch.log.policy import Policy
    from accordwatch.log.witnessed import Witnessed

log_app = typer.Typer(help="Read, prove, export and audit the log.", no_args_is_help=True)


@log_app.command("show")
def show(
    start: int = typer.Option(0, "--from", help="First index"),
    limit: int = typer.Option(20, "--limit", help="How many entries"),
    fmt: SheetFormat = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """List entries: index, when signed and logged (UTC), record type, party, leaf hash.

    A confidential entry is marked by what the log holds of it: `sealed` (to
    its readers' keys, ciphertexts only) or `plaintext` (not sealed yet).
    """
    from accordwatch.reports.exports import Column, Kind, Sheet, encode_hash, encode_time
    from accordwatch.sources.confidential import confidential_views

    chosen = chosen_format(fmt, as_json, output, xlsx=True)
    if start < 0:
        raise InputError(f"--from must be 0 or more, not {start}")
    if limit < 1:
        raise InputError(f"--limit must be 1 or more, not {limit}")
    ledger = workspace().ledger()
    size = ledger.size()
    if start >= size:
        raise NotFoundError(
            f"--from {start} is past the end of the log: it holds entries 0 to {size - 1}"
        )
    sheet = Sheet(
        "log",
        (
            Column("index", kind=Kind.ID),
            Column("signed_at", "signed at", Kind.DATE),
            Column("recorded_at", "logged at", Kind.DATE),
            Column("record_type", "record type", Kind.ID),
            Column("party", kind=Kind.ID),
            Column("leaf_hash", "leaf hash"),
            Column("confidential"),
            Column("opening_held", "confidential", Kind.ID),
        ),
    )
    listed = list(ledger.entries(start, start + limit))
    secret = confidential_views(ledger, listed)
    for e in listed:
        view = secret.get(e.index)
        sheet.add(
            index=e.index,
            signed_at=encode_time(e.signed_at),
            recorded_at=encode_time(e.recorded_at),
            record_type=e.record_type,
            party=e.party,
            leaf_hash=encode_hash(e.leaf_hash),
            confidential=view is not None,
            opening_held=view.short() if view is not None else None,
        )

    def text() -> None:
        text_sheet = Sheet(
            sheet.name,
            [c for c in sheet.columns if c.key not in ("signed_at", "confidential")],
            sheet.rows,
        )
        print_sheet(text_sheet, title=ledger.origin)
        last = start + len(sheet.rows) - 1
        shown_range = f"entries {start} to {last} of {size} (0 to {size - 1})"
        if last + 1 < size:
            more = f"; next: accordwatch log show --from {last + 1} --limit {limit}"
        else:
            more = "; that is the end of the log"
        console.print(f"{shown_range}{more}", highlight=False)

    deliver(chosen, json=sheet.records, sheets=lambda: [sheet], text=text)


log_app.command("get")(get)


@log_app.command("prove")
def prove(
    index: int = typer.Argument(..., help="Entry index"),
    size: int = typer.Option(None, "--size", help="Prove against the checkpoint of this size"),
    fmt: str = typer.Option("json", "--format", help="json, or text (tlog-proof)"),
) -> None:
    """Inclusion proof of an entry against a signed checkpoint, with its cosignatures.

    By default against the earliest witnessed checkpoint that includes the
    entry (else the latest).
    """
    from accordwatch.cli.policy import policy_for
    from accordwatch.log.receipt import Receipt

    format_option(fmt, ("json", "text"))
    ledger = workspace().ledger()
    if size is not None:
        note = ledger.cosigned_note(size)
        tree_size, proof = ledger.prove_inclusion(index, ledger.opened(note).size)
        receipt = Receipt(index, tree_size, ledger.entry(index).leaf_hash, proof, note)
    else:
        receipt = ledger.witnessed_receipt(index, policy_for(None, ledger))
    if fmt == "json":
        print_json(receipt.to_json())
    else:
        typer.echo(receipt.proof_text(), nl=False)


@log_app.command("consistency")
def consistency(
    first: int = typer.Argument(..., help="Older tree size"),
    second: int = typer.Argument(None, help="Newer tree size [default: the latest]"),
) -> None:
    """Consistency proof between two tree sizes (RFC 9162), with both checkpoints."""
    ledger = workspace().ledger()
    second_size, proof = ledger.prove_consistency(first, second)
    out: dict[str, object] = {
        "first": first,
        "second": second_size,
        "proof": [base64.b64encode(p).decode() for p in proof],
        "first_root": base64.b64encode(ledger.root(first)).decode(),
        "second_root": base64.b64encode(ledger.root(second_size)).decode(),
    }
    print_json(out)


@log_app.command("checkpoint")
def checkpoint(
    size: int = typer.Option(None, "--size", help="A past checkpoint's size"),
    policy_file: Path = typer.Option(
        None, "--policy", help="Witness policy file [default: the one in force in the log]"
    ),
) -> None:
    """Print the latest witnessed checkpoint with every signature line (log and witnesses).

    How far the log is ahead of it goes to standard error; with no policy in
    force, or none witnessed yet, the latest checkpoint, "not witnessed".
    """
    from accordwatch.cli.context import err_console
    from accordwatch.cli.policy import policy_for
    from accordwatch.cli.seen import check_and_keep

    ws = workspace()
    registrar_only(ws, "log cosign")
    ledger = ws.ledger()
    policy = policy_for(policy_file, ledger)
    if size is not None:
        note = ledger.cosigned_note(size)
        typer.echo(note, nl=False)
        if policy is not None:
            err_console.print(shown(ledger.witnessed(note, policy).summary()), highlight=False)
        return
    latest = ledger.opened(ledger.latest_checkpoint()).size
    found = ledger.latest_witnessed(policy) if policy is not None else None
    if found is None:
        typer.echo(ledger.cosigned_note(latest), nl=False)
        why = (
            "no witness policy is in force"
            if policy is None
            else "no checkpoint has its quorum yet"
        )
        err_console.print(f"not witnessed: {why}", highlight=False)
        return
    note, witnessed = found
    check_and_keep(ws.home, ledger, note)
    typer.echo(note, nl=False)
    err_console.print(shown(witnessed.summary()), highlight=False)
    ahead = latest - witnessed.checkpoint.size
    err_console.print(
        f"the log is {ahead} entries ahead of its latest witnessed checkpoint"
        if ahead
        else "the latest checkpoint is witnessed",
        highlight=False,
    )


@log_app.command("cosign")
def cosign(
    policy_file: Path = typer.Option(
        None, "--policy", help="Witness policy file [default: the one in force in the log]"
    ),
    timeout: float = typer.Option(
        None, "--timeout", help="Seconds to wait for each witness [default: the setting]"
    ),
) -> None:
    """Ask every witness of the policy (with a URL) to cosign the latest checkpoint, now."""
    from accordwatch.cli.policy import policy_for
    from accordwatch.errors import NotFoundError
    from accordwatch.service.cosigning import Collector

    ws = workspace()
    ledger = ws.ledger()
    policy = policy_for(policy_file, ledger)
    if policy is None:
        raise NotFoundError(
            "no witness policy is in force for this log (accordwatch accord policy, or --policy)"
        )
    wait = timeout if timeout is not None else ws.settings.witness_timeout_seconds
    if wait <= 0:
        raise InputError(f"--timeout must be above 0, not {wait}")
    collector = Collector(ledger, lambda: policy, timeout=wait)
    try:
        done = collector.collect()
    finally:
        collector.close()
    assert done is not None
    if not any(w.url for w in policy.witnesses):
        console.print("no witness of the policy has a URL: none was asked", highlight=False)
    for outcome in done.outcomes:
        style = "green" if outcome.ok else "yellow"
        console.print(f"[{style}]{shown(outcome.line())}[/]", highlight=False)
    console.print(f"checkpoint {done.size}: {shown(done.summary())}", highlight=False)


@log_app.command("key")
def key() -> None:
    """Print the log's verifier key in signed-note form (name+keyid+key)."""
    ws = workspace()
    typer.echo(ws.log_signer().verifier.text())


@log_app.command("export")
def export(out: Path = typer.Argument(..., help="File to write (- for stdout)")) -> None:
    """Write the whole public log (envelopes and checkpoints) as JSON Lines."""
    from accordwatch.cli.policy import policy_for
    from accordwatch.store.exporting import export_ledger

    ledger = workspace().ledger()
    policy = policy_for(None, ledger)
    try:
        fh = sys.stdout if str(out) == "-" else open_private_text(out)
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc
    try:
        count = export_ledger(ledger, fh, policy=policy)
    finally:
        if fh is not sys.stdout:
            fh.close()
    if fh is not sys.stdout:
        console.print(f"exported {count} entries of {ledger.origin} to {out}")


@log_app.command("audit")
def audit_command(
    file: Path = typer.Option(None, "--file", help="Audit an exported log instead of the database"),
    log_key: str = typer.Option(
        None,
        "--log-key",
        help="The log key to expect (name+id+key, as `log key` prints it); with --file, "
        "an export signed with any other key fails [default: the key in the file]",
    ),
    policy_file: Path = typer.Option(
        None,
        "--policy",
        help="Witness policy to check every cosignature and the quorum with "
        "[default: the one in force in the log]",
    ),
    fmt: Format = "text",
    output: OutputFile = None,
    as_json: JsonAlias = False,
) -> None:
    """Recompute every hash, signature, checkpoint and cosignature; name the first bad one.

    Exit 8 ("not witnessed") when a witness policy applies and no checkpoint
    has its quorum of cosignatures.
    """
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from accordwatch.catalog import CATALOG
    from accordwatch.cli.declaration_escrow import audit_reveals
    from accordwatch.cli.openings import plaintext_left
    from accordwatch.cli.policy import policy_for, read_policy
    from accordwatch.declarations.escrow_log import EscrowBook, feed_envelopes
    from accordwatch.errors import VerificationError
    from accordwatch.log.audit import audit
    from accordwatch.log.export import read_export
    from accordwatch.log.note import Verifier
    from accordwatch.store.auditing import audit_database

    chosen = chosen_format(fmt, as_json, output)
    expected = Verifier.parse(log_key) if log_key else None
    if file is not None:
        header, entries = read_export(file)
        verifier, key_source = Verifier.parse(header.log_key), "file"
        if expected is not None:
            if verifier != expected:
                raise VerificationError(
                    f"the export is signed with log key {verifier.text()}, not the expected "
                    f"{expected.text()} (--log-key)",
                    where=str(file),
                )
            key_source = "--log-key"
        total, source = header.size, str(file)
    else:
        ws = workspace()
        ledger = ws.ledger()
        verifier, key_source = ledger.signer.verifier, "workspace"
        if expected is not None and expected != verifier:
            raise VerificationError(
                f"the workspace's log key is {verifier.text()}, not the expected "
                f"{expected.text()} (--log-key)"
            )
        total, source = ledger.size(), ledger.origin
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not chosen.text,
    ) as bar:
        task = bar.add_task("auditing", total=total)

        def advance(n: int) -> None:
            if n % 1000 == 0 or n == total:
                bar.update(task, completed=n)

        # The reveals of escrowed declarations are checked on the way (`declarations.escrow_log`).
        book = EscrowBook()
        report: AuditReport
        if file is not None:
            report = audit(
                feed_envelopes(book, entries),
                header.checkpoints,
                verifier,
                catalog=CATALOG,
                progress=advance,
            )
        else:
            try:
                report = audit_database(
                    ledger,
                    progress=advance,
                    watch=lambda found: feed_envelopes(book, found),
                    openings_required=not ws.is_node,
                )
            except VerificationError as exc:
                _record_audit(False, total, f"FAILED: {exc}")
                raise
    reveals = audit_reveals(book)
    plaintext_failure, plaintext_note = (
        plaintext_left(ledger, report) if file is None else (None, "")
    )
    # A reveal that does not open its escrow is the declarant's failure, not
    # the log's: everything else is reported, then the audit fails on it.
    bad_reveal = (
        VerificationError(
            f"{len(reveals['failed'])} escrow reveal(s) do not verify; the first: "
            f"{reveals['failed'][0]}"
        )
        if reveals["failed"]
        else None
    )
    if file is not None:
        policy = read_policy(policy_file) if policy_file is not None else None
        cosigned = header.checkpoints
    else:
        policy = policy_for(policy_file, ledger)
        lines = ledger.all_cosignature_lines() if policy is not None else {}
        cosigned = [(s, n + "".join(lines.get(s, []))) for s, n in ledger.checkpoints()]
    try:
        witnessed = _audit_witnesses(cosigned, policy, verifier) if policy is not None else None
    except VerificationError as exc:
        if file is None:
            _record_audit(False, report.size, f"FAILED: {exc}")
        raise
    if file is None:
        summary = _audit_summary(report)
        if policy is not None:
            summary += "; " + (witnessed.summary() if witnessed else "no checkpoint witnessed")
        if plaintext_failure is not None:
            summary = f"FAILED: {plaintext_failure}; {summary}"
        if bad_reveal is not None:
            summary = f"FAILED: {bad_reveal}; {summary}"
        _record_audit(bad_reveal is None and plaintext_failure is None, report.size, summary)
    result = {
        "ok": bad_reveal is None and plaintext_failure is None,
        "source": source,
        "size": report.size,
        "root": base64.b64encode(report.root).decode(),
        "checkpoints_verified": report.checkpoints,
        "nodes_verified": report.nodes,
        "confidential_unopened": report.confidential_unopened,
        "confidential_sealed": report.confidential_sealed,
        "plaintext_openings": len(report.plaintext_openings),
        "log_key": verifier.text(),
        "log_key_from": key_source,
        "signed_size": report.covered,
        "storage_integrity": report.storage_integrity,
        "policy": policy.text if policy is not None else None,
        "witnessed_size": witnessed.checkpoint.size if witnessed is not None else None,
        "witnessed": witnessed.summary() if witnessed is not None else None,
        "reveals": reveals,
    }
    not_witnessed = policy is not None and witnessed is None
    if not chosen.text:
        from accordwatch.reports.exports import Column, Sheet

        sheet = Sheet("audit", [Column(key) for key in result], [result])
        deliver(chosen, json=lambda: result, sheets=lambda: [sheet], text=lambda: None)
        if bad_reveal is not None:
            raise bad_reveal
        if plaintext_failure is not None:
            raise plaintext_failure
        if not_witnessed:
            raise typer.Exit(ExitCode.NOT_WITNESSED)
        return
    console.print(
        f"audit ok: {report.size} entries, {report.checkpoints} signed checkpoints"
        + (f", {report.nodes} Merkle nodes" if report.nodes else "")
        + f" verified; root {result['root']}"
    )
    if key_source == "file":
        # Nothing but the file vouches for this key: say so.
        console.print(
            f"log key trusted from the file: {escape(verifier.text())} (nothing but the file "
            "vouches for it: give the key you expect with --log-key)"
        )
    else:
        console.print(f"log key ({key_source}): {escape(verifier.text())}")
    if report.covered < report.size:
        console.print(
            f"entries {report.covered}..{report.size - 1} come after the last signed "
            "checkpoint: the log key does not vouch for them"
        )
    if report.confidential_unopened:
        console.print(
            f"{report.confidential_unopened} confidential entries checked without their "
            "payload (signer, key, signature, role; not the commitment)"
        )
    if report.confidential_sealed:
        console.print(
            f"{report.confidential_sealed} confidential entries sealed to their readers "
            "(checked without their payload: the log cannot open them)"
        )
    if plaintext_note:
        console.print(plaintext_note)
    if report.storage_integrity is not None:
        console.print(f"database structure: {report.storage_integrity}")
    if book.checks:
        unread = (
            f" ({reveals['not_readable']} confidential, not read)"
            if reveals["not_readable"]
            else ""
        )
        console.print(
            f"escrow reveals: {reveals['verified']} verified against their escrows{unread}"
        )
    if bad_reveal is not None:
        raise bad_reveal
    if plaintext_failure is not None:
        raise plaintext_failure
    if witnessed is not None:
        console.print(
            f"latest witnessed checkpoint: size {witnessed.checkpoint.size}, "
            f"{escape(witnessed.summary())}"
        )
    elif policy is None:
        console.print("witnesses not checked: no witness policy (give --policy FILE)")
    else:
        console.print(
            f"not witnessed: no checkpoint has its quorum ({escape(policy.describe_quorum())})"
        )
        raise typer.Exit(ExitCode.NOT_WITNESSED)


def _audit_summary(report: AuditReport) -> str:
    return (
        f"{report.size} entries, {report.checkpoints} signed checkpoints"
        + (f", {report.nodes} Merkle nodes" if report.nodes else "")
        + " verified"
    )


def _record_audit(ok: bool, size: int, summary: str) -> None:
    """Note the audit's result beside the database, for the dashboard's overview."""
    from accordwatch.store.audit_record import AuditRecord, write_audit_record

    ws = workspace()
    try:
        write_audit_record(ws.home, AuditRecord(ws.clock(), ok, size, summary))
    except OSError as exc:
        # the audit's own answer stands; only the dashboard's note of it is missing
        err_console.print(f"could not note the audit in {ws.home}: {exc.strerror or exc}")


def _audit_witnesses(
    checkpoints: list[tuple[int, str]], policy: Policy, verifier: Verifier
) -> Witnessed | None:
    """Verify every cosignature by a witness of `policy`; the latest checkpoint with a quorum.

    A cosignature that does not verify fails the audit, naming its checkpoint.
    """
    from accordwatch.errors import VerificationError
    from accordwatch.log.witnessed import witness_check

    latest = None
    for size, note in checkpoints:
        try:
            found = witness_check(note, policy, verifier)
        except VerificationError as exc:
            raise VerificationError(exc.message, where=f"checkpoint of size {size}") from None
        if found.quorum_met:
            latest = found
    return latest


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
