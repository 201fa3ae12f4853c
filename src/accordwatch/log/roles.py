"""The roles a party can have in a log, which decide what it may submit."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a party is in the accord, which decides what it may submit."""

    REGISTRAR = "registrar"  # operates the log: registers parties and keys
    DECLARANT = "declarant"  # the inspected state: declarations, step reports
    INSPECTORATE = "inspectorate"  # verifies: inspections, verification results
    PARTY = "party"  # another state party: step reports, concessions, responses
    OBSERVER = "observer"  # reports observed events (a research centre, a monitor)
