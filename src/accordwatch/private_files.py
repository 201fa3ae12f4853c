"""Files and folders only their owner may read: the workspace and what commands write.

A workspace holds confidential declarations and private keys, and a file a
command writes (`--out`, `--receipt`, `--chart`, a report) may hold the same.
Every file accordwatch writes is therefore 0600 and every folder it creates
0700, whatever the umask: no other account on the machine can read them. A
file written over is made 0600 before its new content is written; a folder
that already exists keeps its mode (it may be the user's own, or /tmp).

Files that other libraries create themselves (SQLite's database, `-wal` and
`-shm` files follow the mode of the database file) are covered by creating
the file first, or by `private_umask` around the library's work.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# The umask under which new files come out 0600 and new folders 0700.
PRIVATE_UMASK = 0o077


def make_private_folder(path: Path) -> None:
    """Create `path` and its missing parents, each 0700; an existing folder keeps its mode."""
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=FOLDER_MODE, exist_ok=True)
        created.chmod(FOLDER_MODE)  # mkdir's mode passes through the umask


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 if it does not exist; True if it was created here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _private_descriptor(path: Path) -> int:
    """A descriptor open for writing on `path`, created 0600 or made 0600 before it is emptied.

    Only a regular file is made private and emptied: `--out /dev/stdout` or a
    named pipe is written to as it is.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            if stat.S_IMODE(st.st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
            os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_private_text(path: Path) -> IO[str]:
    """`path` open for writing UTF-8 text, readable by its owner only."""
    return os.fdopen(_private_descriptor(path), "w", encoding="utf-8")


def open_private_binary(path: Path) -> IO[bytes]:
    """`path` open for writing bytes, readable by its owner only."""
    return os.fdopen(_private_descriptor(path), "wb")


def write_private_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path`, readable by its owner only."""
    with open_private_text(path) as fh:
        fh.write(text)


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path`, readable by its owner only."""
    with open_private_binary(path) as fh:
        fh.write(data)


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created meanwhile, by any library, are readable by their owner only.

    The umask belongs to the process: this is for the command line, where one
    thread writes, not for the server.
    """
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)
