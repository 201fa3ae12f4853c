"""`accordwatch serve` as a real process on a free 127.0.0.1 port, for the attacks that need one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import free_port


@dataclass
class Server:
    """A running `accordwatch serve`: its address and its process."""

    port: int
    process: subprocess.Popen[bytes]
    #: what the server wrote to its standard error
    stderr: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """The server process's resident memory (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS for the server process")


@contextmanager
def serving(home: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run `accordwatch --home HOME serve --port P ARGS...` until the block ends."""
    port = free_port()
    stderr = home.parent / f"serve-{port}.stderr"
    code = "from accordwatch.cli import main; main()"
    command = [sys.executable, "-c", code, "--home", str(home), "serve", "--port", str(port)]
    with stderr.open("wb") as err_file:
        process = subprocess.Popen(
            [*command, *args],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=err_file,
        )
    server = Server(port, process, stderr)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(server.base + "/api/log", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = stderr.read_text(errors="replace")
                    raise AssertionError(f"accordwatch serve did not start: {err}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
