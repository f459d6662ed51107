"""Reads on the census: roster statistics, household lists, recent audit events."""

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from babel.dates import get_timezone
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.orm import joinedload

from app.communities.models import Building, Community, Household, Unit, centi_to_area
from app.communities.normalize import natural_key
from app.communities.search import AddressQuery, parse_address, same_number
from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.rules.shares import household_order


@dataclass(frozen=True)
class CodeCounts:
    """How many households a community has, and how many hold a live sign-in code."""

    households: int
    live: int

    @property
    def missing(self) -> int:
        """Households without a code."""
        return self.households - self.live


def code_counts(community_id: int) -> CodeCounts:
    """Households of the community and those holding a live code (their last one issued)."""
    total, live = db.session.execute(
        select(func.count(Household.id), func.count(Household.code_hash)).where(
            Household.community_id == community_id
        )
    ).one()
    return CodeCounts(total, live)


@dataclass
class BuildingStats:
    """Roster figures of one building."""

    name: str
    units: int
    households: int
    area: Decimal
    codes_issued: int
    owners_with_id: int


def household_address_select(*columns):
    """A select of households with their address: id, building, unit, room, then `columns`.

    Building and unit names are labelled ``building`` and ``unit``; the caller adds the
    conditions (community, plan, ids) and any further joins.
    """
    return (
        select(
            Household.id,
            Building.name.label("building"),
            Unit.name.label("unit"),
            Household.room,
            *columns,
        )
        .join(Building, Household.building_id == Building.id)
        .join(Unit, Household.unit_id == Unit.id)
    )


def household_rows(community_id: int, *columns, ids=None) -> list:
    """The community's households (or only `ids`) as rows of id, building, unit, room and
    `columns`, in natural building, unit, room order, then id (one query)."""
    query = household_address_select(*columns).where(Household.community_id == community_id)
    if ids is not None:
        query = query.where(Household.id.in_(list(ids)))
    rows = db.session.execute(query).all()
    return sorted(rows, key=lambda r: (household_order(r[1], r[2], r[3]), r[0]))


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


CODE_FILTERS = ("issued", "missing")


def _address_condition(community_id: int, address: AddressQuery):
    """Households at the parsed address; building and unit names are matched by their number."""
    condition = []
    building_ids = None
    if address.building is not None:
        names = db.session.execute(
            select(Building.id, Building.name).where(Building.community_id == community_id)
        ).all()
        building_ids = [bid for bid, name in names if same_number(name, address.building)]
        if not building_ids:
            return false()
        condition.append(Household.building_id.in_(building_ids))
    if address.unit is not None:
        units = select(Unit.id, Unit.name).where(Unit.community_id == community_id)
        if building_ids is not None:
            units = units.where(Unit.building_id.in_(building_ids))
        unit_ids = [
            uid for uid, name in db.session.execute(units).all() if same_number(name, address.unit)
        ]
        if not unit_ids:
            return false()
        condition.append(Household.unit_id.in_(unit_ids))
    if address.room is not None:
        condition.append(Household.room == address.room)
    return and_(*condition)


def household_search(community_id: int, text: str):
    """A condition on Household, Building and Unit (joined by the caller) matching a search.

    Matches the owner's name, the room, the building's name, the address written as one word
    (3号楼2单元301) and addresses typed with numbers and dashes (3-2-301, 3栋301).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    compact = "".join(text.split())
    conditions = [
        Household.owner_name.contains(text, autoescape=True),
        Household.room.contains(text, autoescape=True),
        Building.name.contains(text, autoescape=True),
        (Building.name + Unit.name + Household.room).contains(compact, autoescape=True),
    ]
    address = parse_address(text)
    if address is not None:
        conditions.append(_address_condition(community_id, address))
    return or_(*conditions)


def households_at(community_id: int, text: str, limit: int = 2) -> list[Household]:
    """Households at a typed address: written out (3号楼2单元301) or in shorthand (3-2-301,
    3栋301), the same forms the search box takes. More than one means the address is not
    specific enough (3-301 in a building with several units); at most `limit` are returned.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    compact = "".join(text.split())
    if not compact:
        return []
    written = (
        select(Household)
        .join(Building, Building.id == Household.building_id)
        .outerjoin(Unit, Unit.id == Household.unit_id)
        .where(
            Household.community_id == community_id,
            (Building.name + func.coalesce(Unit.name, "") + Household.room) == compact,
        )
        .limit(limit)
    )
    found = db.session.scalars(written).all()
    address = parse_address(text)
    if found or address is None:
        return list(found)
    parsed = (
        select(Household)
        .where(Household.community_id == community_id, _address_condition(community_id, address))
        .order_by(Household.id)
        .limit(limit)
    )
    return list(db.session.scalars(parsed).all())


