"""Nuclear material categories, significant quantities and exact masses.

A significant quantity (SQ) is the IAEA's approximate amount of nuclear
material from which a nuclear explosive device could be made, counting
conversion losses (IAEA Safeguards Glossary, 2001 Edition, International
Nuclear Verification Series No. 3, para. 3.14 and Table II). Each category
counts a different quantity: plutonium and the "indirect use" materials
(natural and depleted uranium, thorium) by element mass, enriched uranium by
its U-235 content, U-233 by its own mass. Pure: no I/O.

Masses in records are exact decimals with an explicit unit (`Mass`); the
statistics turn them into floats in kilograms.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Material(StrEnum):
    """Categories of nuclear material that have their own significant quantity."""

    PU = "pu"  # plutonium (less than 80 % Pu-238)
    U233 = "u233"
    HEU = "heu"  # uranium enriched to 20 % U-235 or more
    LEU = "leu"  # uranium enriched above natural, below 20 % U-235
    NATURAL_U = "natural-u"
    DEPLETED_U = "depleted-u"
    THORIUM = "thorium"


Basis = Literal["element", "isotope"]


@dataclass(frozen=True)
class SignificantQuantity:
    material: Material
    kilograms: Decimal
    basis: Basis
    """`element`: the whole element's mass counts; `isotope`: only `counted`."""
    counted: str
    """What the quantity is a mass of: Pu, U-233, U-235, U or Th."""
    description: str


SQ_SOURCE = "IAEA Safeguards Glossary, 2001 Edition (INVS No. 3), para. 3.14, Table II"

SIGNIFICANT_QUANTITIES: dict[Material, SignificantQuantity] = {
    sq.material: sq
    for sq in (
        SignificantQuantity(
            Material.PU, Decimal(8), "element", "Pu", "plutonium (< 80 % Pu-238), 8 kg Pu"
        ),
        SignificantQuantity(Material.U233, Decimal(8), "isotope", "U-233", "uranium-233, 8 kg"),
        SignificantQuantity(
            Material.HEU,
            Decimal(25),
            "isotope",
            "U-235",
            "high-enriched uranium (>= 20 % U-235), 25 kg U-235",
        ),
        SignificantQuantity(
            Material.LEU,
            Decimal(75),
            "isotope",
            "U-235",
            "low-enriched uranium (< 20 % U-235), 75 kg U-235",
        ),
        SignificantQuantity(
            Material.NATURAL_U, Decimal(10_000), "element", "U", "natural uranium, 10 t U"
        ),
        SignificantQuantity(
            Material.DEPLETED_U, Decimal(20_000), "element", "U", "depleted uranium, 20 t U"
        ),
        SignificantQuantity(Material.THORIUM, Decimal(20_000), "element", "Th", "thorium, 20 t"),
    )
}

#: U-235 mass fraction of natural uranium (0.711 % by weight)
NATURAL_U235_FRACTION = Decimal("0.00711")
HEU_THRESHOLD = Decimal("0.20")


def significant_quantity(material: Material | str) -> SignificantQuantity:
    """The significant quantity of a material category (raises ValueError if unknown)."""
    return SIGNIFICANT_QUANTITIES[Material(material)]


def in_significant_quantities(kilograms: float, material: Material | str) -> float:
    """How many significant quantities `kilograms` (of the counted quantity) make."""
    return kilograms / float(significant_quantity(material).kilograms)


def uranium_category(
    u235_fraction: Decimal, *, tolerance: Decimal = Decimal("0.00005")
) -> Material:
    """HEU, LEU, natural or depleted uranium from its U-235 mass fraction.

    Within `tolerance` of the natural fraction the uranium counts as natural:
    assays of natural uranium scatter around 0.711 % by a few parts in 10^5.
    """
    if not Decimal(0) <= u235_fraction <= Decimal(1):
        raise ValueError(f"a U-235 fraction must be between 0 and 1, not {u235_fraction}")
    if u235_fraction >= HEU_THRESHOLD:
        return Material.HEU
    if abs(u235_fraction - NATURAL_U235_FRACTION) <= tolerance:
        return Material.NATURAL_U
    return Material.LEU if u235_fraction > NATURAL_U235_FRACTION else Material.DEPLETED_U


MassUnit = Literal["g", "kg", "t"]
KILOGRAMS_PER: dict[str, Decimal] = {"g": Decimal("0.001"), "kg": Decimal(1), "t": Decimal(1000)}


class _MassBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Decimal
    unit: MassUnit = "kg"

    def kilograms(self) -> Decimal:
        return self.value * KILOGRAMS_PER[self.unit]

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"


class Mass(_MassBase):
    """An exact mass with its unit, as written in a record: `{"value": "12.5", "unit": "kg"}`."""

    value: Decimal = Field(ge=0, allow_inf_nan=False)


class SignedMass(_MassBase):
    """A mass difference (a MUF, a shipper/receiver difference): may be negative."""

    value: Decimal = Field(allow_inf_nan=False)


def kilograms(value: Decimal, unit: str) -> Decimal:
    """`value` in `unit` as exact kilograms (raises ValueError for an unknown unit)."""
    try:
        return value * KILOGRAMS_PER[unit]
    except KeyError:
        raise ValueError(f"unknown mass unit {unit!r} (known: g, kg, t)") from None
