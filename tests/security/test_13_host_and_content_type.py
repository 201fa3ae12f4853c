"""Item 13: `serve` answers only its own host names, and submissions only as JSON.

The attacks: DNS rebinding, where a page of `evil.example` (a name its owner
points at 127.0.0.1) asks the local server for its pages and JSON, which
arrive with `Host: evil.example`; and a cross-site form or `fetch` that
posts a signed envelope to `POST /api/submissions` as `text/plain` (which a
browser sends without asking the server first). A real `accordwatch serve`
refuses the foreign host on every kind of route, the hot reads among them,
with a 400 problem, answers the names it was told (`--allowed-host`, by
default the address it listens on and, for 127.0.0.1, `localhost`), and
refuses a submission that is not `application/json` with a 415 problem,
appending nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from accordwatch.service.api.app import create_app
from accordwatch.workspace import init_workspace
from tests.helpers import Log
from tests.security.served import serving

PATHS = [
    "/api/log",
    "/api/log/entries/0",  # the hot reads, ahead of FastAPI's routing
    "/api/log/checkpoints/latest",
    "/",
    "/overview.json",
    "/api/docs",
    "/openapi.json",
    "/static/style.css",
    "/no/such/page",
]


def _status(base: str, path: str, host: str) -> int:
    return httpx.get(base + path, headers={"Host": host}, timeout=10).status_code


def test_serve_refuses_foreign_host_names(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    init_workspace(home, origin="test.local/hosts")
    with serving(home) as server:
        port = server.port
        for path in PATHS:
            for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example"):
                response = httpx.get(server.base + path, headers={"Host": host}, timeout=10)
                assert response.status_code == 400, (path, host, response.status_code)
                assert response.headers["content-type"] == "application/problem+json"
                assert "host" in response.json()["detail"]
            for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
                assert _status(server.base, path, host) != 400, (path, host)
        # a POST from the rebound name is refused before it is read
        post = httpx.post(
            server.base + "/api/submissions",
            content=b"{}",
            headers={"Host": "evil.example", "Content-Type": "application/json"},
        )
        assert post.status_code == 400
    with serving(home, "--allowed-host", "accords.example") as server:
        assert _status(server.base, "/api/log", "accords.example") == 200
        assert _status(server.base, "/api/log/entries/0", "ACCORDS.example:443") == 200
        assert _status(server.base, "/api/log", "evil.example") == 400
        # the names given replace the default ones
        assert _status(server.base, "/api/log", f"127.0.0.1:{server.port}") == 400


def test_submissions_need_application_json(tmp_path: Path) -> None:
    log = Log.open(init_workspace(tmp_path / "ws", origin="test.local/types"))
    log.add_party("usa", "party")
    client = TestClient(create_app(log.ws))
    size = log.ledger.size()
    body = log.seal("usa", "statement", {"subject": "posted cross-site"}).to_json()
    text = json.dumps(body)
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None):
        headers = {"Content-Type": kind} if kind else {}
        response = client.post("/api/submissions", content=text, headers=headers)
        assert response.status_code == 415, (kind, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "application/json" in response.json()["detail"]
    assert log.ledger.size() == size
    ok = client.post(
        "/api/submissions",
        content=text,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200, ok.text
    assert log.ledger.size() == size + 1
