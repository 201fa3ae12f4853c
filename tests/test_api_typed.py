"""The API's schema types every answer, and its lists page, export CSV and refuse unknown filters.

Every operation under `/api` has a camelCase operationId, a description, a
response model and an example that the model accepts; no answer is an
untyped object. Every list pages with `limit` and a `next` link, answers
CSV when asked (`?format=csv` or `Accept: text/csv`), and a query parameter
an operation does not take is a 422 problem naming it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.service.api.app import create_app
from accordwatch.service.api.listing import csv_table, prefers_csv
from accordwatch.workspace import Workspace
from tests.helpers import Log

CAMEL = re.compile(r"(get|list|submit)[A-Z][A-Za-z]*")
LISTS = (
    "/api/log/entries",
    "/api/parties",
    "/api/declarations",
    "/api/compliance/violations",
    "/api/compliance/responses",
    "/api/verification/balances",
    "/api/verification/inspections",
)


@pytest.fixture
def log(workspace: Workspace) -> Log:
    log = Log.open(workspace)
    for name in ("dprk", "usa", "rok"):
        log.add_party(name, "party")
    for n in range(5):
        log.statement("usa", f"note {n}")
    return log


@pytest.fixture
def client(log: Log) -> TestClient:
    return TestClient(create_app(log.ws))


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        if path.startswith("/api/"):
            for method, operation in item.items():
                yield method.upper(), path, operation


def _untyped(node: Any, where: str) -> Iterator[str]:
    """Places in a schema that say "an object" and nothing of its members."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" not in node:
            extra = node.get("additionalProperties", True)
            if extra is True or extra == {}:
                yield where
        for key, value in node.items():
            yield from _untyped(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _untyped(value, f"{where}/{n}")


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with the schema's components beside it, so that its `$ref`s resolve."""
    return {**node, "components": schema["components"]}


def test_every_operation_is_named_described_typed_and_exemplified(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ids = []
    for method, path, operation in _operations(schema):
        label = f"{method} {path}"
        ids.append(operation["operationId"])
        assert CAMEL.fullmatch(operation["operationId"]), label
        assert operation.get("description", "").strip(), label
        content = operation["responses"]["200"]["content"]
        media = content.get("application/json") or content["text/plain"]
        assert "example" in media, label
        body = _resolved(schema, media["schema"])
        jsonschema.validate(media["example"], body)
        assert not list(_untyped(body, label)), label
        if path in LISTS:
            assert "text/csv" in content, label
            names = {p["name"] for p in operation["parameters"]}
            assert {"start", "limit", "format"} <= names, label
    assert len(ids) == len(set(ids)) > 15
    assert {"getLogEntry", "getInclusionProof", "listLogEntries", "submitEnvelope"} <= set(ids)
    # the components the answers refer to are typed too
    for name, component in schema["components"]["schemas"].items():
        assert not list(_untyped(component, name)), name


def test_every_list_pages_with_a_next_link(log: Log, client: TestClient) -> None:
    size = log.ledger.size()
    seen: list[int] = []
    url: str | None = "/api/log/entries?limit=4"
    while url is not None:
        answer = client.get(url)
        page = answer.json()
        assert page["limit"] == 4 and len(page["items"]) <= 4
        seen += [e["index"] for e in page["items"]]
        url = page["next"]
        assert (answer.headers.get("link") is None) is (url is None)
    assert seen == list(range(size))
    # a filter pages over what matches, not over the log's index
    typed = client.get("/api/log/entries", params={"record_type": "statement", "limit": 2}).json()
    assert [e["payload"]["subject"] for e in typed["items"]] == ["note 0", "note 1"]
    rest = client.get(typed["next"]).json()
    assert [e["payload"]["subject"] for e in rest["items"]] == ["note 2", "note 3"]
    parties = client.get("/api/parties", params={"limit": 2}).json()
    assert [p["name"] for p in parties["items"]] == ["registrar", "dprk"]
    assert parties["next"] == "/api/parties?limit=2&start=2"
    assert [p["name"] for p in client.get(parties["next"]).json()["items"]] == ["usa", "rok"]
    for path in LISTS:
        page = client.get(path).json()
        assert {"items", "limit", "next"} <= set(page), path


def test_lists_answer_csv_when_asked(client: TestClient) -> None:
    for asked in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        answer = client.get("/api/parties", **asked)
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [r["name"] for r in rows] == ["registrar", "dprk", "usa", "rok"]
        assert rows[1]["role"] == "party" and rows[1]["revoked_at"] == ""
    entries = client.get("/api/log/entries", params={"format": "csv", "limit": 3})
    assert entries.headers["link"] == '</api/log/entries?format=csv&limit=3&start=3>; rel="next"'
    header = next(csv.reader(io.StringIO(entries.text)))
    assert "payload.name" in header and "leaf_hash" in header
    for path in LISTS:
        answer = client.get(path, params={"format": "csv"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    # JSON stays the default, and wins when ranked higher
    assert client.get("/api/parties", headers={"Accept": "*/*"}).json()["items"]
    assert not prefers_csv("application/json, text/csv;q=0.5")
    assert prefers_csv("text/csv, application/json;q=0.9")


def test_csv_cells_flatten_nested_values() -> None:
    text = csv_table(
        [
            {"a": 1, "b": {"c": None, "d": True}, "e": ["x", 2], "f": [{"g": 1}]},
            {"a": 2, "h": "late"},
            {"a": -1.5, "h": "=HYPERLINK(1)", "e": ["-2", "@x"]},
        ]
    )
    assert text.splitlines() == [
        "a,b.c,b.d,e,f,h",
        '1,,true,x 2,"[{""g"":1}]",',
        "2,,,,,late",
        "-1.5,,,'-2 @x,,'=HYPERLINK(1)",
    ]


def test_unknown_or_repeated_query_parameters_are_refused(client: TestClient) -> None:
    answer = client.get("/api/compliance/violations", params={"yeer": 2019})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    detail = answer.json()["detail"]
    assert "unknown query parameter 'yeer'" in detail and "did you mean 'year'" in detail
    twice = client.get("/api/log/entries?limit=2&limit=3")
    assert twice.status_code == 422 and "'limit' is given 2 times" in twice.json()["detail"]
    for path in ("/api/log", "/api/log/entries/1", "/api/parties/usa", "/api/compliance/report"):
        refused = client.get(path, params={"nonsense": "1"})
        assert refused.status_code == 422 and "'nonsense'" in refused.json()["detail"], path
    assert client.get("/api/log/entries/1/proof", params={"size": 3}).status_code == 200


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    home = tmp_path_factory.mktemp("typed") / "demo"
    main(["demo", "--home", str(home)])
    return TestClient(create_app(Workspace.open(home)))


def test_violations_filter_by_year_and_pages_read_one_checkpoint(demo: TestClient) -> None:
    every = demo.get("/api/compliance/violations", params={"limit": 1000}).json()
    years = {v["date"][:4] for v in every["items"]}
    assert "2019" in years and len(years) > 1
    in_2019 = demo.get("/api/compliance/violations", params={"year": 2019, "limit": 1000}).json()
    assert in_2019["items"] == [v for v in every["items"] if v["date"].startswith("2019-")]
    first = demo.get("/api/compliance/violations", params={"year": 2019, "limit": 2}).json()
    assert first["items"] == in_2019["items"][:2]
    size = every["checkpoint"]["size"]
    assert first["next"] == (
        f"/api/compliance/violations?year=2019&limit=2&as_of={every['as_of']}"
        f"&log_size={size}&start=2"
    )
    second = demo.get(first["next"]).json()
    assert second["items"] == in_2019["items"][2:4] and second["checkpoint"]["size"] == size
    non_binding = demo.get("/api/compliance/violations", params={"binding": False}).json()
    assert all(not v["binding"] for v in non_binding["items"])
