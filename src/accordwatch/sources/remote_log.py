"""A log a node follows: where it is, its key, the policy trusted, and what was verified.

`node.json` in the node's workspace holds the log's address (an `http(s)://`
URL of a `serve`, or a folder written by `log publish`, as a path or a
`file://` URL), the log's verifier key, the node's party, the witness policy
it trusts (None: only the log's own signature is checked) and the latest
checkpoint it verified, which every later one must be consistent with.

`TileSource` reads the log's C2SP tlog-tiles files from that address, and
nothing else: the standard library's urllib over HTTP, the file system for a
folder.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from accordwatch.errors import InputError, NotFoundError, StorageError
from accordwatch.private_files import write_private_text

NODE_FILE = "node.json"
FORMAT = "accordwatch/node@v1"
#: the largest file read from a log (an entry bundle of 256 envelopes of up to 1 MiB each)
MAX_FILE = 300 << 20


@dataclass
class NodeConfig:
    log: str
    log_key: str
    party: str
    policy: str | None = None
    #: the latest checkpoint verified (the log's signed note, with the cosignatures it came with)
    checkpoint: str | None = None

    @classmethod
    def read(cls, home: Path) -> NodeConfig:
        path = home / NODE_FILE
        try:
            obj = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise NotFoundError(
                f"{home} is not a node (no {NODE_FILE}): run accordwatch node init"
            ) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the node's settings: {exc}", where=str(path)) from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise InputError(f"not a node file (format {FORMAT!r} expected)", where=str(path))
        try:
            return cls(
                log=str(obj["log"]),
                log_key=str(obj["log_key"]),
                party=str(obj["party"]),
                policy=obj.get("policy"),
                checkpoint=obj.get("checkpoint"),
            )
        except KeyError as exc:
            raise InputError(f"the node file lacks {exc.args[0]!r}", where=str(path)) from None

    def write(self, home: Path) -> None:
        """Write atomically: an interrupted write leaves the previous file."""
        path = home / NODE_FILE
        temporary = path.with_name(f".{NODE_FILE}.tmp")
        write_private_text(temporary, json.dumps({"format": FORMAT, **asdict(self)}, indent=2))
        temporary.replace(path)


def is_node(home: Path) -> bool:
    return (home / NODE_FILE).is_file()


class TileSource:
    """The tiles, bundles and checkpoint of a log, at an HTTP URL or in a folder."""

    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        self.address = address
        self.timeout = timeout
        parsed = urllib.parse.urlsplit(address)
        self.folder: Path | None = None
        self.base = ""
        if parsed.scheme in ("http", "https"):
            path = parsed.path.rstrip("/")
            # a `serve` answers under /tlog/; a static server of a published folder anywhere
            self.base = urllib.parse.urlunsplit(
                (parsed.scheme, parsed.netloc, path if path else "/tlog", "", "")
            )
        elif parsed.scheme == "file":
            self.folder = Path(urllib.parse.unquote(parsed.path))
        elif parsed.scheme and len(parsed.scheme) > 1:
            raise InputError(
                f"a log is an http(s):// URL or a folder, not {parsed.scheme}://", where=address
            )
        else:
            self.folder = Path(address)

    def where(self, name: str) -> str:
        return f"{self.base}/{name}" if self.folder is None else str(self.folder / name)

    def get(self, name: str) -> bytes:
        """The file `name` (`checkpoint`, `tile/0/000`, ...); a one-line error if unreadable."""
        if self.folder is not None:
            path = self.folder / name
            try:
                with path.open("rb") as fh:
                    return fh.read(MAX_FILE)
            except FileNotFoundError:
                raise NotFoundError("the log's folder has no such file", where=str(path)) from None
            except OSError as exc:
                raise StorageError(f"cannot read: {exc.strerror}", where=str(path)) from None
        url = self.where(name)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:
                data: bytes = answer.read(MAX_FILE)
                return data
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise NotFoundError("the log has no such file (HTTP 404)", where=url) from None
            raise StorageError(f"the log answered HTTP {exc.code}", where=url) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise StorageError(f"cannot reach the log: {reason}", where=url) from None
