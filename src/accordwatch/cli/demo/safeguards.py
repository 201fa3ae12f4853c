"""The demo's safeguards steps: a plutonium store's accountancy, then an inspection of it.

The shipped accountancy reports, with a planted diversion, are imported from
DPRK's node (sealed to DPRK and the IAEA) and the store's balance tests shown
alarming on the IAEA's node; the IAEA's node plans an inspection committed to
a secret nonce, which stays in the IAEA's folder, draws its sample once the
witnesses cosigned a checkpoint after the plan, and records the shipped
results (revealing the nonce); it shares the plan and the report with DPRK,
whose node checks the draw, and the IAEA's
compares the results with the declared inventory, finding the one planted
discrepancy.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

from accordwatch.cli.demo.nodes import Nodes
from accordwatch.cli.demo.shell import Shell, last_entry, step
from accordwatch.examples import example_path

STORE = "yb-pu-store"  # the MBA of the shipped accountancy and inspection examples
SELECTION = "inspection-selection.json"  # in the IAEA's folder


def run(shell: Shell, nodes: Nodes) -> None:
    examples = example_path("dprk-roadmap").parent
    dprk, iaea = nodes.folder("dprk"), nodes.folder("iaea")

    step("9. Accountancy: a plutonium store's reports, with a planted diversion")
    shell.clock(datetime(2022, 1, 10, 9, tzinfo=UTC))
    reports = dprk / "dprk-accountancy.yaml"  # a copy in DPRK's folder, to read or change
    shutil.copyfile(examples / "dprk-accountancy.yaml", reports)
    nodes.write(shell, "dprk", "accountancy", "import", str(reports))
    shell.cosign()
    nodes.sync(shell, "iaea")
    nodes.read(shell, "iaea", "accountancy", "balance", STORE, "--chart", str(iaea / "safeguards"))

    step("10. An inspection of the store: plan, seeded draw, results, comparison")
    shell.clock(datetime(2022, 1, 14, 9, tzinfo=UTC))
    selection = iaea / SELECTION
    nodes.write(
        shell, "iaea", "inspection", "plan", STORE,
        "--date", "2022-01-14", "--plan-id", "piv-2022-01", "--out", str(selection),
    )  # fmt: skip
    plan_entry = str(json.loads(selection.read_text("utf-8"))["plan_entry"])
    # The draw is seeded by the IAEA's secret nonce and the first witnessed
    # checkpoint after the plan: the witnesses cosign one, then the IAEA draws.
    # DPRK's node follows the log too: it holds that checkpoint, to check the draw by.
    shell.cosign()
    nodes.sync(shell, "iaea", "dprk")
    nodes.read(shell, "iaea", "inspection", "draw", plan_entry)
    # The shipped results name no plan: the plan's log index is known only now.
    results = iaea / "dprk-inspection.yaml"
    shipped = (examples / "dprk-inspection.yaml").read_text("utf-8")
    results.write_text(f"plan_entry: {plan_entry}\n{shipped}", "utf-8")
    shell.clock(datetime(2022, 1, 21, 9, tzinfo=UTC))
    nodes.write(shell, "iaea", "inspection", "record", str(results))
    # The plan and its report are sealed to the IAEA alone. The visit over, the
    # IAEA shares both with DPRK, whose node then checks the draw: the report
    # revealed the nonce.
    shell.cosign()
    nodes.sync(shell, "iaea")
    report_entry = str(last_entry(shell.home, "inspection.report"))
    for entry in (plan_entry, report_entry):
        nodes.write(shell, "iaea", "share", entry, "--with", "dprk")
    shell.cosign()
    nodes.sync(shell, "dprk", "iaea")
    nodes.read(shell, "dprk", "inspection", "verify-draw", plan_entry)
    nodes.read(shell, "iaea", "inspection", "compare", plan_entry)
