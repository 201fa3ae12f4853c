"""Who sees what through the API: confidential payloads only for the roles allowed them.

Bearer tokens carry a party and its role; a declaration is read by its
declarant and every inspectorate, a confidential statement by its submitter
only, and nobody else sees either, whether one entry is asked for or a list.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.declarations.reading import document, parse_declaration
from accordwatch.log.roles import Role
from accordwatch.service.api.app import create_app
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import make_token
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log
from tests.test_api import assert_problem
from tests.test_declaration_check import example_doc

PARTIES = {
    "dprk": Role.DECLARANT,
    "iaea": Role.INSPECTORATE,
    "usa": Role.PARTY,
    "monitor": Role.OBSERVER,
}


@pytest.fixture
def log(workspace: Workspace) -> Log:
    log = Log.open(workspace)
    for name, role in PARTIES.items():
        log.add_party(name, role.value)
    declaration = {"declaration": document(parse_declaration(example_doc("dprk-nuclear")))}
    log.submit("dprk", "declaration", declaration, confidential=True)
    log.submit("usa", "statement", {"subject": "private note"}, confidential=True)
    log.submit("usa", "statement", {"subject": "public note"})
    return log


def _token(log: Log, party: str, role: Role, *, seed: int, days: int = 1) -> str:
    token = make_token(bytes([seed]) * 32)
    now = utc_now()
    store = TokenStore(log.ledger.engine, log.ledger.url)
    store.add(token, party, role, now - timedelta(days=2), now + timedelta(days=days))
    return token


@pytest.fixture
def client(log: Log) -> TestClient:
    return TestClient(create_app(log.ws))


def _as(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _seen(client: TestClient, token: str | None) -> dict[str, Any]:
    """What a bearer reads of the confidential entries, through every endpoint."""
    entries = client.get("/api/log/entries", headers=_as(token)).json()["items"]
    by_type = {(e["record_type"], e["confidential"]): e for e in entries}
    declaration = by_type[("declaration", True)]
    statement = by_type[("statement", True)]
    single = client.get(f"/api/log/entries/{declaration['index']}", headers=_as(token)).json()
    listed = client.get("/api/declarations", headers=_as(token)).json()["items"]
    one = client.get(f"/api/declarations/{declaration['index']}", headers=_as(token)).json()
    assert by_type[("statement", False)]["payload"] == {"subject": "public note"}
    return {
        "declaration": declaration["readable"],
        "declaration_single": single["readable"],
        "declaration_list": listed[0]["readable"],
        "declaration_one": one["readable"],
        "statement": statement["readable"],
        "payloads": (declaration["payload"], statement["payload"], listed[0]["declaration"]),
    }


@pytest.mark.parametrize(
    ("who", "declaration", "statement"),
    [
        (None, False, False),
        ("dprk", True, False),
        ("iaea", True, False),
        ("usa", False, True),
        ("monitor", False, False),
        ("registrar", False, False),
    ],
)
def test_each_role_sees_exactly_what_it_may(
    log: Log, client: TestClient, who: str | None, declaration: bool, statement: bool
) -> None:
    token = None
    if who is not None:
        role = PARTIES.get(who, Role.REGISTRAR)
        token = _token(log, who, role, seed=len(who))
    seen = _seen(client, token)
    assert seen["declaration"] is declaration
    assert seen["declaration_single"] is declaration
    assert seen["declaration_list"] is declaration
    assert seen["declaration_one"] is declaration
    assert seen["statement"] is statement
    decl_payload, statement_payload, listed = seen["payloads"]
    if declaration:
        assert decl_payload["declaration"] == listed
    else:
        assert decl_payload is None and listed is None
    assert (statement_payload == {"subject": "private note"}) is statement
    if not statement:
        assert statement_payload is None


def test_commitments_are_public_contents_are_not(log: Log, client: TestClient) -> None:
    entries = client.get("/api/log/entries", params={"record_type": "declaration"}).json()["items"]
    assert entries[0]["commitment"]
    assert entries[0]["payload"] is None
    body = client.get(f"/api/log/entries/{entries[0]['index']}").json()
    assert "payload" not in body["envelope"]
    assert body["envelope"]["commitment"] == entries[0]["commitment"]


def test_expired_revoked_unknown_and_malformed_tokens_are_refused(
    log: Log, client: TestClient
) -> None:
    expired = _token(log, "iaea", Role.INSPECTORATE, seed=7, days=-1)
    assert_problem(client.get("/api/declarations", headers=_as(expired)), 401, "expired")

    revoked = _token(log, "iaea", Role.INSPECTORATE, seed=8)
    store = TokenStore(log.ledger.engine, log.ledger.url)
    tid = next(g.token_id for g in store.all() if g.state(utc_now()) == "active")
    store.revoke(tid, utc_now())
    response = client.get("/api/log/entries", headers=_as(revoked))
    assert_problem(response, 401, "revoked")
    assert response.headers["www-authenticate"] == "Bearer"

    unknown = make_token(bytes(32))
    assert_problem(client.get("/api/declarations", headers=_as(unknown)), 401, "unknown")
    assert_problem(client.get("/api/declarations", headers=_as("not-a-token")), 401, "malformed")
    assert_problem(
        client.get("/api/declarations", headers={"Authorization": "Basic abc"}), 401, "Bearer"
    )