def unit_order(community_id: int):
    """A sort key on Household.unit_id: units in natural building, unit order (2号楼 < 10号楼).

    Ranked in Python over the community's few units, so the database sorts households by an
    integer and the room instead of comparing names (six text keys made 5,000 rows slow).
    """
    units = db.session.execute(
        select(Unit.id, Building.name, Unit.name)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.community_id == community_id)
    ).all()
    ordered = sorted(units, key=lambda u: (natural_key(u[1]), natural_key(u[2])))
    if not ordered:
        return literal(0)
    return case(
        {uid: rank for rank, (uid, _b, _u) in enumerate(ordered)},
        value=Household.unit_id,
        else_=len(ordered),
    )


def _household_ids_query(community: Community, search: str, codes: str):
    """Ids of the households the list's search and code filter keep (unordered)."""
    query = select(Household.id).where(Household.community_id == community.id)
    if search.strip():
        query = (
            query.join(Building, Household.building_id == Building.id)
            .join(Unit, Household.unit_id == Unit.id)
            .where(household_search(community.id, search))
        )
    if codes == "issued":
        query = query.where(Household.code_hash.is_not(None))
    elif codes == "missing":
        query = query.where(Household.code_hash.is_(None))
    return query


def filtered_household_ids(community: Community, search: str = "", codes: str = "") -> set[int]:
    """Every household the list's search and code filter keep (for exporting what is shown)."""
    return set(db.session.scalars(_household_ids_query(community, search, codes)))


def household_list(
    community: Community,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
    *,
    codes: str = "",
):
    """A page of the community's households in building, unit, room order, with a search.

    `codes` keeps households whose sign-in code is "issued" or "missing"; "" keeps all.
    The page's ids are cut first, then only those households are loaded with their places.
    """
    query = _household_ids_query(community, search, codes).order_by(
        unit_order(community.id), func.length(Household.room), Household.room, Household.id
    )
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if result.items:
        loaded = db.session.scalars(
            select(Household)
            .options(joinedload(Household.building), joinedload(Household.unit))
            .where(Household.id.in_(result.items))
        ).unique()
        by_id = {h.id: h for h in loaded}
        result.items = [by_id[i] for i in result.items]
    return result


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows the trail to; empty fields narrow nothing."""

    action: str = ""
    record_type: str = ""
    actor: str = ""
    date_from: date | None = None  # local calendar days, both included
    date_to: date | None = None

    def args(self) -> dict:
        """The filter as URL arguments (empty ones left out), for the pager links."""
        values = {
            "action": self.action,
            "record_type": self.record_type,
            "actor": self.actor,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


def _utc_start_of(day: date) -> datetime:
    """The UTC instant a local calendar day starts (timestamps are stored in naive UTC)."""
    zone = get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = datetime.combine(day, time.min)
    local = zone.localize(local) if hasattr(zone, "localize") else local.replace(tzinfo=zone)
    return local.astimezone(get_timezone("UTC")).replace(tzinfo=None)


def audit_page(
    community: Community, page: int = 1, per_page: int = 50, wanted: AuditFilter | None = None
):
    """A page of the community's audit trail, newest first, narrowed by `wanted`."""
    wanted = wanted or AuditFilter()
    query = select(AuditEvent).where(AuditEvent.community_id == community.id)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.record_type:
        query = query.where(AuditEvent.record_type == wanted.record_type)
    if wanted.actor.strip():
        query = query.where(AuditEvent.actor.contains(wanted.actor.strip(), autoescape=True))
    if wanted.date_from:
        query = query.where(AuditEvent.created_at >= _utc_start_of(wanted.date_from))
    if wanted.date_to:
        query = query.where(AuditEvent.created_at < _utc_start_of(wanted.date_to + timedelta(1)))
    query = query.order_by(AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def audit_vocabulary(community: Community) -> tuple[list[str], list[str]]:
    """The actions and record types the community's trail holds, for the filter menus."""
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.record_type)
        .where(AuditEvent.community_id == community.id)
        .distinct()
    ).all()
    return sorted({a for a, _ in rows}), sorted({r for _, r in rows})


def find_community(name: str) -> Community:
    """A community by its exact name, or a clear error."""
    community = db.session.scalar(select(Community).where(Community.name == name.strip()))
    if community is None:
        raise DomainError(_l("没有名为“%(name)s”的小区。", name=name))
    return community
