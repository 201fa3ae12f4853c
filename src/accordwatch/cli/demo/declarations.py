"""The demo's declarations step: sealed by DPRK's node, read by DPRK and the IAEA only.

The shipped nuclear declaration and its correction are written to DPRK's
folder, the first with a marker in its note that no file of the log's
operator may hold afterwards; DPRK's node submits them, sealed to DPRK's and
the IAEA's encryption keys. They are read on DPRK's and the IAEA's nodes,
refused on the United States' node and at the log, and compared on the
IAEA's node.
"""

from __future__ import annotations

from datetime import UTC, datetime

from accordwatch.cli.context import console
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.cli.demo.shell import Shell, step

#: in the note of the demo's DPRK declaration: found on the readers' nodes, nowhere else
MARKER = "DPRK-CONFIDENTIAL-DEMO-MARKER-7Q2X"
DECLARATIONS = (
    ("dprk-nuclear", "dprk-nuclear-2020-12"),
    ("dprk-nuclear-corrected", "dprk-nuclear-2020-12-rev1"),
)


def run(shell: Shell, nodes: Nodes) -> None:
    step("8. Declarations: sealed on DPRK's node, readable by DPRK and the IAEA only")
    shell.clock(datetime(2021, 12, 1, 9, tzinfo=UTC))
    folder = nodes.folder("dprk")
    files = []
    for name, _ in DECLARATIONS:
        path = folder / f"{name}.yaml"
        shell.quiet("declaration", "example", name, "--out", str(path))
        files.append(path)
    text = files[0].read_text("utf-8")
    files[0].write_text(text.replace("note: >-\n", f"note: >-\n  {MARKER}.\n", 1), "utf-8")
    console.print(
        f"  DPRK's declaration and its correction are in DPRK's folder ({folder}); the "
        f"first carries {MARKER} in its note, to look for afterwards. DPRK's node seals each "
        "to DPRK's and the IAEA's encryption keys and sends the log the ciphertexts:",
        highlight=False,
    )
    nodes.write(shell, "dprk", "declaration", "submit", str(files[0]))
    # the correction names the declaration it supersedes: DPRK's node checks
    # that against its copy of the log, once the log's witnesses cosigned it
    shell.cosign()
    nodes.sync(shell, "dprk")
    nodes.write(shell, "dprk", "declaration", "submit", str(files[1]))
    shell.cosign()
    nodes.sync(shell, "dprk", "iaea", "usa")
    first, corrected = (ref for _, ref in DECLARATIONS)
    console.print("  read on DPRK's node and on the IAEA's, which hold keys it is sealed to:")
    for party in ("dprk", "iaea"):
        nodes.read_line(shell, party, MARKER, "declaration", "show", first)
    console.print("  refused on the United States' node, and at the log, which hold none:")
    nodes.refused(shell, "usa", "declaration", "show", first)
    shell.refused("--home", str(shell.home), "declaration", "show", first, "--as", "iaea")
    nodes.read(shell, "iaea", "declaration", "diff", first, corrected)
