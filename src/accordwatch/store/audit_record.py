"""The result of the latest audit of a workspace's database, kept beside it.

`accordwatch log audit` recomputes every hash, signature and checkpoint; the
dashboard shows when that was last done and what it found, so a reader can
tell a log audited this morning from one never audited. The record is one
small JSON file, replaced whole (written aside, then renamed), so a reader
never sees half of it. It says what the audit said, nothing more: it is the
operator's note, not evidence; the evidence is the audit itself, which
anyone can run again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from accordwatch.errors import AccordwatchError
from accordwatch.private_files import write_private_text
from accordwatch.timeutil import format_time, parse_time

#: the file, in the workspace folder
AUDIT_FILE = "last-audit.json"


@dataclass(frozen=True)
class AuditRecord:
    """When the database was last audited, whether the audit passed, and its summary."""

    audited_at: datetime
    ok: bool
    #: entries checked (the head's size when the audit began)
    size: int
    #: one line: what was verified, or the first problem found
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {
            "audited_at": format_time(self.audited_at),
            "ok": self.ok,
            "size": self.size,
            "summary": self.summary,
        }


def write_audit_record(home: Path, record: AuditRecord) -> None:
    """Replace the workspace's audit record with `record`."""
    target = home / AUDIT_FILE
    aside = home / f".{AUDIT_FILE}.{os.getpid()}"
    write_private_text(aside, json.dumps(record.to_json(), indent=2) + "\n")
    aside.replace(target)


def read_audit_record(home: Path) -> AuditRecord | None:
    """The workspace's latest audit record; None if never audited (or the file is unreadable)."""
    path = home / AUDIT_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        return AuditRecord(
            audited_at=parse_time(data["audited_at"], where=str(path)),
            ok=bool(data["ok"]),
            size=int(data["size"]),
            summary=str(data["summary"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AccordwatchError):
        # a damaged note says nothing about the log: treat it as no audit at all
        return None
