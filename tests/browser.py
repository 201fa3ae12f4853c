"""Debian's Chromium under Playwright, for the tests that drive a real browser.

Never a browser download: the tests launch `/usr/bin/chromium`. Where it or
Playwright is missing they are skipped, except in CI (`CI=true`), where that
fails the run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def playwright_or_skip() -> Any:
    """Playwright's `sync_playwright`, or a skip (a failure in CI) naming what is missing."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "Playwright for Python is not installed"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests are required in CI: {problem}")
        pytest.skip(problem)
    return sync_playwright
