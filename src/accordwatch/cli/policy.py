"""Witness policies: `policy check FILE`, `accord policy FILE --as PARTY`, `accord status`.

A witness policy (C2SP tlog-policy) names the witnesses that must cosign the
log's checkpoints and their quorum. It is part of the accord: each party
signs the same text (`accord.policy`), and it is in force once all have.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from accordwatch.cli.context import console, held, shown, submit_as, workspace
from accordwatch.cli.exit_codes import ExitCode
from accordwatch.cli.policy_lines import describe, policy_line
from accordwatch.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from accordwatch.log.policy import Policy
    from accordwatch.store.ledger import Ledger

policy_app = typer.Typer(help="Witness policies (C2SP tlog-policy).", no_args_is_help=True)


def read_policy_text(path: Path) -> str:
    """The text of a policy file (UTF-8), or a one-line error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read policy file: {exc.strerror}", where=str(path)) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the policy is not UTF-8 text", where=str(path)) from None


def read_policy(path: Path) -> Policy:
    """A policy file, parsed; the first problem as a one-line error."""
    from accordwatch.log.policy import Policy

    return Policy.parse(read_policy_text(path), where=str(path))


@policy_app.command("check")
def policy_check(file: Path = typer.Argument(..., help="Policy file (C2SP tlog-policy)")) -> None:
    """Name every problem of a policy file, line by line; exit 0 when there is none."""
    from accordwatch.log.policy import Policy, policy_problems

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read policy file: {exc.strerror}", where=str(file)) from exc
    problems = policy_problems(data)
    if problems:
        for line, message in problems:
            typer.echo(f"{file}: line {line}: {message}")
        console.print(f"{len(problems)} problem(s) in the policy", highlight=False)
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)
    policy = Policy.parse(data, where=str(file))
    console.print(f"policy ok: {shown(describe(policy))}", highlight=False)


def accord_policy(
    file: Path = typer.Argument(..., help="Policy file (C2SP tlog-policy)"),
    as_party: str = typer.Option(..., "--as", help="The signing party"),
    accord: str = typer.Option(None, "--accord", help="Accord id [default: the only one]"),
    key_file: Path = typer.Option(None, "--key", help="Private key file"),
) -> None:
    """Sign a witness policy for the accord; in force once every party signed the same text."""
    from accordwatch.cli.accord import _accord_id

    policy = read_policy(file)
    ws = workspace()
    ledger = ws.ledger()
    accord_id, _version = _accord_id(ledger, accord)
    if policy.logs and ledger.signer.verifier not in policy.log_keys():
        raise InputError(
            f"the policy does not list this log's key ({ledger.signer.verifier.text()})",
            where=str(file),
        )
    payload = {"accord_id": accord_id, "digest": policy.digest, "policy": policy.text}
    receipt = submit_as(ws, ledger, as_party, key_file, "accord.policy", payload, where=str(file))
    console.print(
        f"{as_party} signed the witness policy {policy.digest[:12]} of accord "
        f"{shown(accord_id)} at log entry {receipt.index}",
        highlight=False,
    )
    if held(ledger, receipt.index):
        _policy_state(ledger, accord_id, policy.digest)


def _policy_state(ledger: Ledger, accord_id: str, digest: str) -> None:
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.sources.witnessing import policy_state_of

    state = policy_state_of(Snapshot.latest(ledger), accord_id, ledger.clock().date())
    if state is None:
        console.print(f"  accord {shown(accord_id)} has no version in force: no policy is either")
        return
    version = next((v for v in state.versions if v.digest == digest), None)
    if version is None:
        console.print("  the signer is not a party of the accord version in force")
    elif state.in_force is not None and state.in_force.digest == digest:
        console.print("  every party has signed this policy: it is in force")
    else:
        console.print(
            f"  awaiting signatures of: {shown(', '.join(version.missing), one_line=True)}"
        )


def accord_status(
    accord: str = typer.Option(None, "--accord", help="Accord id [default: every accord]"),
) -> None:
    """The accord version in force and the witness policy in force (or none)."""
    from accordwatch.roadmap.history import accord_ids, gather_versions, in_force
    from accordwatch.sources.roadmap import roadmap_records
    from accordwatch.sources.snapshot import Snapshot
    from accordwatch.sources.witnessing import policy_state_of

    ledger = workspace().ledger()
    snapshot = Snapshot.latest(ledger)
    today = ledger.clock().date()
    records = roadmap_records(snapshot)
    ids = [accord] if accord else accord_ids(records, today)
    if not ids:
        raise NotFoundError("no accord has been signed in this log (accordwatch accord sign)")
    for accord_id in ids:
        version = in_force(gather_versions(records, accord_id, today), today)
        if version is None:
            console.print(f"accord {shown(accord_id)}: no version in force")
            continue
        console.print(
            f"accord {shown(accord_id)}: version {version.digest[:12]} in force "
            f"({shown(version.accord.title, one_line=True)})",
            highlight=False,
        )
        console.print("  " + policy_line(policy_state_of(snapshot, accord_id, today)))


def register(app: typer.Typer) -> None:
    from accordwatch.cli.accord import accord_app

    app.add_typer(policy_app, name="policy")
    accord_app.command("policy")(accord_policy)
    accord_app.command("status")(accord_status)


def policy_for(policy_file: Path | None, ledger: Ledger | None) -> Policy | None:
    """The policy to check witnesses with: the file given, else the one in force in the log."""
    if policy_file is not None:
        return read_policy(policy_file)
    if ledger is None:
        return None
    from accordwatch.sources.witnessing import log_policy

    return log_policy(ledger)


def workspace_ledger() -> Ledger | None:
    """The workspace's ledger, if there is a workspace here (None: no workspace at hand)."""
    try:
        return workspace().ledger()
    except NotFoundError:
        return None
