"""Reads for the results pages beyond the count: place names, conflicts, households that have not
voted, objections, and the plan a resident's results page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.communities.electorate import snapshot_for
from app.communities.models import Building, FrozenHousehold, Household, Unit
from app.communities.normalize import natural_key
from app.communities.queries import household_address_select
from app.extensions import db
from app.paper.models import Delivery
from app.plans.models import Item, Plan
from app.plans.phases import AFTER_RESULT, VOTING
from app.tally.models import Objection
from app.voting.models import Ballot, EffectiveBallot


def place_names(community_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """Building names and unit names by id, for one community."""
    buildings = dict(
        db.session.execute(
            select(Building.id, Building.name).where(Building.community_id == community_id)
        ).all()
    )
    units = select(Unit.id, Unit.name).where(Unit.community_id == community_id)
    units = dict(db.session.execute(units).all())
    return buildings, units


def _address_order(row) -> tuple:
    """Building, unit, room in natural order (2号楼 before 10号楼)."""
    return natural_key(row.building), natural_key(row.unit), natural_key(row.room)


@dataclass
class ConflictRow:
    """A household whose ballots differ, the one that counts, and all of them."""

    household_id: int
    building: str
    unit: str
    room: str
    reason: str
    effective_ballot_id: int
    ballots: list[tuple[str, datetime, int]] = field(default_factory=list)

    @property
    def effective_channel(self) -> str:
        """The channel of the ballot that counts."""
        return next(ch for ch, _at, bid in self.ballots if bid == self.effective_ballot_id)


def conflicts(plan: Plan) -> list[ConflictRow]:
    """Households with differing ballots (docs/counting.md: listed for a person to see)."""
    rows = db.session.execute(
        household_address_select(EffectiveBallot.reason, EffectiveBallot.ballot_id)
        .join(EffectiveBallot, EffectiveBallot.household_id == Household.id)
        .where(EffectiveBallot.plan_id == plan.id, EffectiveBallot.conflict.is_(True))
    ).all()
    by_household = {r[0]: ConflictRow(*r) for r in rows}
    if by_household:
        for household_id, channel, at, ballot_id in db.session.execute(
            select(Ballot.household_id, Ballot.channel, Ballot.recorded_at, Ballot.id)
            .where(Ballot.plan_id == plan.id, Ballot.household_id.in_(list(by_household)))
            .order_by(Ballot.recorded_at, Ballot.id)
        ):
            by_household[household_id].ballots.append((channel, at, ballot_id))
    return sorted(by_household.values(), key=_address_order)


@dataclass
class NonVoter:
    """A household without an effective ballot, and whether its ballot was delivered."""

    id: int
    building: str
    unit: str
    room: str
    owner_name: str
    phone: str | None
    delivered_at: datetime | None
    method: str | None


def non_voters(plan: Plan) -> list[tuple[str, str, list[NonVoter]]]:
    """Households that have not voted, grouped by building and unit, in address order (of the
    frozen electorate once voting opened: a household added later has no vote to cast)."""
    voted = select(EffectiveBallot.household_id).where(EffectiveBallot.plan_id == plan.id)
    query = (
        household_address_select(
            Household.owner_name, Household.phone, Delivery.delivered_at, Delivery.method
        )
        .outerjoin(
            Delivery, (Delivery.household_id == Household.id) & (Delivery.plan_id == plan.id)
        )
        .where(Household.community_id == plan.community_id, Household.id.not_in(voted))
    )
    snapshot = snapshot_for(plan.id)
    if snapshot is not None:
        frozen = select(FrozenHousehold.household_id).where(
            FrozenHousehold.snapshot_id == snapshot.id
        )
        query = query.where(Household.id.in_(frozen))
    rows = db.session.execute(query).all()
    groups: dict[tuple[str, str], list[NonVoter]] = {}
    for row in sorted((NonVoter(*r) for r in rows), key=_address_order):
        groups.setdefault((row.building, row.unit), []).append(row)
    return [(b, u, members) for (b, u), members in groups.items()]


@dataclass
class ObjectionRow:
    """An objection with the item key and the household address it names."""

    objection: Objection
    item_key: str | None
    address: str | None


def objections(plan: Plan) -> list[ObjectionRow]:
    """The plan's objections, oldest first."""
    rows = db.session.execute(
        select(Objection, Item.key, Building.name, Unit.name, Household.room)
        .outerjoin(Item, Item.id == Objection.item_id)
        .outerjoin(Household, Household.id == Objection.household_id)
        .outerjoin(Building, Building.id == Household.building_id)
        .outerjoin(Unit, Unit.id == Household.unit_id)
        .where(Objection.plan_id == plan.id)
        .order_by(Objection.received_at, Objection.id)
    ).all()
    return [ObjectionRow(o, key, f"{b}{u}{room}" if room else None) for o, key, b, u, room in rows]


def published_plan(community_id: int) -> Plan | None:
    """The community's newest plan whose result is published (phase published or later)."""
    return db.session.scalar(
        select(Plan)
        .where(Plan.community_id == community_id, Plan.phase.in_(AFTER_RESULT))
        .order_by(Plan.id.desc())
        .limit(1)
    )


def latest_plan_with_results(community_id: int) -> Plan | None:
    """The newest plan that has reached voting (the one a results menu entry opens)."""
    return db.session.scalar(
        select(Plan)
        .where(
            Plan.community_id == community_id,
            Plan.phase.in_((VOTING, *AFTER_RESULT)),
        )
        .order_by(Plan.id.desc())
        .limit(1)
    )
