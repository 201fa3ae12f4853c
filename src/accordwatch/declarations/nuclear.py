"""The nuclear program declaration: sites, balance areas, material, production, weapons.

Modelled on IAEA practice: sites and facilities with their category, status
and capacity; material balance areas (MBAs) and key measurement points (KMPs)
where material is held; nuclear material inventories by MBA, line by line
(batch, element and isotope mass, enrichment, physical form, item count) with
a total per MBA and material; the production history; inventory changes
reported since the declaration it updates; and nuclear weapons in aggregate by
location category.

Mass units follow IAEA reporting: grams for plutonium, U-233 and enriched
uranium, kilograms for natural and depleted uranium and thorium. The
material categories and their units are defined here (the accountancy
module may grow its own table of significant quantities; these are only what
a declaration needs to check its lines).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from accordwatch.declarations.base import (
    Count,
    Header,
    Location,
    Mass,
    Model,
    Name,
    SiteStatus,
    item,
)


class Material(StrEnum):
    PLUTONIUM = "plutonium"
    U233 = "u-233"
    HEU = "high-enriched uranium"
    LEU = "low-enriched uranium"
    NATURAL_URANIUM = "natural uranium"
    DEPLETED_URANIUM = "depleted uranium"
    THORIUM = "thorium"


#: material -> (element, the isotope reported for it or None, mass unit)
MATERIAL_FORM: dict[Material, tuple[str, str | None, str]] = {
    Material.PLUTONIUM: ("Pu", "Pu-239", "g"),
    Material.U233: ("U", "U-233", "g"),
    Material.HEU: ("U", "U-235", "g"),
    Material.LEU: ("U", "U-235", "g"),
    Material.NATURAL_URANIUM: ("U", "U-235", "kg"),
    Material.DEPLETED_URANIUM: ("U", "U-235", "kg"),
    Material.THORIUM: ("Th", None, "kg"),
}

#: U-235 enrichment (weight %) each uranium category must lie in, [low, high)
ENRICHMENT_RANGE: dict[Material, tuple[Decimal, Decimal]] = {
    Material.HEU: (Decimal(20), Decimal("100.000001")),
    Material.LEU: (Decimal("0.72"), Decimal(20)),
    Material.NATURAL_URANIUM: (Decimal("0.70"), Decimal("0.72")),
    Material.DEPLETED_URANIUM: (Decimal(0), Decimal("0.70")),
}


class SiteCategory(StrEnum):
    MINE = "mine"
    MILLING = "milling"
    CONVERSION = "conversion"
    ENRICHMENT = "enrichment"
    FUEL_FABRICATION = "fuel fabrication"
    REACTOR = "reactor"
    REPROCESSING = "reprocessing"
    STORAGE = "storage"
    WASTE = "waste"
    RESEARCH = "research and development"
    WEAPONIZATION = "weaponization"
    TEST_SITE = "test site"


class CapacityUnit(StrEnum):
    MWE = "MWe"
    MWT = "MWt"
    SWU = "kg SWU/year"
    T_HM = "t HM/year"
    KG_HM = "kg HM/year"
    T_U = "t U/year"
    T_ORE = "t ore/year"
    TONNES = "t"
    ITEMS = "items"


class Capacity(Model):
    value: Decimal = Field(ge=0)
    unit: CapacityUnit


class NuclearSite(Model):
    id: Name
    name: str = Field(min_length=1, max_length=300)
    category: SiteCategory
    location: Location
    status: SiteStatus
    capacity: Capacity | None = Field(default=None, description="design capacity with its unit")
    note: str = Field(default="", max_length=2000)


class BalanceArea(Model):
    """A material balance area: where material is accounted for, within one site."""

    id: Name
    site: Name
    name: str = Field(default="", max_length=300)


class MeasurementPoint(Model):
    """A key measurement point: where flows or inventory of an MBA are measured."""

    id: Name
    mba: Name
    kind: Literal["flow", "inventory"]
    description: str = Field(default="", max_length=500)


class PhysicalForm(StrEnum):
    METAL = "metal"
    OXIDE = "oxide"
    UF6 = "UF6"
    UF4 = "UF4"
    ORE_CONCENTRATE = "ore concentrate"
    SOLUTION = "solution"
    FRESH_FUEL = "fresh fuel"
    IRRADIATED_FUEL = "irradiated fuel"
    SCRAP = "scrap"
    WASTE = "waste"
    OTHER = "other"


class MassUnit(StrEnum):
    G = "g"
    KG = "kg"


@item
class InventoryLine:
    """One batch of nuclear material held in an MBA."""

    mba: Name
    batch: Name
    material: Material
    element_mass: Mass
    isotope_mass: Mass | None = Field(default=None, description="mass of the reported isotope")
    unit: MassUnit
    enrichment: Decimal | None = Field(
        default=None, ge=0, le=100, description="U-235 weight % (uranium only)"
    )
    physical_form: PhysicalForm
    items: Count = Field(default=1, description="number of items in the batch")
    kmp: Name | None = Field(default=None, description="key measurement point of the batch")


@item
class InventoryTotal:
    """The declared total of one material in one MBA: must equal the sum of its lines."""

    mba: Name
    material: Material
    element_mass: Mass
    isotope_mass: Mass | None = None
    unit: MassUnit
    items: Count | None = None


class ProductionKind(StrEnum):
    PLUTONIUM_SEPARATED = "plutonium separated"
    URANIUM_ENRICHED = "uranium enriched"
    URANIUM_MINED = "uranium mined"
    URANIUM_CONCENTRATED = "uranium concentrated"
    FUEL_FABRICATED = "fuel fabricated"
    FUEL_IRRADIATED = "fuel irradiated"


class ProductionRecord(Model):
    """What a site produced over a period (the production history)."""

    site: Name
    kind: ProductionKind
    material: Material
    start: dt.date
    end: dt.date
    element_mass: Mass
    isotope_mass: Mass | None = None
    unit: MassUnit


class ChangeKind(StrEnum):
    PRODUCTION = "production"
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    LOSS = "loss"
    DISCARD = "discard"


#: the sign with which each kind of change moves an MBA's inventory
CHANGE_SIGN: dict[ChangeKind, int] = {
    ChangeKind.PRODUCTION: 1,
    ChangeKind.RECEIPT: 1,
    ChangeKind.SHIPMENT: -1,
    ChangeKind.LOSS: -1,
    ChangeKind.DISCARD: -1,
}


@item
class InventoryChange:
    """A change in an MBA's inventory, reported since the declaration this one updates."""

    date: dt.date
    mba: Name
    kind: ChangeKind
    material: Material
    element_mass: Mass
    isotope_mass: Mass | None = None
    unit: MassUnit
    counterpart: str = Field(
        default="", max_length=200, description="the other MBA, or where outside it went"
    )
    note: str = Field(default="", max_length=2000)


