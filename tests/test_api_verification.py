"""Material balances and inspections through the API and the safeguards page, per reader.

On the demo's log (a plutonium store's confidential accountancy reports by
the declarant with a planted diversion, and the inspectorate's confidential
plan and report with one planted discrepancy, which it shares with the
declarant after the visit), each party reading on its own node's server with
a token of that node: anyone sees that the records exist; the declarant and
the inspectorate see the balances and the inspections; other parties,
observers and readers without a token (at the log's server) see no figure,
and nothing computed from a record reaches a reader who may not read it. A
second log with two declarants shows that each reads only the balances of its
own reports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.log.roles import Role
from accordwatch.service.api.app import create_app
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import make_token
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace
from tests.helpers import Log
from tests.test_api import assert_problem

STORE = "yb-pu-store"
EXAMPLES = files("accordwatch.examples")
ROLES = {
    "dprk": Role.DECLARANT,
    "iaea": Role.INSPECTORATE,
    "usa": Role.PARTY,
    "cns": Role.OBSERVER,
}
ENDPOINTS = ("/api/verification/balances", "/api/verification/inspections")


def _issue(ws: Workspace, party: str, role: Role, seed: int, *, days: int = 1) -> str:
    ledger = ws.ledger()
    token = make_token(bytes([seed]) * 32)
    now = utc_now()
    TokenStore(ledger.engine, ledger.url).add(
        token, party, role, now - timedelta(days=2), now + timedelta(days=days)
    )
    return token


class Readers:
    """Each party's node served, reached by the token a request carries; without one, the log's.

    A token is issued on its party's node, which alone holds what opens the
    records sealed to that party.
    """

    def __init__(
        self, log: TestClient, nodes: dict[str, TestClient], owners: dict[str, str]
    ) -> None:
        self.log, self.nodes, self.owners = log, nodes, owners

    def get(
        self,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        token = (headers or {}).get("Authorization", "").removeprefix("Bearer ")
        client = self.nodes[self.owners[token]] if token else self.log
        response: httpx.Response = client.get(path, headers=headers, params=params)
        return response


@dataclass(frozen=True)
class Demo:
    client: Readers
    home: Path
    tokens: dict[str, str]

    def node(self, party: str) -> Path:
        return Nodes(self.home).folder(party)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo's nodes served, each with a token of its party (the IAEA's with an expired and
    a revoked one too), and the log's."""
    home = tmp_path_factory.mktemp("verification") / "demo"
    main(["demo", "--home", str(home)])
    nodes = {p: Workspace.open(Nodes(home).folder(p)) for p in ROLES}
    tokens = {p: _issue(nodes[p], p, role, 100 + n) for n, (p, role) in enumerate(ROLES.items())}
    iaea = nodes["iaea"]
    tokens["expired"] = _issue(iaea, "iaea", Role.INSPECTORATE, 90, days=-1)
    tokens["revoked"] = _issue(iaea, "iaea", Role.INSPECTORATE, 91)
    store = TokenStore(iaea.ledger().engine, iaea.ledger().url)
    store.revoke(store.find(tokens["revoked"]).token_id, utc_now())
    owners = {token: who if who in ROLES else "iaea" for who, token in tokens.items()}
    clients = {p: TestClient(create_app(ws)) for p, ws in nodes.items()}
    log = TestClient(create_app(Workspace.open(home)))
    return Demo(Readers(log, clients, owners), home, tokens)


