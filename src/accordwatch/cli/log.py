"""`accordwatch log ...`: read, prove, export and audit the log."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import typer

from accordwatch.cli.context import console, print_json, shown, workspace
from accordwatch.errors import InputError
from accordwatch.log.canonical import parse_json
from accordwatch.private_files import open_private_text

log_app = typer.Typer(help="Read, prove, export and audit the log.", no_args_is_help=True)


def _format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(f"--format must be one of {', '.join(allowed)}, not {value!r}")
    return value


@log_app.command("show")
def show(
    start: int = typer.Option(0, "--from", help="First index"),
    limit: int = typer.Option(20, "--limit", help="How many entries"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """List entries: index, log time, record type, party, leaf hash."""
    from rich.table import Table

    _format(fmt, ("table", "json"))
    ledger = workspace().ledger()
    rows = [
        {
            "index": e.index,
            "signed_at": e.signed_at.isoformat().replace("+00:00", "Z"),
            "recorded_at": e.recorded_at.isoformat().replace("+00:00", "Z"),
            "record_type": e.record_type,
            "party": e.party,
            "leaf_hash": e.leaf_hash.hex(),
            "confidential": b'"commitment"' in e.envelope,
        }
        for e in ledger.entries(start, start + max(limit, 0))
    ]
    if fmt == "json":
        print_json(rows)
        return
    table = Table(
        "index", "logged at (UTC)", "record type", "party", "leaf hash", title=shown(ledger.origin)
    )
    for r in rows:
        kind = str(r["record_type"]) + (" (confidential)" if r["confidential"] else "")
        table.add_row(
            str(r["index"]),
            str(r["recorded_at"])[:19],
            shown(kind),
            shown(r["party"]),
            str(r["leaf_hash"])[:16],
        )
    console.print(table)
    console.print(f"log size {ledger.size()}")


@log_app.command("get")
def get(index: int = typer.Argument(..., help="Entry index")) -> None:
    """Print one entry's envelope (canonical JSON, pretty-printed) and leaf hash."""
    entry = workspace().ledger().entry(index)
    print_json(
        {
            "index": entry.index,
            "leaf_hash": base64.b64encode(entry.leaf_hash).decode(),
            "recorded_at": entry.recorded_at.isoformat().replace("+00:00", "Z"),
            "envelope": parse_json(entry.envelope, where=f"entry {index}"),
        }
    )


@log_app.command("prove")
def prove(
    index: int = typer.Argument(..., help="Entry index"),
    size: int = typer.Option(None, "--size", help="Prove against the checkpoint of this size"),
    fmt: str = typer.Option("json", "--format", help="json, or text (tlog-proof)"),
) -> None:
    """Inclusion proof of an entry against a signed checkpoint (the latest by default)."""
    from accordwatch.log.checkpoint import Checkpoint
    from accordwatch.log.receipt import Receipt

    _format(fmt, ("json", "text"))
    ledger = workspace().ledger()
    note = ledger.checkpoint_at(size) if size is not None else ledger.latest_checkpoint()
    cp = Checkpoint.open(note, ledger.signer.verifier)
    tree_size, proof = ledger.prove_inclusion(index, cp.size)
    receipt = Receipt(index, tree_size, ledger.entry(index).leaf_hash, proof, note)
    if fmt == "json":
        print_json(receipt.to_json())
    else:
        # C2SP tlog-proof@v1 text form
        lines = ["c2sp.org/tlog-proof@v1", f"index {index}"]
        lines += [base64.b64encode(p).decode() for p in proof]
        typer.echo("\n".join(lines) + "\n\n" + note, nl=False)


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
def checkpoint(size: int = typer.Option(None, "--size", help="A past checkpoint's size")) -> None:
    """Print the latest signed checkpoint (C2SP tlog-checkpoint)."""
    ledger = workspace().ledger()
    note = ledger.checkpoint_at(size) if size is not None else ledger.latest_checkpoint()
    typer.echo(note, nl=False)


@log_app.command("key")
def key() -> None:
    """Print the log's verifier key in signed-note form (name+keyid+key)."""
    ws = workspace()
    typer.echo(ws.log_signer().verifier.text())


@log_app.command("export")
def export(out: Path = typer.Argument(..., help="File to write (- for stdout)")) -> None:
    """Write the whole public log (envelopes and checkpoints) as JSON Lines."""
    from accordwatch.store.exporting import export_ledger

    ledger = workspace().ledger()
    try:
        fh = sys.stdout if str(out) == "-" else open_private_text(out)
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror}", where=str(out)) from exc
    try:
        count = export_ledger(ledger, fh)
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
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Recompute every hash, signature and checkpoint; name the first bad entry."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from accordwatch.catalog import CATALOG
    from accordwatch.errors import VerificationError
    from accordwatch.log.audit import AuditReport, audit
    from accordwatch.log.export import read_export
    from accordwatch.log.note import Verifier
    from accordwatch.store.auditing import audit_database

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
        ledger = workspace().ledger()
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
        disable=as_json,
    ) as bar:
        task = bar.add_task("auditing", total=total)

        def advance(n: int) -> None:
            if n % 1000 == 0 or n == total:
                bar.update(task, completed=n)

        report: AuditReport
        if file is not None:
            report = audit(entries, header.checkpoints, verifier, catalog=CATALOG, progress=advance)
        else:
            report = audit_database(ledger, progress=advance)
    result = {
        "ok": True,
        "source": source,
        "size": report.size,
        "root": base64.b64encode(report.root).decode(),
        "checkpoints_verified": report.checkpoints,
        "nodes_verified": report.nodes,
        "confidential_unopened": report.confidential_unopened,
        "log_key": verifier.text(),
        "log_key_from": key_source,
        "signed_size": report.covered,
        "storage_integrity": report.storage_integrity,
    }
    if as_json:
        typer.echo(json.dumps(result, indent=2))
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
    if report.storage_integrity is not None:
        console.print(f"database structure: {report.storage_integrity}")


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
