"""Item 19: a log index in other digits than ASCII's.

`/api/log/entries/٤٩` (Arabic-Indic digits) was served as entry 49 by the
fast path ahead of the router, whose `int()` reads any Unicode digit, and
refused by the routed one. An index in a path is ASCII digits only, on both
paths, and both answer with the same problem. A request with a query string
never takes the fast path, so that is how the routed one is reached here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.service.api.app import create_app
from accordwatch.workspace import init_workspace
from tests.helpers import Log

# Arabic-Indic, Devanagari and fullwidth 49; then what int() and Pydantic read as 49
NOT_ASCII_DIGITS = ["٤٩", "४९", "\uff14\uff19", "+49", "4_9", "49.0", "%2049", "49%20", "-0"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    ws = init_workspace(Path(tmp_path_factory.mktemp("ws")) / "ws", origin="test.local/digits")
    log = Log.open(ws)
    log.add_party("usa", "party")
    for n in range(50):
        log.statement("usa", f"statement {n}")
    return TestClient(create_app(ws))


def _both(client: TestClient, path: str) -> tuple[Any, Any]:
    """The answer of the fast path and of the router, to the same request."""
    return client.get(path), client.get(path + "?via=router")


@pytest.mark.parametrize("index", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("suffix", ["", "/proof"])
def test_an_index_in_other_digits_is_refused_the_same_way_on_both_paths(
    client: TestClient, index: str, suffix: str
) -> None:
    fast, routed = _both(client, f"/api/log/entries/{index}{suffix}")
    for response in (fast, routed):
        assert response.status_code == 422, (index, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "index" in response.json()["detail"]
    assert fast.json() == routed.json()


@pytest.mark.parametrize("path", ["/api/log/checkpoints/٤٩", "/api/declarations/٤٩"])
def test_other_indices_in_paths_are_ascii_only_too(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 422


def test_ascii_indices_answer_alike_on_both_paths(client: TestClient) -> None:
    for path, status in [
        ("/api/log/entries/49", 200),
        ("/api/log/entries/049", 200),
        ("/api/log/entries/49/proof", 200),
        ("/api/log/entries/4900", 404),
        ("/api/log/entries/4900/proof", 404),
    ]:
        fast, routed = _both(client, path)
        assert fast.status_code == routed.status_code == status, (path, fast.text, routed.text)
        assert fast.json() == routed.json()
    assert client.get("/api/log/entries/49").json()["index"] == 49
