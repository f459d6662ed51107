"""Reads the exports need beyond the modules' own queries: each a fixed number of statements,
whatever the size of the community or plan."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.communities.models import Household
from app.communities.queries import household_rows
from app.core.audit import AuditEvent
from app.extensions import db
from app.formats.downloads import exporter_name
from app.paper.models import PaperSerial
from app.plans.models import Item, Plan
from app.rules.shares import household_order
from app.tally.listings import place_names
from app.voting.models import Ballot, BallotChoice, EffectiveBallot


def plan_items(plan: Plan) -> list[Item]:
    """The plan's items in order, their funding sources and scopes loaded (three queries)."""
    return list(
        db.session.scalars(
            select(Item)
            .options(selectinload(Item.funding), selectinload(Item.scopes))
            .where(Item.plan_id == plan.id)
            .order_by(Item.position, Item.id)
        )
    )


def scope_names(items: list[Item], community_id: int) -> dict[int, str]:
    """Each scoped item's buildings and units in words, as `plans.queries.scope_label` writes
    them (3号楼、1号楼2单元), from two queries for the whole plan instead of two per scope row."""
    if not any(item.scopes for item in items):
        return {}
    buildings, units = place_names(community_id)
    return {
        item.id: "、".join(
            buildings[s.building_id] + (units[s.unit_id] if s.unit_id else "") for s in item.scopes
        )
        for item in items
        if item.scopes
    }


@dataclass(frozen=True)
class RosterRow:
    """A household as the roster export shows it (never its code or owner key)."""

    id: int
    building: str
    unit: str
    room: str
    floor: int
    area_centi: int
    owner_name: str
    owner_id_hint: str | None
    phone: str | None
    code_issued: bool
    code_issued_at: datetime | None
    owner_households: int  # households of the same owner in the community (1 without an ID)

    @property
    def order(self) -> tuple:
        """Natural building, unit, room order."""
        return household_order(self.building, self.unit, self.room)


def roster_rows(community_id: int) -> list[RosterRow]:
    """Every household of the community in building, unit, room order (one query)."""
    rows = household_rows(
        community_id,
        Household.floor,
        Household.area_centi,
        Household.owner_name,
        Household.owner_id_hint,
        Household.phone,
        Household.code_hash.is_not(None),
        Household.code_issued_at,
        Household.owner_key,
    )
    per_owner: dict[str, int] = defaultdict(int)
    for row in rows:
        if row[-1] is not None:
            per_owner[row[-1]] += 1
    return [
        RosterRow(*row[:-1], owner_households=per_owner[row[-1]] if row[-1] else 1) for row in rows
    ]


@dataclass(frozen=True)
class BallotVersion:
    """A recorded ballot of a household; choices are {item id: (revision, choice, pledge)}."""

    id: int
    household_id: int
    channel: str
    recorded_at: datetime
    recorded_by_id: int | None
    receipt: str
    serial: str | None
    authorised_by: str | None
    witness: str | None
    effective: bool
    conflict: bool  # the household's ballots differ (docs/counting.md#effective-ballot)
    choices: dict


def ballot_versions(plan: Plan) -> list[BallotVersion]:
    """Every ballot recorded on the plan, effective or not, with its choices (two queries)."""
    effective = (
        select(EffectiveBallot.ballot_id).where(EffectiveBallot.plan_id == plan.id).subquery()
    )
    conflicted = select(EffectiveBallot.household_id).where(
        EffectiveBallot.plan_id == plan.id, EffectiveBallot.conflict.is_(True)
    )
    ballots = db.session.execute(
        select(
            Ballot.id,
            Ballot.household_id,
            Ballot.channel,
            Ballot.recorded_at,
            Ballot.recorded_by_id,
            Ballot.receipt,
            PaperSerial.serial,
            Ballot.authorised_by,
            Ballot.witness,
            effective.c.ballot_id.is_not(None),
            Ballot.household_id.in_(conflicted),
        )
        .outerjoin(PaperSerial, PaperSerial.id == Ballot.serial_id)
        .outerjoin(effective, effective.c.ballot_id == Ballot.id)
        .where(Ballot.plan_id == plan.id)
    ).all()
    choices: dict[int, dict] = defaultdict(dict)
    for ballot_id, item_id, revision, choice, pledge in ballot_choice_rows(plan.id):
        choices[ballot_id][item_id] = (revision, choice, pledge)
    return [
        BallotVersion(*row[:9], bool(row[9]), bool(row[10]), choices.get(row[0], {}))
        for row in ballots
    ]


def ballot_choice_rows(plan_id: int, household_ids=None) -> list:
    """The choices on the plan's ballots (only those of `household_ids` if given), as rows of
    ballot_id, item_id, item_revision, choice, pledge (one query)."""
    query = (
        select(
            BallotChoice.ballot_id,
            BallotChoice.item_id,
            BallotChoice.item_revision,
            BallotChoice.choice,
            BallotChoice.pledge,
        )
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.plan_id == plan_id)
    )
    if household_ids is not None:
        query = query.where(Ballot.household_id.in_(household_ids))
    return db.session.execute(query).all()


def user_names(ids) -> dict[int, str]:
    """Staff users' names as exports show them ("王芳（wangfang）"), by id (one query)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        u.id: exporter_name(u) for u in db.session.scalars(select(User).where(User.id.in_(ids)))
    }


def correction_reasons(community_id: int) -> dict[int, str]:
    """Why each corrected payment was corrected, from the audit trail: {payment id: reason}."""
    events = db.session.execute(
        select(AuditEvent.record_id, AuditEvent.after).where(
            AuditEvent.community_id == community_id,
            AuditEvent.action == "payment.correct",
            AuditEvent.record_type == "payment",
        )
    )
    reasons = {}
    for record_id, after in events:
        if record_id and after:
            reasons[int(record_id)] = json.loads(after).get("reason", "")
    return reasons
