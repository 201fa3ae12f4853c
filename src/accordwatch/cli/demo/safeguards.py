"""The demo's safeguards steps: a plutonium store's accountancy, then an inspection of it.

The shipped accountancy reports, with a planted diversion, are imported and
the store's balance tests shown alarming; the inspectorate plans an
inspection committed to a secret nonce, draws its sample once the witnesses
cosigned a checkpoint after the plan, records the shipped results (revealing
the nonce), the draw is checked, and the results are compared with the
declared inventory, finding the one planted discrepancy.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

from accordwatch.cli.demo.shell import Shell, step
from accordwatch.examples import example_path

STORE = "yb-pu-store"  # the MBA of the shipped accountancy and inspection examples


def run(shell: Shell) -> None:
    home = shell.home
    examples = example_path("dprk-roadmap").parent

    step("9. Accountancy: a plutonium store's reports, with a planted diversion")
    shell.clock(datetime(2022, 1, 10, 9, tzinfo=UTC))
    reports = home / "dprk-accountancy.yaml"  # a copy in the workspace, to read or change
    shutil.copyfile(examples / "dprk-accountancy.yaml", reports)
    shell.typed("accountancy", "import", str(reports), "--as", "dprk")
    shell.typed("accountancy", "balance", STORE, "--chart", str(home / "safeguards"))

    step("10. An inspection of the store: plan, seeded draw, results, comparison")
    shell.clock(datetime(2022, 1, 14, 9, tzinfo=UTC))
    selection = home / "inspection-selection.json"
    shell.typed(
        "inspection",
        "plan",
        STORE,
        "--as",
        "iaea",
        "--date",
        "2022-01-14",
        "--plan-id",
        "piv-2022-01",
        "--out",
        str(selection),
    )
    plan_entry = json.loads(selection.read_text("utf-8"))["plan_entry"]
    # The draw is seeded by the IAEA's secret nonce and the first witnessed
    # checkpoint after the plan: the witnesses cosign one, then the IAEA draws.
    shell.typed("log", "cosign")
    shell.typed("inspection", "draw", str(plan_entry))
    # The shipped results name no plan: the plan's log index is known only now.
    results = home / "dprk-inspection.yaml"
    shipped = (examples / "dprk-inspection.yaml").read_text("utf-8")
    results.write_text(f"plan_entry: {plan_entry}\n{shipped}", "utf-8")
    shell.clock(datetime(2022, 1, 21, 9, tzinfo=UTC))
    shell.typed("inspection", "record", str(results), "--as", "iaea")
    # The report revealed the nonce: anyone who reads the plan now checks the draw.
    shell.typed("inspection", "verify-draw", str(plan_entry))
    shell.typed("inspection", "compare", str(plan_entry))
