"""Item 19: a log index in other digits than ASCII's.

`/api/log/entries/٤٩` (Arabic-Indic digits) was served as entry 49 by the
fast path ahead of the router, whose `int()` reads any Unicode digit, and
refused by the routed one. An index in a path is ASCII digits only, on both
paths, and both answer with the same problem. The routed path is reached
here through a second application over the same workspace, built without
the fast path (a query string would reach it too, but every query parameter
these routes do not take is refused before the index is read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.service.api.app import create_app
from accordwatch.service.api.hot_reads import HotReads
from accordwatch.workspace import Workspace, init_workspace
from tests.helpers import Log

# Arabic-Indic, Devanagari and fullwidth 49; then what int() and Pydantic read as 49
NOT_ASCII_DIGITS = ["٤٩", "४९", "\uff14\uff19", "+49", "4_9", "49.0", "%2049", "49%20", "-0"]


@pytest.fixture(scope="module")
def workspace_of_50(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(Path(tmp_path_factory.mktemp("ws")) / "ws", origin="test.local/digits")
    log = Log.open(ws)
    log.add_party("usa", "party")
    for n in range(50):
        log.statement("usa", f"statement {n}")
    return ws


@pytest.fixture(scope="module")
def client(workspace_of_50: Workspace) -> TestClient:
    return TestClient(create_app(workspace_of_50))


@pytest.fixture(scope="module")
def routed(workspace_of_50: Workspace) -> TestClient:
    """A client of the same service without the fast path: every request goes to the router."""
    app = create_app(workspace_of_50)
    fast: object = HotReads
    app.user_middleware = [m for m in app.user_middleware if m.cls is not fast]
    return TestClient(app)


def _both(client: TestClient, routed: TestClient, path: str) -> tuple[Any, Any]:
    """The answer of the fast path and of the router, to the same request."""
    return client.get(path), routed.get(path)


@pytest.mark.parametrize("index", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("suffix", ["", "/proof"])
def test_an_index_in_other_digits_is_refused_the_same_way_on_both_paths(
    client: TestClient, routed: TestClient, index: str, suffix: str
) -> None:
    fast, other = _both(client, routed, f"/api/log/entries/{index}{suffix}")
    for response in (fast, other):
        assert response.status_code == 422, (index, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "index" in response.json()["detail"]
    assert fast.json() == other.json()


@pytest.mark.parametrize("path", ["/api/log/checkpoints/٤٩", "/api/declarations/٤٩"])
def test_other_indices_in_paths_are_ascii_only_too(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 422


def test_ascii_indices_answer_alike_on_both_paths(client: TestClient, routed: TestClient) -> None:
    for path, status in [
        ("/api/log/entries/49", 200),
        ("/api/log/entries/049", 200),
        ("/api/log/entries/49/proof", 200),
        ("/api/log/entries/4900", 404),
        ("/api/log/entries/4900/proof", 404),
    ]:
        fast, other = _both(client, routed, path)
        assert fast.status_code == other.status_code == status, (path, fast.text, other.text)
        assert fast.json() == other.json()
    assert client.get("/api/log/entries/49").json()["index"] == 49
