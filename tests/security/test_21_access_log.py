"""Item 21: `serve` logs every request, and every confidential read, with the token's id.

The attack it answers: a token holder (or whoever stole a token) reads
confidential payloads, and nothing on the server says who read what. A real
`accordwatch serve --access-log FILE --log-level info` is asked anonymously,
with a token from `accordwatch token issue` (in the Authorization header and
in the sign-in cookie, on the hot reads and on routed pages), with an unknown
token and on a route that does not exist. The file must hold one common log
format line per request, naming the token's id where one was presented, and a
line for each confidential payload read, naming the entry and the token's id;
the token itself must appear nowhere in the file or on the server's standard
error, and the file must be readable by its owner only.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from accordwatch.cli import main
from accordwatch.service.tokens import token_hash, token_id
from accordwatch.workspace import init_workspace
from tests.helpers import Log
from tests.security.served import serving

#: host ident user [time] "request line" status bytes
CLF = re.compile(
    r"(?P<host>\S+) - (?P<user>\S+) \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-)'
)


def test_requests_and_confidential_reads_are_logged_without_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "ws"
    log = Log.open(init_workspace(home, origin="test.local/access"))
    log.add_party("usa", "party")
    secret = log.submit("usa", "statement", {"subject": "for usa's eyes"}, confidential=True)
    capsys.readouterr()
    main(
        [
            "--home",
            str(home),
            "token",
            "issue",
            "--party",
            "usa",
            "--role",
            "party",
            "--expires",
            "1d",
        ]
    )
    token = capsys.readouterr().out.strip()
    tid = token_id(token_hash(token))
    unknown = "aw_" + "B" * 43
    access = tmp_path / "logs" / "access.log"
    access.parent.mkdir()
    bearer = {"Authorization": f"Bearer {token}"}
    entry = f"/api/log/entries/{secret.index}"
    one = f"/api/log/entries?start={secret.index}&limit=1"
    with serving(home, "--access-log", str(access), "--log-level", "info") as server:

        def get(path: str, **kw: Any) -> httpx.Response:
            return httpx.get(server.base + path, timeout=10, **kw)

        sent = [
            ("GET /api/log", None, get("/api/log")),
            (f"GET {entry}", tid, get(entry, headers=bearer)),  # the hot reads
            (f"GET {one}", tid, get(one, headers=bearer)),  # routed
            ("GET /api/log/entries?start=0", tid, get("/api/log/entries?start=0", headers=bearer)),
            (f"GET {entry}", None, get(entry)),  # anonymous: the payload stays closed
            (
                "GET /overview.json",
                tid,
                get("/overview.json", cookies={"accordwatch_token": token}),
            ),
            (
                "GET /api/log",
                token_id(token_hash(unknown)),
                get("/api/log", headers={"Authorization": f"Bearer {unknown}"}),
            ),
            ("GET /no/such", None, get("/no/such")),
        ]
        assert sent[1][2].json()["payload"] == {"subject": "for usa's eyes"}
        assert sent[4][2].json()["readable"] is False
    text = access.read_text("utf-8")
    lines = text.splitlines()
    requests = [m for m in map(CLF.fullmatch, lines) if m]
    reads = [line for line in lines if "confidential read" in line]
    # one line per request (the readiness probe of the test's server among them)
    for (request, user, response), found in zip(sent, requests[-len(sent) :], strict=True):
        assert found["request"] == f"{request} HTTP/1.1", (request, found.group())
        assert found["user"] == (user or "-"), (request, found.group())
        assert int(found["status"]) == response.status_code, found.group()
        assert found["host"] == "127.0.0.1"
    # the bearer read the confidential entry three times (hot, routed, in the page of entries)
    assert len(reads) == 3, reads
    for line in reads:
        assert f"log entry {secret.index}" in line and tid in line and "usa" in line, line
    assert len(requests) + len(reads) == len(lines), text
    assert token not in text and token not in server.stderr.read_text()
    assert stat.S_IMODE(access.stat().st_mode) == 0o600
