"""The declarations page and signing in to the dashboard.

Each role sees on `/declarations` (and its JSON twin) exactly what the API
shows it: every declaration filed, and the content, versions and diffs only
where it may read them. The diff is the one `declaration diff --json`
prints. Signing in checks the token as the API does; a refused token sets
no cookie; signing out clears it; a bearer header wins over the cookie, and
the cookie authorises no request that could change anything.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.cli.token import issue_token
from accordwatch.declarations.reading import document, parse_declaration
from accordwatch.examples import declaration_example_path as example_path
from accordwatch.log.roles import Role
from accordwatch.service.api.app import create_app
from accordwatch.service.api.deps import COOKIE, ReaderDep
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
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def log(workspace: Workspace) -> Log:
    """The demo's declaration and its correction (confidential), and a public statement."""
    log = Log.open(workspace)
    for name, role in PARTIES.items():
        log.add_party(name, role.value)
    for name in ("dprk-nuclear", "dprk-nuclear-corrected"):
        declaration = {"declaration": document(parse_declaration(example_doc(name)))}
        log.submit("dprk", "declaration", declaration, confidential=True)
    log.statement("usa", "public note")
    return log


@pytest.fixture
def client(log: Log) -> TestClient:
    return TestClient(create_app(log.ws))


def _issue(log: Log, party: str) -> str:
    token, _ = issue_token(log.ledger, party, PARTIES[party].value, "1d")
    return token


