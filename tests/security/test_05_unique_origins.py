"""Item 5: an envelope signed for one log is refused by another.

An envelope names its log by origin, and a log refuses envelopes for
another origin. The demo used one fixed origin, so every demo log took the
envelopes of every other: a party that holds one key in two demo logs (as a
party keeps its key across logs) had its statement to one log replayed into
the other. Each demo now takes a random origin, as `init` does.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import typer.main
from fastapi.testclient import TestClient

from accordwatch.cli import app, main
from accordwatch.cli.demo import log_and_keys
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.cli.demo.shell import Shell
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace
from tests.helpers import Log


def _logged(home: Path) -> log_and_keys.Logged:
    """The demo's first steps: its log at `home`, the parties' keys in their folders beside."""
    return log_and_keys.run(home, Nodes(home), Shell(typer.main.get_command(app), home))


def test_two_demo_logs_refuse_each_others_envelopes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _logged(tmp_path / "demo-a")
    second = _logged(tmp_path / "demo-b")
    capsys.readouterr()

    # usa signs a statement for the first log with its key...
    statement = next(
        e
        for e in first.ledger.entries(0, first.ledger.size())
        if e.record_type == "statement" and e.party == "usa"
    )
    envelope = json.loads(statement.envelope)
    # ...a key it also holds, registered for it in the second log
    other = Log.open(Workspace.open(tmp_path / "demo-b"))
    other.submit(
        other.ws.settings.registrar,
        "key.register",
        {
            "party": "usa",
            "key_id": first.keys["usa"].key_id,
            "public_key": base64.b64encode(first.keys["usa"].public_key).decode(),
        },
    )
    assert envelope["key_id"] == first.keys["usa"].key_id
    size = second.ledger.size()

    client = TestClient(create_app(other.ws))
    response = client.post(
        "/api/submissions",
        content=json.dumps(envelope),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert f"envelope is for log {first.ledger.origin!r}" in detail, detail
    assert other.ledger.size() == size
    assert first.ledger.origin != second.ledger.origin


def test_init_and_the_demo_each_take_a_fresh_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origins = set()
    for name in ("one", "two"):
        main(["--home", str(tmp_path / name), "init"])
        origins.add(Workspace.open(tmp_path / name).settings.origin)
    origins.add(_logged(tmp_path / "demo").ledger.origin)
    assert len(origins) == 3
