"""Signing in to the dashboard with a token, and out again.

`GET /signin` shows a form; `POST /signin` takes the pasted token (from
`accordwatch token issue`), checks it as the API checks a bearer token, and
keeps it in the sign-in cookie (`web.visitor`); from then on the browser's
pages read confidential content as the token's party. `POST /signout` drops
the cookie. A refused token gives the form again with the reason and the
API's status (401 for a malformed, unknown, expired or revoked token).

The cookie is SameSite=Strict and authorises reads only (`api.deps`); the
two forms refuse a request whose Origin is another site's all the same.
The form body is parsed here (URL-encoded, a few fields), which needs no
multipart parser.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accordwatch.errors import AccordwatchError, AuthorityError, InputError, SignatureError
from accordwatch.service.api.deps import COOKIE, SAFE_METHODS, grant_of, service_of
from accordwatch.service.api.problems import error_problem, shown
from accordwatch.service.web.page_models import SigninPage
from accordwatch.service.web.rendering import render_page
from accordwatch.service.web.visitor import Visitor, clear_cookie, set_cookie, signed_in

#: the largest sign-in form body read (a token is 46 characters)
MAX_FORM_BYTES = 4096
#: where a visitor goes after signing in, unless the form names a page
DEFAULT_NEXT = "/declarations"

Next = Annotated[str | None, Query(max_length=500, description="Page to return to")]


def local_page(target: str | None, default: str = DEFAULT_NEXT) -> str:
    """`target` if it is a page of this site, else `default` (never a redirect elsewhere)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\", "/signin")):
        return default
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return default
    return target


def signin_page(visitor: Visitor, next_page: str, message: str = "") -> dict[str, Any]:
    return {
        "reading_as": visitor.to_json(),
        "problem": visitor.problem,
        "message": message,
        "next": next_page,
    }


def _form_again(
    request: Request, status: int, message: str, next_page: str, *, clear: bool = False
) -> Response:
    response = render_page(request, "signin.html", signin_page(Visitor(None), next_page, message))
    response.status_code = status
    if clear:
        clear_cookie(response, request)
    return response


def _cross_site(request: Request) -> bool:
    """Whether the browser says the form was posted from another site."""
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site")
    if origin == "null":
        # This site's pages say `Referrer-Policy: no-referrer`, under which a browser
        # posts their forms with the opaque origin "null"; so does a sandboxed frame
        # of any site. Only the browser's own Sec-Fetch-Site can then tell them apart.
        return fetch_site != "same-origin"
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return True
    return (fetch_site or "same-origin") not in ("same-origin", "none")


async def _form(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form (the first value of each)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise InputError("send the form URL-encoded (application/x-www-form-urlencoded)")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InputError(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"the form does not parse: {exc}") from None
    return {name: values[0] for name, values in fields.items()}


def install(app: FastAPI) -> None:
    """Add the sign-in form, sign-in and sign-out, and the stale-cookie page."""

    @app.get("/signin", response_class=HTMLResponse, include_in_schema=False)
    def signin_html(request: Request, next: Next = None) -> Response:
        visitor = signed_in(request)
        return render_page(request, "signin.html", signin_page(visitor, local_page(next)))

    @app.get(
        "/signin.json",
        tags=["dashboard"],
        summary="Whom the sign-in cookie reads as",
        response_model=SigninPage,
    )
    def signin_json(request: Request, next: Next = None) -> dict[str, Any]:
        return signin_page(signed_in(request), local_page(next))

    @app.post("/signin", response_class=HTMLResponse, include_in_schema=False)
    async def signin(request: Request) -> Response:
        try:
            fields = await _form(request)
        except InputError as exc:
            return _form_again(request, exc.http_status, exc.message, DEFAULT_NEXT)
        next_page = local_page(fields.get("next"))
        if _cross_site(request):
            refused = AuthorityError("sign-in from another site is refused")
            return _form_again(request, refused.http_status, refused.message, next_page)
        token = fields.get("token", "").strip()
        if not token:
            return _form_again(
                request, 422, "paste a token (from accordwatch token issue)", next_page
            )
        try:
            grant = await run_in_threadpool(grant_of, service_of(request), token)
        except AccordwatchError as exc:
            # no cookie is set: an earlier sign-in, if any, stays as it was
            message = shown(exc, request.url.path, exc.message)
            return _form_again(request, exc.http_status, message, next_page)
        response = RedirectResponse(next_page, status_code=303)
        set_cookie(response, request, token, grant.expires_at)
        return response

    @app.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        if _cross_site(request):
            refused = AuthorityError("sign-out from another site is refused")
            return _form_again(request, refused.http_status, refused.message, DEFAULT_NEXT)
        response = RedirectResponse("/", status_code=303)
        clear_cookie(response, request)
        return response

    @app.exception_handler(SignatureError)
    async def _refused(request: Request, exc: SignatureError) -> Response:
        # A dashboard page opened with a cookie whose token no longer works: the form,
        # with the reason, rather than a problem document; the API keeps its problems.
        stale_cookie = (
            request.method in SAFE_METHODS
            and COOKIE in request.cookies
            and "authorization" not in request.headers
            and not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", "")
        )
        if not stale_cookie:
            return error_problem(exc, request.url.path)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        message = f"{exc.message}: sign in again to read as a party"
        return _form_again(request, exc.http_status, message, local_page(here), clear=True)
