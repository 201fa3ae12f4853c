"""The inspection draw no one can predict: the inspected state, with its own inventory
listing and everything public, cannot compute the selection before the report
reveals the inspectorate's nonce; after the reveal anyone repeats and checks it."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from accordwatch.safeguards.inspection import InspectionPlanBody
from accordwatch.safeguards.sampling import draw, plan_stratum, seed_from_checkpoint
from accordwatch.workspace import Workspace
from tests.test_accountancy import INSPECTORATE, run, write
from tests.test_inspection_cli import held_nonce, planned


def attempt(code: int, workspace: Workspace, *args: str) -> None:
    with pytest.raises(SystemExit) as exc:
        run(workspace, *args)
    assert exc.value.code == code


def test_the_inspected_state_cannot_compute_the_selection_before_the_reveal(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reports, chosen = planned(workspace, capsys, tmp_path)
    entry = chosen["plan_entry"]
    ledger = workspace.ledger()
    # The inspectorate takes its nonce away: what is left is what the inspected
    # state and anyone else holds.
    secret = tmp_path / "iaea-only.nonce"
    shutil.move(held_nonce(workspace), secret)
    nonce = base64.b64decode(secret.read_text())

    # The inspected state's own listing: the items of mba-a by stratum, and the
    # sample sizes it computes from them exactly as the plan does.
    latest = [r for r in reports["reports"] if r["type"] == "physical-inventory"][-1]
    strata: dict[str, list[str]] = {}
    for item in latest["items"]:
        strata.setdefault(item.get("stratum") or "pu", []).append(item["item_id"])
    # (it is even granted the plan itself, which only the inspectorate reads)
    plan = InspectionPlanBody.model_validate(json.loads(ledger.opening(entry)[1]))  # type: ignore[index]
    assert {s.name: sorted(s.item_ids) for s in plan.strata} == {
        k: sorted(v) for k, v in strata.items()
    }
    for s in plan.strata:
        sized = plan_stratum(
            s.name, len(s.item_ids), s.item_mass.kilograms(), s.goal.kilograms(), plan.beta
        )
        assert sized.sample == s.sample_size

    # Everything public: the log export and every signed checkpoint.
    export = tmp_path / "log.jsonl"
    run(workspace, "log", "export", str(export))
    public = export.read_bytes()
    notes = [note for _, note in ledger.checkpoints()]
    envelopes = [ledger.entry(i).envelope for i in range(ledger.size())]

    # The old computation, seeded by a public checkpoint, no longer gives the selection...
    def guess(note: str) -> dict[str, list[str]]:
        seed = seed_from_checkpoint(note)
        return {s.name: draw(seed, s.name, s.item_ids, s.sample_size) for s in plan.strata}

    assert guess(ledger.checkpoint_covering(entry)) != chosen["selected"]
    assert all(guess(note) != chosen["selected"] for note in notes)
    # ...and no public data holds the nonce, in any spelling.
    spellings = [nonce, nonce.hex().encode(), base64.b64encode(nonce)]
    spellings.append(base64.urlsafe_b64encode(nonce).rstrip(b"="))
    for blob in [public, *(n.encode() for n in notes), *envelopes]:
        assert not any(s in blob for s in spellings)
    # What is public is only the commitment: SHA-256 of the nonce, which does not give it.
    assert base64.b64decode(plan.nonce_sha256 or "") == hashlib.sha256(nonce).digest()

    # Without the nonce, the draw cannot be computed yet, nor checked.
    attempt(4, workspace, "inspection", "draw", str(entry))
    assert "cannot be computed yet" in capsys.readouterr().err
    attempt(7, workspace, "inspection", "verify-draw", str(entry))
    assert "reveals its nonce yet" in capsys.readouterr().out

    # A wrong nonce is refused, and nothing is logged.
    wrong = tmp_path / "wrong.nonce"
    wrong.write_text(base64.b64encode(bytes(32)).decode())
    results = {
        "plan_entry": entry,
        "report_id": "insp-1",
        "date": "2025-05-01",
        "observations": [{"item_id": i, "status": "found"} for i in chosen["selected"]["cans"]],
    }
    report = write(tmp_path / "i.yaml", results)
    size = ledger.size()
    attempt(
        7,
        workspace,
        "inspection",
        "record",
        str(report),
        "--as",
        INSPECTORATE,
        "--nonce",
        str(wrong),
    )
    assert "not the one plan entry" in capsys.readouterr().err
    assert ledger.size() == size

    # The report reveals the nonce; then anyone repeats the draw and checks it.
    run(
        workspace, "inspection", "record", str(report), "--as", INSPECTORATE, "--nonce", str(secret)
    )
    capsys.readouterr()
    run(workspace, "inspection", "draw", str(entry), "--format", "json")
    after = json.loads(capsys.readouterr().out)
    assert after["selected"] == chosen["selected"]
    assert after["seed"] == chosen["seed"] and after["revealed_by"] == size
    run(workspace, "inspection", "verify-draw", str(entry), "--format", "json")
    verified = json.loads(capsys.readouterr().out)
    assert verified["verified"] is True and verified["problems"] == []
    assert verified["selected"] == chosen["selected"]
    # ...with SHA-256 alone, from the revealed nonce and the public checkpoint.
    revealed = json.loads(ledger.opening(size)[1])["draw"]  # type: ignore[index]
    assert base64.b64decode(revealed["nonce"]) == nonce
    note = ledger.checkpoint_at(revealed["checkpoint"])
    seed = hashlib.sha256(nonce + note.encode()).digest()
    assert {s.name: draw(seed, s.name, s.item_ids, s.sample_size) for s in plan.strata} == (
        chosen["selected"]
    )


def test_a_draw_that_names_another_checkpoint_does_not_verify(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, chosen = planned(workspace, capsys, tmp_path)
    entry = chosen["plan_entry"]
    nonce = held_nonce(workspace).read_text().strip()
    ledger = workspace.ledger()
    # another entry, so that a checkpoint after the first one that covers the plan exists
    run(workspace, "inspection", "plan", "mba-a", "--as", INSPECTORATE, "--plan-id", "other")
    capsys.readouterr()
    later = ledger.size()
    results = {
        "plan_entry": entry,
        "report_id": "insp-1",
        "date": "2025-05-01",
        "observations": [{"item_id": "TANK-1", "status": "found"}],
        "draw": {"nonce": nonce, "checkpoint": later},
    }
    assert later > entry + 1
    run(
        workspace,
        "inspection",
        "record",
        str(write(tmp_path / "i.yaml", results)),
        "--as",
        INSPECTORATE,
    )
    capsys.readouterr()
    attempt(7, workspace, "inspection", "verify-draw", str(entry))
    out = capsys.readouterr().out
    assert f"names the checkpoint of size {later}" in out
    assert f"is of size {entry + 1}" in out


def test_a_plan_logged_without_a_nonce_is_drawn_as_before_but_does_not_verify(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from accordwatch.cli.context import signing_key
    from accordwatch.sources.appending import Signer, sign_and_submit

    _, chosen = planned(workspace, capsys, tmp_path)
    ledger = workspace.ledger()
    old = json.loads(ledger.opening(chosen["plan_entry"])[1])  # type: ignore[index]
    del old["nonce_sha256"]
    old["plan_id"] = "before-nonces"
    key = signing_key(workspace, ledger.registry(), INSPECTORATE, None)
    receipt = sign_and_submit(
        ledger, Signer(INSPECTORATE, key), "inspection.plan", old, confidential=True
    )
    run(workspace, "inspection", "draw", str(receipt.index), "--format", "json")
    drawn = json.loads(capsys.readouterr().out)
    note = ledger.checkpoint_covering(receipt.index)
    assert base64.b64decode(drawn["seed"]) == seed_from_checkpoint(note)
    run(workspace, "inspection", "draw", str(receipt.index))
    assert "commits to no nonce" in capsys.readouterr().out
    attempt(7, workspace, "inspection", "verify-draw", str(receipt.index))
    assert "its draw was predictable" in capsys.readouterr().out
