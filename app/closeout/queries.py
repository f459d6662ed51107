"""Reads for change orders and final accounts that need the tally: which items passed, what a
revision vote decided, and the figures the district export and the archive show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.plans.models import Item, Plan
from app.plans.phases import AFTER_VOTE
from app.settlement.changes import revised_item
from app.settlement.models import ChangeOrder, FinalAccount
from app.tally.queries import items_going_ahead, tally_plan


def passed_items(plan: Plan) -> list[Item]:
    """The plan's items its final result passed (none before the final result)."""
    if plan.result_stage != "final":
        return []
    return [item for item, _option in items_going_ahead(plan)]


def revision_outcome(change: ChangeOrder) -> bool | None:
    """What the change's revision vote decided: True passed, False failed, None not yet final."""
    if change.revision_plan_id is None:
        return None
    plan = db.session.get(Plan, change.revision_plan_id)
    if plan is None or plan.result_stage != "final":
        return None
    item = revised_item(change)
    result = next((r for r in tally_plan(plan).items if r.item.id == item.id), None)
    return bool(result and result.passed)


@dataclass(frozen=True)
class CommunityCloseout:
    """A plan's final accounts and change orders in numbers (district export, archive)."""

    items_final: int  # items with confirmed final accounts
    items_entered: int  # entered, not yet confirmed
    planned_residents_fen: int
    actual_residents_fen: int
    refunds_fen: int
    top_ups_fen: int
    change_orders: int
    changes_effective: int
    pending_votes: int


def closeout_figures(plan: Plan) -> CommunityCloseout:
    """Final accounts (confirmed ones summed) and change orders of one plan."""
    finals = list(db.session.scalars(select(FinalAccount).where(FinalAccount.plan_id == plan.id)))
    confirmed = [f for f in finals if f.status == "confirmed"]
    counts = dict(
        db.session.execute(
            select(ChangeOrder.status, func.count(ChangeOrder.id))
            .where(ChangeOrder.plan_id == plan.id)
            .group_by(ChangeOrder.status)
        ).all()
    )
    return CommunityCloseout(
        items_final=len(confirmed),
        items_entered=len(finals) - len(confirmed),
        planned_residents_fen=sum(f.planned_residents_fen for f in confirmed),
        actual_residents_fen=sum(f.actual_residents_fen for f in confirmed),
        refunds_fen=sum(f.refunds_fen for f in confirmed),
        top_ups_fen=sum(f.top_ups_fen for f in confirmed),
        change_orders=sum(counts.values()),
        changes_effective=counts.get("effective", 0),
        pending_votes=counts.get("pending_vote", 0),
    )


def after_vote(plan: Plan | None) -> bool:
    """The plan is past its final result (works, acceptance, evaluation, closed)."""
    return plan is not None and plan.phase in AFTER_VOTE
