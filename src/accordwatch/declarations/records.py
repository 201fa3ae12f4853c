"""The declarations' record types: a data declaration, confidential to the inspectorate,
and the escrow of one (`escrow_records`)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from accordwatch.declarations import escrow_records
from accordwatch.log.records import Payload, RecordType
from accordwatch.log.roles import Role


class DeclarationRecord(Payload):
    """A data declaration of a nuclear or missile program (`accordwatch.declarations`)."""

    declaration: dict[str, Any]

    @model_validator(mode="after")
    def _consistent(self) -> DeclarationRecord:
        from accordwatch.declarations.check import checked
        from accordwatch.declarations.reading import DeclarationError

        try:
            checked(self.declaration)
        except DeclarationError as exc:
            raise ValueError(exc.message) from None
        return self

    def acting_party(self) -> str | None:
        return str(self.declaration["party"])


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "declaration",
        DeclarationRecord,
        frozenset({Role.DECLARANT}),
        "a data declaration of a nuclear or missile program (confidential by default)",
        may_be_confidential=True,
        readers=frozenset({Role.INSPECTORATE}),
    ),
    *escrow_records.RECORD_TYPES,
)
