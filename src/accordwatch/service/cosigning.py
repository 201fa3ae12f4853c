"""The collector: the log asks the witnesses of the policy in force to cosign its checkpoint.

After the log signs a checkpoint, every witness of the policy in force that
has a URL (its submission prefix) is sent C2SP tlog-witness `add-checkpoint`
with the latest checkpoint, all in parallel, each on a keep-alive connection
of its own and under a timeout. The old size is the size that witness last
cosigned for this log (0 if never); a witness that answers 409 names the size
it holds, and the request is sent again once with a proof from there. The
cosignature lines it answers are verified with the witness's key in the
policy before they are stored; lines by other keys are ignored. A witness
that is down or refuses gives a warning naming it and its URL, never an
exception. A 422 that comes with a checkpoint of this log that the log's own
checkpoints contradict is recorded as fork evidence.

`Collector.kick` runs a round on a background thread (at most one at a
time; a kick during a round asks for one more), so the request path never
waits for a witness; `Collector.start` also runs one every interval.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from accordwatch.errors import AccordwatchError, VerificationError
from accordwatch.log.checkpoint import Checkpoint
from accordwatch.log.cosignature import cosignature_lines
from accordwatch.log.fork import find_fork
from accordwatch.log.policy import Policy, PolicyWitness
from accordwatch.log.witness_protocol import AddCheckpoint
from accordwatch.log.witnessed import Witnessed
from accordwatch.store.log_reader import LogReader
from accordwatch.timeutil import format_time, utc_now

DEFAULT_TIMEOUT = 5.0
#: the largest witness answer read (cosignature lines, a size, an error text)
MAX_ANSWER = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class WitnessOutcome:
    """What one witness did with one checkpoint."""

    witness: str
    url: str
    #: cosigned, already (its cosignature of this size is stored: not asked again), down,
    #: refused, conflict, fork, bad-answer
    result: str
    detail: str = ""
    stored: int = 0

    @property
    def ok(self) -> bool:
        return self.result in ("cosigned", "already")

    def line(self) -> str:
        text = f"{self.witness} ({self.url}): {self.result}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass
class CosignRound:
    """One round: the checkpoint offered, each witness's outcome and the result."""

    size: int
    outcomes: list[WitnessOutcome] = field(default_factory=list)
    note: str = ""
    witnessed: Witnessed | None = None

    def warnings(self) -> list[str]:
        return [f"witness {o.line()}" for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        if self.witnessed is None:
            return "not witnessed"
        return self.witnessed.summary()


class _Connections:
    """One keep-alive HTTP connection per witness URL."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._held: dict[str, http.client.HTTPConnection] = {}
        self._lock = threading.Lock()

    def post(self, url: str, body: bytes) -> tuple[int, str, bytes]:
        parts = urlsplit(url.rstrip("/") + "/add-checkpoint")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OSError(f"not an http(s) URL: {url}")
        path = parts.path or "/"
        for attempt in (1, 2):
            conn = self._take(url, parts.scheme, parts.netloc)
            try:
                conn.request(
                    "POST",
                    path,
                    body=body,
                    headers={
                        "Content-Type": "text/plain; charset=utf-8",
                        "Connection": "keep-alive",
                    },
                )
                response = conn.getresponse()
                data = response.read(MAX_ANSWER + 1)
                kind = response.getheader("Content-Type", "") or ""
                if response.will_close or len(data) > MAX_ANSWER:
                    self._drop(url)
                return response.status, kind, data[:MAX_ANSWER]
            except (OSError, http.client.HTTPException):
                self._drop(url)
                # a kept connection the witness closed: try once on a new one
                if attempt == 2:
                    raise
        raise OSError("unreachable")  # pragma: no cover

    def _take(self, url: str, scheme: str, netloc: str) -> http.client.HTTPConnection:
        with self._lock:
            conn = self._held.get(url)
            if conn is None:
                kind = (
                    http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
                )
                conn = self._held[url] = kind(netloc, timeout=self.timeout)
            return conn

    def _drop(self, url: str) -> None:
        with self._lock:
            conn = self._held.pop(url, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for conn in held:
            conn.close()


class Collector:
    """Collects witness cosignatures of one log's latest checkpoint."""

    def __init__(
        self,
        reader: LogReader,
        policy: Callable[[], Policy | None],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.reader = reader
        self.policy = policy
        self.warn = warn or (lambda _line: None)
        self._connections = _Connections(timeout)
        self._round_lock = threading.Lock()
        self._wake = threading.Condition()
        self._wanted = False
        self._closing = False
        self._thread: threading.Thread | None = None
        self._interval: float | None = None

    # -- one round -------------------------------------------------------------

    def collect(self) -> CosignRound | None:
        """Offer the latest checkpoint to every witness with a URL; None if no policy applies."""
        policy = self.policy()
        if policy is None:
            return None
        with self._round_lock:
            return self._collect(policy)

    def _collect(self, policy: Policy) -> CosignRound:
        reader = self.reader
        note = reader.latest_checkpoint()
        cp = reader.opened(note)
        done = CosignRound(cp.size, note=note)
        sizes = reader.witness_sizes()
        targets = [w for w in policy.witnesses if w.url]
        if targets:
            with ThreadPoolExecutor(max_workers=min(16, len(targets))) as pool:
                futures = [
                    pool.submit(
                        self._offer, w, note, cp, sizes.get((w.key.name, w.key.key_id.hex()), 0)
                    )
                    for w in targets
                ]
                done.outcomes = [f.result() for f in futures]
        for outcome in done.outcomes:
            if not outcome.ok:
                self.warn(f"witness {outcome.line()}")
        done.note = reader.cosigned_note(cp.size)
        try:
            done.witnessed = reader.witnessed(done.note, policy)
        except AccordwatchError as exc:
            self.warn(f"the cosigned checkpoint does not verify under the policy: {exc.message}")
        return done

    def _offer(self, witness: PolicyWitness, note: str, cp: Checkpoint, old: int) -> WitnessOutcome:
        url = witness.url or ""
        if old == cp.size:
            return WitnessOutcome(witness.name, url, "already", f"size {cp.size}")
        if old > cp.size:
            old = 0  # the witness holds more than this log has: let it say which (409)
        try:
            for _ in range(2):
                status, kind, data = self._send(url, note, cp.size, old)
                if status == 409:
                    held = _size_answer(kind, data)
                    if held is None:
                        return WitnessOutcome(witness.name, url, "bad-answer", "409 without a size")
                    if held > cp.size or held == old:
                        return WitnessOutcome(
                            witness.name,
                            url,
                            "conflict",
                            f"it holds size {held}, the log {cp.size}",
                        )
                    old = held
                    continue
                break
        except (OSError, http.client.HTTPException) as exc:
            return WitnessOutcome(witness.name, url, "down", str(exc) or type(exc).__name__)
        except AccordwatchError as exc:
            return WitnessOutcome(witness.name, url, "bad-answer", exc.message)
        if status == 200:
            return self._store(witness, url, note, cp, data)
        text = data.decode("utf-8", "replace").strip().splitlines()
        first = text[0][:200] if text else ""
        if status == 422:
            fork = self._fork(data, note, cp)
            if fork:
                return WitnessOutcome(witness.name, url, "fork", fork)
        return WitnessOutcome(witness.name, url, "refused", f"HTTP {status} {first}".strip())

    def _send(self, url: str, note: str, size: int, old: int) -> tuple[int, str, bytes]:
        proof: tuple[bytes, ...] = ()
        if 0 < old < size:
            proof = tuple(self.reader.prove_consistency(old, size)[1])
        return self._connections.post(url, AddCheckpoint(old, proof, note).body())

    def _store(
        self, witness: PolicyWitness, url: str, note: str, cp: Checkpoint, data: bytes
    ) -> WitnessOutcome:
        try:
            sigs = cosignature_lines(note, data.decode("utf-8"))
        except (UnicodeDecodeError, VerificationError) as exc:
            return WitnessOutcome(witness.name, url, "bad-answer", f"unreadable lines: {exc}")
        text = cp.text()
        good = []
        for sig in sigs:
            if not witness.key.matches(sig):
                continue  # another key's line: not this witness's to vouch for
            try:
                witness.key.verify(text, sig)
            except VerificationError as exc:
                return WitnessOutcome(witness.name, url, "bad-answer", exc.message)
            good.append(sig.line())
        if not good:
            return WitnessOutcome(witness.name, url, "bad-answer", "no cosignature by its key")
        stored = self.reader.add_cosignatures(cp.size, good)
        return WitnessOutcome(witness.name, url, "cosigned", f"size {cp.size}", stored)

    def _fork(self, data: bytes, note: str, cp: Checkpoint) -> str:
        """Record fork evidence if the 422 answer holds a checkpoint the log contradicts."""
        reader = self.reader
        key = reader.signer.verifier
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        for candidate in (text, text.partition("\n\n")[2]):
            try:
                theirs = Checkpoint.open(candidate, key)
            except AccordwatchError:
                continue
            try:
                if theirs.size <= cp.size:
                    ours = reader.checkpoint_at(theirs.size) if theirs.size != cp.size else note
                    evidence = find_fork(key, ours, candidate, found_by="log collector")
                    if evidence is None and theirs.size < cp.size:
                        proof = tuple(reader.prove_consistency(theirs.size, cp.size)[1])
                        evidence = find_fork(key, candidate, note, proof, found_by="log collector")
                else:
                    evidence = None
                if evidence is not None:
                    evidence = replace(evidence, found_at=format_time(utc_now()))
                    reader.record_fork(evidence)
                    return evidence.verify()
            except AccordwatchError:
                continue
        return ""

    # -- in the background ---------------------------------------------------------

    def kick(self) -> None:
        """Ask for a round soon, on the background thread; never blocks."""
        with self._wake:
            self._wanted = True
            if self._thread is None and not self._closing:
                self._thread = threading.Thread(
                    target=self._run, name="accordwatch-cosigner", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def start(self, interval: float) -> None:
        """Run a round now and every `interval` seconds until `close`."""
        self._interval = interval
        self.kick()

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._wanted and not self._closing:
                    self._wake.wait(self._interval)
                if self._closing:
                    return
                self._wanted = False
            try:
                self.collect()
            except Exception as exc:  # the log's own failure (its database): say so, go on
                self.warn(f"collecting cosignatures failed: {exc}")

    def close(self) -> None:
        with self._wake:
            self._closing = True
            thread, self._thread = self._thread, None
            self._wake.notify()
        if thread is not None:
            thread.join(timeout=self._connections.timeout * 3)
        self._connections.close()


def _size_answer(kind: str, data: bytes) -> int | None:
    """The size a 409 answer names (`<size>\\n`, `text/x.tlog.size`), or None."""
    del kind  # some witnesses send the size as text/plain: the body decides
    text = data.decode("ascii", "replace")
    if not text.endswith("\n") or not text[:-1].isdigit() or len(text) > 21:
        return None
    value = text[:-1]
    if value != "0" and value.startswith("0"):
        return None
    return int(value)
