"""What every dashboard page is rendered with: the templates, the static files, the twin link.

Each page module (`accord_pages`, `declarations_page`, `safeguards_page`,
`signin`) renders through `render_page`; `pages` adds them all to the
application.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from accordwatch.service.web.visitor import signed_in

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?")


def keep_dates_whole(text: object) -> Markup:
    """`text`, escaped, each date or time in it kept on one line (a browser breaks at hyphens)."""
    escaped = str(escape(text))
    return Markup(_DATE.sub(lambda m: f'<span class="date">{m.group(0)}</span>', escaped))


templates.env.filters["dates_whole"] = keep_dates_whole


def render_page(request: Request, template: str, data: dict[str, Any]) -> HTMLResponse:
    """The page from `template` over `data`, linking to its JSON twin (the same data)."""
    path = request.url.path
    twin = ("/overview" if path == "/" else path) + ".json"
    if request.url.query:
        twin += "?" + request.url.query
    # the header says whom the visitor reads as (the sign-in cookie), on every page
    context = {"data": data, "twin": twin, "visitor": signed_in(request)}
    return templates.TemplateResponse(request, template, context)
