"""The dashboard: every page, its JSON twin, and the static files, added to the application.

Every page `/X` renders the same dictionary that `/X.json` returns for the
same query, so what a person reads and what a program reads never differ.
The pages are in `accord_pages`, `declarations_page`, `safeguards_page` and
`signin`, each rendered with `rendering`; the API's documentation page is
`api_docs`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from accordwatch.service.web import (
    accord_pages,
    api_docs,
    declarations_page,
    explorer_page,
    safeguards_page,
    signin,
)
from accordwatch.service.web.rendering import STATIC


def install(app: FastAPI) -> None:
    """Add the pages, their JSON twins and the static files to the application."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    api_docs.install(app)
    signin.install(app)
    declarations_page.install(app)
    safeguards_page.install(app)
    accord_pages.install(app)
    explorer_page.install(app)
