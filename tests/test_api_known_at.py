"""The API's views read the checkpoint they are asked for, and say which, with both dates."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accordwatch.service.api.app import create_app
from accordwatch.workspace import Workspace
from tests.helpers import Log

VIEWS = ("/api/roadmap/status", "/api/compliance/violations", "/api/compliance/report")


def test_a_view_at_a_log_size_does_not_change_when_the_log_grows(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    log.statement("usa", "before")
    size = log.ledger.size()
    client = TestClient(create_app(workspace))
    before = {
        v: client.get(v, params={"as_of": "2030-01-01", "log_size": size}).json() for v in VIEWS
    }
    log.statement("usa", "after")
    for view, answer in before.items():
        assert answer["checkpoint"]["size"] == size, view
        assert answer["as_of"] == "2030-01-01" and answer["known_at"] is None
        again = client.get(view, params={"as_of": "2030-01-01", "log_size": size}).json()
        assert again == answer, view
        latest = client.get(view, params={"as_of": "2030-01-01"}).json()
        assert latest["checkpoint"]["size"] == size + 1, view


def test_known_at_names_its_day_and_bad_options_are_problems(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    client = TestClient(create_app(workspace))
    today = workspace.clock().date().isoformat()
    answer = client.get(VIEWS[0], params={"known_at": today}).json()
    assert answer["known_at"] == today
    assert answer["checkpoint"]["size"] == log.ledger.size()
    both = client.get(VIEWS[1], params={"known_at": today, "log_size": 1})
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    assert client.get(VIEWS[1], params={"known_at": "2021-13-01"}).status_code == 422
    assert client.get(VIEWS[2], params={"log_size": 10_000}).status_code == 404
