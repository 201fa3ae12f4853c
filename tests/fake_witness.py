"""A small C2SP tlog-witness on 127.0.0.1 for tests: `POST /add-checkpoint`, in a thread.

It decides with `log.witness_protocol.decide` and cosigns with a `Cosigner`,
keeping the latest cosigned checkpoint per origin in memory. Started and
stopped by the test that uses it.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from accordwatch.log.cosignature import Algorithm, Cosigner
from accordwatch.log.note import Verifier
from accordwatch.log.witness_protocol import (
    AddCheckpoint,
    RefusedCheckpointError,
    Seen,
    checkpoint_origin,
    decide,
)


class FakeWitness:
    """One witness: its cosigner, the logs it trusts and what it cosigned."""

    def __init__(
        self, name: str, log_key: Verifier, algorithm: Algorithm = Algorithm.ED25519
    ) -> None:
        self.cosigner = Cosigner.generate(name, algorithm)
        self.trusted = {log_key.name: [log_key]}
        self.seen: dict[str, Seen] = {}
        self.requests = 0
        #: the status and body to answer with instead of deciding (a misbehaving witness)
        self.forced: tuple[int, bytes] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeWitness:
        witness = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if self.path != "/add-checkpoint":
                    self._answer(404, b"not found\n", "text/plain")
                    return
                status, answer, kind = witness.handle(body)
                self._answer(status, answer, kind)

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def handle(self, body: bytes) -> tuple[int, bytes, str]:
        with self._lock:
            self.requests += 1
            if self.forced is not None:
                return self.forced[0], self.forced[1], "text/plain"
            try:
                request = AddCheckpoint.parse(body)
                origin = checkpoint_origin(request.note)
                cp = decide(request, self.trusted, self.seen.get(origin))
            except RefusedCheckpointError as exc:
                if exc.status == 409:
                    return 409, f"{exc.size}\n".encode(), "text/x.tlog.size"
                return exc.status, (exc.message + "\n").encode(), "text/plain"
            self.seen[origin] = Seen(cp.size, cp.root, request.note)
            line = self.cosigner.line(cp.text(), int(time.time()))
            return 200, line.encode(), "text/plain"
