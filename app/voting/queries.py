"""Reads on ballots: a household's latest ballot, receipt status."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select

from app.core.codes import normalize_code
from app.core.db import utcnow
from app.extensions import db
from app.plans.models import Item, Plan
from app.rules.precedence import BallotRef, choose_effective_ballot
from app.voting.models import Ballot, EffectiveBallot


def latest_online_ballot(plan_id: int, household_id: int) -> Ballot | None:
    """The household's newest online ballot on the plan."""
    return db.session.scalar(
        select(Ballot)
        .where(
            Ballot.plan_id == plan_id,
            Ballot.household_id == household_id,
            Ballot.channel == "online",
        )
        .order_by(Ballot.recorded_at.desc(), Ballot.id.desc())
        .limit(1)
    )


def effective_ballot(plan_id: int, household_id: int) -> EffectiveBallot | None:
    """The household's effective ballot row."""
    return db.session.scalar(
        select(EffectiveBallot).where(
            EffectiveBallot.plan_id == plan_id, EffectiveBallot.household_id == household_id
        )
    )


def households_voted(plan_id: int) -> int:
    """How many households have an effective ballot on the plan."""
    return db.session.scalar(
        select(func.count(EffectiveBallot.id)).where(EffectiveBallot.plan_id == plan_id)
    )


def households_voted_online(plan_id: int, household_ids: list[int] | None = None) -> int:
    """How many households (of `household_ids`, if given) have cast at least one online
    ballot on the plan."""
    query = select(func.count(distinct(Ballot.household_id))).where(
        Ballot.plan_id == plan_id, Ballot.channel == "online"
    )
    if household_ids is not None:
        query = query.where(Ballot.household_id.in_(household_ids))
    return db.session.scalar(query)


@dataclass(frozen=True)
class Standing:
    """A household's ballots as a worker about to record another one sees them."""

    effective: Ballot | None  # the ballot that counts now
    online: Ballot | None  # its latest online ballot
    new_counts: bool  # whether the ballot about to be recorded would count


def standing_before_entry(plan: Plan, household_id: int, channel: str) -> Standing:
    """What counts for the household now, and whether a new `channel` (paper or assisted)
    ballot would count under the plan's conflict policy (rules.precedence decides, as it
    will when the ballot is recorded)."""
    row = effective_ballot(plan.id, household_id)
    effective = db.session.get(Ballot, row.ballot_id) if row is not None else None
    online = latest_online_ballot(plan.id, household_id)
    papers = db.session.scalars(
        select(Ballot).where(
            Ballot.plan_id == plan.id,
            Ballot.household_id == household_id,
            Ballot.channel.in_(("paper", "assisted")),
        )
    ).all()

    def ref(ballot: Ballot) -> BallotRef:
        return BallotRef(ballot.id, ballot.channel, ballot.recorded_at, {})

    new = BallotRef("new", channel, max([utcnow(), *(b.recorded_at for b in papers)]), {})
    decision = choose_effective_ballot(
        ref(online) if online else None,
        [*(ref(b) for b in papers), new],
        plan.conflict_policy,
    )
    return Standing(effective, online, decision.effective is new)


def counted_ballot(plan_id: int, household_id: int) -> Ballot | None:
    """The ballot that counts for the household (its effective ballot), whatever its channel."""
    return db.session.scalar(
        select(Ballot)
        .join(EffectiveBallot, EffectiveBallot.ballot_id == Ballot.id)
        .where(EffectiveBallot.plan_id == plan_id, EffectiveBallot.household_id == household_id)
    )


@dataclass
class ReceiptStatus:
    """What a receipt check may reveal: when, which channel, whether it counts. Never choices."""

    recorded_at: datetime
    channel: str
    counts: bool
    superseded_by: str | None  # "online", "paper", "assisted" or None


def receipt_status(code: str) -> ReceiptStatus | None:
    """Look up a receipt code; None when unknown."""
    receipt = normalize_code(code)
    ballot = db.session.scalar(select(Ballot).where(Ballot.receipt == receipt))
    if ballot is None:
        return None
    effective = effective_ballot(ballot.plan_id, ballot.household_id)
    counts = effective is not None and effective.ballot_id == ballot.id
    superseded_by = None
    if not counts and effective is not None:
        superseded_by = db.session.get(Ballot, effective.ballot_id).channel
    return ReceiptStatus(ballot.recorded_at, ballot.channel, counts, superseded_by)


@dataclass(frozen=True)
class Mark:
    """One item's mark on a ballot as its household reads it back: the item, the choice and,
    for an agree on an item with options (方案比选), the option."""

    key: str
    title: str
    choice: str | None
    option: str | None


def ballot_marks(ballot: Ballot) -> list[Mark]:
    """The ballot's choices in plan order, with the option an agree marks."""
    items = {
        i.id: i for i in db.session.scalars(select(Item).where(Item.plan_id == ballot.plan_id))
    }
    marks = []
    for c in sorted(ballot.choices, key=lambda c: (items[c.item_id].position, c.item_id)):
        item = items[c.item_id]
        option = None
        if c.option_id is not None:
            option = next((o for o in item.options if o.id == c.option_id), None)
        marks.append(
            Mark(
                item.key,
                item.title,
                c.choice,
                f"{option.key}：{option.title}" if option is not None else None,
            )
        )
    return marks
