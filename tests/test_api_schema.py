"""Schemathesis against the OpenAPI schema: no operation answers with a server error.

The schema is read from the application itself, so every operation it lists
is exercised, whatever routes are added later. The workspace is the demo's
(parties, road map, declarations, events, balances), so that generated
parameters meet real content and not only empty tables. Each operation gets
valid and invalid requests (Schemathesis' positive and negative modes), sent
without a bearer token and, to operations that read one, again with an
inspectorate's token. Every answer must be no 5xx and conform to the
schema: a documented status code and content type, and a body that matches
the documented response (problem details for every error). A handler that
raises fails the test too: the exception reaches the caller in process.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accordwatch.cli import main
from accordwatch.log.roles import Role
from accordwatch.service.api.app import create_app
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import TOKEN_BYTES, make_token
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

#: generated requests per operation and mode; derandomized, so the same ones on every run
EXAMPLES = 10


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    home = tmp_path_factory.mktemp("schema") / "demo"
    main(["demo", "--home", str(home)])
    return Workspace.open(home)


@pytest.fixture(scope="module")
def api_schema(demo_workspace: Workspace) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(demo_workspace))


@pytest.fixture(scope="module")
def bearer(demo_workspace: Workspace) -> dict[str, str]:
    """The Authorization header of a valid token of the demo's inspectorate."""
    ledger = demo_workspace.ledger()
    token = make_token(bytes(range(TOKEN_BYTES)))  # fixed: the run is the same every time
    now = utc_now()
    store = TokenStore(ledger.engine, ledger.url)
    store.add(token, "iaea", Role.INSPECTORATE, now - timedelta(hours=1), now + timedelta(days=1))
    return {"Authorization": f"Bearer {token}"}


def _exercise(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, bearer: dict[str, str] | None
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def requests(case: Case[Any]) -> None:
        case.call_and_validate(checks=CHECKS)
        if bearer is not None:
            case.call_and_validate(headers=bearer, checks=CHECKS)

    requests()


@pytest.mark.slow
def test_every_operation_answers_without_server_error(
    api_schema: schemathesis.BaseSchema, bearer: dict[str, str]
) -> None:
    failures: list[str] = []
    operations = secured = 0
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"unusable schema: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        # the token only matters to operations that read one (their schema says so)
        token = bearer if operation.definition.raw.get("security") else None
        secured += token is not None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _exercise(operation, mode, token)
            except Unsatisfiable:
                # no parameter or body that could be made invalid: no negative case exists
                assert mode is GenerationMode.NEGATIVE, operation.label
            # every operation is tried and every failure reported (check failures come
            # as a group, which is not an Exception)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {type(exc).__name__}: {exc}")
    assert operations > 10 and secured > 2, (operations, secured)
    assert not failures, "\n\n".join(failures)
