"""Sending submissions to a log run elsewhere, and checking each receipt on arrival.

A node (or any workspace given `--to URL`) does not append to a database of
its own: it POSTs each signed submission to the log's `POST /api/submissions`
and takes back a receipt, which it checks before believing it: the receipt's
leaf hash is this envelope's, its inclusion proof leads to its checkpoint's
root, and the checkpoint is signed by the log's key (`Receipt.verify`). The
entry reaches the node's own copy on its next `node sync`.

Only the standard library's urllib speaks HTTP here, as in `remote_log`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from accordwatch.errors import (
    AccordwatchError,
    AuthorityError,
    ConflictError,
    InputError,
    NotFoundError,
    SignatureError,
    StorageError,
    VerificationError,
)
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.envelope import Submission
from accordwatch.log.note import Verifier
from accordwatch.log.receipt import Receipt
from accordwatch.sources.remote_log import TileSource
from accordwatch.store.ledger import Appended, AppendResult

#: the path of the submission endpoint under a `serve`'s address
SUBMISSIONS = "/api/submissions"
#: the most of an answer read: a receipt's proof has at most 64 hashes
MAX_ANSWER = 1 << 20

#: the log's refusals that mean the submitter sealed with an outdated copy of the registry
_STALE = ("is not the current encryption key", "the opening is not sealed to")

#: each problem status and the error it stands for here (and so its exit code)
_ERRORS: dict[int, type[AccordwatchError]] = {
    401: SignatureError,
    403: AuthorityError,
    404: NotFoundError,
    409: ConflictError,
    503: StorageError,
}


def submissions_url(address: str) -> str:
    """`<address>/api/submissions` of a `serve` at `address` (an http(s):// URL)."""
    parsed = urllib.parse.urlsplit(address)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(
            "submissions go to a log's http(s):// URL (the address of its `serve`)",
            where=address,
        )
    path = parsed.path.rstrip("/")
    if path.endswith("/tlog"):
        path = path[: -len("/tlog")]
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path + SUBMISSIONS, "", ""))


class RemoteLog:
    """The log at `address`, which takes submissions and answers with receipts.

    `stale_hint` is added to a refusal that says the opening was sealed to
    keys the log no longer holds current (the sender's registry is behind).
    """

    def __init__(
        self,
        address: str,
        verifier: Verifier,
        *,
        timeout: float = 30.0,
        stale_hint: str | None = None,
    ) -> None:
        self.address = address
        self.url = submissions_url(address)
        self.verifier = verifier
        self.timeout = timeout
        self.stale_hint = stale_hint

    @property
    def origin(self) -> str:
        return self.verifier.name

    def check_serves(self) -> Checkpoint:
        """The log's latest checkpoint, which must verify with `verifier`: the log it names."""
        source = TileSource(self.address, timeout=self.timeout)
        note = source.get("checkpoint").decode("utf-8", "replace")
        try:
            return Checkpoint.open(note, self.verifier)
        except AccordwatchError as exc:
            raise VerificationError(
                f"the log at {self.address} is not log {self.verifier.name} "
                f"(its checkpoint does not verify with that key: {exc.message})",
                where=source.where("checkpoint"),
            ) from None

    def submit(self, submission: Submission, *, where: str = "submission") -> Receipt:
        """Send one submission; its receipt, checked against the envelope and the log's key."""
        answer = self._post(submission.to_json())
        receipt = Receipt.from_json(answer, where=f"the receipt from {self.url}")
        try:
            receipt.verify(self.verifier, submission.envelope.canonical)
        except AccordwatchError as exc:
            raise VerificationError(
                f"the receipt does not verify: {exc.message}; the entry may not be in log "
                f"{self.verifier.name}",
                where=self.url,
            ) from None
        return receipt

    def append(
        self, submissions: Sequence[Submission], *, where: str = "submission"
    ) -> AppendResult:
        """Send submissions one by one, in order; what was sent before a refusal stays sent."""
        entries: list[Appended] = []
        last: Receipt | None = None
        for n, submission in enumerate(submissions):
            try:
                last = self.submit(submission, where=where)
            except AccordwatchError as exc:
                if n:
                    exc.message = f"{exc.message} ({n} of {len(submissions)} sent before it)"
                raise
            entries.append(Appended(last.index, last.leaf_hash, False))
        if last is None:
            raise InputError("nothing to send", where=where)
        return AppendResult(entries, last.tree_size, last.checkpoint)

    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                text: bytes = answer.read(MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            raise self._refusal(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise StorageError(f"cannot reach the log: {reason}", where=self.url) from None
        try:
            return json.loads(text)
        except ValueError:
            raise VerificationError(
                "the log's answer is not a JSON receipt", where=self.url
            ) from None

    def _refusal(self, exc: urllib.error.HTTPError) -> AccordwatchError:
        """A problem+json answer as one line: its title, detail and status."""
        try:
            problem = json.loads(exc.read(MAX_ANSWER))
        except (ValueError, OSError):
            problem = None
        if isinstance(problem, dict):
            title = str(problem.get("title") or exc.reason)
            detail = str(problem.get("detail") or "")
            status = problem.get("status", exc.code)
        else:
            title, detail, status = str(exc.reason), "", exc.code
        said = f"{title}: {detail}" if detail and detail != title else title
        message = f"the log refused the submission: {said} (HTTP {status})"
        if self.stale_hint and any(phrase in detail for phrase in _STALE):
            message += f"; {self.stale_hint}"
        kind = _ERRORS.get(exc.code, InputError if exc.code < 500 else StorageError)
        return kind(message, where=self.url)
