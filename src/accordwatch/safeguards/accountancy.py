"""Accountancy reports of a material balance area (MBA), and which of them are in force.

Three kinds of report, as in IAEA accounting reports (INFCIRC/153, paras 59-69):

- an inventory change report (ICR): receipts, shipments, nuclear production
  and loss, measured discards, accidental gains and losses, batch by batch,
  with element and isotope mass and the measurement method;
- a physical inventory listing (PIL): every item present at a physical
  inventory taking, with its unique identifier and measurement method;
- a material balance report (MBR): the balance of one material over a period
  (beginning inventory + increases - decreases - ending inventory = MUF).

Reports are never changed. Each has an identifier within its MBA and a
revision: `new` is revision 1; `correct` (the whole report restated) and
`delete` (the report withdrawn) are revisions 2, 3, ... of it, and supersede
the revision before. Both stay in the log. These are the bodies of the log's
`accountancy.*` record types (`accordwatch.log.records`); `effective` resolves
which revision of each report is in force. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accordwatch.log.records import NAME_PATTERN
from accordwatch.safeguards.materials import Mass, Material, SignedMass, significant_quantity

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,99}$"
MbaName = Annotated[str, Field(pattern=NAME_PATTERN, description="material balance area")]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, description="an identifier (no spaces)")]
Text = Annotated[str, Field(max_length=2000)]
MethodKey = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$", description="method key; a+b combines"),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChangeKind(StrEnum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    NUCLEAR_PRODUCTION = "nuclear-production"
    NUCLEAR_LOSS = "nuclear-loss"
    MEASURED_DISCARD = "measured-discard"
    ACCIDENTAL_GAIN = "accidental-gain"
    ACCIDENTAL_LOSS = "accidental-loss"


#: +1: an increase of the book inventory (an input to the balance); -1: a decrease
CHANGE_SIGN: dict[ChangeKind, int] = {
    ChangeKind.RECEIPT: 1,
    ChangeKind.NUCLEAR_PRODUCTION: 1,
    ChangeKind.ACCIDENTAL_GAIN: 1,
    ChangeKind.SHIPMENT: -1,
    ChangeKind.NUCLEAR_LOSS: -1,
    ChangeKind.MEASURED_DISCARD: -1,
    ChangeKind.ACCIDENTAL_LOSS: -1,
}


class Measured(Body):
    """A quantity of one material, as measured: element and (where counted) isotope mass."""

    material: Material
    element: Mass
    isotope: Mass | None = Field(default=None, description="U-235 or U-233 mass, for uranium")
    method: MethodKey
    kmp: Identifier | None = Field(default=None, description="key measurement point")

    @model_validator(mode="after")
    def _isotope(self) -> Measured:
        if self.isotope is not None and self.isotope.kilograms() > self.element.kilograms():
            raise ValueError("isotope mass exceeds element mass")
        if significant_quantity(self.material).basis == "isotope" and self.isotope is None:
            raise ValueError(f"{self.material} is counted by isotope: give its isotope mass")
        return self

    def counted(self) -> Mass:
        """The mass a significant quantity of this material counts (element or isotope)."""
        if significant_quantity(self.material).basis == "isotope":
            assert self.isotope is not None
            return self.isotope
        return self.element


class InventoryChange(Measured):
    date: dt.date
    batch: Identifier
    change: ChangeKind
    other_mba: MbaName | None = Field(default=None, description="shipper or receiver")
    note: Text = ""


class InventoryItem(Measured):
    item_id: Identifier = Field(description="the item's unique identifier (tag, seal, serial)")
    batch: Identifier | None = None
    stratum: Identifier | None = Field(default=None, description="sampling stratum")


Action = Literal["new", "correct", "delete"]


class ReportHeader(Body):
    mba: MbaName
    report_id: Identifier
    revision: int = Field(ge=1, description="1 for a new report, then 2, 3, ...")
    action: Action = "new"

    def _check_revision(self) -> None:
        if (self.action == "new") != (self.revision == 1):
            raise ValueError("a new report is revision 1; a correction or deletion is 2 or more")


class InventoryChangeBody(ReportHeader):
    """An inventory change report (ICR)."""

    entries: list[InventoryChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> InventoryChangeBody:
        self._check_revision()
        if (self.action == "delete") == bool(self.entries):
            raise ValueError("an ICR lists entries, unless it deletes a report (then none)")
        return self


class PhysicalInventoryBody(ReportHeader):
    """A physical inventory listing (PIL): the items present on `date`."""

    date: dt.date | None = Field(default=None, description="the physical inventory taking")
    items: list[InventoryItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> PhysicalInventoryBody:
        self._check_revision()
        if self.action == "delete":
            if self.date is not None or self.items:
                raise ValueError("a deletion carries no date and no items")
            return self
        if self.date is None:
            raise ValueError("a physical inventory listing needs its date")
        seen: set[str] = set()
        for item in self.items:
            if item.item_id in seen:
                raise ValueError(f"item {item.item_id} is listed twice")
            seen.add(item.item_id)
        return self


class MaterialBalanceBody(ReportHeader):
    """A material balance report (MBR) of one material over one period."""

    material: Material | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    beginning_inventory: Mass | None = None
    increases: Mass | None = None
    decreases: Mass | None = None
    ending_inventory: Mass | None = None
    muf: SignedMass | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MaterialBalanceBody:
        self._check_revision()
        content = (
            self.material,
            self.period_start,
            self.period_end,
            self.beginning_inventory,
            self.increases,
            self.decreases,
            self.ending_inventory,
            self.muf,
        )
        if self.action == "delete":
            if any(c is not None for c in content):
                raise ValueError("a deletion carries no balance")
            return self
        if any(c is None for c in content):
            raise ValueError("a material balance report needs every member of the balance")
        assert self.period_start and self.period_end and self.muf
        assert self.beginning_inventory and self.increases and self.decreases
        assert self.ending_inventory
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        book = (
            self.beginning_inventory.kilograms()
            + self.increases.kilograms()
            - self.decreases.kilograms()
        )
        if book - self.ending_inventory.kilograms() != self.muf.kilograms():
            raise ValueError(
                "muf must equal beginning_inventory + increases - decreases - ending_inventory"
            )
        return self


Report = InventoryChangeBody | PhysicalInventoryBody | MaterialBalanceBody
KIND_OF: dict[type[ReportHeader], str] = {
    InventoryChangeBody: "inventory-change",
    PhysicalInventoryBody: "physical-inventory",
    MaterialBalanceBody: "material-balance",
}


def kind_of(report: ReportHeader) -> str:
    return next(k for cls, k in KIND_OF.items() if isinstance(report, cls))


@dataclass(frozen=True)
class Logged:
    """A report as the log holds it."""

    index: int
    time: dt.datetime
    party: str
    report: Report

    @property
    def key(self) -> tuple[str, str, str]:
        return kind_of(self.report), self.report.mba, self.report.report_id


@dataclass
class Reports:
    """The revisions of every report, and the one in force (None once deleted)."""

    current: dict[tuple[str, str, str], Logged | None] = field(default_factory=dict)
    history: dict[tuple[str, str, str], list[Logged]] = field(default_factory=dict)
    ignored: list[tuple[Logged, str]] = field(default_factory=list)

    def in_force(self, mba: str | None = None) -> list[Logged]:
        """Reports in force (in the order first filed), optionally of one MBA."""
        return [
            r
            for r in self.current.values()
            if r is not None and (mba is None or r.report.mba == mba)
        ]

    def next_revision(self, key: tuple[str, str, str]) -> int | None:
        """The revision a correction or deletion of `key` must carry (None: no such report)."""
        history = self.history.get(key)
        if not history or self.current.get(key) is None:
            return None
        return history[-1].report.revision + 1


def effective(logged: Iterable[Logged]) -> Reports:
    """Resolve revisions in log order.

    A revision counts only if it is the next one of a report in force (a new
    report: one not filed before) and comes from the party that filed
    revision 1; anything else is kept aside with the reason.
    """
    out = Reports()
    for entry in sorted(logged, key=lambda e: e.index):
        key = entry.key
        history = out.history.get(key, [])
        report = entry.report
        reason = None
        if report.action == "new":
            if history:
                reason = f"report {report.report_id} already exists (entry {history[0].index})"
        elif not history or out.current.get(key) is None:
            reason = f"report {report.report_id} is not in force: nothing to {report.action}"
        elif report.revision != history[-1].report.revision + 1:
            reason = (
                f"revision {report.revision} of {report.report_id} does not follow "
                f"revision {history[-1].report.revision}"
            )
        elif entry.party != history[0].party:
            reason = f"{report.report_id} was filed by {history[0].party}, not {entry.party}"
        if reason is not None:
            out.ignored.append((entry, reason))
            continue
        out.history[key] = [*history, entry]
        out.current[key] = None if report.action == "delete" else entry
    return out


def mbas(reports: Sequence[Logged]) -> list[str]:
    return sorted({r.report.mba for r in reports})
