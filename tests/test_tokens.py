"""Bearer tokens: the pure rules, and `accordwatch token issue|list|revoke` end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.errors import AuthorityError, InputError, SignatureError
from accordwatch.log.roles import Role
from accordwatch.service.api.app import create_app
from accordwatch.service.token_store import TokenStore
from accordwatch.service.tokens import (
    Grant,
    check_role,
    expiry,
    make_token,
    token_hash,
    token_id,
    well_formed,
)
from accordwatch.workspace import Workspace
from tests.helpers import Log

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def test_token_form_and_hash() -> None:
    token = make_token(bytes(range(32)))
    assert token.startswith("aw_") and len(token) == 46 and well_formed(token)
    assert not well_formed(token[:-1]) and not well_formed("aw_" + "!" * 43)
    digest = token_hash(token)
    assert len(digest) == 32 and token_id(digest) == digest[:6].hex()
    assert token_hash(make_token(bytes(32))) != digest
    with pytest.raises(ValueError, match="32 random bytes"):
        make_token(b"short")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12h", NOW + timedelta(hours=12)),
        ("30d", NOW + timedelta(days=30)),
        ("2w", NOW + timedelta(weeks=2)),
        ("2026-01-10", datetime(2026, 1, 11, tzinfo=UTC)),
        ("2026-03-01", datetime(2026, 3, 2, tzinfo=UTC)),
    ],
)
def test_expiry(text: str, expected: datetime) -> None:
    assert expiry(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "neither a duration"),
        ("0d", "neither a duration"),
        ("2026-01-09", "in the past"),
        ("400d", "more than 366 days"),
        ("2030-01-01", "more than 366 days"),
    ],
)
def test_bad_expiry(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        expiry(text, NOW)


def test_role_must_be_the_registered_one() -> None:
    assert check_role("iaea", "inspectorate", Role.INSPECTORATE) is Role.INSPECTORATE
    with pytest.raises(AuthorityError, match="registered as party, not inspectorate"):
        check_role("usa", "inspectorate", Role.PARTY)
    with pytest.raises(InputError, match="unknown role 'king'"):
        check_role("usa", "king", Role.PARTY)


def test_grant_states() -> None:
    grant = Grant("abc", "iaea", Role.INSPECTORATE, NOW, NOW + timedelta(days=1))
    assert grant.state(NOW) == "active"
    grant.check(NOW)
    assert grant.state(NOW + timedelta(days=1)) == "expired"
    with pytest.raises(SignatureError, match="abc is expired"):
        grant.check(NOW + timedelta(days=2))
    revoked = Grant("abc", "iaea", Role.INSPECTORATE, NOW, NOW + timedelta(days=1), NOW)
    assert revoked.state(NOW) == "revoked"


def test_token_cli_issue_list_revoke(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    log = Log.open(workspace)
    log.add_party("iaea", "inspectorate")
    home = ["--home", str(workspace.home)]
    main([*home, "token", "issue", "--party", "iaea", "--role", "inspectorate", "--expires", "7d"])
    out = capsys.readouterr()
    token = out.out.strip()
    assert well_formed(token)
    assert "shown only now" in out.err

    # only the hash is stored
    store = TokenStore(log.ledger.engine, log.ledger.url)
    (grant,) = store.all()
    assert grant.token_id == token_id(token_hash(token))
    assert store.find(token).party == "iaea"

    client = TestClient(create_app(workspace))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/declarations", headers=headers).status_code == 200

    main([*home, "token", "list", "--format", "json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["party"] == "iaea" and row["state"] == "active" and token not in json.dumps(row)

    main([*home, "token", "revoke", grant.token_id])
    assert "revoked" in capsys.readouterr().out
    assert client.get("/api/declarations", headers=headers).status_code == 401
    main([*home, "token", "list", "--format", "json"])
    assert json.loads(capsys.readouterr().out)[0]["state"] == "revoked"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--party", "nobody", "--role", "party", "--expires", "1d"], 4, "unknown party"),
        (["--party", "iaea", "--role", "party", "--expires", "1d"], 10, "registered as"),
        (["--party", "iaea", "--role", "inspectorate", "--expires", "x"], 3, "--expires"),
    ],
)
def test_token_issue_refuses_bad_input(
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    Log.open(workspace).add_party("iaea", "inspectorate")
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(workspace.home), "token", "issue", *args])
    assert exc.value.code == code
    err = capsys.readouterr().err
    assert err.startswith("accordwatch: error: ") and message in err
    assert err.count("\n") == 1
    ledger = workspace.ledger()
    assert TokenStore(ledger.engine, ledger.url).all() == []


def test_token_revoke_unknown_and_twice(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ["--home", str(workspace.home)]
    with pytest.raises(SystemExit) as exc:
        main([*home, "token", "revoke", "abcdef"])
    assert exc.value.code == 4 and "no token 'abcdef'" in capsys.readouterr().err
    ledger = workspace.ledger()
    store = TokenStore(ledger.engine, ledger.url)
    grant = store.add(make_token(bytes(32)), "registrar", Role.REGISTRAR, NOW, NOW)
    main([*home, "token", "revoke", grant.token_id])
    with pytest.raises(SystemExit) as exc:
        main([*home, "token", "revoke", grant.token_id])
    assert exc.value.code == 5 and "already revoked" in capsys.readouterr().err
