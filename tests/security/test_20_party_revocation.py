"""Item 20: a revoked party's tokens stop working, it gets no new one, and it may submit nothing.

`accordwatch party revoke NAME --reason ...` (the registrar) ends a party. Its
key is revoked with it, its bearer token is refused with 401, `token issue`
refuses it, an envelope it signed before the revocation and submits after is
refused (over HTTP and on the command line), and everything it logged before
stays valid: the audit passes, after a rebuild of the projections too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_revoked_party_is_locked_out_and_its_past_stays_valid(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ["--home", str(workspace.home)]

    def run(*args: str) -> tuple[int, str, str]:
        return _run([*home, *args], capsys)

    assert run("party", "add", "usa", "--role", "party")[0] == 0
    assert run("key", "new", "--party", "usa")[0] == 0
    code, token, _ = run("token", "issue", "--party", "usa", "--role", "party", "--expires", "30d")
    assert code == 0
    token = token.strip()
    draft = tmp_path / "draft.yaml"
    draft.write_text("record_type: statement\npayload: {subject: before the end}\n")
    assert run("submit", str(draft), "--as", "usa")[0] == 0
    # signed while the party was in good standing, kept to be submitted afterwards
    later = tmp_path / "later.yaml"
    later.write_text("record_type: statement\npayload: {subject: after the end}\n")
    signed = tmp_path / "signed.json"
    assert run("envelope", "sign", str(later), "--as", "usa", "-o", str(signed))[0] == 0

    client = TestClient(create_app(workspace))
    bearer = {"Authorization": f"Bearer {token}"}
    with client:
        assert client.get("/api/verification/balances", headers=bearer).status_code == 200

        code, out, err = run("party", "revoke", "usa", "--reason", "withdrew from the accord")
        assert code == 0, err
        assert "revoked at log entry" in out

        # its token stops working, on the API and on the dashboard
        answer = client.get("/api/verification/balances", headers=bearer)
        assert answer.status_code == 401
        assert "revoked at log entry" in answer.json()["detail"]
        client.cookies.set("accordwatch_token", token)
        assert client.get("/declarations.json").status_code == 401
        client.cookies.clear()

        # an envelope it signed before, submitted now, is refused with one clear error
        answer = client.post(
            "/api/submissions",
            content=signed.read_bytes(),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 403
        assert "party 'usa' was revoked at log entry" in answer.json()["detail"]

    code, _, err = run("submit", str(signed))
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "party 'usa' was revoked at log entry" in lines[0]
    code, _, err = run("submit", str(draft), "--as", "usa")
    assert code != 0 and "revoked" in err and len(err.strip().splitlines()) == 1

    # no new token, and no new key that would bring it back
    code, out, err = run("token", "issue", "--party", "usa", "--role", "party", "--expires", "30d")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "was revoked" in err
    code, _, err = run("key", "new", "--party", "usa")
    assert code != 0 and "was revoked" in err

    # the token list and the party list say so
    code, out, _ = run("token", "list", "--format", "json")
    assert [t["state"] for t in json.loads(out)] == ["revoked"]
    code, out, _ = run("party", "list", "--json")
    usa = next(p for p in json.loads(out) if p["name"] == "usa")
    assert usa["revoked_at"] is not None and usa["active_keys"] == []
    assert usa["revoked_reason"] == "withdrew from the accord"

    # the registrar cannot be revoked, and a party cannot be revoked twice
    code, _, err = run("party", "revoke", workspace.settings.registrar, "--reason", "coup")
    assert code != 0 and "registrar cannot be revoked" in err
    code, _, err = run("party", "revoke", "usa", "--reason", "again")
    assert code != 0 and "already revoked" in err

    # what it logged before stays valid, and the projections rebuild to the same state
    code, out, err = run("log", "audit")
    assert code == 0, err
    assert run("rebuild")[0] == 0
    code, out, _ = run("party", "list", "--json")
    assert next(p for p in json.loads(out) if p["name"] == "usa")["revoked_at"] == usa["revoked_at"]
    assert run("log", "audit")[0] == 0
    exported = tmp_path / "log.jsonl"
    assert run("log", "export", str(exported))[0] == 0
    code, _, err = run("log", "audit", "--file", str(exported))
    assert code == 0, err


def test_only_the_registrar_revokes_a_party(workspace: Workspace, tmp_path: Path) -> None:
    from tests.helpers import Log

    log = Log.open(workspace)
    log.add_party("usa", "party")
    log.add_party("dprk", "declarant")
    envelope = log.seal("usa", "party.revoke", {"name": "dprk", "reason": "we say so"})
    body = json.dumps(envelope.to_json()).encode()
    with TestClient(create_app(workspace)) as client:
        answer = client.post(
            "/api/submissions", content=body, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 403
    assert "may not submit party.revoke" in answer.json()["detail"]
    assert workspace.ledger().registry().parties["dprk"].revoked_at is None
