"""Item 18: bad submissions slowing good ones down.

Submissions that arrive together share one transaction (a group commit).
One bad member used to fail the group, which then went back to one
transaction per submission: an attacker interleaving bad signatures with
other clients' good submissions nearly halved the log's throughput. A bad
signature is now refused before the group is formed, anything else bad is
refused alone inside it, and the good submissions still share a transaction.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from accordwatch.log.envelope import Submission
from accordwatch.log.receipt import Receipt
from accordwatch.service.api.app import create_app
from accordwatch.store.auditing import audit_database
from accordwatch.store.schema import checkpoints
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log


def _forged(submission: Submission) -> str:
    """The envelope with one bit of its signature flipped, spelled canonically."""
    obj = submission.envelope.to_json()
    raw = bytearray(base64.b64decode(obj["signature"]))
    raw[10] ^= 1
    obj["signature"] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(obj)


def _transactions(log: Log) -> int:
    """Each append transaction signs one checkpoint, which anyone may fetch."""
    with log.ledger.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(checkpoints)).scalar_one())


def test_interleaved_bad_submissions_are_refused_alone(workspace: Workspace) -> None:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    now = utc_now()
    good = [log.seal("usa", "statement", {"subject": f"good {i}"}, time=now) for i in range(40)]
    forged = [
        _forged(log.seal("usa", "statement", {"subject": f"forged {i}"}, time=now))
        for i in range(40)
    ]
    # a signature that verifies over a payload the record type refuses
    malformed = [
        json.dumps(log.seal("usa", "statement", {"text": f"no subject {i}"}, time=now).to_json())
        for i in range(4)
    ]
    bodies: list[str] = []
    for i, submission in enumerate(good):
        bodies += [json.dumps(submission.to_json()), forged[i]]
        if i % 10 == 5:
            bodies.append(malformed[i // 10])
    size, transactions = log.ledger.size(), _transactions(log)

    app = create_app(log.ws)
    batches: list[int] = []
    ledger = app.state.service.ledger
    submit_many = ledger.submit_many

    def counting(submissions: Sequence[Submission], **kw: Any) -> Any:
        batches.append(len(submissions))
        if len(batches) == 1:
            time.sleep(0.5)  # a busy log: the other requests queue up meanwhile
        return submit_many(submissions, **kw)

    ledger.submit_many = counting

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(
                *(
                    http.post(
                        "/api/submissions",
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    for body in bodies
                )
            )

    responses = asyncio.run(send_all())
    by_body = dict(zip(bodies, responses, strict=True))

    verifier = log.ledger.signer.verifier
    receipts = []
    for submission in good:
        response = by_body[json.dumps(submission.to_json())]
        assert response.status_code == 200, response.text
        receipt = Receipt.from_json(response.json())
        receipt.verify(verifier, submission.envelope.canonical)
        receipts.append(receipt)
    assert sorted(r.index for r in receipts) == list(range(size, size + len(good)))
    for body in forged:
        response = by_body[body]
        assert response.status_code == 401, response.text
        assert "signature does not verify" in response.json()["detail"]
    for body in malformed:
        response = by_body[body]
        assert response.status_code == 422, response.text
        assert "subject" in response.json()["detail"]

    assert log.ledger.size() == size + len(good)
    assert audit_database(log.ledger).size == size + len(good)
    # the good ones shared a few transactions; the refused took none of their own
    used = _transactions(log) - transactions
    assert used <= 3, (used, batches)
    # no forged signature ever joined a group
    assert sum(batches) == len(good) + len(malformed), batches


def test_checking_ahead_with_an_older_registry_refuses_nothing_the_log_accepts(
    workspace: Workspace,
) -> None:
    """Another process registers a key and revokes one: the service follows the log."""
    log = Log.open(workspace)
    log.add_party("usa", "party")
    client = TestClient(create_app(log.ws))
    first = client.post(
        "/api/submissions", json=log.seal("usa", "statement", {"subject": "a"}).to_json()
    )
    assert first.status_code == 200, first.text  # the service now holds the registry

    # another writer (a second worker, the command line) changes the registry
    log.add_party("rok", "party")
    old = log.keys["usa"]
    log.submit(log.ws.settings.registrar, "key.revoke", {"party": "usa", "key_id": old.key_id})

    newcomer = client.post(
        "/api/submissions", json=log.seal("rok", "statement", {"subject": "b"}).to_json()
    )
    assert newcomer.status_code == 200, newcomer.text
    revoked = client.post(
        "/api/submissions", json=log.seal("usa", "statement", {"subject": "c"}, key=old).to_json()
    )
    assert revoked.status_code == 403, revoked.text
    assert "revoked" in revoked.json()["detail"]
    assert "#" not in revoked.json()["detail"]