class WeaponLocation(StrEnum):
    DEPLOYED = "deployed"
    STORAGE = "storage"
    PRODUCTION = "production"
    AWAITING_DISMANTLEMENT = "awaiting dismantlement"


class WeaponsHolding(Model):
    """Nuclear weapons and separate warheads in aggregate, by location category."""

    location_category: WeaponLocation
    weapons: Count = Field(description="assembled nuclear weapons")
    warheads: Count = Field(default=0, description="warheads held apart from a weapon")
    site: Name | None = Field(default=None, description="a declared site, where one is named")


class WeaponChangeKind(StrEnum):
    ASSEMBLED = "assembled"
    DISMANTLED = "dismantled"
    REMOVED = "removed"
    EXPENDED = "expended"


#: the sign with which each kind of change moves the number of weapons
WEAPON_SIGN: dict[WeaponChangeKind, int] = {
    WeaponChangeKind.ASSEMBLED: 1,
    WeaponChangeKind.DISMANTLED: -1,
    WeaponChangeKind.REMOVED: -1,
    WeaponChangeKind.EXPENDED: -1,
}


class WeaponChange(Model):
    date: dt.date
    kind: WeaponChangeKind
    weapons: Count
    note: str = Field(default="", max_length=2000)


class NuclearDeclaration(Header):
    """A complete declaration of a nuclear program as of a date."""

    program: Literal["nuclear"]
    sites: list[NuclearSite]
    material_balance_areas: list[BalanceArea]
    key_measurement_points: list[MeasurementPoint]
    inventory: list[InventoryLine]
    inventory_totals: list[InventoryTotal]
    production_history: list[ProductionRecord]
    weapons: list[WeaponsHolding]
    inventory_changes: list[InventoryChange] = Field(
        default_factory=list, description="changes since the declaration this one updates"
    )
    weapon_changes: list[WeaponChange] = Field(
        default_factory=list, description="changes since the declaration this one updates"
    )
