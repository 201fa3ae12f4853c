"""The REST API on SQLite and PostgreSQL: log, proofs, submissions, parties, status, problems."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from accordwatch.log.keys import SigningKey
from accordwatch.log.note import Verifier
from accordwatch.log.receipt import Receipt
from accordwatch.service.api.app import create_app
from accordwatch.store.auditing import audit_database
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture
def log(workspace: Workspace) -> Log:
    log = Log.open(workspace)
    log.add_party("dprk", "declarant")
    log.add_party("usa", "party")
    log.add_party("monitor", "observer")
    return log


@pytest.fixture
def client(log: Log) -> TestClient:
    return TestClient(create_app(log.ws))


def assert_problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert "\n" not in body["detail"]
    for word in words:
        assert word in body["detail"], body
    return body


def test_log_info_entries_and_checkpoints(log: Log, client: TestClient) -> None:
    info = client.get("/api/log").json()
    size = log.ledger.size()
    assert info["origin"] == "test.local/log"
    assert info["size"] == size
    assert info["checkpoint"] == log.ledger.latest_checkpoint()
    assert Verifier.parse(info["log_key"]).text() == log.ledger.signer.verifier.text()

    listed = client.get("/api/log/entries", params={"start": 1, "limit": 2}).json()["items"]
    assert [e["index"] for e in listed] == [1, 2]
    assert listed[0]["record_type"] == "party.register"
    assert listed[0]["payload"]["name"] == "dprk"
    typed = client.get("/api/log/entries", params={"record_type": "key.register"}).json()["items"]
    assert [e["index"] for e in typed] == [2, 4, 6]

    one = client.get("/api/log/entries/1").json()
    raw = base64.b64decode(one["canonical"])
    assert raw == log.ledger.entry(1).envelope
    assert one["envelope"] == json.loads(raw)

    latest = client.get("/api/log/checkpoints/latest").json()
    assert latest["size"] == size and latest["note"] == log.ledger.latest_checkpoint()
    text = client.get("/api/log/checkpoints/latest.txt")
    assert text.text == latest["note"] and text.headers["content-type"].startswith("text/plain")
    assert client.get("/api/log/checkpoints/3").json()["note"] == log.ledger.checkpoint_at(3)
    assert_problem(client.get(f"/api/log/checkpoints/{size + 5}"), 404, f"size {size + 5}")


def test_inclusion_proof_is_the_cli_receipt_and_verifies(log: Log, client: TestClient) -> None:
    body = client.get("/api/log/entries/3/proof").json()
    receipt = Receipt.from_json(body)
    cp = receipt.verify(log.ledger.signer.verifier, log.ledger.entry(3).envelope)
    assert cp.size == log.ledger.size()
    # against an older checkpoint
    older = Receipt.from_json(client.get("/api/log/entries/3/proof?size=5").json())
    assert older.tree_size == 5
    older.verify(log.ledger.signer.verifier, log.ledger.entry(3).envelope)
    assert_problem(client.get("/api/log/entries/5/proof?size=5"), 404, "no log entry 5")
    assert_problem(client.get("/api/log/entries/2/proof?size=0"), 422, "size")


def test_consistency_proof(log: Log, client: TestClient) -> None:
    body = client.get("/api/log/consistency", params={"first": 2}).json()
    assert body["first"] == 2 and body["second"] == log.ledger.size()
    assert base64.b64decode(body["first_root"]) == log.ledger.root(2)
    assert base64.b64decode(body["second_root"]) == log.ledger.root()
    assert body["proof"]
    assert_problem(
        client.get("/api/log/consistency", params={"first": 5, "second": 3}), 422, "first"
    )
    assert_problem(client.get("/api/log/consistency"), 422, "first")


def test_submission_returns_a_receipt_and_a_retry_the_same(log: Log, client: TestClient) -> None:
    submission = log.seal("usa", "statement", {"subject": "hello"})
    before = log.ledger.size()
    first = client.post("/api/submissions", json=submission.to_json())
    assert first.status_code == 200, first.text
    receipt = Receipt.from_json(first.json())
    assert receipt.index == before
    receipt.verify(log.ledger.signer.verifier, submission.envelope.canonical)
    again = client.post("/api/submissions", json=submission.to_json())
    assert again.json() == first.json()
    assert log.ledger.size() == before + 1
    # a bare envelope is accepted too
    bare = log.seal("usa", "statement", {"subject": "bare"}).envelope.to_json()
    assert client.post("/api/submissions", json=bare).json()["index"] == before + 1


def test_bad_submissions_are_problems_and_store_nothing(log: Log, client: TestClient) -> None:
    size = log.ledger.size()
    good = log.seal("usa", "statement", {"subject": "x"}).to_json()

    json_type = {"Content-Type": "application/json"}
    assert_problem(
        client.post("/api/submissions", content=b"{nope", headers=json_type), 422, "malformed JSON"
    )
    assert_problem(client.post("/api/submissions", json=[1, 2]), 422)
    assert_problem(client.post("/api/submissions", json={"envelope": {}}), 422)

    tampered = json.loads(json.dumps(good))
    tampered["envelope"]["payload"]["subject"] = "y"
    assert_problem(client.post("/api/submissions", json=tampered), 401, "signature")

    stranger = SigningKey.generate()
    unknown = log.seal("nobody", "statement", {"subject": "x"}, key=stranger).to_json()
    assert_problem(client.post("/api/submissions", json=unknown), 404, "nobody")

    # an observer may not register parties: the signer's role is checked as in the CLI
    wrong = log.seal("monitor", "party.register", {"name": "x", "role": "party"}).to_json()
    body = assert_problem(client.post("/api/submissions", json=wrong), 403, "monitor")
    assert body["instance"] == "/api/submissions"
    assert log.ledger.size() == size


def test_parties_and_keys(log: Log, client: TestClient) -> None:
    parties = client.get("/api/parties").json()["items"]
    assert [p["name"] for p in parties] == ["registrar", "dprk", "usa", "monitor"]
    usa = client.get("/api/parties/usa").json()
    assert usa["role"] == "party"
    assert [k["key_id"] for k in usa["keys"]] == [log.keys["usa"].key_id]
    assert base64.b64decode(usa["keys"][0]["public_key"]) == log.keys["usa"].public_key
    assert usa["keys"][0]["active"] is True
    assert_problem(client.get("/api/parties/nobody"), 404, "nobody")


def test_status_endpoints_on_an_empty_road_map(client: TestClient) -> None:
    status = client.get("/api/roadmap/status", params={"as_of": "2021-03-01"}).json()
    assert status["as_of"] == "2021-03-01" and status["accord_id"] is None
    assert_problem(client.get("/api/roadmap/status", params={"as_of": "2021-13-01"}), 422, "as_of")
    violations = client.get("/api/compliance/violations", params={"as_of": "2020-01-01"}).json()
    assert violations["items"] == [] and violations["obligations"] > 0
    assert client.get("/api/compliance/responses").json()["items"] == []
    report = client.get("/api/compliance/report", params={"by": "missile"}).json()
    assert report["counted_per"] == "missile"
    assert_problem(client.get("/api/compliance/report", params={"by": "year"}), 422, "by")


def test_problem_shape_for_routing_and_validation(client: TestClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404, "/api/nothing-here")
    assert_problem(client.delete("/api/log"), 405)
    assert_problem(client.get("/api/log/entries", params={"limit": 0}), 422, "limit")
    assert_problem(client.get("/api/log/entries/abc"), 422, "index")
    assert_problem(client.get("/api/log/entries/999"), 404, "no log entry 999")


def test_openapi_documents_every_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "/api/log",
        "/api/log/entries",
        "/api/log/entries/{index}",
        "/api/log/entries/{index}/proof",
        "/api/log/consistency",
        "/api/log/checkpoints/latest",
        "/api/log/checkpoints/{size}",
        "/api/submissions",
        "/api/parties",
        "/api/parties/{name}",
        "/api/roadmap/status",
        "/api/compliance/violations",
        "/api/compliance/report",
        "/api/compliance/responses",
        "/api/declarations",
        "/api/declarations/{index}",
    ):
        assert path in paths, path
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_concurrent_submissions_get_distinct_gapless_indices(log: Log, client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from accordwatch.store.auditing import audit_database

    size = log.ledger.size()
    submissions = [log.seal("usa", "statement", {"subject": f"s{i}"}) for i in range(24)]

    def post(i: int) -> dict[str, Any]:
        response = client.post("/api/submissions", json=submissions[i].to_json())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(post, range(len(submissions))))
    assert sorted(r["index"] for r in receipts) == list(range(size, size + len(submissions)))
    for submission, body in zip(submissions, receipts, strict=True):
        Receipt.from_json(body).verify(log.ledger.signer.verifier, submission.envelope.canonical)
    assert audit_database(log.ledger).size == size + len(submissions)


def test_concurrent_submissions_each_get_their_own_receipt(log: Log) -> None:
    """Submissions arriving together are committed together, each with its own outcome."""
    now = utc_now()
    good = [
        json.dumps(log.seal("usa", "statement", {"subject": f"at once {i}"}, time=now).to_json())
        for i in range(40)
    ]
    bad = json.dumps(log.seal("usa", "declaration", {"subject": "not one"}, time=now).to_json())
    bodies = [*good[:20], bad, *good[20:], good[0]]  # one refused, one sent twice
    before = log.ledger.size()

    async def send_all() -> list[httpx.Response]:
        app = create_app(log.ws)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(
                *(
                    http.post(
                        "/api/submissions",
                        content=b,
                        headers={"content-type": "application/json"},
                    )
                    for b in bodies
                )
            )

    responses = asyncio.run(send_all())
    assert_problem(responses[20], 422, "declaration")
    receipts = [Receipt.from_json(r.json()) for r in responses if r.status_code == 200]
    assert len(receipts) == 41
    verifier = log.ledger.signer.verifier
    for r in receipts:
        r.verify(verifier)
    indices = [r.index for r in receipts]
    assert indices[-1] == indices[0]  # the repeat gets the first receipt
    assert sorted(set(indices)) == list(range(before, before + 40))
    assert log.ledger.size() == before + 40
    assert audit_database(log.ledger).size == before + 40
