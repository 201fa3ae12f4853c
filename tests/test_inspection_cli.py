"""Inspections through the log on both databases: plan, the draw from the nonce and
the signed checkpoint (reproduced independently), record, compare."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from accordwatch.log.checkpoint import Checkpoint
from accordwatch.safeguards.sampling import sample_size
from accordwatch.workspace import Workspace
from tests.test_accountancy import (
    DECLARANT,
    INSPECTORATE,
    facility_reports,
    run,
    setup_parties,
    write,
)


def planned(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    setup_parties(workspace)
    reports = facility_reports(periods=2)
    run(
        workspace,
        "accountancy",
        "import",
        str(write(tmp_path / "r.yaml", reports)),
        "--as",
        DECLARANT,
    )
    selection = tmp_path / "selection.json"
    run(
        workspace,
        "inspection",
        "plan",
        "mba-a",
        "--as",
        INSPECTORATE,
        "--date",
        "2025-05-01",
        "--out",
        str(selection),
    )
    capsys.readouterr()
    return reports, json.loads(selection.read_text())


def held_nonce(workspace: Workspace) -> Path:
    """The inspectorate's private nonce file of the (one) plan."""
    (path,) = (workspace.keys_dir / INSPECTORATE / "draw-nonces").glob("*.nonce")
    return path


