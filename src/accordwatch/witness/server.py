"""The witness's HTTP interface, as a bare ASGI application (served by uvicorn).

    POST /add-checkpoint            tlog-witness add-checkpoint: 200 with the cosignature
                                    line(s), or 400, 403, 404, 409 (text/x.tlog.size), 422
    GET  /<sha256(origin)>/checkpoint
                                    the latest cosigned checkpoint of that log (404 if none)

Other methods on those paths get 405, other paths 404, a body over
`MAX_BODY` bytes 413. No framework: routing two paths costs less than any
framework's machinery, and a witness is measured in requests per second.

Add-checkpoint requests are committed in groups: the requests that arrive
while one group is being decided and committed (in one worker thread, so
that the event loop goes on reading requests meanwhile) form the next
group, decided in their order of arrival in one transaction and answered
after its commit. With `durability = "full"` a commit waits for the disk;
one wait then serves every request of the group.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from accordwatch.log.witness_protocol import MAX_BODY
from accordwatch.witness.cosigning import TEXT, Answer, Witness

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_CHECKPOINT_PATH = re.compile(r"/([0-9a-f]{64})/checkpoint")
_SECURITY = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]


MAX_GROUP = 256


class WitnessApp:
    """ASGI application answering the tlog-witness requests of one `Witness`."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness
        self._pending: list[tuple[bytes, asyncio.Future[Answer]]] = []
        self._committing = False
        self._committer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="witness-commit")

    async def _add_checkpoint(self, body: bytes) -> Answer:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Answer] = loop.create_future()
        self._pending.append((body, answer))
        if not self._committing:
            self._committing = True
            self._committer = loop.create_task(self._commit_groups())
        return await answer

    async def _commit_groups(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                group, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
                bodies = [body for body, _ in group]
                try:
                    answers = await loop.run_in_executor(
                        self._thread, self.witness.add_checkpoints, bodies
                    )
                except Exception as exc:  # a bug: every request of the group sees it
                    for _, waiting in group:
                        if not waiting.done():
                            waiting.set_exception(exc)
                    continue
                for (_, waiting), answer in zip(group, answers, strict=True):
                    if not waiting.done():
                        waiting.set_result(answer)
        finally:
            self._committing = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/add-checkpoint":
            if method != "POST":
                await _send(send, _text(405, "use POST"), [(b"allow", b"POST")])
                return
            body = await _read_body(scope, receive)
            answer = (
                _text(413, f"request body over {MAX_BODY} bytes")
                if body is None
                else (self.witness.add_checkpoint(body))
            )
            await _send(send, answer)
            return
        match = _CHECKPOINT_PATH.fullmatch(path)
        if match is None:
            await _send(send, _text(404, "not found"))
            return
        if method not in ("GET", "HEAD"):
            await _send(send, _text(405, "use GET"), [(b"allow", b"GET, HEAD")])
            return
        await _send(send, self.witness.checkpoint(match.group(1)), head=method == "HEAD")


def _text(status: int, message: str) -> Answer:
    return Answer(status, TEXT, (message + "\n").encode())


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The request body, or None when it is over `MAX_BODY` bytes."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > MAX_BODY:
                    return None
            except ValueError:
                return None
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Send,
    answer: Answer,
    extra: list[tuple[bytes, bytes]] | None = None,
    *,
    head: bool = False,
) -> None:
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode()),
        *_SECURITY,
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else answer.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


HOME_ENV = "ACCORDWATCH_WITNESS_HOME"


def app_from_environment() -> WitnessApp:
    """The application for a uvicorn worker process: the witness in `$ACCORDWATCH_WITNESS_HOME`."""
    import os
    from pathlib import Path

    from accordwatch.witness.home import WitnessHome

    return WitnessApp(Witness.open(WitnessHome.at(Path(os.environ[HOME_ENV]))))
