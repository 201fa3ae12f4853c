"""`/api/docs`: Swagger UI over the OpenAPI schema, served from the package alone.

The page, its script and Swagger UI's own files (from the `swagger-ui-bundle-v2`
package, a pinned Swagger UI release) all come from this server: nothing is
loaded from elsewhere, so the documentation works offline, and no other
site's script runs on the origin of the sign-in cookie. The page holds no
inline script, so the service's Content-Security-Policy (`api.guard`) holds
on it too.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from accordwatch.errors import NotFoundError
from accordwatch.service.web.rendering import templates

#: where Swagger UI's files are served (static: `api.guard` lets them be cached)
ASSETS = "/api/docs/assets/"
#: the files of Swagger UI the page loads, and their media types
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}


def install(app: FastAPI) -> None:
    """Add the documentation page and Swagger UI's files."""

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        context = {"assets": ASSETS, "openapi_url": app.openapi_url, "title": app.title}
        return templates.TemplateResponse(request, "api_docs.html", context)

    @app.get(ASSETS + "{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        media_type = _FILES.get(name)
        if media_type is None:
            raise NotFoundError(f"no such file: {ASSETS}{name}")
        return FileResponse(str(swagger_ui_path / name), media_type=media_type)
