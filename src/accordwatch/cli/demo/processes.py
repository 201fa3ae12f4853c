"""The demo's servers: the log's `serve` and the witnesses, each a process of its own on loopback.

Each is started on a free 127.0.0.1 port and waited for (its ready line, then
its port, within bounded times); all are stopped when the demo ends, however
it ends.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from accordwatch.errors import StorageError

#: how long a server process may take to start (on a loaded machine too)
START_SECONDS = 180.0
#: how long one may take to stop before it is killed
STOP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Servers:
    """Server processes started by `start`, stopped on leaving the `with` block."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self._files = contextlib.ExitStack()

    def __enter__(self) -> Servers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, name: str, home: Path, *command: str, ready: str) -> str:
        """Run `accordwatch --home HOME COMMAND --host 127.0.0.1 --port N`; its URL once it answers.

        `name` says which server it is in the error raised if it does not start.
        """
        port = free_port()
        where = ["--host", "127.0.0.1", "--port", str(port)]
        # what it says on standard error: kept aside, to name why it did not start
        errors = self._files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed by stop)
        proc = subprocess.Popen(
            [sys.executable, "-m", "accordwatch", "--home", str(home), *command, *where],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        self.processes[name] = proc
        assert proc.stdout is not None
        deadline = time.monotonic() + START_SECONDS
        seen = ""
        while ready not in seen and time.monotonic() < deadline:
            found, _, _ = select.select([proc.stdout], [], [], 1.0)
            if found:
                line = proc.stdout.readline()
                if not line:  # it ended
                    break
                seen += line
        # a server may say it is ready before it listens: wait for its port too
        while ready in seen and time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.05)
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        why = f": {said[0]}" if said else f" within {START_SECONDS:.0f} s"
        raise StorageError(f"{name} did not start (port {port}){why}")

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_SECONDS)
            if proc.stdout is not None:
                proc.stdout.close()
        self.processes.clear()
        self._files.close()
