"""The FastAPI application over one workspace (SQLite or PostgreSQL).

`create_app(workspace)` builds it; `app_from_environment` is the factory
`accordwatch serve` hands to uvicorn, so that each worker process opens the
workspace named by `ACCORDWATCH_HOME` / `ACCORDWATCH_DATABASE_URL` itself,
and answers the host names in `ACCORDWATCH_ALLOWED_HOSTS` (comma-separated).
Workers on PostgreSQL share one log safely: appends queue on the head lock.
Every answer passes through `api.guard` (host check, security headers, access
log), outside FastAPI's own error handling and the hot reads.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from accordwatch import __version__
from accordwatch.service.api import (
    declarations,
    documentation,
    log,
    models,
    parties,
    problems,
    status,
    submissions,
    tiles,
    verification,
    view_models,
)
from accordwatch.service.api.deps import Service
from accordwatch.service.api.guard import Guard, normalised_hosts
from accordwatch.service.api.hot_reads import HotReads
from accordwatch.service.api.strict_query import strict_query
from accordwatch.service.committer import Committer
from accordwatch.service.cosigning import Collector
from accordwatch.service.token_store import TokenStore
from accordwatch.sources.witnessing import PolicyCache
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace

HOME_ENV = "ACCORDWATCH_HOME"
DATABASE_ENV = "ACCORDWATCH_DATABASE_URL"
HOSTS_ENV = "ACCORDWATCH_ALLOWED_HOSTS"
_log = logging.getLogger("accordwatch.cosigning")


class GuardedAPI(FastAPI):
    """FastAPI with `api.guard` outside everything, its error handling included."""

    allowed_hosts: frozenset[str] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        return Guard(super().build_middleware_stack(), self.allowed_hosts)


def create_app(
    workspace: Workspace,
    *,
    clock: Callable[[], datetime] | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> FastAPI:
    """The application over `workspace`; with `allowed_hosts`, it answers those host names only.

    Its clock is `clock` (tokens' lifetimes included), else the workspace's for the
    views (simulated, if the workspace runs on one) and the real one for tokens.
    """
    ledger = workspace.ledger()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # the hot reads run on the event loop's thread: one connection serves them
        ledger.hold_connection()
        if not workspace.is_node:
            # a node's checkpoints come cosigned from the log it follows
            collector.start(workspace.settings.cosign_interval_seconds)
        try:
            yield
        finally:
            service.committer.close()
            collector.close()
            ledger.release_connection()

    app = GuardedAPI(
        lifespan=lifespan,
        title="accordwatch",
        version=__version__,
        description=(
            "A system of record for denuclearization accords over one signed Merkle log. "
            "Reads of public data are open; confidential payloads need a bearer token "
            "(`accordwatch token issue`). Errors are RFC 9457 problem details."
        ),
        # `web.api_docs` serves the documentation from the package itself
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=documentation.operation_id,
    )
    if allowed_hosts is not None:
        app.allowed_hosts = normalised_hosts(allowed_hosts)
    policies = PolicyCache()
    collector = Collector(
        ledger,
        lambda: policies.get(ledger),
        timeout=workspace.settings.witness_timeout_seconds,
        warn=_warn,
    )
    app.state.service = service = Service(
        workspace=workspace,
        ledger=ledger,
        tokens=TokenStore(ledger.engine, ledger.url),
        clock=clock or workspace.clock,
        committer=Committer(ledger, on_commit=collector.kick),
        policies=policies,
        token_clock=clock or utc_now,
    )
    problems.install(app)
    documentation.install(app, models, view_models)
    app.add_middleware(HotReads)
    for module in (log, submissions, parties, status, declarations, verification, tiles):
        # a query parameter an operation does not take is refused, not ignored
        app.include_router(module.router, dependencies=[Depends(strict_query)])
    from accordwatch.service.web import pages  # the dashboard builds on the API's handlers

    pages.install(app)
    return app


def _warn(line: str) -> None:
    _log.warning("%s", line)


def app_from_environment() -> FastAPI:
    home = os.environ.get(HOME_ENV)
    url = os.environ.get(DATABASE_ENV)
    hosts = os.environ.get(HOSTS_ENV)
    app = create_app(
        Workspace.open(Path(home) if home else None, database_url=url),
        allowed_hosts=None if hosts is None else hosts.split(","),
    )
    # What a worker has loaded by now lives as long as the process: keep the
    # collector from walking it on every full collection (a pause felt in
    # the slowest answers under load).
    gc.collect()
    gc.freeze()
    return app
