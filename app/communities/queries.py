"""Reads on the census: roster statistics, household lists, recent audit events."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select

from app.communities.models import Building, Community, Household, Unit, centi_to_area
from app.communities.operations import natural_key
from app.core.audit import AuditEvent
from app.extensions import db


@dataclass
class BuildingStats:
    """Roster figures of one building."""

    name: str
    units: int
    households: int
    area: Decimal
    codes_issued: int
    owners_with_id: int


def roster_stats(community: Community) -> list[BuildingStats]:
    """Per-building households, units, area and codes issued (one grouped query)."""
    rows = db.session.execute(
        select(
            Building.name,
            func.count(func.distinct(Household.unit_id)),
            func.count(Household.id),
            func.coalesce(func.sum(Household.area_centi), 0),
            func.count(Household.code_hash),
            func.count(Household.owner_key),
        )
        .join(Household, Household.building_id == Building.id)
        .where(Building.community_id == community.id)
        .group_by(Building.id, Building.name)
    ).all()
    stats = [
        BuildingStats(name, units, n, centi_to_area(area), codes, owned)
        for name, units, n, area, codes, owned in rows
    ]
    return sorted(stats, key=lambda s: natural_key(s.name))


def distinct_owner_count(community: Community) -> int:
    """Owners: distinct owner keys plus households without one (each its own owner)."""
    keyed = db.session.scalar(
        select(func.count(func.distinct(Household.owner_key))).where(
            Household.community_id == community.id, Household.owner_key.is_not(None)
        )
    )
    unkeyed = db.session.scalar(
        select(func.count(Household.id)).where(
            Household.community_id == community.id, Household.owner_key.is_(None)
        )
    )
    return (keyed or 0) + (unkeyed or 0)


def recent_events(community: Community, limit: int = 10) -> list[AuditEvent]:
    """The community's newest audit events."""
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.community_id == community.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()


def household_list(community: Community, search: str = "", page: int = 1, per_page: int = 50):
    """A page of the community's households in building, unit, room order, with a search."""
    query = (
        select(Household)
        .join(Building, Household.building_id == Building.id)
        .join(Unit, Household.unit_id == Unit.id)
        .where(Household.community_id == community.id)
    )
    search = search.strip()
    if search:
        like = f"%{search}%"
        query = query.where(
            or_(
                Household.owner_name.like(like),
                Household.room.like(like),
                Building.name.like(like),
                (Building.name + Unit.name + Household.room).like(like),
            )
        )
    query = query.order_by(
        func.length(Building.name),
        Building.name,
        func.length(Unit.name),
        Unit.name,
        func.length(Household.room),
        Household.room,
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def audit_page(community: Community, page: int = 1, per_page: int = 50):
    """A page of the community's audit trail, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.community_id == community.id)
        .order_by(AuditEvent.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
