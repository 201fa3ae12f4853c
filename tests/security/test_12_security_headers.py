"""Item 12: every answer carries the security headers, and the pages keep to the policy.

The attack: a page of another site frames the dashboard (clickjacking), or
a script injected into a page loads or sends data elsewhere, or a browser
guesses a JSON answer to be HTML, or a shared cache or the browser's history
keeps what a signed-in reader was shown. Every kind of answer (pages, JSON,
problems, static files, the documentation, the hot reads ahead of FastAPI's
routing, refused methods and validation errors) must carry
`Content-Security-Policy` with `default-src 'self'` and `frame-ancestors
'none'`, `X-Content-Type-Options: nosniff` and `Referrer-Policy:
no-referrer`; every one that is not a static file `Cache-Control: no-store`.
The pages themselves hold no inline script, style or event handler, so the
policy costs them nothing (the browser tests run them, the log explorer's
in-browser check included, under it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accordwatch.service.api.app import create_app
from accordwatch.service.api.guard import Guard
from accordwatch.workspace import init_workspace
from tests.helpers import Log

#: (method, path, a status it answers with)
REQUESTS = [
    ("GET", "/", 200),
    ("GET", "/overview.json", 200),
    ("GET", "/roadmap", 200),
    ("GET", "/declarations", 200),
    ("GET", "/explorer?index=1", 200),
    ("GET", "/signin", 200),
    ("GET", "/api/log", 200),
    ("GET", "/api/log/entries/1", 200),  # the hot reads
    ("GET", "/api/log/entries/1/proof", 200),
    ("GET", "/api/log/checkpoints/latest", 200),
    ("GET", "/api/log/entries/999999", 404),
    ("GET", "/api/log/entries?start=x", 422),
    ("GET", "/api/parties", 200),
    ("GET", "/openapi.json", 200),
    ("GET", "/api/docs", 200),
    ("GET", "/static/style.css", 200),
    ("GET", "/static/verify.js", 200),
    ("GET", "/no/such/page", 404),
    ("DELETE", "/api/log", 405),
    ("POST", "/signout", 303),
]
STATIC = ("/static/",)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    log = Log.open(init_workspace(tmp_path / "ws", origin="test.local/headers"))
    log.add_party("usa", "party")
    log.statement("usa", "headers")
    return TestClient(create_app(log.ws), follow_redirects=False)


def _directives(policy: str) -> dict[str, str]:
    parts = (d.strip().split(None, 1) for d in policy.split(";") if d.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_every_answer_carries_the_headers(client: TestClient) -> None:
    for method, path, status in REQUESTS:
        response = client.request(method, path, headers={"Origin": "http://testserver"})
        assert response.status_code == status, (method, path, response.status_code)
        headers = response.headers
        policy = _directives(headers.get("content-security-policy", ""))
        assert policy.get("default-src") == "'self'", (path, headers)
        assert policy.get("frame-ancestors") == "'none'", (path, headers)
        # nothing loosens scripts: no inline code, no eval, no other origin
        assert "script-src" not in policy and "unsafe" not in policy.get("style-src", ""), path
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy") == "no-referrer", path
        if not path.startswith(STATIC):
            assert headers.get("cache-control") == "no-store", (path, headers)


def test_a_chart_opened_alone_runs_no_script() -> None:
    """An SVG chart (matplotlib styles it inline) gets a policy that allows no script at all."""

    async def chart(_request: Request) -> Response:
        return Response(b"<svg xmlns='http://www.w3.org/2000/svg'/>", media_type="image/svg+xml")

    client = TestClient(Guard(Starlette(routes=[Route("/chart.svg", chart)])))
    response = client.get("/chart.svg")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy
    assert response.headers["cache-control"] == "no-store"


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


def test_pages_hold_no_inline_script_or_style(client: TestClient) -> None:
    for method, path, _status in REQUESTS:
        response = client.request(method, path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        html = response.text
        assert not _INLINE_SCRIPT.search(html), path
        assert not _HANDLER.search(html), path
        assert not _STYLE.search(html), path


def test_no_referrer_forms_still_sign_in_and_framed_attackers_do_not(client: TestClient) -> None:
    """Under `no-referrer` a browser posts this site's forms with `Origin: null`.

    Its own `Sec-Fetch-Site: same-origin` lets the sign-in form through; the
    same opaque origin from a sandboxed frame of another site does not.
    """
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "null"}
    body = "token=aw_" + "A" * 43
    own = client.post("/signin", content=body, headers={**form, "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 401  # the form was read: the token is unknown
    for site in ("cross-site", "same-site", None):
        headers = {**form, "Sec-Fetch-Site": site} if site else form
        framed = client.post("/signin", content=body, headers=headers)
        assert framed.status_code == 403, (site, framed.status_code)
        assert "another site" in framed.text
