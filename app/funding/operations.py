"""Writes on co-funding: fixing each household's shares when voting opens."""

from sqlalchemy import delete

from app.core.audit import log_event
from app.extensions import db
from app.funding.queries import compute_item_shares
from app.plans.models import HouseholdShare, Plan


def fix_shares(plan: Plan) -> int:
    """Store every household's share of every item; returns the number of shares written.

    Called when voting opens, so what a household saw before voting is what it pledges.
    """
    written = 0
    for item in plan.items:
        shares = compute_item_shares(item)
        db.session.execute(
            delete(HouseholdShare).where(
                HouseholdShare.item_id == item.id, HouseholdShare.custom.is_(False)
            )
        )
        db.session.add_all(
            HouseholdShare(
                community_id=plan.community_id, item_id=item.id, household_id=hid, amount_fen=fen
            )
            for hid, fen in shares.items()
        )
        written += len(shares)
    db.session.flush()
    log_event(
        "funding.fix_shares",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={"shares": written},
    )
    return written
