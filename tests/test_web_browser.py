"""The dashboard in a real browser (Debian's Chromium via Playwright) against `accordwatch serve`.

Every page loads without console errors, the road map chart renders, and the
log explorer's in-browser check says "verified" for a real entry and
"failed" once a bit of it is flipped. Skipped where Chromium or Playwright
is missing, except in CI (`CI=true`), where that fails the run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from accordwatch.cli import main
from accordwatch.cli.demo.nodes import Nodes
from tests.browser import CHROMIUM, LAUNCH_ARGS, playwright_or_skip
from tests.helpers import free_port

AS_OF = "2021-03-01"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser") / "demo"


def _iaea(home: Path) -> Path:
    """The IAEA's node: its dashboard reads what is sealed to the IAEA, with its token."""
    return Nodes(home).folder("iaea")


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[str]:
    """`accordwatch serve` over the demo's IAEA node, on a free loopback port."""
    playwright_or_skip()
    main(["demo", "--home", str(home)])
    port = free_port()
    code = "from accordwatch.cli import main; main()"
    args = ["--home", str(_iaea(home)), "serve", "--port", str(port)]
    proc = subprocess.Popen([sys.executable, "-c", code, *args])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/api/log", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("accordwatch serve did not start within 10 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/roadmap",
        "/compliance",
        "/declarations",
        "/safeguards",
        "/explorer",
        "/explorer?index=3",
    ],
)
def test_every_page_loads_without_console_errors(
    server: str, browser: Any, path: str, tmp_path: Path
) -> None:
    sep = "&" if "?" in path else "?"
    page, errors = _open(browser, f"{server}{path}{sep}as_of={AS_OF}")
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert page.title().endswith("accordwatch")
    assert errors == []
    page.close()


@pytest.mark.slow
def test_roadmap_chart_renders(server: str, browser: Any) -> None:
    page, errors = _open(browser, f"{server}/roadmap?as_of={AS_OF}")
    width = page.eval_on_selector("#roadmap-chart", "img => img.complete && img.naturalWidth")
    assert width and width > 300
    assert errors == []
    page.close()


@pytest.mark.slow
def test_safeguards_chart_renders_for_the_inspectorate(
    server: str, browser: Any, home: Path, tmp_path: Path
) -> None:
    token = (_iaea(home) / "inspectorate.token").read_text("ascii").strip()
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/safeguards")
    page.wait_for_load_state("networkidle")
    widths = page.eval_on_selector_all(
        "img.balance-chart", "imgs => imgs.map(img => img.complete && img.naturalWidth)"
    )
    page.screenshot(path=str(tmp_path / "safeguards.png"), full_page=True)
    assert widths and all(w > 300 for w in widths)
    assert "declared item CAN-016 was not found" in page.inner_text("#inspections")
    assert errors == []
    context.close()


@pytest.mark.slow
def test_explorer_verifies_a_real_entry_and_fails_a_tampered_one(
    server: str, browser: Any, tmp_path: Path
) -> None:
    page, errors = _open(browser, f"{server}/explorer?index=11")
    page.wait_for_selector("#verdict.verified, #verdict.failed", timeout=10_000)
    verdict = page.inner_text("#verdict")
    steps = page.inner_text("#steps")
    page.screenshot(path=str(tmp_path / "verified.png"), full_page=True)
    assert verdict.startswith("verified"), steps
    assert "Ed25519 signature" in steps and "verifies" in steps
    assert "the checkpoint's root" in steps

    page.check("#tamper")
    page.wait_for_selector("#verdict.failed", timeout=10_000)
    assert page.inner_text("#verdict").startswith("failed")
    assert "differs from the log's" in page.inner_text("#steps")

    page.uncheck("#tamper")
    page.fill("#log-key", page.input_value("#log-key").replace("+A", "+B", 1))
    page.click("#verify-again")
    page.wait_for_selector("#verdict.failed", timeout=10_000)
    assert errors == []
    page.close()


