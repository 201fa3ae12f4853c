"""`accordwatch node`: a party's own verified copy of a log run elsewhere.

`node init` makes a workspace that follows a log (a `serve` URL, or a folder
`log publish` wrote); `node sync` brings it up to the log's latest witnessed
checkpoint, verifying every tile and entry (`sources.node_sync`), fetching
the ciphertexts of confidential openings and checking those sealed to the
node's party with its private encryption keys (`sources.node_openings`).
Every command that reads then works on the node as on the log's workspace,
reading as the node's party by default.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from accordwatch.cli.context import (
    STATE,
    console,
    err_console,
    home_path,
    plain,
    read_encryption_key,
    workspace,
)
from accordwatch.cli.exit_codes import ExitCode

node_app = typer.Typer(help="A party's verified copy of a log run elsewhere.", no_args_is_help=True)


@node_app.command("init")
def init(
    log: str = typer.Option(
        ..., "--log", help="The log: http://host:port of its `serve`, or a `log publish` folder"
    ),
    log_key: str = typer.Option(
        ..., "--log-key", help="The log's verifier key (name+id+key, as `log key` prints it)"
    ),
    party: str = typer.Option(..., "--party", help="The party that runs this node"),
    policy_file: Path = typer.Option(
        None,
        "--policy",
        help="The witness policy to trust checkpoints by [default: none: the log's key only]",
    ),
    home: str = typer.Option(None, "--home", help="Node folder [default: ./accordwatch-data]"),
    simulated_clock_file: Path = typer.Option(
        None,
        "--simulated-clock-file",
        help="For demonstrations and tests: take the time from this file (one UTC time, as "
        "`clock set` writes it), e.g. the simulated clock of a log that runs on one, so that "
        "what the node signs falls within the log's clock skew [default: the system clock]",
    ),
) -> None:
    """Create a node: a workspace that follows the log, trusting its key and a witness policy."""
    from accordwatch.cli.policy import read_policy_text
    from accordwatch.settings import DEFAULT_HOME
    from accordwatch.store.database import describe
    from accordwatch.workspace import init_node

    path = home_path(home) or DEFAULT_HOME
    policy = read_policy_text(policy_file) if policy_file is not None else None
    ws = init_node(
        path,
        log=log,
        log_key=log_key,
        party=party,
        policy=policy,
        database_url=STATE.database_url,
        simulated_clock_file=simulated_clock_file,
    )
    console.print(
        f"Created node [bold]{ws.home}[/] of party [bold]{plain(party)}[/]", highlight=False
    )
    console.print(f"  follows   {plain(log)}", highlight=False)
    console.print(f"  log key   {log_key.strip()}", highlight=False)
    console.print(f"  database  {describe(ws.url)}", highlight=False)
    if ws.settings.clock_path is not None:
        console.print(f"  clock     simulated, read from {ws.settings.clock_path}", highlight=False)
    if policy is None:
        console.print(
            "  trusts    checkpoints signed by the log's key alone: no witness policy given "
            "(--policy FILE), so a log that shows this node another history than others "
            "is caught only by this node's own copy",
            highlight=False,
        )
    else:
        console.print(
            f"  trusts    checkpoints cosigned as {policy_file} requires", highlight=False
        )
    console.print("Run accordwatch node sync to fetch and verify the log.")


@node_app.command("sync")
def sync() -> None:
    """Fetch, verify and store what the log added since the last sync.

    Exit 7 with the fork evidence written to a file when the log's checkpoint
    is not consistent with the one this node holds.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from accordwatch.sources.node_openings import check_openings
    from accordwatch.sources.node_sync import ForkFoundError
    from accordwatch.sources.node_sync import sync as run_sync
    from accordwatch.sources.remote_log import NodeConfig

    ws = workspace()
    config = NodeConfig.read(ws.home)
    ledger = ws.ledger()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("verifying", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            done = run_sync(ledger, config, ws.home, now=ws.clock, progress=advance)
        except ForkFoundError as fork:
            # one line: what it proves, where the file is, and the evidence itself
            evidence = json.dumps(fork.evidence.to_json(), separators=(",", ":"))
            typer.echo(
                f"accordwatch: fork: {plain(fork.evidence.verify(), one_line=True)}; "
                f"evidence written to {fork.path}: {evidence}",
                err=True,
            )
            raise typer.Exit(ExitCode.NOT_VERIFIED) from None
    if done.size == done.before:
        console.print(f"up to date: {done.size} entries; checkpoint {done.trust}", highlight=False)
    else:
        console.print(
            f"synced entries {done.before}..{done.size - 1} from {plain(config.log)}: "
            f"{done.size} entries verified and held; checkpoint {done.trust}",
            highlight=False,
        )
    from accordwatch.log.note import Verifier
    from accordwatch.sources.draw_bases import fetch_bases
    from accordwatch.sources.remote_log import TileSource

    # the checkpoints inspection draws are seeded with, which this node may not have synced to
    fetch_bases(ledger, TileSource(config.log), Verifier.parse(config.log_key), ws.clock)
    party = config.party
    checked = check_openings(
        ledger, ledger.registry(), party, ws.keys_dir, read_encryption_key, done.before
    )
    for line in checked.refused:
        err_console.print(f"warning: {plain(line, one_line=True)}", highlight=False)
    if not checked.has_keys:
        console.print(
            f"no private encryption key of {plain(party)} in {ws.keys_dir / party}: "
            "confidential entries are held as commitments only",
            highlight=False,
        )
    if done.confidential_unopened or checked.opened or checked.refused:
        fresh = done.confidential_unopened
        opened_new = sum(1 for i in checked.opened if i >= done.before)
        refused = len(checked.refused)
        shared = len(checked.opened) - opened_new
        console.print(
            f"{len(checked.opened)} confidential entries opened with {plain(party)}'s keys"
            + (f" ({shared} shared since the last sync)" if shared else "")
            + f"; {max(0, fresh - opened_new - refused)} held as commitments only (sealed "
            "to other readers, or not sealed at the log)"
            + (f"; {refused} sealed to {plain(party)} that do not open" if refused else ""),
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(node_app, name="node")
