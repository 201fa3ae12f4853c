"""`accordwatch demo`: the system at work, start to finish, as an accord would run it.

A log's workspace for the registrar (`--home`), and beside it a folder per
party (`<home>-nodes/<party>`): each party makes its signing and encryption
keys there and the registrar registers their public halves only. It logs
signed statements (one confidential, sealed to its readers), proves an entry
against a signed checkpoint, has DPRK rotate its own key and shows the revoked
key refused, exports the log, audits it offline, and shows that changing one
byte of the export is caught and the entry named. Then every party signs the
DPRK road map example, its scripted (illustrative) history of reports and
verifications is logged, and the road map's status, findings, balance and
consequences are shown as of several dates, with the timeline chart. The
parties' witnesses start, each in its party's folder, and the parties sign
their policy; the log's server starts, and each folder becomes its party's
node, following the log. Through the user's commands, each run on the node of
the party that runs it, DPRK then submits declarations sealed to itself and
the IAEA, read on their nodes and refused on the United States' node and at
the log; imports an illustrative plutonium store's accountancy reports with a
planted diversion, whose balance tests alarm on the IAEA's node; the IAEA
inspects the store and finds the one planted discrepancy, and DPRK checks the
draw; the observer imports launch events (every launch of 2019 among them),
whose violations of the resolutions and of the road map are reported; the
United States answers one of the road map's consequences and leaves another
unanswered; the reports are written, the log's and the IAEA's, and the IAEA's
node issues its staff a dashboard token (`inspectorate.token` in its folder).

The log runs on a simulated clock (`accordwatch clock`), which the nodes read
and the demo moves forward only: the parties are registered in October 2019, the road
map's history is logged event by event at its own dates from January 2020 to
November 2021, the declarations in December 2021, the accountancy and the
inspection in January 2022, and the launch events (those of 2019 too) and the
Council's responses in December 2022. No entry is backdated.

This module only registers the command; the steps live in the modules beside
it, imported when the demo runs so that the rest of the command line starts
without the store, the charts or the reports.
"""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    ctx: typer.Context,
    home: Path = typer.Option(
        Path("accordwatch-demo"),
        "--home",
        help="The log's folder; the parties' are made beside it (HOME-nodes/PARTY)",
    ),
) -> None:
    """Run the accord end to end: a log and a node per party, in fresh folders (SQLite)."""
    from accordwatch.cli.demo import (
        closing,
        compliance,
        declarations,
        escrow,
        log_and_keys,
        roadmap,
        safeguards,
    )
    from accordwatch.cli.demo.nodes import Nodes
    from accordwatch.cli.demo.processes import Servers
    from accordwatch.cli.demo.shell import Shell
    from accordwatch.cli.demo.witnesses import POLICY_FILE, Witnesses
    from accordwatch.private_files import private_umask

    # The folders hold confidential declarations and keys: whatever the demo
    # and the commands it runs write there is for its owner only.
    # The log's server and the witnesses are processes of their own: stopped
    # however the demo ends.
    nodes = Nodes(home)
    with private_umask(), Servers() as servers:
        shell = Shell.of(ctx, home)
        logged = log_and_keys.run(home, nodes, shell)  # steps 1 to 6
        roadmap.run(logged.ledger, logged.keys, home)  # step 7
        # The rest runs through the commands a user types, on the command line the
        # demo itself was started from, so the demo shows them as they are.
        witnesses = Witnesses(home, servers, nodes.witness_folder)
        # the parties' witnesses, and a fork refused
        witnesses.run(shell, logged.ledger, nodes.signing_file)
        log_key = logged.ledger.signer.verifier.text()
        nodes.start(shell, servers, log_key, home / POLICY_FILE)
        # in the simulated clock's order: December 2021, January 2022, December 2022
        declarations.run(shell, nodes)  # step 8
        safeguards.run(shell, nodes)  # steps 9 and 10
        compliance.run(shell, nodes)  # step 11
        escrow.run(ctx, home)  # an escrowed declaration, in a workspace and on a clock of its own
        witnesses.close(shell, logged.ledger, logged.first_entry)
        closing.run(shell, logged, nodes)  # step 12 and the closing words


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
