"""Item 15: a chunked upload is counted as it arrives and stopped at the limit.

The attack: `POST /api/submissions` with `Transfer-Encoding: chunked` and no
`Content-Length`, far larger than any submission may be. The server used to
read the whole body before checking its size (400 MB raised it from 278 to
594 MiB). Against a real `accordwatch serve` with `max_entry_bytes` at its
smallest (1 KiB, so a body may be 4 KiB), the client here sends up to 64 MiB
in 64 KiB chunks with `http.client`, looking for an answer after each chunk:
the answer must be a 413 problem, it must come long before the body ends,
and the server's resident memory must not have grown by anything like the
size of what was sent.
"""

from __future__ import annotations

import http.client
import json
import select
from pathlib import Path

from accordwatch.workspace import init_workspace
from tests.security.served import serving

CHUNK = 64 * 1024
#: the most the client sends (bounded: it stops here whatever the server does)
TOTAL = 64 * 1024 * 1024
LIMIT = 1024  # max_entry_bytes, the smallest the settings allow


def _send_chunked(port: int) -> tuple[int, int, bytes]:
    """Send the upload; (bytes sent, status, body) once the answer comes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("POST", "/api/submissions")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    assert conn.sock is not None
    chunk = b"%x\r\n" % CHUNK + b"[" * CHUNK + b"\r\n"
    sent = 0
    try:
        while sent < TOTAL:
            readable, _, _ = select.select([conn.sock], [], [], 0)
            if readable:
                break  # the server has answered: stop sending
            conn.sock.sendall(chunk)
            sent += CHUNK
        else:
            conn.sock.sendall(b"0\r\n\r\n")
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the server closed the connection after answering
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return sent, response.status, body


def test_chunked_upload_is_stopped_at_the_limit(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    init_workspace(home, origin="test.local/chunked")
    env = {"ACCORDWATCH_MAX_ENTRY_BYTES": str(LIMIT)}
    with serving(home, env=env) as server:
        before = server.rss_kib()
        sent, status, body = _send_chunked(server.port)
        grown_kib = server.rss_kib() - before
        alive = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        alive.request("GET", "/api/log")
        still_serving = alive.getresponse().status
    print(f"sent {sent} bytes; the server grew by {grown_kib} KiB from {before} KiB")
    assert status == 413, (status, body[:300])
    problem = json.loads(body)
    assert problem["status"] == 413 and "larger than" in problem["detail"]
    # the answer came while the upload was going on, not after it
    assert sent < TOTAL // 4, sent
    # what was sent is not held: far less growth than the upload's size
    assert grown_kib * 1024 < TOTAL // 8, (grown_kib, sent)
    assert still_serving == 200
