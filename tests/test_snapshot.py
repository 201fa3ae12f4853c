"""A view reads the log at one signed checkpoint, whatever is appended while it reads."""

from __future__ import annotations

from typing import Any

from accordwatch.log.checkpoint import Checkpoint
from accordwatch.sources.compliance import compliance_records
from accordwatch.sources.snapshot import Snapshot
from accordwatch.workspace import Workspace
from tests.helpers import Log


def _response(n: int) -> dict[str, Any]:
    return {"to": [f"violation-{n}"], "kind": "diplomatic-protest", "on": "2019-05-10"}


def test_a_snapshot_reads_only_what_its_checkpoint_signs(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    log.submit("usa", "response", _response(1))
    snapshot = Snapshot.latest(log.ledger)
    size = snapshot.size
    log.submit("usa", "response", _response(2))

    # Appended after the snapshot was taken: not part of what it shows.
    assert [r.to for r in compliance_records(snapshot).responses] == [("violation-1",)]
    assert Checkpoint.open(snapshot.checkpoint, log.ledger.signer.verifier).size == size
    assert log.ledger.size() == size + 1
    later = Snapshot.latest(log.ledger)
    assert [r.to for r in compliance_records(later).responses] == [
        ("violation-1",),
        ("violation-2",),
    ]


def test_a_snapshot_reads_the_payloads_of_a_set_of_types_once(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    log.submit("usa", "response", _response(1))
    snapshot = Snapshot.latest(log.ledger)
    first = snapshot.payloads(("event", "response"))
    assert snapshot.payloads(("event", "response")) is first
    assert [p.index for p in first] == [p.index for p in snapshot.payloads(("response",))]


def test_rows_stop_at_the_checkpoint_too(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    snapshot = Snapshot.latest(log.ledger)
    log.submit("usa", "response", _response(1))
    assert [row.log_index for row in snapshot.rows()] == list(range(snapshot.size))
