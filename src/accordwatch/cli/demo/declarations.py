"""The demo's declarations step: confidential, signed, corrected and compared.

The shipped nuclear declaration and its correction are written to the
workspace, submitted by the declarant, and compared.
"""

from __future__ import annotations

from datetime import UTC, datetime

from accordwatch.cli.demo.shell import Shell, step


def run(shell: Shell) -> None:
    step("8. Declarations: confidential, signed, corrected and compared")
    shell.clock(datetime(2021, 12, 1, 9, tzinfo=UTC))
    home = shell.home
    for name in ("dprk-nuclear", "dprk-nuclear-corrected"):
        shell.unseen("declaration", "example", name, "--out", str(home / f"{name}.yaml"))
        shell.typed("declaration", "submit", str(home / f"{name}.yaml"), "--as", "dprk")
    shell.typed(
        "declaration",
        "diff",
        str(home / "dprk-nuclear.yaml"),
        str(home / "dprk-nuclear-corrected.yaml"),
    )
