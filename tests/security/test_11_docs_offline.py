"""Item 11: `/api/docs` loads nothing from outside the server, and works offline.

The attack it closes: the documentation page loaded Swagger UI's script from
a CDN (a floating version, no integrity check) on the origin of the sign-in
cookie, so whoever controlled that script could read `/declarations.json` as
the signed-in visitor; and offline the page was blank. Here Debian's Chromium
loads `/api/docs` from a real `accordwatch serve` with every request to any
address but the server's aborted: the page must ask for nothing elsewhere,
list every operation of the schema, and log no error (the service's
Content-Security-Policy included).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from accordwatch.workspace import init_workspace
from tests.browser import CHROMIUM, LAUNCH_ARGS, playwright_or_skip
from tests.security.served import serving


@pytest.mark.slow
def test_api_docs_load_with_the_network_cut_off(tmp_path: Path) -> None:
    sync_playwright = playwright_or_skip()
    home = tmp_path / "ws"
    init_workspace(home, origin="test.local/docs")
    with serving(home) as server, sync_playwright() as p:
        schema = httpx.get(server.base + "/openapi.json").json()
        operations = sum(len(item) for item in schema["paths"].values())
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context()
        elsewhere: list[str] = []

        def only_this_server(route: Any) -> None:
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_server)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.base + "/api/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        page.wait_for_load_state("networkidle")
        shown = page.eval_on_selector_all(".opblock", "blocks => blocks.length")
        summaries = page.inner_text("#swagger-ui")
        page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
        browser.close()
    assert elsewhere == []
    assert shown == operations, (shown, operations)
    assert "/api/submissions" in summaries and "/api/log/entries/{index}" in summaries
    assert errors == []