def _signed_in(client: TestClient, token: str) -> None:
    response = client.post("/signin", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/declarations"


def _indices(log: Log) -> tuple[int, int]:
    found = [e.index for e in log.ledger.entries() if e.record_type == "declaration"]
    assert len(found) == 2
    return found[0], found[1]


@pytest.mark.parametrize(
    ("who", "reads"),
    [(None, False), ("iaea", True), ("dprk", True), ("monitor", False), ("usa", False)],
)
def test_page_and_twin_show_each_visitor_what_it_may_read(
    log: Log, client: TestClient, who: str | None, reads: bool
) -> None:
    first, second = _indices(log)
    if who is not None:
        _signed_in(client, _issue(log, who))
    data = client.get("/declarations.json").json()
    rows = data["declarations"]
    assert [r["index"] for r in rows] == [first, second]
    assert all(r["party"] == "dprk" and r["confidential"] for r in rows)
    assert [r["readable"] for r in rows] == [reads, reads]
    assert data["hidden"] == (0 if reads else 2)
    text = client.get("/declarations").text
    if who is None:
        assert data["reading_as"] is None
        assert 'href="/signin?next=/declarations"' in text and "sign in" in text
    else:
        assert data["reading_as"] == {"party": who, "role": PARTIES[who].value}
        assert f"reading as <strong>{who}</strong> ({PARTIES[who].value})" in text
        assert 'action="/signout"' in text
    if reads:
        old, new = rows
        assert (old["id"], old["version"], old["superseded_by"]) == (
            "dprk-nuclear-2020-12",
            1,
            second,
        )
        assert new["corrects"] == {"id": "dprk-nuclear-2020-12", "index": first}
        assert new["version"] == 2 and new["superseded_by"] is None
        assert [(d["before_index"], d["after_index"], d["kind"]) for d in data["diffs"]] == [
            (first, second, "corrects")
        ]
        assert "dprk-nuclear-2020-12-rev1" in text and "content confidential" not in text
        heu = (
            '<td>high-enriched uranium element mass</td><td class="num">245000</td>'
            '<td class="num">305000</td><td class="num ">+60000</td><td>g</td>'
        )
        assert heu in text
    else:
        assert data["diffs"] == []
        assert all("id" not in r for r in rows)
        assert "dprk-nuclear-2020-12" not in text
        assert text.count("content confidential: readable by its submitter dprk") == 2
        assert "every inspectorate party" in text


def test_the_diff_is_the_one_declaration_diff_prints(
    log: Log, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        [
            "declaration",
            "diff",
            str(example_path("dprk-nuclear")),
            str(example_path("dprk-nuclear-corrected")),
            "--json",
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    _signed_in(client, _issue(log, "iaea"))
    shown = client.get("/declarations.json").json()["diffs"][0]
    assert shown["diff"] == printed
    assert shown["changes_total"] == len(printed["changes"])
    heu = next(t for t in printed["totals"] if t["name"] == "high-enriched uranium element mass")
    assert (heu["before"], heu["after"], heu["change"], heu["unit"]) == (
        "245000",
        "305000",
        "60000",
        "g",
    )
    kinds = [c["kind"] for c in printed["changes"]]
    changed_totals = sum(t["change"] != "0" for t in printed["totals"])
    assert shown["counts"] == {
        "added": kinds.count("added"),
        "removed": kinds.count("removed"),
        "changed": kinds.count("changed"),
        "totals changed": changed_totals,
    }
    text = client.get("/declarations").text
    for change in printed["changes"]:
        assert f'<span class="mono">{change["key"]}</span>' in text
    for total in printed["totals"]:
        shown_row = f"<tr><td>{total['name']}</td>" in text
        assert shown_row is (total["change"] != "0"), total


def test_one_declaration_shows_its_totals_and_entries_to_a_reader_only(
    log: Log, client: TestClient
) -> None:
    first, second = _indices(log)
    closed = client.get("/declarations.json", params={"index": second}).json()["selected"]
    assert closed["readable"] is False and "header" not in closed
    assert closed["unreadable"] == (
        "content confidential: readable by its submitter dprk and every inspectorate party"
    )
    closed_text = client.get("/declarations", params={"index": second}).text
    assert f"/signin?next=/declarations%3Findex%3D{second}" in closed_text

    _signed_in(client, _issue(log, "dprk"))
    selected = client.get("/declarations.json", params={"index": second}).json()["selected"]
    assert selected["header"]["id"] == "dprk-nuclear-2020-12-rev1"
    totals = {t["name"]: t["value"] for t in selected["totals"]}
    assert totals["high-enriched uranium element mass"] == "305000"
    sections = {s["name"]: s for s in selected["sections"]}
    whole = client.get(f"/api/declarations/{second}").json()["declaration"]
    assert sections["sites"]["count"] == len(whole["sites"])
    assert sections["inventory"]["entries"][0]["batch"] == whole["inventory"][0]["batch"]
    text = client.get("/declarations", params={"index": second}).text
    assert f"Declaration at entry {second}: dprk-nuclear-2020-12-rev1" in text
    assert whole["sites"][0]["id"] in text

    missing = client.get("/declarations.json", params={"index": first - 1})
    assert_problem(missing, 404, "not a declaration")


def test_entries_beyond_the_cap_are_counted_not_listed(
    log: Log, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accordwatch.service.web import declarations_page

    monkeypatch.setattr(declarations_page, "MAX_ENTRIES", 2)
    monkeypatch.setattr(declarations_page, "MAX_CHANGES", 3)
    _, second = _indices(log)
    _signed_in(client, _issue(log, "iaea"))
    data = client.get("/declarations.json", params={"index": second}).json()
    sites = next(s for s in data["selected"]["sections"] if s["name"] == "sites")
    assert len(sites["entries"]) == 2 and sites["count"] > 2
    diff = data["diffs"][0]
    assert len(diff["diff"]["changes"]) == 3 and diff["changes_total"] > 3
    text = client.get("/declarations", params={"index": second}).text
    assert f"The first 2 of {sites['count']} entries" in text
    assert f"The first 3 of {diff['changes_total']} changed entries" in text


def _expired(log: Log) -> str:
    token = make_token(bytes([7]) * 32)
    now = utc_now()
    store = TokenStore(log.ledger.engine, log.ledger.url)
    store.add(token, "iaea", Role.INSPECTORATE, now - timedelta(days=2), now - timedelta(days=1))
    return token


def _revoked(log: Log) -> str:
    token, grant = issue_token(log.ledger, "iaea", "inspectorate", "1d")
    TokenStore(log.ledger.engine, log.ledger.url).revoke(grant.token_id, utc_now())
    return token


@pytest.mark.parametrize(
    ("make", "status", "words"),
    [
        (lambda log: "aw_not-a-token", 401, "malformed bearer token"),
        (lambda log: make_token(bytes(32)), 401, "unknown bearer token"),
        (_expired, 401, "is expired"),
        (_revoked, 401, "is revoked"),
        (lambda log: "  ", 422, "paste a token"),
    ],
)
def test_a_refused_token_gives_the_form_again_and_no_cookie(
    log: Log, client: TestClient, make: Any, status: int, words: str
) -> None:
    response = client.post("/signin", data={"token": make(log)}, follow_redirects=False)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers
    assert words in response.text and 'id="signin-message"' in response.text
    assert "Traceback" not in response.text
    assert COOKIE not in client.cookies


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(
    log: Log, client: TestClient
) -> None:
    token = _issue(log, "iaea")
    response = client.post(
        "/signin", data={"token": token, "next": "/roadmap"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/roadmap"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    me = client.get("/signin.json").json()["reading_as"]
    assert (me["party"], me["role"]) == ("iaea", "inspectorate")

    out = client.post("/signout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert f'{COOKIE}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert COOKIE not in client.cookies
    assert client.get("/declarations.json").json()["reading_as"] is None
    assert "sign in</a>" in client.get("/").text


def test_over_https_the_cookie_is_secure(log: Log) -> None:
    client = TestClient(create_app(log.ws), base_url="https://testserver")
    response = client.post("/signin", data={"token": _issue(log, "iaea")}, follow_redirects=False)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
def test_sign_in_returns_only_to_a_page_of_this_site(
    log: Log, client: TestClient, target: str
) -> None:
    response = client.post(
        "/signin", data={"token": _issue(log, "iaea"), "next": target}, follow_redirects=False
    )
    assert response.headers["location"] == "/declarations"


def test_forms_posted_from_another_site_are_refused(log: Log, client: TestClient) -> None:
    token = _issue(log, "iaea")
    evil = {"Origin": "https://evil.example"}
    response = client.post("/signin", data={"token": token}, headers=evil, follow_redirects=False)
    assert response.status_code == 403 and "another site" in response.text
    assert "set-cookie" not in response.headers
    same = {"Origin": "http://testserver"}
    response = client.post("/signin", data={"token": token}, headers=same, follow_redirects=False)
    assert response.status_code == 303
    out = client.post("/signout", headers=evil, follow_redirects=False)
    assert out.status_code == 403 and "set-cookie" not in out.headers
    assert client.get("/declarations.json").json()["reading_as"]["party"] == "iaea"


def test_a_form_that_is_not_url_encoded_is_refused(client: TestClient) -> None:
    response = client.post(
        "/signin", content=b'{"token": "x"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "URL-encoded" in response.text
    big = client.post("/signin", data={"token": "x" * 5000})
    assert big.status_code == 422 and "larger than" in big.text


def test_the_bearer_header_wins_over_the_cookie(log: Log, client: TestClient) -> None:
    iaea, monitor = _issue(log, "iaea"), _issue(log, "monitor")
    client.cookies.set(COOKIE, iaea)
    as_monitor = {"Authorization": f"Bearer {monitor}"}
    assert client.get("/declarations.json").json()["reading_as"]["party"] == "iaea"
    seen = client.get("/declarations.json", headers=as_monitor).json()
    assert seen["reading_as"]["party"] == "monitor" and seen["hidden"] == 2
    listed = client.get("/api/declarations", headers=as_monitor).json()["items"]
    assert [d["readable"] for d in listed] == [False, False]
    assert [d["readable"] for d in client.get("/api/declarations").json()["items"]] == [True, True]

    client.cookies.set(COOKIE, _revoked(log))  # a stale cookie does not spoil a good header
    ok = client.get("/api/declarations", headers={"Authorization": f"Bearer {iaea}"})
    assert [d["readable"] for d in ok.json()["items"]] == [True, True]


def test_a_stale_cookie_gives_pages_the_form_and_the_api_a_problem(
    log: Log, client: TestClient
) -> None:
    client.cookies.set(COOKIE, _revoked(log))
    page = client.get("/declarations", params={"index": 3}, headers=HTML)
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert "is revoked: sign in again" in page.text
    assert 'name="next" value="/declarations?index=3"' in page.text
    assert f'{COOKIE}=""' in page.headers["set-cookie"]
    client.cookies.set(COOKIE, _revoked(log))
    assert_problem(client.get("/api/declarations", headers=HTML), 401, "revoked")
    assert_problem(client.get("/declarations.json"), 401, "revoked")
    # a page that needs no reader still renders, offering to sign in again
    overview = client.get("/", headers=HTML)
    assert overview.status_code == 200 and 'id="signin-link"' in overview.text


def test_the_cookie_authorises_no_request_that_changes_state(log: Log) -> None:
    app = create_app(log.ws)

    @app.post("/probe")
    def probe(who: ReaderDep) -> dict[str, str | None]:
        return {"party": who.party if who else None}

    client = TestClient(app)
    token = _issue(log, "iaea")
    client.cookies.set(COOKIE, token)
    # the reader of every route is this one dependency: on POST the cookie is not a token
    assert client.post("/probe").json() == {"party": None}
    headed = client.post("/probe", headers={"Authorization": f"Bearer {token}"})
    assert headed.json() == {"party": "iaea"}


def test_a_signed_in_page_looks_its_token_up_once(
    log: Log, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header and the page's content share one lookup of the cookie's token."""
    _signed_in(client, _issue(log, "iaea"))
    lookups: list[str] = []
    find = TokenStore.find

    def counted(self: TokenStore, token: str) -> Any:
        lookups.append(token)
        return find(self, token)

    monkeypatch.setattr(TokenStore, "find", counted)
    page = client.get("/declarations")
    assert page.status_code == 200 and "reading as" in page.text
    assert len(lookups) == 1
