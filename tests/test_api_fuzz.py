"""Every documented route, given arbitrary parameters, answers without a server error.

The routes and their parameters come from the OpenAPI schema itself; the
values are drawn by Hypothesis (numbers far out of range, odd text, bodies
that are not submissions). Each answer is a success or a problem-details
body, never a 500.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accordwatch.service.api.app import create_app
from accordwatch.workspace import init_workspace
from tests.helpers import Log

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    ws = init_workspace(tmp_path_factory.mktemp("fuzz") / "ws", origin="test.local/fuzz")
    log = Log.open(ws)
    log.add_party("usa", "party")
    log.statement("usa", "public")
    log.statement("usa", "secret", confidential=True)
    return TestClient(create_app(ws), raise_server_exceptions=False)


VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=30),
    st.sampled_from(["2021-03-01", "2021-02-30", "event", "missile", "0", "-1", "", "%00"]),
)


def _get_routes(schema: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (path, ops["get"].get("parameters", []))
        for path, ops in sorted(schema["paths"].items())
        if "get" in ops
    ]


def _check(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == PROBLEM_KEYS
        assert body["status"] == response.status_code


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_get_routes_never_fail_with_a_server_error(client: TestClient, data: Any) -> None:
    routes = _get_routes(client.get("/openapi.json").json())
    path, parameters = data.draw(st.sampled_from(routes))
    query: dict[str, str] = {}
    for p in parameters:
        if p["in"] == "path":
            value = data.draw(VALUES)
            path = path.replace("{" + p["name"] + "}", quote(str(value), safe="") or "x")
        elif data.draw(st.booleans()):
            query[p["name"]] = str(data.draw(VALUES))
    _check(client.get(path, params=query))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["envelope", "opening", "signature", "payload", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=10,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_submissions_of_junk_are_problems(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/submissions", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (401, 403, 404, 409, 413, 422), response.text
    _check(response)