def test_plan_draw_reproduces_from_the_checkpoint(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, chosen = planned(workspace, capsys, tmp_path)
    entry = chosen["plan_entry"]
    ledger = workspace.ledger()
    # The plan commits to the inspectorate's nonce, kept in its private files.
    path = held_nonce(workspace)
    assert path.stat().st_mode & 0o777 == 0o600
    nonce = base64.b64decode(path.read_text())
    assert len(nonce) == 32
    plan = json.loads(ledger.opening(entry)[1])  # type: ignore[index]
    digest = hashlib.sha256(nonce).digest()
    assert base64.b64decode(plan["nonce_sha256"]) == digest == bytes.fromhex(path.stem)
    assert chosen["nonce_sha256"] == plan["nonce_sha256"]
    # No witness policy in this log: the first checkpoint it signed after the plan.
    note = chosen["checkpoint"]
    assert chosen["witnessed"] is None
    assert note == ledger.checkpoint_covering(entry)
    assert Checkpoint.open(note, ledger.signer.verifier).size == entry + 1
    # in base64, as every hash the program writes
    assert base64.b64decode(chosen["seed"]) == hashlib.sha256(nonce + note.encode()).digest()
    # The nonce's holder can repeat the draw from the log...
    run(workspace, "inspection", "draw", str(entry), "--format", "json")
    assert json.loads(capsys.readouterr().out) == chosen
    # ...and with SHA-256 alone, from the plan's populations.
    for stratum in plan["strata"]:
        seed = base64.b64decode(chosen["seed"])
        ranked = sorted(
            stratum["item_ids"],
            key=lambda i: hashlib.sha256(
                seed + b"\x00" + stratum["name"].encode() + b"\x00" + i.encode()
            ).digest(),
        )
        assert chosen["selected"][stratum["name"]] == ranked[: stratum["sample_size"]]
    cans = next(s for s in plan["strata"] if s["name"] == "cans")
    assert cans["falsified"] == 4  # 8 kg of Pu in cans of at most 2.6 kg
    assert cans["sample_size"] == sample_size(60, 4, 0.05)


def test_record_and_compare_find_the_discrepancies(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reports, chosen = planned(workspace, capsys, tmp_path)
    latest = [r for r in reports["reports"] if r["type"] == "physical-inventory"][-1]
    mass = {i["item_id"]: float(i["element"]["value"]) for i in latest["items"]}
    cans = chosen["selected"]["cans"]
    observations: list[dict[str, Any]] = [
        {"item_id": cans[0], "status": "not-found"},
        {"item_id": cans[1], "status": "found", "observed_id": "CAN-999"},
        {
            "item_id": cans[2],
            "status": "found",
            "observed_id": cans[2],
            "measured": {"value": f"{mass[cans[2]] - 0.6:.3f}"},
            "method": "neutron-coincidence-pu",
        },
        {"status": "undeclared", "observed_id": "CAN-X01"},
    ]
    observations += [
        {
            "item_id": c,
            "status": "found",
            "observed_id": c,
            "measured": {"value": f"{mass[c]:.3f}"},
            "method": "neutron-coincidence-pu",
        }
        for c in cans[3:]
    ]
    results = {
        "plan_entry": chosen["plan_entry"],
        "report_id": "insp-1",
        "date": "2025-05-01",
        "observations": observations,
    }
    run(
        workspace,
        "inspection",
        "record",
        str(write(tmp_path / "i.yaml", results)),
        "--as",
        INSPECTORATE,
    )
    capsys.readouterr()
    run(workspace, "inspection", "compare", str(chosen["plan_entry"]), "--format", "json")
    out = json.loads(capsys.readouterr().out)
    kinds = sorted((f["kind"], f["item_id"]) for f in out["findings"])
    assert kinds == sorted(
        [
            ("missing", cans[0]),
            ("identifier", cans[1]),
            ("difference", cans[2]),
            ("undeclared", "CAN-X01"),
            ("not-inspected", "TANK-1"),
        ]
    )
    (d,) = out["d_statistics"]
    measured = len(cans) - 2
    assert d["measured"] == measured
    assert d["d_kg"] == pytest.approx(60 / measured * 0.6, rel=1e-6)
    assert out["declared"].startswith("physical-inventory pil-2")

    # Against a declared-items file instead (the interface a declaration provides).
    items = [
        {
            "id": k,
            "mba": "mba-a",
            "mass": f"{v:.3f}",
            "unit": "kg",
            "material": "pu",
            "method": "neutron-coincidence-pu",
        }
        for k, v in mass.items()
    ]
    path = tmp_path / "declared.yaml"
    path.write_text(yaml.safe_dump({"items": items}), "utf-8")
    run(
        workspace,
        "inspection",
        "compare",
        str(chosen["plan_entry"]),
        "--declared",
        str(path),
        "--format",
        "json",
    )
    again = json.loads(capsys.readouterr().out)
    assert again["findings"] == out["findings"]
    assert again["declared"] == "declared-items file declared.yaml"


def test_inspection_commands_refuse_bad_input(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, chosen = planned(workspace, capsys, tmp_path)
    with pytest.raises(SystemExit) as exc:
        run(workspace, "inspection", "draw", "1")
    assert exc.value.code == 4
    assert "log entry 1 is a party.register, not an inspection plan" in capsys.readouterr().err
    bad = {
        "plan_entry": chosen["plan_entry"],
        "report_id": "x",
        "date": "2025-05-01",
        "observations": [{"status": "undeclared"}],
    }
    size = workspace.ledger().size()
    with pytest.raises(SystemExit) as exc:
        run(
            workspace,
            "inspection",
            "record",
            str(write(tmp_path / "b.yaml", bad)),
            "--as",
            INSPECTORATE,
        )
    assert exc.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "observations.0" in err[0]
    assert workspace.ledger().size() == size
    with pytest.raises(SystemExit) as exc:
        run(workspace, "inspection", "compare", str(chosen["plan_entry"]))
    assert "no inspection report for plan entry" in capsys.readouterr().err
    missing = tmp_path / "items.yaml"
    missing.write_text(yaml.safe_dump({"items": [{"id": "A", "mba": "mba-a", "mass": "x"}]}))
    with pytest.raises(SystemExit) as exc:
        run(
            workspace,
            "inspection",
            "plan",
            "mba-a",
            "--as",
            INSPECTORATE,
            "--declared",
            str(missing),
        )
    assert exc.value.code == 3
    assert "items.yaml: items[0]: mass 'x' is not a number" in capsys.readouterr().err
