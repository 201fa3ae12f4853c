"""The client that sends submissions to a log elsewhere: its address and its refusals.

The sending itself, against a served log, is in `test_node_writes`.
"""

from __future__ import annotations

import io
import json
import urllib.error
from email.message import Message

import pytest

from accordwatch.errors import AuthorityError, InputError, StorageError
from accordwatch.log.keys import SigningKey
from accordwatch.log.note import NoteSigner
from accordwatch.sources.remote_submit import RemoteLog, submissions_url


def test_the_submission_endpoint_is_under_the_serve_address() -> None:
    assert submissions_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/api/submissions"
    assert submissions_url("https://log.example/") == "https://log.example/api/submissions"
    # the address a node reads tiles from, with or without /tlog
    assert submissions_url("http://h:1/tlog") == "http://h:1/api/submissions"
    assert submissions_url("http://h:1/accord/") == "http://h:1/accord/api/submissions"
    for address in ("published-folder", "file:///srv/log", "ftp://h/"):
        with pytest.raises(InputError, match="http"):
            submissions_url(address)


def _answer(status: int, body: bytes) -> urllib.error.HTTPError:
    return urllib.error.HTTPError("http://h/api/submissions", status, "Reason", Message(),
                                  io.BytesIO(body))  # fmt: skip


def _log() -> RemoteLog:
    verifier = NoteSigner("example.org/log", SigningKey.generate()).verifier
    return RemoteLog("http://h", verifier, stale_hint="run accordwatch node sync")


def test_a_problem_answer_is_one_line_with_its_title_detail_and_status() -> None:
    problem = {"title": "Forbidden", "status": 403, "detail": "usa may not submit declaration"}
    error = _log()._refusal(_answer(403, json.dumps(problem).encode()))
    assert isinstance(error, AuthorityError)
    assert error.diagnostic() == (
        "http://h/api/submissions: the log refused the submission: Forbidden: "
        "usa may not submit declaration (HTTP 403)"
    )
    # a refusal of keys the sender's registry still held current says how to catch up
    stale = {"title": "Unprocessable Entity", "status": 422,
             "detail": "key ab12 is not the current encryption key of party 'iaea'"}  # fmt: skip
    error = _log()._refusal(_answer(422, json.dumps(stale).encode()))
    assert isinstance(error, InputError)
    assert error.message.endswith("(HTTP 422); run accordwatch node sync")
    # an answer that is no problem document: its status and reason
    error = _log()._refusal(_answer(502, b"<html>bad gateway</html>"))
    assert isinstance(error, StorageError)
    assert error.message == "the log refused the submission: Reason (HTTP 502)"
