"""The missile program declaration: types, every missile and launcher, and facilities.

Modelled on the New START database: each missile type with its class,
propellant, range and payload and the number of missiles and launchers
declared for it; every individual missile and launcher with a unique
identifier kept for its whole life, its status and its location; the
production, storage, deployment, test and space launch facilities; and the
production and elimination of items since the declaration this one updates.
An eliminated item stays listed with status `eliminated`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field

from accordwatch.declarations.base import (
    Count,
    Header,
    Location,
    Model,
    Name,
    SiteStatus,
    Uid,
    item,
)


class MissileClass(StrEnum):
    SRBM = "SRBM"
    MRBM = "MRBM"
    IRBM = "IRBM"
    ICBM = "ICBM"
    SLBM = "SLBM"
    SLV = "SLV"


#: the range (km) each ground-launched ballistic class spans, [low, high)
CLASS_RANGE_KM: dict[MissileClass, tuple[float, float]] = {
    MissileClass.SRBM: (0, 1000),
    MissileClass.MRBM: (1000, 3000),
    MissileClass.IRBM: (3000, 5500),
    MissileClass.ICBM: (5500, 20_000),
}


class Propellant(StrEnum):
    LIQUID = "liquid"
    SOLID = "solid"


class MissileType(Model):
    name: str = Field(min_length=1, max_length=100, description="the declared name")
    aliases: list[str] = Field(
        default_factory=list, description="other names of the type (foreign designations)"
    )
    missile_class: MissileClass
    propellant: Propellant
    stages: int = Field(ge=1, le=5)
    range_km: float = Field(gt=0, le=20_000, description="maximum range with its payload")
    payload_kg: float = Field(gt=0, le=100_000, description="payload (to orbit for an SLV)")
    declared_missiles: Count = Field(description="missiles of this type not eliminated")
    declared_launchers: Count = Field(description="launchers for this type not eliminated")


class FacilityKind(StrEnum):
    PRODUCTION = "production"
    STORAGE = "storage"
    DEPLOYMENT = "deployment"
    TEST = "test"
    SPACE_LAUNCH = "space launch"


class MissileFacility(Model):
    id: Name
    name: str = Field(min_length=1, max_length=300)
    aliases: list[str] = Field(
        default_factory=list, description="other names of the site (as outside sources name it)"
    )
    kind: FacilityKind
    location: Location
    status: SiteStatus
    note: str = Field(default="", max_length=2000)


class ItemStatus(StrEnum):
    DEPLOYED = "deployed"
    STORED = "stored"
    IN_PRODUCTION = "in production"
    ELIMINATED = "eliminated"


@item
class Missile:
    uid: Uid
    type: str = Field(min_length=1, max_length=100, description="a declared missile type")
    status: ItemStatus
    location: Name | None = Field(
        default=None, description="the facility where it is (none once eliminated)"
    )


class LauncherKind(StrEnum):
    TEL = "TEL"
    MEL = "MEL"
    SILO = "silo"
    FIXED_PAD = "fixed pad"
    SUBMARINE = "submarine"
    RAIL = "rail"


@item
class Launcher:
    uid: Uid
    kind: LauncherKind
    missile_type: str = Field(min_length=1, max_length=100)
    status: ItemStatus
    location: Name | None = None


class MissileChangeKind(StrEnum):
    PRODUCED = "produced"
    ELIMINATED = "eliminated"


@item
class MissileChange:
    """An item produced or eliminated since the declaration this one updates."""

    date: dt.date
    kind: MissileChangeKind
    uid: Uid
    facility: Name | None = None
    method: str = Field(default="", max_length=300, description="how it was eliminated")
    note: str = Field(default="", max_length=2000)


class MissileDeclaration(Header):
    """A complete declaration of a missile program as of a date."""

    program: Literal["missile"]
    missile_types: list[MissileType]
    facilities: list[MissileFacility]
    missiles: list[Missile]
    launchers: list[Launcher]
    changes: list[MissileChange] = Field(
        default_factory=list, description="items produced or eliminated since the last update"
    )
