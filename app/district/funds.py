"""Funds of many plans at once: required, pledged and paid in fen, as the funding dashboard's
total (funding.ledger.funding_dashboard) counts them, in three grouped statements.

The dashboard builds one line per item and household (ledger) and sums them; the overview needs
only the sums, for every plan of a district or the city. Once voting opened, an item's shares
are its stored rows (plans.shares.plan_shares), so the sums can be taken in the database:

- required: the item's stored shares;
- pledged: the shares of households whose effective ballot agrees to the item's current
  revision with a pledge (funding.ledger.pledges);
- paid: payments (corrections included) by households holding a share (ledger lines exist only
  for them; funding.ledger.paid_totals).

A plan with an opt-in item (its sign-ups are owed, not shares), a custom-method item (its
upload is re-checked against the cost) or an item without stored shares (its split failed when
voting opened) is left to ``funding_totals``, which goes through plan_shares itself.
tests/district checks both paths against funding_dashboard.
"""

from sqlalchemy import func, select

from app.extensions import db
from app.funding.ledger import paid_totals, pledges
from app.funding.models import Payment
from app.plans.models import HouseholdShare, Item, Plan
from app.plans.shares import plan_shares
from app.voting.models import BallotChoice, EffectiveBallot
from app.voting.optin import opt_in_owed


def funding_totals(plan: Plan) -> tuple[int, int, int]:
    """Required, pledged and paid in fen of one plan: the dashboard's total from the same shares,
    pledges and payments, without building and sorting its lines."""
    pledged, paid = pledges(plan), paid_totals(plan)
    required_fen = pledged_fen = paid_fen = 0
    owed = opt_in_owed(plan)  # opt-in items: signed-up households owe their price, pledged
    pledged |= {(item_id, hid) for item_id, homes in owed.items() for hid in homes}
    for item_id, shares in [*plan_shares(plan).shares.items(), *owed.items()]:
        for household_id, fen in shares.items():
            required_fen += fen
            pledged_fen += fen if (item_id, household_id) in pledged else 0
            paid_fen += paid.get((item_id, household_id), 0)
    return required_fen, pledged_fen, paid_fen


def _stored_share(item_column, household_column):
    """Join condition: the computed share row (not an upload) of an item and household."""
    return (
        (HouseholdShare.item_id == item_column)
        & (HouseholdShare.household_id == household_column)
        & HouseholdShare.custom.is_(False)
    )


def _sums(query) -> dict[int, int]:
    """{item id: sum} of a two-column grouped select."""
    return {item_id: int(total or 0) for item_id, total in db.session.execute(query)}


def stored_item_sums(item_ids: list[int]) -> tuple[dict, dict, dict]:
    """Per item, from stored shares: required, pledged and paid in fen (three statements)."""
    if not item_ids:
        return {}, {}, {}
    required = _sums(
        select(HouseholdShare.item_id, func.sum(HouseholdShare.amount_fen))
        .where(HouseholdShare.item_id.in_(item_ids), HouseholdShare.custom.is_(False))
        .group_by(HouseholdShare.item_id)
    )
    pledged = _sums(
        select(BallotChoice.item_id, func.sum(HouseholdShare.amount_fen))
        .select_from(EffectiveBallot)
        .join(BallotChoice, BallotChoice.ballot_id == EffectiveBallot.ballot_id)
        .join(Item, Item.id == BallotChoice.item_id)
        .join(HouseholdShare, _stored_share(BallotChoice.item_id, EffectiveBallot.household_id))
        .where(
            BallotChoice.item_id.in_(item_ids),
            EffectiveBallot.plan_id == Item.plan_id,
            BallotChoice.choice == "agree",
            BallotChoice.pledge.is_(True),
            BallotChoice.item_revision == Item.revision,
        )
        .group_by(BallotChoice.item_id)
    )
    paid = _sums(
        select(Payment.item_id, func.sum(Payment.amount_fen))
        .join(Item, Item.id == Payment.item_id)
        .join(HouseholdShare, _stored_share(Payment.item_id, Payment.household_id))
        .where(Payment.item_id.in_(item_ids), Payment.plan_id == Item.plan_id)
        .group_by(Payment.item_id)
    )
    return required, pledged, paid


def plans_funding(plans: list[Plan]) -> dict[int, tuple[int, int, int]]:
    """(required, pledged, paid) in fen per plan id, for plans whose shares are fixed."""
    items = [item for plan in plans for item in plan.items if item.share_method != "custom"]
    required, pledged, paid = stored_item_sums([item.id for item in items])
    result = {}
    for plan in plans:
        if all(
            i.share_method != "custom" and i.kind != "opt_in" and i.id in required
            for i in plan.items
        ):
            ids = [i.id for i in plan.items]
            sums = (required, pledged, paid)
            result[plan.id] = tuple(sum(d.get(i, 0) for i in ids) for d in sums)
        else:
            result[plan.id] = funding_totals(plan)
    return result
