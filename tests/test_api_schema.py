"""Schemathesis against the OpenAPI schema: no server error, and no departure from the schema.

The schema is read from the application itself, so every operation it lists
is exercised, whatever routes are added later. The workspace is the demo's
(parties, road map, declarations, events, balances), so that generated
parameters meet real content and not only empty tables.

The run is Schemathesis' own engine, as `schemathesis run` drives it: every
phase (the schema's examples, the coverage phase's boundary values, missing
parameters and undeclared methods, and generated valid and invalid requests)
and every check it has: no 5xx; documented status codes, content types,
headers and bodies (problem details for every error); valid requests
accepted and invalid ones refused; 405 answers naming the allowed methods;
and the bearer token's scheme as the schema declares it (optional: without a
token a request reads public data). It runs without a token and again with
an inspectorate's.

Three refusals of schema-valid requests are the API's to make and are allowed,
narrowly: a consistency proof from a larger tree to a smaller one and a view
asked for both `known_at` and `log_size` (relations between two parameters a
schema cannot state), and a submission
that has the shape of a JSON object but is no signed envelope of this log
(only the log can check a signature, a signer and a record type's payload).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from accordwatch.cli import main
from accordwatch.log.roles import Role
from accordwatch.service.api.app import create_app
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import TOKEN_BYTES, make_token
from accordwatch.timeutil import utc_now
from accordwatch.workspace import Workspace

#: generated requests per operation and mode; deterministic, so the same ones on every run
EXAMPLES = 10

#: (operation, check, words of the problem's detail): schema-valid requests the API may refuse
ALLOWED_REFUSALS = [
    ("GET /api/log/consistency", "positive_data_acceptance", "needs 0 < first <= second"),
    ("POST /api/submissions", "positive_data_acceptance", "request body"),
    # a view reads one checkpoint: named by a day or by a size, not both
    ("GET /api/roadmap/status", "positive_data_acceptance", "not both"),
    ("GET /api/compliance/violations", "positive_data_acceptance", "not both"),
    ("GET /api/compliance/report", "positive_data_acceptance", "not both"),
    # the explorer's dates must be in order
    ("GET /explorer.json", "positive_data_acceptance", "is before since"),
    ("GET /explorer.csv", "positive_data_acceptance", "is before since"),
]


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    home = tmp_path_factory.mktemp("schema") / "demo"
    main(["demo", "--home", str(home)])
    return Workspace.open(home)


@pytest.fixture(scope="module")
def bearer(demo_workspace: Workspace) -> dict[str, str]:
    """The Authorization header of a valid token of the demo's inspectorate."""
    ledger = demo_workspace.ledger()
    token = make_token(bytes(range(TOKEN_BYTES)))  # fixed: the run is the same every time
    now = utc_now()
    store = TokenStore(ledger.engine, ledger.url)
    store.add(token, "iaea", Role.INSPECTORATE, now - timedelta(hours=1), now + timedelta(days=1))
    return {"Authorization": f"Bearer {token}"}


def _allowed(label: str, check: str, response_text: str) -> bool:
    return any(
        label == operation and check == name and words in response_text
        for operation, name, words in ALLOWED_REFUSALS
    )


def _run(workspace: Workspace, headers: dict[str, str] | None) -> tuple[set[str], list[str]]:
    """Run every phase and check; the operations tested and the failures, one line each."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(workspace))
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
    if headers:
        schema.config.update(headers=headers)
    tested: set[str] = set()
    failures: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.label:
            tested.add(event.label)
            for case_id, nodes in event.recorder.checks.items():
                interaction = event.recorder.interactions.get(case_id)
                response = interaction.response if interaction else None
                text = response.content.decode("utf-8", "replace") if response else ""
                for node in nodes:
                    if node.status != Status.FAILURE or node.failure_info is None:
                        continue
                    if _allowed(event.label, node.name, text):
                        continue
                    failure = node.failure_info.failure
                    request = interaction.request if interaction else None
                    sent = f"{request.method} {request.uri}" if request else "?"
                    failures.append(
                        f"{event.label} [{event.phase.value}] {node.name}: {failure.title}: "
                        f"{failure.message}\n  sent {sent}\n  got {text[:300]}"
                    )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error: {event.info.message}")
        elif isinstance(event, events.FatalError):
            failures.append(f"the run failed: {event.exception!r}")
    return tested, failures


@pytest.mark.slow
@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "inspectorate"])
def test_every_operation_keeps_to_the_schema(
    demo_workspace: Workspace, bearer: dict[str, str], with_token: bool
) -> None:
    tested, failures = _run(demo_workspace, bearer if with_token else None)
    assert len(tested) > 10, tested
    secured = [
        label
        for label in tested
        if "/api/log/entries" in label or "/api/declarations" in label or "safeguards" in label
    ]
    assert len(secured) > 2, tested
    unique = sorted(set(failures))
    assert not unique, "\n\n".join(unique)


def test_the_allowed_refusals_name_real_operations(demo_workspace: Workspace) -> None:
    """The exceptions above stay tied to operations that exist, with the problems they give."""
    schema: dict[str, Any] = create_app(demo_workspace).openapi()
    for label, _check, _words in ALLOWED_REFUSALS:
        method, path = label.split(" ", 1)
        assert method.lower() in schema["paths"][path], label
