"""Public dashboard pages, rendered once per checkpoint for visitors who are not signed in.

A public page (overview, road map, compliance) shows the same data to
everyone; only its header differs, naming the visitor that the sign-in
cookie holds. Without that cookie the whole page depends on the checkpoint
and the query alone, so it is rendered once and kept (`service.view_cache`,
under the reader None); a signed-in visitor's page is rendered for them from
the same evaluations, and never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accordwatch.service.api.deps import COOKIE, Service
from accordwatch.service.web.rendering import render_page
from accordwatch.sources.snapshot import Snapshot


def public_page(
    request: Request,
    svc: Service,
    template: str,
    params: tuple[Hashable, ...],
    compute: Callable[[Snapshot], dict[str, Any]],
) -> Response:
    """`template` over `compute(log)`: kept for anonymous visitors, fresh for signed-in ones."""
    log = svc.snapshot()
    if COOKIE in request.cookies:
        return render_page(request, template, compute(log))
    # the page links to its JSON twin with the query as given: the query is part of the key
    key = (*params, request.url.path, request.url.query)

    def render(log: Snapshot) -> bytes:
        return bytes(render_page(request, template, compute(log)).body)

    return HTMLResponse(svc.views.view(log, template, key, None, render))
