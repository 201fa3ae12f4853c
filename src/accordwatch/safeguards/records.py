"""The safeguards' record types: accountancy reports and inspection records.

All are confidential by default, readable by the submitting party and every
inspectorate, as safeguards declarations and accounting reports are to the IAEA.
"""

from __future__ import annotations

from accordwatch.log.records import Payload, RecordType
from accordwatch.log.roles import Role
from accordwatch.safeguards import accountancy, inspection


class InventoryChangeReport(accountancy.InventoryChangeBody, Payload):
    """An inventory change report of an MBA (schema: `accordwatch.safeguards.accountancy`)."""


class PhysicalInventoryListing(accountancy.PhysicalInventoryBody, Payload):
    """A physical inventory listing of an MBA, item by item (`safeguards.accountancy`)."""


class MaterialBalanceReport(accountancy.MaterialBalanceBody, Payload):
    """A material balance report of an MBA for one period (`accordwatch.safeguards.accountancy`)."""


class InspectionPlan(inspection.InspectionPlanBody, Payload):
    """Strata, sample sizes and populations of an inspection (`safeguards.inspection`)."""


class InspectionReport(inspection.InspectionReportBody, Payload):
    """What an inspection found, against its plan (`accordwatch.safeguards.inspection`)."""


_INSPECTORATE = frozenset({Role.INSPECTORATE})


def _confidential(name: str, payload: type[Payload], role: Role, what: str) -> RecordType:
    return RecordType(
        name, payload, frozenset({role}), what, may_be_confidential=True, readers=_INSPECTORATE
    )


RECORD_TYPES: tuple[RecordType, ...] = (
    _confidential(
        "accountancy.inventory-change",
        InventoryChangeReport,
        Role.DECLARANT,
        "an inventory change report of a material balance area",
    ),
    _confidential(
        "accountancy.physical-inventory",
        PhysicalInventoryListing,
        Role.DECLARANT,
        "a physical inventory listing of a material balance area",
    ),
    _confidential(
        "accountancy.material-balance",
        MaterialBalanceReport,
        Role.DECLARANT,
        "a material balance report of a material balance area",
    ),
    _confidential(
        "inspection.plan",
        InspectionPlan,
        Role.INSPECTORATE,
        "an inspection plan (strata, sample sizes), fixed before its seeded draw",
    ),
    _confidential(
        "inspection.report",
        InspectionReport,
        Role.INSPECTORATE,
        "the results of an inspection against its plan",
    ),
)
