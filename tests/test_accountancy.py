"""Accountancy reports through the log on both databases and through the CLI: import,
corrections, show, and the balance statistics of an MBA from its reports."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from accordwatch.cli import main
from accordwatch.log.canonical import parse_json
from accordwatch.safeguards.accountancy import (
    InventoryChangeBody,
    Logged,
    MaterialBalanceBody,
    PhysicalInventoryBody,
    effective,
)
from accordwatch.workspace import Workspace

DECLARANT, INSPECTORATE = "state-a", "agency"


def run(ws: Workspace, *args: str) -> None:
    main(["--home", str(ws.home), *args])


def setup_parties(ws: Workspace) -> None:
    for party, role in ((DECLARANT, "declarant"), (INSPECTORATE, "inspectorate")):
        run(ws, "party", "add", party, "--role", role)
        run(ws, "key", "new", "--party", party)


def facility_reports(periods: int = 6, seed: int = 1) -> dict[str, Any]:
    """A plutonium store: 60 cans (NCC) and a tank, monthly listings, receipts and shipments."""
    rng = random.Random(seed)
    cans = {f"CAN-{i:03d}": f"{rng.uniform(2.0, 2.6):.3f}" for i in range(60)}
    reports: list[dict[str, Any]] = []
    start = dt.date(2025, 1, 31)
    for n in range(periods + 1):
        day = start + dt.timedelta(days=30 * n)
        items: list[dict[str, Any]] = [
            {
                "item_id": k,
                "material": "pu",
                "element": {"value": v, "unit": "kg"},
                "method": "neutron-coincidence-pu",
                "stratum": "cans",
            }
            for k, v in cans.items()
        ]
        items.append(
            {
                "item_id": "TANK-1",
                "material": "pu",
                "element": {"value": f"{40 + rng.uniform(-1, 1):.3f}", "unit": "kg"},
                "method": "volume-accountancy-tank+idms-plutonium",
                "kmp": "K2",
            }
        )
        reports.append(
            {
                "type": "physical-inventory",
                "report_id": f"pil-{n}",
                "date": day.isoformat(),
                "items": items,
            }
        )
        if n < periods:
            reports.append(
                {
                    "type": "inventory-change",
                    "report_id": f"icr-{n}",
                    "entries": [
                        {
                            "date": (day + dt.timedelta(days=10)).isoformat(),
                            "batch": f"R{n}",
                            "change": "receipt",
                            "material": "pu",
                            "element": {"value": "12000", "unit": "g"},
                            "method": "titration-plutonium",
                            "kmp": "K1",
                            "other_mba": "mba-x",
                        },
                        {
                            "date": (day + dt.timedelta(days=20)).isoformat(),
                            "batch": f"S{n}",
                            "change": "shipment",
                            "material": "pu",
                            "element": {"value": "11.800", "unit": "kg"},
                            "method": "titration-plutonium",
                            "kmp": "K3",
                        },
                    ],
                }
            )
    return {"mba": "mba-a", "reports": reports}


def write(path: Path, doc: Any) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def test_import_show_balance_and_corrections(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    setup_parties(workspace)
    reports = facility_reports()
    run(
        workspace,
        "accountancy",
        "import",
        str(write(tmp_path / "r.yaml", reports)),
        "--as",
        DECLARANT,
    )
    assert "logged 13 report(s)" in capsys.readouterr().out
    # Confidential by default: the public log holds a commitment, not the payload.
    ledger = workspace.ledger()
    env = parse_json(ledger.entry(ledger.size() - 1).envelope, where="test")
    assert "commitment" in env and "payload" not in env

    run(workspace, "accountancy", "balance", "mba-a", "--format", "json")
    first = json.loads(capsys.readouterr().out)
    assert first["material"] == "pu" and len(first["muf"]) == 6
    # MUF exactly: listings and changes in decimal arithmetic.
    pils = [r for r in reports["reports"] if r["type"] == "physical-inventory"]
    total = [sum(float(i["element"]["value"]) for i in p["items"]) for p in pils]
    expected = [total[i] + 12.0 - 11.8 - total[i + 1] for i in range(6)]
    np.testing.assert_allclose(first["muf"], expected, atol=1e-9)
    assert [float(v) for v in first["exact_muf_kg"]] == pytest.approx(expected)
    assert first["findings"] == [] and first["changes_outside_periods"] == 0

    # The same statistics as `safeguards evaluate` on the equivalent balance file.
    balance_file = {
        "period_count": 6,
        "material": "pu",
        "locations": [
            {
                "name": loc["name"],
                "kind": loc["kind"],
                "random_rsd": loc["random_rsd"],
                "systematic_rsd": loc["systematic_rsd"],
                "values": values,
            }
            for loc, values in zip(first["locations"], _location_values(reports), strict=True)
        ],
    }
    run(
        workspace,
        "safeguards",
        "evaluate",
        str(write(tmp_path / "b.yaml", balance_file)),
        "--format",
        "json",
    )
    evaluated = json.loads(capsys.readouterr().out)
    for key in ("muf", "sigma_muf", "cumuf", "sitmuf", "page"):
        assert evaluated[key] == pytest.approx(first[key], rel=1e-12, abs=1e-12)
    assert evaluated["alarms"] == first["alarms"]

    # A correction: the tank at the third listing held 5 kg less.
    pil2 = next(r for r in reports["reports"] if r.get("report_id") == "pil-2")
    tank = pil2["items"][-1]["element"]
    tank["value"] = f"{float(tank['value']) - 5:.3f}"
    corrected = {"mba": "mba-a", "reports": [{**pil2, "action": "correct"}]}
    run(
        workspace,
        "accountancy",
        "import",
        str(write(tmp_path / "c.yaml", corrected)),
        "--as",
        DECLARANT,
    )
    run(workspace, "accountancy", "show", "--history", "--format", "json")
    rows = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    pil2_rows = [r for r in rows if r["report_id"] == "pil-2"]
    assert [(r["revision"], r["status"].split(" ")[0]) for r in pil2_rows] == [
        (1, "superseded"),
        (2, "in"),
    ]
    run(workspace, "accountancy", "balance", "mba-a", "--format", "json")
    second = json.loads(capsys.readouterr().out)
    assert second["muf"][1] == pytest.approx(first["muf"][1] + 5)
    assert second["muf"][2] == pytest.approx(first["muf"][2] - 5)

    # Deleting a change report takes its changes out of the balance.
    delete = {
        "mba": "mba-a",
        "reports": [{"type": "inventory-change", "report_id": "icr-0", "action": "delete"}],
    }
    run(
        workspace,
        "accountancy",
        "import",
        str(write(tmp_path / "d.yaml", delete)),
        "--as",
        DECLARANT,
    )
    capsys.readouterr()
    run(workspace, "accountancy", "balance", "mba-a", "--format", "json")
    third = json.loads(capsys.readouterr().out)
    assert third["muf"][0] == pytest.approx(second["muf"][0] - 0.2)


def _location_values(doc: dict[str, Any]) -> list[list[float]]:
    """Per-location values in the order `accountancy balance` lists them."""
    pils = [r for r in doc["reports"] if r["type"] == "physical-inventory"]
    icrs = [r for r in doc["reports"] if r["type"] == "inventory-change"]
    inputs = [
        float(e["element"]["value"]) / 1000
        for r in icrs
        for e in r["entries"]
        if e["change"] == "receipt"
    ]
    outputs = [
        float(e["element"]["value"])
        for r in icrs
        for e in r["entries"]
        if e["change"] == "shipment"
    ]
    ncc = [sum(float(i["element"]["value"]) for i in p["items"][:-1]) for p in pils]
    tank = [float(p["items"][-1]["element"]["value"]) for p in pils]
    return [inputs, outputs, ncc, tank]


def test_import_is_all_or_nothing_and_names_the_problem(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    setup_parties(workspace)
    reports = facility_reports(periods=2)
    bad = json.loads(json.dumps(reports))
    bad["reports"][3]["entries"][1]["element"]["value"] = "-1"
    size = workspace.ledger().size()
    with pytest.raises(SystemExit) as exc:
        run(
            workspace,
            "accountancy",
            "import",
            str(write(tmp_path / "bad.yaml", bad)),
            "--as",
            DECLARANT,
        )
    assert exc.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.yaml: reports[3]" in err[0] and "entries.1.element.value" in err[0]
    assert workspace.ledger().size() == size

    path = write(tmp_path / "ok.yaml", reports)
    run(workspace, "accountancy", "import", str(path), "--as", DECLARANT)
    with pytest.raises(SystemExit) as exc:
        run(workspace, "accountancy", "import", str(path), "--as", DECLARANT)
    assert exc.value.code == 5
    assert "report pil-0 of MBA mba-a already exists" in capsys.readouterr().err
    # The inspectorate may not submit accountancy reports.
    other = {"mba": "mba-b", "reports": reports["reports"][:1]}
    with pytest.raises(SystemExit) as exc:
        run(
            workspace,
            "accountancy",
            "import",
            str(write(tmp_path / "o.yaml", other)),
            "--as",
            INSPECTORATE,
        )
    assert exc.value.code == 10
    assert "may not submit accountancy.physical-inventory" in capsys.readouterr().err
    # A correction of a report that does not exist, with a wrong revision.
    missing = {
        "mba": "mba-a",
        "reports": [{**reports["reports"][0], "report_id": "nope", "action": "correct"}],
    }
    with pytest.raises(SystemExit) as exc:
        run(
            workspace,
            "accountancy",
            "import",
            str(write(tmp_path / "m.yaml", missing)),
            "--as",
            DECLARANT,
        )
    assert exc.value.code == 4


def test_material_balance_reports_are_checked_against_the_listings(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    setup_parties(workspace)
    reports = facility_reports(periods=2)
    pils = [r for r in reports["reports"] if r["type"] == "physical-inventory"]
    totals = [sum(float(i["element"]["value"]) for i in p["items"]) for p in pils]
    mbr = {
        "type": "material-balance",
        "report_id": "mbr-1",
        "material": "pu",
        "period_start": pils[0]["date"],
        "period_end": pils[1]["date"],
        "beginning_inventory": {"value": f"{totals[0]:.3f}"},
        "increases": {"value": "12.000"},
        "decreases": {"value": "11.800"},
        "ending_inventory": {"value": f"{totals[1]:.3f}"},
        "muf": {"value": f"{totals[0] + 0.2 - totals[1]:.3f}"},
    }
    wrong = {
        **mbr,
        "report_id": "mbr-2",
        "period_start": pils[1]["date"],
        "period_end": pils[2]["date"],
    }  # restates period 1's figures for period 2
    reports["reports"] += [mbr, wrong]
    run(
        workspace,
        "accountancy",
        "import",
        str(write(tmp_path / "r.yaml", reports)),
        "--as",
        DECLARANT,
        "--public",
    )
    capsys.readouterr()
    run(workspace, "accountancy", "balance", "mba-a", "--format", "json")
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings and all("mbr-2" in f for f in findings)
    assert any("beginning inventory" in f for f in findings)


def test_report_bodies_check_themselves() -> None:
    with pytest.raises(ValidationError, match="muf must equal"):
        MaterialBalanceBody.model_validate(
            {
                "mba": "m",
                "report_id": "b",
                "revision": 1,
                "material": "pu",
                "period_start": "2025-01-01",
                "period_end": "2025-02-01",
                "beginning_inventory": {"value": "10"},
                "increases": {"value": "1"},
                "decreases": {"value": "1"},
                "ending_inventory": {"value": "9", "unit": "kg"},
                "muf": {"value": "0.5"},
            }
        )
    with pytest.raises(ValidationError, match="counted by isotope"):
        InventoryChangeBody.model_validate(
            {
                "mba": "m",
                "report_id": "i",
                "revision": 1,
                "entries": [
                    {
                        "date": "2025-01-01",
                        "batch": "b",
                        "change": "receipt",
                        "material": "heu",
                        "element": {"value": "10"},
                        "method": "titration-davies-gray",
                    }
                ],
            }
        )
    with pytest.raises(ValidationError, match="listed twice"):
        PhysicalInventoryBody.model_validate(
            {
                "mba": "m",
                "report_id": "p",
                "revision": 1,
                "date": "2025-01-01",
                "items": [
                    {"item_id": "A", "material": "pu", "element": {"value": "1"}, "method": "x"}
                ]
                * 2,
            }
        )
    with pytest.raises(ValidationError, match="revision 1"):
        PhysicalInventoryBody.model_validate(
            {"mba": "m", "report_id": "p", "revision": 2, "date": "2025-01-01"}
        )


def test_effective_keeps_revisions_in_order_and_sets_aside_the_rest() -> None:
    def pil(revision: int, action: str = "correct", **extra: Any) -> PhysicalInventoryBody:
        body = {"mba": "m", "report_id": "p", "revision": revision, "action": action}
        if action != "delete":
            body["date"] = "2025-01-01"
        return PhysicalInventoryBody.model_validate({**body, **extra})

    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    state = effective(
        [
            Logged(1, t, "a", pil(1, "new")),
            Logged(2, t, "a", pil(3)),  # skips revision 2
            Logged(3, t, "b", pil(2)),  # another party
            Logged(4, t, "a", pil(2)),
            Logged(5, t, "a", pil(1, "new")),  # already exists
        ]
    )
    current = state.current[("physical-inventory", "m", "p")]
    assert current is not None and current.index == 4
    assert [e.index for e, _ in state.ignored] == [2, 3, 5]
    assert state.next_revision(("physical-inventory", "m", "p")) == 3
    state = effective([Logged(1, t, "a", pil(1, "new")), Logged(2, t, "a", pil(2, "delete"))])
    assert state.in_force() == [] and state.next_revision(("physical-inventory", "m", "p")) is None
