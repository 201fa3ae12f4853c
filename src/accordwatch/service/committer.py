"""Group commit for `POST /api/submissions`: one writer thread per worker process.

Every append holds the log's head lock for the length of its transaction, so
appends from all workers run one after another. Committing each request's
submission on its own would spend a whole transaction (several round trips,
a signed checkpoint and a flush to disk) on every submission. Here the
submissions that arrive while a commit is under way wait for the next one
and go in together: one transaction, one signed checkpoint, a receipt each.

A bad submission must cost no one else anything. What can be refused at
once (its form, its log, its key and signature: `check.check_signature`,
against the registry the ledger last held) is refused on the caller's
request, before it joins a group; whatever else the append's own check
refuses, `Ledger.submit_many` leaves out of the group alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from accordwatch.errors import StorageError
from accordwatch.log.check import check_signature
from accordwatch.log.envelope import Submission
from accordwatch.log.receipt import Receipt
from accordwatch.log.registry import Registry
from accordwatch.store.ledger import Ledger

#: the most submissions one transaction takes; more wait for the next
MAX_BATCH = 500
#: with no registry at hand (the database unreachable), only the form is checked ahead
_NO_REGISTRY = Registry()


@dataclass(frozen=True)
class _Waiting:
    submission: Submission
    future: asyncio.Future[Receipt]
    loop: asyncio.AbstractEventLoop


class Committer:
    """Appends submissions from the event loop in batches, on a thread of its own."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        where: str = "request body",
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._ledger = ledger
        #: called on the writer thread after each batch is committed (it must not block)
        self._on_commit = on_commit
        self._where = where
        self._waiting: list[_Waiting] = []
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._first_registry: Registry | None = None

    async def submit(self, submission: Submission) -> Receipt:
        """Append `submission` with whatever else is waiting; its receipt, or its error."""
        ledger = self._ledger
        check_signature(
            submission,
            self._registry(),
            catalog=ledger.catalog,
            limits=ledger.limits,
            where=self._where,
        )
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

    def _registry(self) -> Registry:
        """The newest registry at hand to check ahead with; any past one will do.

        The ledger's own, as of its last append; until it has one (before the
        first append, after a failed one), the one read here once.
        """
        held = self._ledger.cached_registry()
        if held is not None:
            return held
        if self._first_registry is None:
            try:
                self._first_registry = self._ledger.registry()
            except StorageError:
                return _NO_REGISTRY  # the append will report it
        return self._first_registry

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
            if self._on_commit is not None and any(isinstance(o, Receipt) for o in outcomes):
                self._on_commit()


def _settle(future: asyncio.Future[Receipt], outcome: Receipt | BaseException) -> None:
    if future.done():  # the client went away; its submission stands
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
