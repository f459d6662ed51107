"""Reads on co-funding: each household's share of each item (design.md §5)."""

import json
from decimal import Decimal

from sqlalchemy import or_, select

from app.communities.models import Building, Household, Unit
from app.extensions import db
from app.funding.shares import ShareHousehold, household_order, residents_part, split_shares
from app.plans.models import HouseholdShare, Item, ItemScope


def item_residents_part(item: Item) -> int:
    """Cost minus the other funding sources, in fen."""
    return residents_part(item.cost_fen, {f.source: f.amount_fen for f in item.funding})


def electorate_for_shares(item: Item) -> list[ShareHousehold]:
    """The item's electorate as the share rules see it, in building, unit, room order."""
    query = (
        select(
            Household.id,
            Household.area_centi,
            Household.floor,
            Building.name,
            Unit.name,
            Household.room,
        )
        .join(Building, Household.building_id == Building.id)
        .join(Unit, Household.unit_id == Unit.id)
        .where(Household.community_id == item.community_id)
    )
    if item.scopes:
        covers = select(ItemScope.item_id).where(
            ItemScope.item_id == item.id,
            ItemScope.building_id == Household.building_id,
            or_(ItemScope.unit_id.is_(None), ItemScope.unit_id == Household.unit_id),
        )
        query = query.where(covers.exists())
    return [
        ShareHousehold(
            id=hid,
            area=Decimal(centi).scaleb(-2),
            floor=floor,
            order=household_order(b, u, room),
            label=f"{b}{u}{room}",
        )
        for hid, centi, floor, b, u, room in db.session.execute(query)
    ]


def compute_item_shares(item: Item) -> dict[int, int]:
    """Split the item's residents' part by its method (custom: the uploaded amounts)."""
    households = electorate_for_shares(item)
    coefficients = None
    if item.floor_coefficients:
        coefficients = {int(k): Decimal(v) for k, v in json.loads(item.floor_coefficients).items()}
    custom = None
    if item.share_method == "custom":
        custom = dict(
            db.session.execute(
                select(HouseholdShare.household_id, HouseholdShare.amount_fen).where(
                    HouseholdShare.item_id == item.id, HouseholdShare.custom.is_(True)
                )
            ).all()
        )
    return split_shares(
        item.share_method,
        item_residents_part(item),
        households,
        floor_coefficients=coefficients,
        custom=custom,
    )


def household_shares(items: list[Item], household_id: int) -> dict[int, int]:
    """The household's share of each item, in fen: fixed shares once stored, else computed."""
    if not items:
        return {}
    fixed = dict(
        db.session.execute(
            select(HouseholdShare.item_id, HouseholdShare.amount_fen).where(
                HouseholdShare.item_id.in_([i.id for i in items]),
                HouseholdShare.household_id == household_id,
                HouseholdShare.custom.is_(False),
            )
        ).all()
    )
    shares = {}
    for item in items:
        if item.id in fixed:
            shares[item.id] = fixed[item.id]
        elif item.cost_fen:
            shares[item.id] = compute_item_shares(item).get(household_id, 0)
        else:
            shares[item.id] = 0
    return shares