def _get(client: Readers, path: str, token: str | None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _public_only(record: dict[str, Any]) -> None:
    assert record["readable"] is False
    assert record["confidential"] is True
    assert "may not read it" in record["unreadable"]


@pytest.mark.parametrize("who", [None, "usa", "cns"])
def test_readers_without_rights_see_only_that_records_exist(demo: Demo, who: str | None) -> None:
    client, tokens = demo.client, demo.tokens
    token = tokens[who] if who else None
    balances = _get(client, "/api/verification/balances", token)
    assert balances["items"] == [] and balances["unavailable"] == []
    assert len(balances["records"]) == balances["withheld"] == 25
    for record in balances["records"]:
        _public_only(record)
        assert record["party"] == "dprk" and record["record_type"].startswith("accountancy.")
    inspections = _get(client, "/api/verification/inspections", token)
    kinds = [r["record_type"] for r in inspections["items"]]
    assert kinds == ["inspection.plan", "inspection.report"]
    assert inspections["withheld"] == 2 and inspections["accountancy_withheld"] == 25
    for record in inspections["items"]:
        _public_only(record)
        assert record["content"] is None and record["unavailable"] is None
        assert record.get("selection", record.get("comparison")) is None
        one = _get(client, f"/api/verification/inspections/{record['index']}", token)
        assert one == record
    # nothing of the content: not the balance area, an item, a figure or a finding
    text = json.dumps([balances, inspections])
    for secret in (STORE, "CAN-0", "muf", "findings", '"pu"'):
        assert secret not in text
    assert (balances["reader"] is None) is (who is None)


def test_the_inspectorate_sees_balances_alarms_and_the_discrepancy(
    demo: Demo,
) -> None:
    client, tokens = demo.client, demo.tokens
    balances = _get(client, "/api/verification/balances", tokens["iaea"])
    assert balances["reader"] == {"party": "iaea", "role": "inspectorate"}
    assert balances["withheld"] == 0
    assert all(r["readable"] and r["unreadable"] is None for r in balances["records"])
    [balance] = balances["items"]
    assert (balance["mba"], balance["material"], balance["period_count"]) == (STORE, "pu", 12)
    # the planted diversion: balances 8 to 10 alarm, Page's test from 9
    assert balance["alarms"]["muf"] == {"first": 8, "balances": [8, 9, 10]}
    assert balance["alarms"]["page"]["first"] == 9
    thresholds = balance["thresholds"]
    for i, sigma in enumerate(balance["sigma_muf"]):
        assert thresholds["muf"][i] == pytest.approx(3 * sigma)
        assert (balance["muf"][i] > thresholds["muf"][i]) is (i + 1 in [8, 9, 10])
    assert thresholds["page"] == [balance["h"]] * 12
    # every period rests on logged accountancy reports: its two listings at least
    accountancy = {r["index"] for r in balances["records"]}
    for period in balance["periods"]:
        assert len(period["entries"]) >= 2 and set(period["entries"]) <= accountancy

    inspections = _get(client, "/api/verification/inspections", tokens["iaea"])
    assert inspections["withheld"] == 0
    plan, report = inspections["items"]
    assert plan["content"]["mba"] == STORE and plan["unavailable"] is None
    assert plan["selection"]["plan_entry"] == plan["index"]
    assert sum(len(ids) for ids in plan["selection"]["selected"].values()) == 12
    comparison = report["comparison"]
    assert comparison["plan_entry"] == plan["index"]
    assert comparison["report_entry"] == report["index"]
    assert [(f["kind"], f["item_id"]) for f in comparison["findings"]] == [("missing", "CAN-016")]
    assert not any(d["significant"] for d in comparison["d_statistics"])
    for record in (plan, report):
        one = _get(client, f"/api/verification/inspections/{record['index']}", tokens["iaea"])
        assert one == record


def test_api_figures_are_those_of_the_commands(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same shapes and values as `accountancy balance` and `inspection compare` print."""
    client, tokens = demo.client, demo.tokens
    home = str(demo.node("iaea"))
    [balance] = _get(client, "/api/verification/balances", tokens["iaea"])["items"]
    capsys.readouterr()
    main(["--home", home, "accountancy", "balance", STORE, "--format", "json"])
    printed = json.loads(capsys.readouterr().out)
    # the command says which log it read, beside the figures
    assert printed.pop("known_at") and printed.pop("checkpoint")["size"] > 0
    assert printed.pop("simulated_clock") is True
    assert {k: v for k, v in balance.items() if k != "thresholds"} == printed
    plan, report = _get(client, "/api/verification/inspections", tokens["iaea"])["items"]
    main(["--home", home, "inspection", "compare", str(plan["index"]), "--format", "json"])
    assert report["comparison"] == json.loads(capsys.readouterr().out)
    main(["--home", home, "inspection", "draw", str(plan["index"]), "--format", "json"])
    assert plan["selection"] == json.loads(capsys.readouterr().out)


def test_the_declarant_sees_its_balances_and_the_inspections_shared_with_it(
    demo: Demo,
) -> None:
    client, tokens = demo.client, demo.tokens
    mine = _get(client, "/api/verification/balances", tokens["dprk"])
    theirs = _get(client, "/api/verification/balances", tokens["iaea"])
    assert mine["withheld"] == 0
    assert mine["items"] == theirs["items"]
    # the inspectorate shared its plan and report with the declarant after the visit
    inspections = _get(client, "/api/verification/inspections", tokens["dprk"])
    assert inspections["withheld"] == 0
    plan, report = inspections["items"]
    assert plan["content"]["mba"] == STORE
    findings = report["comparison"]["findings"]
    assert [(f["kind"], f["item_id"]) for f in findings] == [("missing", "CAN-016")]


@pytest.mark.parametrize("token", ["expired", "revoked"])
def test_expired_and_revoked_tokens_are_refused_everywhere(demo: Demo, token: str) -> None:
    client, tokens = demo.client, demo.tokens
    headers = {"Authorization": f"Bearer {tokens[token]}"}
    plan_index = _get(client, ENDPOINTS[1], None)["items"][0]["index"]
    paths = [*ENDPOINTS, f"/api/verification/inspections/{plan_index}"]
    paths += ["/safeguards.json", f"/safeguards.svg?mba={STORE}"]
    for path in paths:
        response = client.get(path, headers=headers)
        assert_problem(response, 401, token)
        assert response.headers["www-authenticate"] == "Bearer"


def test_bad_indices_are_problems(demo: Demo) -> None:
    client, tokens = demo.client, demo.tokens
    iaea = {"Authorization": f"Bearer {tokens['iaea']}"}
    for index in (0, 5, 10**9):
        assert_problem(
            client.get(f"/api/verification/inspections/{index}", headers=iaea),
            404,
            f"log entry {index} is not an inspection plan or report",
        )
    for bad in ("-1", "abc", str(1 << 60)):
        assert_problem(client.get(f"/api/verification/inspections/{bad}"), 422, "index")


def test_routes_declare_their_problems(demo: Demo) -> None:
    client = demo.client
    paths = client.get("/openapi.json").json()["paths"]
    for path in (*ENDPOINTS, "/api/verification/inspections/{index}"):
        responses = paths[path]["get"]["responses"]
        for status in ("401", "422"):
            assert "application/problem+json" in responses[status]["content"]
    assert "404" in paths["/api/verification/inspections/{index}"]["get"]["responses"]


# --- the dashboard page -----------------------------------------------------


def _unpaged(page: dict[str, Any], name: str) -> dict[str, Any]:
    """A one-page answer as the view it pages: its items under `name`."""
    assert page["next"] is None
    rest = {k: v for k, v in page.items() if k not in ("items", "limit", "next")}
    return {**rest, name: page["items"]}


@pytest.mark.parametrize("who", [None, "dprk", "iaea", "cns"])
def test_page_renders_its_twin(demo: Demo, who: str | None) -> None:
    client, tokens = demo.client, demo.tokens
    token = tokens[who] if who else None
    data = _get(client, "/safeguards.json", token)
    assert data["balances"] == _unpaged(_get(client, ENDPOINTS[0], token), "balances")
    assert data["inspections"] == _unpaged(_get(client, ENDPOINTS[1], token), "records")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    html = client.get("/safeguards", headers=headers)
    assert html.status_code == 200 and 'href="/safeguards.json"' in html.text
    confidential = "The figures are confidential." in html.text
    assert confidential is (who not in ("dprk", "iaea"))
    if who in (None, "cns"):
        assert "/signin?next=" in html.text and "accordwatch token issue" in html.text
        assert "every inspectorate party" in html.text
        assert 'class="balance-chart"' not in html.text and STORE not in html.text
    if who in ("dprk", "iaea"):
        assert f"/safeguards.svg?mba={STORE}&amp;material=pu" in html.text
        # each alarming balance with the day its period ends
        text = re.sub(r"<[^>]+>", "", html.text)
        assert re.search(r"alarm at balance 8 \(to [0-9-]+\), 9 \(to [0-9-]+\), 10 ", text)
    if who in ("dprk", "iaea"):
        assert "declared item CAN-016 was not found" in html.text


def test_chart_draws_the_alarm_thresholds_for_readers_only(
    demo: Demo,
) -> None:
    client, tokens = demo.client, demo.tokens
    chart = client.get(
        "/safeguards.svg",
        params={"mba": STORE},
        headers={"Authorization": f"Bearer {tokens['iaea']}"},
    )
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    svg = chart.text
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert svg.count("alarm above") >= 4  # MUF, CUMUF, SITMUF and Page each
    assert "first alarm: balance 8" in svg
    for who in (None, "usa", "cns"):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        response = client.get("/safeguards.svg", params={"mba": STORE}, headers=headers)
        assert_problem(response, 404, f"no accountancy report of MBA {STORE} is readable")
    assert_problem(client.get("/safeguards.svg", params={"mba": "No Such"}), 422, "mba")
    assert_problem(client.get("/safeguards.svg"), 422, "mba")
    response = client.get(
        "/safeguards.svg",
        params={"mba": STORE, "material": "heu"},
        headers={"Authorization": f"Bearer {tokens['iaea']}"},
    )
    assert_problem(response, 404, f"MBA {STORE} holds no heu")


# --- two declarants: each reads the balances of its own reports ---------------


def _reports(mba: str) -> list[tuple[str, dict[str, Any]]]:
    doc = yaml.safe_load(EXAMPLES.joinpath("dprk-accountancy.yaml").read_text("utf-8"))
    out = []
    for item in doc["reports"]:
        payload = {k: v for k, v in item.items() if k != "type"}
        payload.update(mba=mba, action="new", revision=1)
        out.append((f"accountancy.{item['type']}", payload))
    return out


def test_a_declarant_reads_only_the_balances_of_its_own_reports(workspace: Workspace) -> None:
    log = Log.open(workspace)
    for name, role in (("dprk", "declarant"), ("other", "declarant"), ("iaea", "inspectorate")):
        log.add_party(name, role)
    for party, mba in (("dprk", "store-a"), ("other", "store-b")):
        for rtype, payload in _reports(mba):
            log.submit(party, rtype, payload, confidential=True)
    client = TestClient(create_app(workspace))
    tokens = {
        p: _issue(workspace, p, Role(r), 40 + n)
        for n, (p, r) in enumerate(
            (("dprk", "declarant"), ("other", "declarant"), ("iaea", "inspectorate"))
        )
    }
    seen = {p: _get(client, ENDPOINTS[0], t) for p, t in tokens.items()}
    per_area = {b["mba"]: b for b in seen["iaea"]["items"]}
    assert sorted(per_area) == ["store-a", "store-b"] and seen["iaea"]["withheld"] == 0
    half = len(seen["iaea"]["records"]) // 2
    for party, mine, other in (("dprk", "store-a", "store-b"), ("other", "store-b", "store-a")):
        view = seen[party]
        assert [b["mba"] for b in view["items"]] == [mine]
        assert view["items"][0] == per_area[mine]
        assert view["withheld"] == half
        assert other not in json.dumps(view)
        assert "items" in view and view["unavailable"] == []
