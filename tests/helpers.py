"""Building logs in tests: parties, keys and signed submissions."""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accordwatch.log.envelope import Submission, seal
from accordwatch.log.keys import SigningKey
from accordwatch.log.receipt import Receipt
from accordwatch.roadmap.scenario import Event as ScenarioEvent
from accordwatch.roadmap.scenario import scenario_submissions, scenario_time
from accordwatch.store.ledger import Ledger
from accordwatch.timeutil import read_clock_file, set_clock_file
from accordwatch.workspace import Workspace


@dataclass
class Log:
    """A workspace's ledger with the registrar's key and the test parties' keys at hand."""

    ws: Workspace
    ledger: Ledger
    keys: dict[str, SigningKey] = field(default_factory=dict)

    @classmethod
    def open(cls, ws: Workspace) -> Log:
        ledger = ws.ledger()
        registrar = ws.settings.registrar
        record = next(k for k in ledger.registry().keys_of(registrar) if k.active)
        key = SigningKey.read(ws.party_key_path(registrar, record.key_id))
        return cls(ws, ledger, {registrar: key})

    def seal(
        self,
        party: str,
        record_type: str,
        payload: dict[str, Any],
        *,
        key: SigningKey | None = None,
        time: datetime | None = None,
        confidential: bool = False,
    ) -> Submission:
        return seal(
            log=self.ledger.origin,
            record_type=record_type,
            party=party,
            key=key or self.keys[party],
            time=time or self.ledger.clock(),
            payload=payload,
            confidential=confidential,
        )

    @contextmanager
    def clock_at(self, moment: datetime) -> Iterator[None]:
        """Run the log's clock at `moment` (envelopes sealed meanwhile are signed then too).

        On a simulated clock, its file is moved forward to `moment` as well (never
        back), so that commands run afterwards go on from there.
        """
        path = self.ws.settings.clock_path
        if path is not None and read_clock_file(path) < moment:
            set_clock_file(path, moment)
        before = self.ledger.clock
        self.ledger.clock = lambda: moment
        try:
            yield
        finally:
            self.ledger.clock = before

    def replay(self, events: Sequence[ScenarioEvent]) -> None:
        """Log a scenario's events one by one, each at its own time by the log's clock."""
        for event, submission in zip(
            events, scenario_submissions(list(events), self.keys, self.ledger.origin), strict=True
        ):
            with self.clock_at(scenario_time(event.on)):
                self.ledger.submit(submission)

    def submit_at(
        self, moment: datetime, party: str, record_type: str, payload: dict[str, Any], **kw: Any
    ) -> Receipt:
        """Sign and append at `moment`, by the log's clock as well as the signer's."""
        with self.clock_at(moment):
            return self.submit(party, record_type, payload, time=moment, **kw)

    def submit(self, party: str, record_type: str, payload: dict[str, Any], **kw: Any) -> Receipt:
        return self.ledger.submit(self.seal(party, record_type, payload, **kw))

    def add_party(self, name: str, role: str) -> SigningKey:
        registrar = self.ws.settings.registrar
        self.submit(registrar, "party.register", {"name": name, "role": role})
        key = SigningKey.generate()
        self.submit(
            registrar,
            "key.register",
            {
                "party": name,
                "key_id": key.key_id,
                "public_key": base64.b64encode(key.public_key).decode(),
            },
        )
        self.keys[name] = key
        return key

    def statement(self, party: str, subject: str, **kw: Any) -> Receipt:
        return self.submit(party, "statement", {"subject": subject}, **kw)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: colour and cursor sequences, which a captured run of the command line may hold
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: how the command line starts the one line it gives for a user's mistake
ERROR_PREFIX = "accordwatch: error: "


@dataclass(frozen=True)
class Run:
    """One run of the command line: its exit code and what it wrote."""

    code: int
    out: str
    err: str

    @property
    def flat(self) -> str:
        """Stdout with rich's line wrapping undone."""
        return " ".join(self.out.split())


def one_line_error(run: Run, *needles: str) -> str:
    """The run failed with one line on stderr, naming every needle; that line."""
    assert run.code != 0, run.out
    assert "Traceback" not in run.err, run.err
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(ERROR_PREFIX), run.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]
