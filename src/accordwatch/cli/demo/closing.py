"""The demo's last step and closing words: the reports, the inspectorate's token, what next.

The log's report is written at the log (what the public reads: confidential
records as commitments) and the IAEA's on its node (with what is sealed to
it); the IAEA's node issues its staff a dashboard token, in a file only its
owner may read; and the closing words say which folder is whose, how to serve
each node's dashboard, and what to run on the nodes and at the log.
"""

from __future__ import annotations

import os
from pathlib import Path

from accordwatch.cli.context import console
from accordwatch.cli.demo.escrow import folder_of
from accordwatch.cli.demo.log_and_keys import Logged
from accordwatch.cli.demo.nodes import PARTIES, Nodes
from accordwatch.cli.demo.safeguards import STORE
from accordwatch.cli.demo.shell import Shell, step
from accordwatch.cli.token import issue_token

TOKEN_LIFETIME = "30d"  # of the inspectorate's dashboard token, written to its folder
OWNERS = {
    "dprk": "DPRK's node (declarant)",
    "usa": "the United States' node (party)",
    "rok": "the Republic of Korea's node (party)",
    "iaea": "the IAEA's node (inspectorate)",
    "cns": "the CNS's node (observer; no witness)",
}


def run(shell: Shell, logged: Logged, nodes: Nodes) -> None:
    home = shell.home
    iaea = nodes.folder("iaea")
    step("12. Reports anyone can check against the log: the public's, and the IAEA's")
    shell.typed("report", "--format", "html", "--out", str(home / "report"))
    shell.cosign()
    nodes.sync(shell, *PARTIES)
    nodes.read(shell, "iaea", "report", "--format", "html", "--out", str(iaea / "report"))
    token_file = _inspectorate_token(iaea)
    # the log as static files, for any web server or CDN: nodes may sync from them
    shell.typed("log", "publish", str(home / "tlog"))

    step("Next")
    console.print("Whose folder is which:")
    rows = [(str(home), "the log, run by the registrar (no party's key)")]
    rows.append((f"{home}/tlog", "the log as static tiles, with the ciphertexts"))
    rows += [(str(nodes.folder(p)), OWNERS[p]) for p in OWNERS]
    rows.append((str(folder_of(home)), "the escrow example: log and keys on one machine"))
    width = max(len(folder) for folder, _ in rows)
    for folder, owner in rows:
        console.print(f"  {folder:{width}}  {owner}", highlight=False, soft_wrap=True)
    console.print(
        f"Open {home}/report/ (the public's) or {iaea}/report/ (the IAEA's) in a browser, "
        "or serve a node's dashboard and API, as the IAEA does:",
        highlight=False,
    )
    # commands are copied: never wrapped, whatever the width
    console.print(
        f"  accordwatch --home {iaea} serve --port 8001     # then http://127.0.0.1:8001/",
        soft_wrap=True,
        highlight=False,
    )
    console.print("then sign in at /signin with the token in")
    console.print(f"  {token_file}", soft_wrap=True, highlight=False)  # a file to open
    console.print(
        "to read, as the IAEA, the confidential declarations and their diff at "
        "/declarations and the material balances and inspections at /safeguards. Every "
        "node serves its party's staff the same way, with a token issued on that node; "
        "the log's own dashboard shows confidential entries as commitments only:",
        highlight=False,
    )
    dprk = nodes.folder("dprk")
    console.print(
        f"  accordwatch --home {dprk} token issue --party dprk --expires 30d\n"
        f"  accordwatch --home {dprk} serve --port 8002\n"
        f"  accordwatch --home {home} serve --port 8000",
        soft_wrap=True,
        highlight=False,
    )
    console.print(
        "On the nodes, each reading as its party (run node sync first when the log's "
        "server runs again):",
        highlight=False,
    )
    first = logged.first_entry
    console.print(
        f"  accordwatch --home {iaea} declaration list\n"
        f"  accordwatch --home {nodes.folder('usa')} declaration list\n"
        f"  accordwatch --home {iaea} accountancy show --mba {STORE} --history\n"
        f"  accordwatch --home {iaea} log audit\n"
        f"  accordwatch --home {dprk} status --as-of 2021-03-01",
        soft_wrap=True,
        highlight=False,
    )
    console.print("At the log:", highlight=False)
    console.print(
        f"  accordwatch --home {home} log show\n"
        f"  accordwatch --home {home} log prove {first}\n"
        f"  accordwatch --home {home} log audit\n"
        f"  accordwatch --home {home} clock show\n"
        f"  accordwatch --home {home} status --as-of 2021-03-01 --known-at 2020-12-31\n"
        f"  accordwatch --home {home} compliance report --by missile\n"
        f"  accordwatch receipt verify {home}/witnessed-receipt-{first}.json --log "
        f"{logged.export}",
        soft_wrap=True,
        highlight=False,
    )


def _inspectorate_token(node: Path) -> Path:
    """A token of the IAEA's node reading as the IAEA, in a file only its owner may read."""
    from accordwatch.workspace import Workspace

    token, _ = issue_token(Workspace.open(node).ledger(), "iaea", "inspectorate", TOKEN_LIFETIME)
    path = node / "inspectorate.token"
    # created with mode 0600, so the token is never readable by others, even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return path
