"""The dashboard tells one story: the overview's figures are the detail pages' own.

Over the demo's IAEA node, as its staff and its visitors see its dashboard:
every figure of the overview equals the one on the page that details it (road
map, compliance, safeguards, for each visitor), says what it counts and links
there; its latest violations are certain
events; it shows the log's health and the last audit; the log explorer
pages, filters and shows content as the visitor may read it; every `#N`
links to the explorer; each table's CSV holds the page's rows.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from accordwatch.service.api.app import create_app
from accordwatch.store.audit_record import AUDIT_FILE
from accordwatch.workspace import Workspace

AS_OF = "2021-03-01"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("dashboard") / "ws"
    main(["demo", "--home", str(log)])
    return Nodes(log).folder("iaea")  # it opens what is sealed to the IAEA


@pytest.fixture(scope="module")
def client(home: Path) -> TestClient:
    return TestClient(create_app(Workspace.open(home)))


@pytest.fixture(scope="module")
def inspectorate(home: Path) -> dict[str, str]:
    token = (home / "inspectorate.token").read_text().strip()
    return {"Authorization": f"Bearer {token}"}


def _json(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params={k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_overview_figures_are_the_detail_pages_figures(
    client: TestClient, as_of: str | None
) -> None:
    overview = _json(client, "/overview.json", as_of=as_of)
    roadmap = _json(client, "/roadmap.json", as_of=as_of)
    compliance = _json(client, "/compliance.json", as_of=as_of)
    day = overview["as_of"]

    rm = overview["roadmap"]
    assert rm["counts"] == roadmap["counts"] and rm["steps"] == len(roadmap["steps"])
    assert rm["findings"] == len(roadmap["findings"]) and rm["counted_per"] == "step"
    assert rm["link"] == f"/roadmap?as_of={day}"

    vi = overview["violations"]
    totals = compliance["totals"]
    assert vi["counted_per"] == compliance["counted_per"] == "event"
    for key in ("violations", "uncertain", "answered", "late", "unanswered", "open"):
        assert vi[key] == totals[key], key
    assert vi["link"] == f"/compliance?as_of={day}"
    # the latest violations are the compliance page's latest certain events, newest first
    certain = [e for e in compliance["events"] if e["status"] == "violation"]
    latest = [(v["date"], v["occurrence"], v["evidence"]) for v in vi["latest"]]
    expected = [(e["date"], e["occurrence"], e["evidence_entries"]) for e in certain[-5:]]
    assert latest == expected[::-1]

    text = client.get("/", params={"as_of": day}).text
    figures = dict(re.findall(r'data-figure="(\w+)">(\d+)<', text))
    assert figures["violations"] == str(totals["violations"])
    assert figures["uncertain"] == str(totals["uncertain"])
    assert figures["findings"] == str(len(roadmap["findings"]))
    assert figures["overdue"] == str(roadmap["counts"]["overdue"])
    assert f'href="/compliance?as_of={day}"' in text and f'href="/roadmap?as_of={day}"' in text
    assert ": cns-demo" not in text  # the list names each event by its date and id
    for v in vi["latest"]:
        assert f'href="/compliance?as_of={day}#event-{v["occurrence"]}"' in text
        assert f'id="event-{v["occurrence"]}"' in client.get(vi["link"]).text


def test_the_demo_counts_events_not_pairs(client: TestClient) -> None:
    """The overview once said 183 (event x obligation pairs) beside the page's 20 events."""
    overview = _json(client, "/overview.json")
    compliance = _json(client, "/compliance.json")
    assert overview["violations"]["violations"] == compliance["totals"]["violations"] == 20
    assert overview["violations"]["uncertain"] == compliance["totals"]["uncertain"] == 2
    uncertain = {e["occurrence"] for e in compliance["events"] if e["status"] == "uncertain"}
    assert uncertain and not uncertain & {v["occurrence"] for v in overview["violations"]["latest"]}
    text = client.get("/").text
    assert "uncertain event(s), not counted as violations" in text


def test_safeguards_alarms_are_the_safeguards_pages(
    client: TestClient, inspectorate: dict[str, str]
) -> None:
    # without a token: the reports are confidential, and the overview says so
    anonymous = _json(client, "/overview.json")["safeguards"]
    page = _json(client, "/safeguards.json")
    assert anonymous["alarms"] == [] and anonymous["withheld"] == page["balances"]["withheld"] > 0
    assert "sign in</a> as a party that may read them" in client.get("/").text

    seen = client.get("/overview.json", headers=inspectorate).json()["safeguards"]
    page = client.get("/safeguards.json", headers=inspectorate).json()
    expected = {
        (b["mba"], b["material"], name, tuple(a["balances"]))
        for b in page["balances"]["balances"]
        for name, a in b["alarms"].items()
        if a["balances"]
    }
    assert expected, "the demo's balance alarms"
    assert {
        (a["mba"], a["material"], a["statistic"], tuple(a["balances"])) for a in seen["alarms"]
    } == expected
    assert seen["balances_shown"] == len(page["balances"]["balances"])
    text = client.get("/", headers=inspectorate).text
    assert 'data-figure="alarms">' + str(len(expected)) in text
    # the bearer's page is never kept for the next visitor
    assert 'data-figure="alarms"' not in client.get("/").text


