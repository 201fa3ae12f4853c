"""The demo's escrowed declaration: committed on the day it is due, revealed region by region.

The worked example of escrowed declarations (`accord example dprk-escrow`,
`declaration example dprk-escrow`) runs in a workspace of its own
(`<home>-escrow`, beside the demo's), on its own simulated clock from March to December
2021, with its own four witnesses. DPRK escrows its list of sites in four
regions on the day the declaration step is due; it reveals the north-west,
where an open-source observation then finds a site the reveal lacks (an
undeclared item); it reveals the north-east; every party commits to a nonce
and reveals it, the draw picks the third region, and DPRK reveals that one to
the inspectorate; `verify-draw` recomputes the draw from the log. The status,
the check of the declaration and a report show what was found.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from accordwatch.cli.context import console
from accordwatch.cli.demo.nodes import mark, prepare_folder
from accordwatch.cli.demo.processes import Servers
from accordwatch.cli.demo.shell import Shell, last_entry, step
from accordwatch.cli.demo.witnesses import POLICY_FILE, Witnesses

PARTIES = (("dprk", "declarant"), ("usa", "party"), ("iaea", "inspectorate"))
ESCROW_ID = "dprk-sites-2021-03"
#: the undeclared site an open-source observation finds in the north-west (illustrative)
OBSERVED = (
    ("--site", "Yongdoktong high-explosive test site"),
    ("--category", "weaponization"),
    ("--latitude", "40.05"),
    ("--longitude", "125.28"),
    ("--place", "Kusong, North Pyongan"),
    ("--region", "north-west"),
)


def _at(shell: Shell, day: str) -> None:
    shell.clock(datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC))


def folder_of(home: Path) -> Path:
    """The escrow example's workspace, beside the demo's log `home`."""
    return home.parent / f"{home.name}-escrow"


def run(ctx: typer.Context, home: Path) -> None:
    """The escrow example in a folder of its own, with witnesses of its own, stopped when it ends.

    It is one workspace that holds the log and its parties' keys, as a
    workshop or a test runs one on one machine; the demo's own accord runs
    with a node per party.
    """
    step("Escrowed declarations: all committed on day one, revealed region by region")
    folder = folder_of(home)
    prepare_folder(folder)
    shell = Shell.of(ctx, folder)
    console.print(
        f"  A workspace of its own, {folder}, on a simulated clock from March 2021: the "
        "worked example of Philippe, Glaser and Felten (Science & Global Security 27(1), 2019)."
    )
    shell.typed("init", "--simulated-clock", "2021-03-01T09:00:00Z")
    mark(folder)
    for party, role in PARTIES:
        shell.unseen("--home", str(folder), "party", "add", party, "--role", role)
        shell.unseen("--home", str(folder), "key", "new", "--party", party)
    accord = folder / "dprk-escrow.yaml"
    shell.unseen("accord", "example", "dprk-escrow", "--out", str(accord))
    for party, _ in PARTIES:
        shell.typed("accord", "sign", str(accord), "--as", party)
    with Servers() as servers:
        _story(shell, Witnesses(folder, servers), folder)


def _story(shell: Shell, witnesses: Witnesses, folder: Path) -> None:
    from accordwatch.workspace import Workspace

    log_key = Workspace.open(folder).log_signer().verifier.text()
    witnesses.start(log_key)
    policy = folder / POLICY_FILE
    policy.write_text(witnesses.policy_text(log_key), "utf-8")
    for party, _ in PARTIES:
        shell.unseen("--home", str(folder), "accord", "policy", str(policy), "--as", party)
    console.print("  the parties' four witnesses serve this log too; every party signed its policy")

    _at(shell, "2021-03-31")  # the day the declaration step is due
    declaration = folder / "dprk-declaration-escrow.yaml"
    shell.unseen("declaration", "example", "dprk-escrow", "--out", str(declaration))
    shell.typed(
        "declaration", "escrow", str(declaration), "--partition-by", "region", "--as", "dprk"
    )
    _at(shell, "2021-04-20")
    shell.typed("step", "verify", "declare-sites", "--result", "verified", "--as", "iaea")

    _at(shell, "2021-05-20")
    shell.typed("declaration", "reveal", ESCROW_ID, "--part", "region-north-west", "--as", "dprk")
    shell.typed("declaration", "verify-reveal", str(last_entry(folder, "escrow.reveal")))
    _at(shell, "2021-06-15")
    shell.typed("step", "verify", "reveal-north-west", "--result", "verified", "--as", "iaea")
    evidence = folder / "yongdoktong-2021-06-12.txt"
    evidence.write_text(
        "Illustrative open-source evidence: notes on commercial satellite imagery of\n"
        "12 June 2021 showing test bunkers and craters at Yongdoktong (Kusong).\n",
        "utf-8",
    )
    shell.typed(
        "observation", "record", "--id", "obs-yongdoktong-2021-06", "--as", "usa",
        "--observer", "open-source imagery analysts", "--method", "open-source",
        "--on", "2021-06-12", "--program", "nuclear",
        *(x for pair in OBSERVED for x in pair),
        "--evidence", str(evidence),
    )  # fmt: skip

    _at(shell, "2021-07-01")  # the concession the verified reveal earned
    shell.typed("step", "report", "usa-sanctions-relief", "--on", "2021-07-01", "--as", "usa")
    _at(shell, "2021-07-05")
    shell.typed("step", "verify", "usa-sanctions-relief", "--result", "verified", "--as", "dprk")

    _at(shell, "2021-08-20")
    shell.typed("declaration", "reveal", ESCROW_ID, "--part", "region-north-east", "--as", "dprk")
    _at(shell, "2021-09-10")
    shell.typed("step", "verify", "reveal-north-east", "--result", "verified", "--as", "iaea")

    # The third region: drawn from every party's nonce and a witnessed checkpoint.
    _at(shell, "2021-09-15")
    for party, _ in PARTIES:
        shell.typed("declaration", "draw", "commit", "reveal-drawn", "--as", party)
    shell.typed("log", "cosign")
    _at(shell, "2021-09-16")
    for party, _ in PARTIES:
        shell.typed("declaration", "draw", "reveal", "reveal-drawn", "--as", party)
    _at(shell, "2021-10-15")
    shell.typed("declaration", "reveal", ESCROW_ID, "--part", "drawn", "--as", "dprk")
    shell.typed(
        "declaration", "verify-draw", str(last_entry(folder, "escrow.reveal")), "--as", "iaea"
    )
    _at(shell, "2021-11-05")
    shell.typed("step", "verify", "reveal-drawn", "--result", "verified", "--as", "iaea")
    shell.typed("log", "cosign")

    _at(shell, "2021-12-01")
    shell.typed("status")
    console.print("[dim]# the check fails: the escrow shows an undeclared item[/]")
    try:
        shell.typed("declaration", "check", str(declaration), "--as", "iaea")
    except SystemExit as exc:
        if exc.code != 1:
            raise
    shell.typed("report", "--format", "html", "--out", str(folder / "report"))
    console.print(
        f"  the dashboard of this log: accordwatch --home {folder} serve, then /declarations "
        f"(as of {date(2021, 12, 1)})",
        highlight=False,
    )
