"""Every record type accordwatch's log accepts: the log's own and each domain's payloads.

The log knows no domain; this is where the domains meet it. The shells (the
workspace, the command line, the service) hand `CATALOG` to the ledger, the
check and the audit.
"""

from __future__ import annotations

from accordwatch.compliance import records as compliance
from accordwatch.declarations import draw_records, observations
from accordwatch.declarations import records as declarations
from accordwatch.log import sealing
from accordwatch.log.records import LOG_RECORD_TYPES, Catalog, RecordType
from accordwatch.roadmap import records as roadmap
from accordwatch.safeguards import records as safeguards

CATALOG = Catalog(
    (
        *LOG_RECORD_TYPES,
        *sealing.RECORD_TYPES,
        *roadmap.RECORD_TYPES,
        *declarations.RECORD_TYPES,
        *draw_records.RECORD_TYPES,
        *observations.RECORD_TYPES,
        *compliance.RECORD_TYPES,
        *safeguards.RECORD_TYPES,
    )
)


def record_type(name: str, *, where: str) -> RecordType:
    """The record type called `name` in accordwatch's catalog, or an error naming the known ones."""
    return CATALOG.get(name, where=where)