def test_next_deadlines_say_when_every_deadline_has_passed(client: TestClient) -> None:
    late = _json(client, "/overview.json", as_of="2030-01-01")
    by_party = {p["id"]: p for p in late["parties"]}
    dprk = by_party["dprk"]
    assert dprk["next_deadlines"] == [] and dprk["overdue"] == dprk["outstanding"] > 0
    assert dprk["deadline_note"].startswith("every deadline has passed")
    assert by_party["iaea"]["deadline_note"] == "no step outstanding"
    text = client.get("/", params={"as_of": "2030-01-01"}).text
    assert "every deadline has passed" in text
    assert ">none<" not in text


def test_log_health_shows_the_witnessed_checkpoint_and_the_last_audit(
    client: TestClient, home: Path
) -> None:
    (home / AUDIT_FILE).unlink(missing_ok=True)
    health = _json(client, "/overview.json")["health"]
    log = _json(client, "/api/log")
    assert health["size"] == log["size"] and health["witnessed_size"] == log["size"]
    assert health["witnessed_at"].endswith("Z") and health["witnessed_age"]
    assert health["audit"] is None
    assert "never audited" in client.get("/").text

    main(["--home", str(home), "log", "audit"])
    health = _json(client, "/overview.json")["health"]
    audit = health["audit"]
    assert audit["ok"] is True and audit["size"] == log["size"]
    assert f"{log['size']} entries" in audit["summary"] and "witnessed by" in audit["summary"]
    assert audit["audited_at"] == health["now"]  # the demo's clock stands still
    text = client.get("/").text
    assert "passed" in text and "never audited" not in text


def test_an_audit_that_fails_is_noted_as_failed(tmp_path: Path) -> None:
    from accordwatch.store.audit_record import read_audit_record

    home = tmp_path / "ws"
    main(["init", "--home", str(home), "--origin", "test.local/log"])
    db = home / "accordwatch.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE entries SET party = 'someone' WHERE idx = 0")
    with pytest.raises(SystemExit) as exit_info:
        main(["--home", str(home), "log", "audit"])
    assert exit_info.value.code != 0
    record = read_audit_record(home)
    assert record is not None and not record.ok and record.summary.startswith("FAILED: ")
    text = TestClient(create_app(Workspace.open(home))).get("/").text
    assert "FAILED" in text


def test_explorer_lists_entries_page_by_page_with_filters(client: TestClient) -> None:
    size = _json(client, "/api/log")["size"]
    first = _json(client, "/explorer.json")["listing"]
    indices = [e["index"] for e in first["entries"]]
    assert indices == list(range(len(indices))) and len(indices) == first["page_size"] < size
    assert first["next"] == f"/explorer?start={indices[-1] + 1}"
    second = _json(client, "/explorer.json", start=indices[-1] + 1)["listing"]
    assert second["entries"][0]["index"] == indices[-1] + 1 and second["first"] == "/explorer?"

    chosen = _json(
        client,
        "/explorer.json",
        record_type="step.report",
        party="dprk",
        since="2021-01-01",
        until="2021-12-31",
    )["listing"]
    assert chosen["entries"]
    for e in chosen["entries"]:
        assert e["record_type"] == "step.report" and e["party"] == "dprk"
        assert "2021-01-01" <= e["signed_at"][:10] <= "2021-12-31"
    every = [
        e["index"]
        for e in _json(client, "/api/log/entries", limit=1000)["items"]
        if e["record_type"] == "step.report"
        and e["party"] == "dprk"
        and "2021-01-01" <= e["signed_at"][:10] <= "2021-12-31"
    ]
    assert [e["index"] for e in chosen["entries"]] == every

    text = client.get("/explorer", params={"party": "dprk", "record_type": "step.report"}).text
    assert 'id="filters"' in text and "<option selected>dprk</option>" in text
    bad = client.get("/explorer", params={"since": "2022-01-01", "until": "2021-01-01"})
    assert bad.status_code == 422 and "before since" in bad.json()["detail"]
    assert client.get("/explorer", params={"party": "NOT A PARTY"}).status_code == 422


