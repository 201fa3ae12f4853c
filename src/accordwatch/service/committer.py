"""Group commit for `POST /api/submissions`: one writer thread per worker process.

Every append holds the log's head lock for the length of its transaction, so
appends from all workers run one after another. Committing each request's
submission on its own would spend a whole transaction (several round trips,
a signed checkpoint and a flush to disk) on every submission. Here the
submissions that arrive while a commit is under way wait for the next one
and go in together: one transaction, one signed checkpoint, a receipt each.
`Ledger.submit_many` keeps one client's bad submission from failing another's.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from accordwatch.log.envelope import Submission
from accordwatch.log.receipt import Receipt
from accordwatch.store.ledger import Ledger

#: the most submissions one transaction takes; more wait for the next
MAX_BATCH = 500


@dataclass(frozen=True)
class _Waiting:
    submission: Submission
    future: asyncio.Future[Receipt]
    loop: asyncio.AbstractEventLoop


class Committer:
    """Appends submissions from the event loop in batches, on a thread of its own."""

    def __init__(self, ledger: Ledger, *, where: str = "request body") -> None:
        self._ledger = ledger
        self._where = where
        self._waiting: list[_Waiting] = []
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    async def submit(self, submission: Submission) -> Receipt:
        """Append `submission` with whatever else is waiting; its receipt, or its error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Receipt] = loop.create_future()
        with self._ready:
            self._waiting.append(_Waiting(submission, future, loop))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="accordwatch-committer", daemon=True
                )
                self._thread.start()
            self._ready.notify()
        return await future

    def close(self) -> None:
        """Let the writer thread end once what is waiting has been appended."""
        with self._ready:
            self._closing = True
            self._thread = None
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._waiting:
                    if self._closing:
                        return
                    self._ready.wait()
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
            outcomes: list[Receipt | BaseException]
            try:
                outcomes = list(
                    self._ledger.submit_many([w.submission for w in batch], where=self._where)
                )
            except Exception as exc:  # not a user's error: each request reports it
                outcomes = [exc] * len(batch)
            for waiting, outcome in zip(batch, outcomes, strict=True):
                waiting.loop.call_soon_threadsafe(_settle, waiting.future, outcome)


def _settle(future: asyncio.Future[Receipt], outcome: Receipt | BaseException) -> None:
    if future.done():  # the client went away; its submission stands
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
