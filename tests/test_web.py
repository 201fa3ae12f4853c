"""The dashboard pages: each renders, agrees with its JSON twin, fetches nothing from outside."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.log.merkle import leaf_hash
from accordwatch.log.receipt import Receipt
from accordwatch.service.api.app import create_app
from accordwatch.service.web import pages
from accordwatch.workspace import Workspace
from tests.helpers import Log

AS_OF = "2021-03-01"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The demo scenario's log (road map, findings on both sides, the shipped events), served."""
    home = tmp_path_factory.mktemp("demo") / "ws"
    main(["demo", "--home", str(home)])
    return TestClient(create_app(Workspace.open(home)))


@pytest.fixture
def small(workspace: Workspace) -> TestClient:
    log = Log.open(workspace)
    log.add_party("usa", "party")
    log.statement("usa", "hello")
    return TestClient(create_app(workspace))


def test_overview_page_and_twin(demo: TestClient) -> None:
    data = demo.get("/overview.json", params={"as_of": AS_OF}).json()
    assert data["as_of"] == AS_OF
    assert data["accord"]["title"].startswith("Road map")
    sides = {p["id"]: p for p in data["parties"]}
    assert {"dprk", "usa"} <= set(sides)
    assert any(p["next_deadlines"] for p in data["parties"])
    assert data["findings"], "the demo has findings on both sides"
    assert data["log"]["size"] > 0

    html = demo.get("/", params={"as_of": AS_OF})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = html.text
    assert data["accord"]["title"] in text
    assert f"size {data['log']['size']}" in text
    for party in data["parties"]:
        for d in party["next_deadlines"]:
            assert d["step"] in text
    assert f'href="/overview.json?as_of={AS_OF}"' in text


def test_roadmap_page_chart_and_twin(demo: TestClient) -> None:
    data = demo.get("/roadmap.json", params={"as_of": AS_OF}).json()
    assert data["in_force"] is not None and data["steps"]
    text = demo.get("/roadmap", params={"as_of": AS_OF}).text
    for step in data["steps"]:
        assert step["title"] in text
    assert f'src="/roadmap.svg?as_of={AS_OF}"' in text
    chart = demo.get("/roadmap.svg", params={"as_of": AS_OF})
    assert chart.headers["content-type"] == "image/svg+xml"
    assert chart.content.lstrip().startswith(b"<?xml") and b"<svg" in chart.content
    # the accord's consequences, as of the date, with their entries
    occasions = {o["id"]: o for c in data["consequences"]["consequences"] for o in c["occasions"]}
    assert set(occasions) == {"enforce-sanctions/2021-01-30", "resume-exercises/2021-02-15"}
    assert '<h2 id="consequences">Consequences</h2>' in text
    for o in occasions.values():
        assert o["id"] in text and o["state"] == "open"
        assert all(
            f'<a class="entry" href="/explorer?index={i}">#{i}</a>' in text for i in o["entries"]
        )
    later = demo.get("/roadmap.json", params={"as_of": "2021-12-31"}).json()
    assert later["consequences"]["totals"]["concessions_while_suspended"] == 1
    assert "concession while suspended" in {f["kind"] for f in later["findings"]}
    overview = demo.get("/", params={"as_of": "2021-12-31"}).text
    assert "2 consequence(s) of the accord triggered</a>, 2 without a response" in overview
    before = demo.get("/roadmap.svg", params={"as_of": "2010-01-01"})
    assert before.status_code == 404 and "no accord is in force" in before.json()["detail"]


def test_compliance_page_chart_and_twin(demo: TestClient) -> None:
    data = demo.get("/compliance.json").json()
    assert data["totals"]["violations"] > 0
    text = demo.get("/compliance").text
    for row in data["by_year"]["rows"]:
        assert f"<td>{row['year']}</td>" in text
    cited = {
        e["log_index"]
        for event in data["events"]
        for v in event["violations"]
        for e in v["evidence"]
        if e["log_index"] is not None
    }
    assert cited and all(f'href="/explorer?index={i}"' in text for i in cited)
    chart = demo.get("/compliance.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and b"<svg" in chart.content
    before = demo.get("/compliance", params={"as_of": "2000-01-01"}).text
    assert "No violations as of 2000-01-01." in before


def test_explorer_gives_what_the_browser_checks(small: TestClient, workspace: Workspace) -> None:
    ledger = workspace.ledger()
    last = ledger.size() - 1
    data = small.get("/explorer.json", params={"index": last}).json()
    raw = base64.b64decode(data["entry"]["canonical"])
    assert raw == ledger.entry(last).envelope
    receipt = Receipt.from_json(data["receipt"])
    assert receipt.leaf_hash == leaf_hash(raw)
    assert receipt.checkpoint == data["log"]["checkpoint"]
    receipt.verify(ledger.signer.verifier, raw)

    text = small.get("/explorer", params={"index": last}).text
    assert 'id="explorer-data"' in text and '<script src="/static/verify.js">' in text
    assert data["log"]["log_key"] in text
    empty = small.get("/explorer").text
    assert "verify.js" not in empty and "holds" in empty
    missing = small.get("/explorer", params={"index": last + 1})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_overview_of_a_log_without_an_accord(small: TestClient) -> None:
    data = small.get("/overview.json").json()
    assert data["accord"] is None and data["parties"] == [] and data["findings"] == []
    assert "No accord has been signed" in small.get("/").text


def test_static_files_are_served_and_nothing_is_fetched_from_outside(small: TestClient) -> None:
    assert small.get("/static/style.css").headers["content-type"].startswith("text/css")
    assert "crypto.subtle" in small.get("/static/verify.js").text
    web = Path(pages.__file__).parent
    for path in [*web.glob("templates/*.html"), *web.glob("static/*")]:
        text = path.read_text("utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "@import" not in text, path
        # the one request a page's script makes is to this same server, by a relative path
        for call in re.findall(r"fetch\(\s*(\S+)", text):
            assert re.match(r"[`\"']/api/", call), (path, call)
    assert re.search(r"fetch\(`/api/log/consistency\?", (web / "static/verify.js").read_text())