def test_explorer_shows_content_or_commitment_and_readers(
    client: TestClient, inspectorate: dict[str, str]
) -> None:
    entries = _json(client, "/api/log/entries", limit=1000)["items"]
    public = next(e for e in entries if e["record_type"] == "step.report")
    secret = next(e for e in entries if e["confidential"])

    shown = _json(client, "/explorer.json", index=public["index"])["entry"]
    assert shown["readable"] and shown["payload"] == public["payload"]
    text = client.get("/explorer", params={"index": public["index"]}).text
    assert 'id="payload"' in text and public["payload"]["step"] in text

    hidden = _json(client, "/explorer.json", index=secret["index"])["entry"]
    assert not hidden["readable"] and hidden["payload"] is None
    assert hidden["commitment"] == secret["commitment"]
    assert hidden["readers"].startswith(f"its submitter {secret['party']}")
    text = client.get("/explorer", params={"index": secret["index"]}).text
    assert 'id="payload-withheld"' in text and hidden["commitment"] in text

    opened = client.get(
        "/explorer.json", params={"index": secret["index"]}, headers=inspectorate
    ).json()["entry"]
    assert opened["readable"] and opened["payload"]


@pytest.mark.parametrize(
    "path", ["/", "/roadmap", "/compliance", "/declarations", "/safeguards", "/explorer"]
)
def test_every_entry_number_links_to_the_explorer(
    client: TestClient, inspectorate: dict[str, str], path: str
) -> None:
    text = client.get(path, params={"as_of": AS_OF} if path != "/explorer" else {}).text
    signed_in = client.get(path, headers=inspectorate).text
    for page in (text, signed_in):
        numbers = re.findall(r"(?<![\w/=&#-])#(\d+)\b", re.sub(r"<[^>]*>", " ", page))
        linked = re.findall(r'<a class="entry" href="/explorer\?index=(\d+)">#(\d+)</a>', page)
        assert numbers, "every page of the demo names some entries"
        assert all(a == b for a, b in linked)
        assert sorted(numbers) == sorted(b for _, b in linked)


def test_compliance_rows_name_each_evidence_entry_once(client: TestClient) -> None:
    data = _json(client, "/compliance.json")
    text = client.get("/compliance").text
    for event in data["events"]:
        row = re.search(rf'<tr id="event-{re.escape(event["occurrence"])}">(.*?)</tr>', text, re.S)
        assert row is not None
        cited = re.findall(r"#(\d+)</a>", row.group(1))
        assert cited == [str(i) for i in event["evidence_entries"]]
        assert len(cited) == len(set(cited))
        every = {e["log_index"] for v in event["violations"] for e in v["evidence"]}
        assert set(event["evidence_entries"]) == every


@pytest.mark.parametrize(
    ("page", "table", "key", "rows"),
    [
        ("overview", "deadlines", "id", lambda d: [p["id"] for p in d["parties"]]),
        ("roadmap", "steps", "id", lambda d: [s["id"] for s in d["steps"]]),
        ("roadmap", "findings", "message", lambda d: [f["message"] for f in d["findings"]]),
        ("compliance", "events", "occurrence", lambda d: [e["occurrence"] for e in d["events"]]),
        ("compliance", "by-year", "year", lambda d: [str(r["year"]) for r in d["by_year"]["rows"]]),
        (
            "declarations",
            "declarations",
            "index",
            lambda d: [str(r["index"]) for r in d["declarations"]],
        ),
        (
            "explorer",
            "entries",
            "index",
            # the CSV holds up to 1000 entries from the page's start: the whole demo log
            lambda d: [str(i) for i in range(d["log"]["size"])],
        ),
    ],
)
def test_each_table_has_a_csv_of_its_rows(
    client: TestClient, page: str, table: str, key: str, rows: Any
) -> None:
    query = "" if page in ("declarations", "explorer") else f"&as_of={AS_OF}"
    link = f"/{page}.csv?table={table}{query}" if page != "explorer" else "/explorer.csv?"
    html = client.get(f"/{page}" if page != "overview" else "/", params={"as_of": AS_OF}).text
    assert f'href="{link}"'.replace("&", "&amp;") in html
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    found = [r[key] for r in csv.DictReader(io.StringIO(response.text))]
    data = _json(client, f"/{page}.json", **({"as_of": AS_OF} if query else {}))
    assert found == rows(data)


def test_an_unknown_table_is_a_404_naming_the_tables(client: TestClient) -> None:
    missing = client.get("/compliance.csv", params={"table": "nothing"})
    assert missing.status_code == 404
    assert "by-instrument, by-year, events" in missing.json()["detail"]


def test_safeguards_csv_holds_the_balances_the_reader_may_read(
    client: TestClient, inspectorate: dict[str, str]
) -> None:
    assert client.get("/safeguards.csv", params={"table": "balances"}).text.count("\n") == 1
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/safeguards.csv", params={"table": "balances"}, headers=inspectorate
                ).text
            )
        )
    )
    page = client.get("/safeguards.json", headers=inspectorate).json()
    periods = [p for b in page["balances"]["balances"] for p in b["periods"]]
    assert [(r["start"], r["end"]) for r in rows] == [(p["start"], p["end"]) for p in periods]