@pytest.mark.slow
def test_signing_in_with_the_demo_token_shows_the_declarations_diff(
    server: str, browser: Any, home: Path, tmp_path: Path
) -> None:
    page, errors = _open(browser, f"{server}/declarations")
    assert "content confidential" in page.inner_text("#declarations")
    assert page.query_selector(".diff") is None
    page.click("#signin-link")
    page.wait_for_selector("#token")
    page.fill("#token", (_iaea(home) / "inspectorate.token").read_text("ascii").strip())
    page.click("#signin-button")
    page.wait_for_selector(".diff")
    assert page.url == f"{server}/declarations"
    assert "reading as iaea (inspectorate)" in page.inner_text("header")
    diff = page.inner_text(".diff")
    assert "dprk-nuclear-2020-12 → dprk-nuclear-2020-12-rev1" in diff
    assert "high-enriched uranium element mass\t245000\t305000\t+60000\tg" in diff
    page.screenshot(path=str(tmp_path / "declarations.png"), full_page=True)

    page.click("#signout")
    page.wait_for_selector("#signin-link")
    page.goto(f"{server}/declarations")
    assert page.query_selector(".diff") is None
    assert errors == []
    page.close()


DESKTOP = {"width": 1366, "height": 900}
#: every element that holds a date, a time or an entry number, which must stay on one line
WHOLE = ".date, td.date, a.entry"
#: the number of line boxes each such element's text takes
LINES = """els => els.map(e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return [e.textContent.trim(), tops.size];
})"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        f"/?as_of={AS_OF}",
        "/",
        f"/roadmap?as_of={AS_OF}",
        "/compliance",
        "/declarations",
        "/safeguards",
        "/explorer",
        "/explorer?index=60",
    ],
)
def test_at_desktop_width_dates_stay_whole_and_charts_are_not_shrunk(
    server: str, browser: Any, home: Path, path: str, tmp_path: Path
) -> None:
    token = (_iaea(home) / "inspectorate.token").read_text("ascii").strip()
    context = browser.new_context(
        viewport=DESKTOP, extra_http_headers={"Authorization": f"Bearer {token}"}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    broken = [text for text, lines in page.eval_on_selector_all(WHOLE, LINES) if lines > 1]
    assert broken == []
    # a chart shown at its natural width keeps its text at the size it was drawn (>= 9 pt)
    sizes = page.eval_on_selector_all(
        "figure img", "imgs => imgs.map(i => [i.naturalWidth, i.clientWidth])"
    )
    assert all(shown >= natural > 300 for natural, shown in sizes), sizes
    # nothing runs out of the page sideways
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert errors == []
    context.close()


@pytest.mark.slow
def test_overview_links_each_figure_to_its_page(server: str, browser: Any) -> None:
    page, errors = _open(browser, f"{server}/?as_of={AS_OF}")
    violations = page.inner_text('#card-violations [data-figure="violations"]')
    page.click("#card-violations h2 a")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{server}/compliance?as_of={AS_OF}"
    assert page.inner_text("#totals").startswith(f"{violations} violation(s)")
    page.go_back()
    findings = page.inner_text('#card-roadmap [data-figure="findings"]')
    page.click("#card-roadmap a[href$='#findings']")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/roadmap?as_of={AS_OF}#findings")
    assert len(page.query_selector_all("#findings + ul.findings > li")) == int(findings)
    page.click("ul.findings a.entry")
    page.wait_for_selector("#verdict.verified, #verdict.failed", timeout=10_000)
    assert page.inner_text("#verdict").startswith("verified")
    assert errors == []
    page.close()


@pytest.mark.slow
def test_explorer_filters_and_pages_in_the_browser(server: str, browser: Any) -> None:
    page, errors = _open(browser, f"{server}/explorer")
    first = page.inner_text("#entry-list tbody tr:first-child td:first-child")
    page.click("#next-page")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#entry-list tbody tr:first-child td:first-child") != first
    page.select_option("select[name=record_type]", "step.report")
    page.select_option("select[name=party]", "dprk")
    page.click("#filters button")
    page.wait_for_load_state("networkidle")
    rows = page.eval_on_selector_all(
        "#entry-list tbody tr",
        "rows => rows.map(r => [r.cells[2].innerText, r.cells[3].innerText])",
    )
    assert rows and all(r == ["step.report", "dprk"] for r in rows)
    assert errors == []
    page.close()
