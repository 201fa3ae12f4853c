"""Item 16: deeply nested JSON and huge integers are refused with a clear error, never a 500.

The attacks: 10,000 nested arrays as the whole body, about 450 nested levels
inside an otherwise well-formed submission's payload, and an integer of 5,000
digits (past Python's 4,300-digit conversion limit). Through the API each is a
422 problem naming the limit; through the command line, a one-line error and a
non-zero exit. Integers beyond 2^53 - 1 are refused too: RFC 8785 (I-JSON)
cannot represent them exactly, so two parties could not agree on their bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accordwatch.cli import main
from accordwatch.service.api.app import create_app
from accordwatch.workspace import init_workspace
from tests.helpers import Log

JSON = {"Content-Type": "application/json"}
#: the documented nesting limit (`accordwatch.log.canonical.MAX_DEPTH`)
MAX_DEPTH = 64


@pytest.fixture
def log(tmp_path: Path) -> Log:
    ws = init_workspace(tmp_path / "ws", origin="test.local/nesting")
    log = Log.open(ws)
    log.add_party("usa", "party")
    return log


def _nested(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


def _attacks(log: Log) -> dict[str, tuple[bytes, str]]:
    """Each attack's body and a word its refusal must name."""
    good = json.dumps(log.seal("usa", "statement", {"subject": "x", "n": 7}).to_json())
    assert '"n":7' in good.replace(" ", "")
    huge = good.replace('"n": 7', '"n": ' + "9" * 5000)
    beyond = good.replace('"n": 7', f'"n": {2**53}')
    deep = good.replace('"n": 7', '"n": ' + "[" * 450 + "7" + "]" * 450)
    assert huge != good and beyond != good and deep != good
    return {
        "10,000 nested arrays": (b"[" * 10_000 + b"]" * 10_000, "nested"),
        "450 levels in a payload": (deep.encode(), "nested"),
        "a 5,000-digit integer": (huge.encode(), "integer"),
        "2^53": (beyond.encode(), "integer"),
    }


def test_api_refuses_each_with_a_422_problem(log: Log) -> None:
    client = TestClient(create_app(log.ws), raise_server_exceptions=False)
    size = log.ledger.size()
    for name, (body, word) in _attacks(log).items():
        response = client.post("/api/submissions", content=body, headers=JSON)
        assert response.status_code == 422, (name, response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith("application/problem+json")
        detail = response.json()["detail"]
        assert word in detail and "\n" not in detail, (name, detail)
    assert log.ledger.size() == size
    # the limit is the documented one: 64 levels parse (and the body is then refused
    # for what it is), 65 do not
    for levels, refused_for_nesting in ((MAX_DEPTH, False), (MAX_DEPTH + 1, True)):
        text = json.dumps(_nested(levels))
        response = client.post("/api/submissions", content=text, headers=JSON)
        assert response.status_code == 422
        assert ("nested" in response.json()["detail"]) is refused_for_nesting, levels


def test_cli_refuses_each_in_one_line(
    log: Log, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for number, (name, (body, word)) in enumerate(_attacks(log).items()):
        path = tmp_path / f"attack{number}.json"
        path.write_bytes(body)
        for command in (["envelope", "verify", str(path)], ["submit", str(path)]):
            with pytest.raises(SystemExit) as exc:
                main(["--home", str(log.ws.home), *command])
            err = capsys.readouterr().err
            assert exc.value.code == 3, (name, command, err)
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("accordwatch: error: "), (name, err)
            assert str(path) in lines[0] and word in lines[0], (name, err)
            assert "Traceback" not in err
