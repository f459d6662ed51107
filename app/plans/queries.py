"""Reads on plans: schedules, the items in a household's scope, the current plan."""

import json
from datetime import date, datetime
from functools import cache

from babel.dates import get_timezone
from flask import current_app
from sqlalchemy import and_, bindparam, case, exists, func, or_, select

from app.communities.electorate import may_vote_on
from app.communities.models import Building, Household, Unit
from app.extensions import db
from app.plans.models import Item, ItemProposal, ItemScope, Plan
from app.plans.phases import Schedule, paper_entry_open, voting_open


def local_today() -> date:
    """Today's date in the configured time zone (phase dates are local calendar days)."""
    zone = get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(zone).date()


def schedule_of(plan: Plan) -> Schedule:
    """The plain schedule the phase rules read."""
    return Schedule(
        phase=plan.phase,
        drafting_opens=plan.drafting_opens,
        voting_opens=plan.voting_opens,
        voting_closes=plan.voting_closes,
        voting_closed_early=plan.voting_closed_at is not None,
        has_items=bool(plan.items),  # loaded once per request, reused by the ballot
        voting_ended=plan.voting_ended_at is not None,
    )


def in_progress():
    """A plan residents are in the middle of: voting, or its preliminary result's objection
    period (published, result not yet final)."""
    return or_(
        Plan.phase == "voting",
        and_(Plan.phase == "published", Plan.result_stage == "preliminary"),
    )


def busy_plan(community_id: int, exclude: int | None = None) -> Plan | None:
    """The community's plan that is voting or in its objection period, if any."""
    query = select(Plan).where(Plan.community_id == community_id, in_progress())
    if exclude is not None:
        query = query.where(Plan.id != exclude)
    return db.session.scalar(query.order_by(Plan.id.desc()).limit(1))


def household_count(community_id: int) -> int:
    """How many households the community has."""
    return db.session.scalar(
        select(func.count(Household.id)).where(Household.community_id == community_id)
    )


@cache
def _current_plan_statement():
    """Built once (a few hundred microseconds a request otherwise: every household page asks)."""
    return (
        select(Plan)
        .where(Plan.community_id == bindparam("community_id"))
        .order_by(
            case((in_progress(), 0), (Plan.revises_plan_id.is_not(None), 2), else_=1),
            Plan.id.desc(),
        )
        .limit(1)
    )


def current_plan(community_id: int) -> Plan | None:
    """The community's current plan: the one voting or in its objection period (one at a time,
    docs/process.md), else the newest that is not a revision vote (修订表决) on another plan's
    change order."""
    return db.session.scalar(_current_plan_statement(), {"community_id": community_id})


@cache
def _items_in_scope_statement(by_kind: bool):
    """The ids of a plan's items whose scope includes a household, built once per shape (the
    ballot confirmation asks on every vote)."""
    plan_id, household_id = bindparam("plan_id"), bindparam("household_id")
    scoped = exists().where(ItemScope.item_id == Item.id)
    covers = exists().where(
        ItemScope.item_id == Item.id,
        ItemScope.building_id == bindparam("building_id"),
        or_(ItemScope.unit_id.is_(None), ItemScope.unit_id == bindparam("unit_id")),
    )
    query = select(Item.id).where(
        Item.plan_id == plan_id, or_(~scoped, covers), may_vote_on(plan_id, household_id)
    )
    if by_kind:
        query = query.where(Item.kind == bindparam("kind"))
    return query.order_by(Item.position, Item.id)


def items_for_household(plan: Plan, household: Household, kind: str | None = "vote") -> list[Item]:
    """The plan's items of `kind` whose scope includes the household, in plan order.

    `kind` "vote" (the default: what a ballot shows), "opt_in" (户内自选, signed up apart) or
    None for both.

    Once voting opened, only a household of the frozen electorate has items (design §3c): one
    added to the census later has no say until the committee corrects the electorate.
    One statement (the ids); the items themselves come from `plan.items`, which every page
    that loads a plan has loaded already (`schedule_of`).
    """
    params = {
        "plan_id": plan.id,
        "household_id": household.id,
        "building_id": household.building_id,
        "unit_id": household.unit_id,
    }
    if kind:
        params["kind"] = kind
    ids = db.session.scalars(_items_in_scope_statement(bool(kind)), params).all()
    loaded = {item.id: item for item in plan.items}
    # An item added to the session without plan.items knowing is fetched by its id.
    return [loaded.get(item_id) or db.session.get(Item, item_id) for item_id in ids]


def scope_label(item: Item) -> str:
    """The item's scope in words: whole community, or its buildings and units."""
    if not item.scopes:
        return ""

    parts = []
    for scope in item.scopes:
        building = db.session.get(Building, scope.building_id)
        unit = db.session.get(Unit, scope.unit_id) if scope.unit_id else None
        parts.append(building.name + (unit.name if unit else ""))
    return "、".join(parts)


def rule_params(item: Item) -> dict | None:
    """The custom rule parameters, decoded."""
    return json.loads(item.rule_params) if item.rule_params else None


def is_voting_open(plan: Plan, today: date | None = None) -> bool:
    """Ballots may be cast now."""
    return voting_open(schedule_of(plan), today or local_today())


def is_paper_entry_open(plan: Plan, today: date | None = None) -> bool:
    """Collected paper ballots may be keyed now (until the result is published)."""
    return paper_entry_open(schedule_of(plan), today or local_today())


def answered_proposal_ids(item_ids: list[int]) -> dict[int, list[int]]:
    """The ids of the proposals each item answers (ItemProposal), to link the item to them."""
    answered: dict[int, list[int]] = {}
    if not item_ids:
        return answered
    pairs = db.session.execute(
        select(ItemProposal.item_id, ItemProposal.proposal_id)
        .where(ItemProposal.item_id.in_(item_ids))
        .order_by(ItemProposal.proposal_id)
    )
    for item_id, proposal_id in pairs:
        answered.setdefault(item_id, []).append(proposal_id)
    return answered
