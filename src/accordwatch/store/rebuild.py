"""`rebuild`: recreate the projection tables from the log alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from accordwatch.log.canonical import parse_json
from accordwatch.log.envelope import Envelope
from accordwatch.log.records import Payload
from accordwatch.store import projections
from accordwatch.store.database import WRITE, storage_errors
from accordwatch.store.ledger import Ledger
from accordwatch.store.schema import entries, log_head, openings


@dataclass(frozen=True)
class RebuildResult:
    entries: int
    changed: list[str]

    @property
    def identical(self) -> bool:
        return not self.changed


def rebuild(ledger: Ledger) -> RebuildResult:
    """Empty the projections and replay the log into them, in one transaction."""
    with (
        storage_errors(ledger.url),
        ledger.engine.connect().execution_options(**{WRITE: True}) as conn,
        conn.begin(),
    ):
        conn.execute(select(log_head).with_for_update()).first()
        before = projections.snapshot(conn)
        projections.clear(conn)

        def accepted() -> Iterator[tuple[int, Payload]]:
            opened = {row.idx: bytes(row.payload) for row in conn.execute(select(openings))}
            for row in conn.execute(
                select(entries.c.idx, entries.c.envelope).order_by(entries.c.idx)
            ):
                where = f"entry {row.idx}"
                env = Envelope.from_bytes(bytes(row.envelope), where=where)
                data = env.payload
                if data is None:
                    if row.idx not in opened:
                        # sealed to its readers: never a registration, which stays public
                        continue
                    data = parse_json(opened[row.idx], where=where)
                yield (
                    row.idx,
                    ledger.catalog.get(env.record_type, where=where).parse_payload(
                        data, where=where
                    ),
                )

        count = projections.replay(conn, list(accepted()))
        after = projections.snapshot(conn)
    ledger.forget_registry()  # the projections it was read from were just rewritten
    changed = [name for name in before if before[name] != after[name]]
    return RebuildResult(count, changed)
