"""Census model: community, building, unit, household (专有部分); owners derive from owner keys."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TenantMixin, utcnow
from app.extensions import db


def area_to_centi(area: Decimal) -> int:
    """m² (at most two decimals) to integer hundredths of a m²."""
    centi = Decimal(area) * 100
    if centi != centi.to_integral_value():
        raise ValueError(f"area {area} has more than two decimals")
    return int(centi)


def centi_to_area(centi: int) -> Decimal:
    """Integer hundredths of a m² to m² as an exact Decimal."""
    return Decimal(int(centi)).scaleb(-2)


class Community(db.Model):
    """One residential community (小区); the tenant every other record belongs to."""

    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    district: Mapped[str] = mapped_column(String(80), default="", index=True)
    street: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_state(self) -> dict:
        """Fields recorded in the audit trail."""
        return {
            "name": self.name,
            "district": self.district,
            "street": self.street,
            "address": self.address,
        }


class Building(TenantMixin, db.Model):
    """A building (楼栋) of a community, named as the roster writes it, e.g. 3号楼."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "building"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    __table_args__ = (UniqueConstraint("community_id", "name"),)


class Unit(TenantMixin, db.Model):
    """A stairwell or entrance (单元); name "" when the building has no units."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    name: Mapped[str] = mapped_column(String(40), default="")
    building: Mapped[Building] = relationship()
    __table_args__ = (UniqueConstraint("building_id", "name"),)


class Household(TenantMixin, db.Model):
    """One exclusive part (专有部分): the unit of voting, with its registered area."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    room: Mapped[str] = mapped_column(String(20))
    floor: Mapped[int]
    # Registered area in hundredths of a m²: exact on every database, and summed exactly in SQL.
    area_centi: Mapped[int]
    owner_name: Mapped[str] = mapped_column(String(120))
    # HMAC of the normalised owner ID: groups an owner's households without storing the ID.
    owner_key: Mapped[str | None] = mapped_column(String(64), index=True)
    owner_id_hint: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(40))
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Bumped when a code is issued or rotated: sessions of an older code end at once.
    code_generation: Mapped[int] = mapped_column(default=0)
    code_issued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    building: Mapped[Building] = relationship()
    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "room"),
        Index("ix_household_community_order", "community_id", "building_id", "unit_id", "room"),
    )

    @property
    def area(self) -> Decimal:
        """Registered floor area in m², exact."""
        return centi_to_area(self.area_centi)

    @area.setter
    def area(self, value: Decimal) -> None:
        self.area_centi = area_to_centi(value)

    @property
    def owner(self) -> str:
        """Owner identity for counting: the owner key, else the household itself."""
        return self.owner_key or f"household:{self.id}"

    @property
    def address_label(self) -> str:
        """Building, unit and room as residents write them, e.g. 3号楼2单元301."""
        return f"{self.building.name}{self.unit.name}{self.room}"

    def audit_state(self) -> dict:
        """Fields recorded in the audit trail (never the code hash)."""
        return {
            "building": self.building.name if self.building else None,
            "unit": self.unit.name if self.unit else None,
            "room": self.room,
            "floor": self.floor,
            "area": str(self.area),
            "owner_name": self.owner_name,
            "owner_key": self.owner_key,
            "phone": self.phone,
        }


class RosterUpload(TenantMixin, db.Model):
    """An uploaded roster file waiting for the worker to confirm its preview."""

    __tablename__ = "roster_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None]


class ElectorateSnapshot(TenantMixin, db.Model):
    """The census as a plan's vote counts it, frozen when voting opens (design §3c).

    Its households (FrozenHousehold) are copied from the census at opening; a roster import
    later changes the census only. The plan's title is kept as it was, so the census pages can
    name the plan without reading plans (a layer above).
    """

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "electorate_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), unique=True)
    plan_title: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class FrozenHousehold(TenantMixin, db.Model):
    """One household of a frozen electorate: its place, floor, area and owner group then."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "frozen_household"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("electorate_snapshot.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    floor: Mapped[int]
    area_centi: Mapped[int]
    # The owner group: households with the same key are one owner (1/k); None = its own owner.
    owner_key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("snapshot_id", "household_id"),
        Index("ix_frozen_household_snapshot_unit", "snapshot_id", "unit_id"),
    )


class ElectorateCorrection(TenantMixin, db.Model):
    """A committee member's correction of a frozen electorate, with its reason (design §3c)."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "electorate_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("electorate_snapshot.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    # area, owner, add (a household missed at opening) or remove (one wrongly included)
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(120))
    before: Mapped[str] = mapped_column(Text)  # JSON: the frozen values before
    after: Mapped[str] = mapped_column(Text)  # JSON: the frozen values after
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
