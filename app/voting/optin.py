"""Household opt-in items (户内自选, design §3b): sign-ups, prices and whether the offer stands.

Opt-in items are not voted: each household in the item's scope (the frozen electorate once
voting opened) answers join (参加) or decline (不参加) online, on paper or at the door, and may
change its answer until sign-ups close. One row per household and item holds the current
answer; every change is an audit event. A signed-up household owes its price (rules.optin)
only if the offer stands (enough sign-ups for a minimum uptake).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, or_, select

from app.communities.electorate import frozen_household, snapshot_for
from app.communities.models import FrozenHousehold, Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Item, ItemScope, Plan
from app.plans.phases import signups_open
from app.plans.queries import (
    is_paper_entry_open,
    items_for_household,
    local_today,
    schedule_of,
)
from app.rules.optin import household_price, offer_stands
from app.voting.models import SIGNUP_CHANNELS, SIGNUP_DECISIONS, OptInSignup


def opt_in_items(plan: Plan) -> list[Item]:
    """The plan's opt-in items, in plan order."""
    return [item for item in plan.items if item.kind == "opt_in"]


def signup_deadline(item: Item, plan: Plan) -> date | None:
    """The last day sign-ups are taken: the item's own, else the day voting closes."""
    return item.signup_closes or plan.voting_closes


def is_signup_open(item: Item, plan: Plan, today: date | None = None) -> bool:
    """Sign-ups for the item are taken today (plans.phases.signups_open)."""
    return signups_open(schedule_of(plan), item.signup_closes, today or local_today())


@dataclass
class OfferStatus:
    """An opt-in item's sign-ups so far: counts, prices and whether the offer stands."""

    item: Item
    in_scope: int
    signed_up: int
    declined: int
    prices: dict[int, int] = field(repr=False, default_factory=dict)  # household → fen
    answers: dict[int, OptInSignup] = field(repr=False, default_factory=dict)

    @property
    def unanswered(self) -> int:
        """Households in scope that gave no answer yet."""
        return self.in_scope - self.signed_up - self.declined

    @property
    def stands(self) -> bool:
        """The offer holds (no minimum uptake, or enough sign-ups)."""
        return offer_stands(self.signed_up, self.item.min_uptake)

    @property
    def still_needed(self) -> int:
        """Sign-ups still missing for the minimum uptake (0 when it is met or there is none)."""
        if self.item.min_uptake is None:
            return 0
        return max(self.item.min_uptake - self.signed_up, 0)

    @property
    def owed(self) -> dict[int, int]:
        """{household id: fen} owed: the signed-up households' prices, or nothing if it lapses."""
        if not self.stands:
            return {}
        return {
            hid: self.prices.get(hid, 0)
            for hid, a in self.answers.items()
            if a.decision == "join" and hid in self.prices
        }

    @property
    def owed_fen(self) -> int:
        """The total owed."""
        return sum(self.owed.values())


def signups_of(item_ids: list[int], household_id: int | None = None) -> list[OptInSignup]:
    """The current answers to these items (one household's if given)."""
    if not item_ids:
        return []
    query = select(OptInSignup).where(OptInSignup.item_id.in_(item_ids))
    if household_id is not None:
        query = query.where(OptInSignup.household_id == household_id)
    return list(db.session.scalars(query.order_by(OptInSignup.id)))


_NO_SNAPSHOT = object()


def _scope_select(item: Item, snapshot_id, columns):
    """A select over the households of the item's scope (the frozen electorate's rows once
    voting opened, else the census), each joined to its answer if any; `columns(household id,
    area)` gives what it selects."""
    if snapshot_id is None:
        hid, building, unit = Household.id, Household.building_id, Household.unit_id
        query = select(*columns(hid, Household.area_centi)).where(
            Household.community_id == item.community_id
        )
    else:
        hid = FrozenHousehold.household_id
        building, unit = FrozenHousehold.building_id, FrozenHousehold.unit_id
        query = select(*columns(hid, FrozenHousehold.area_centi)).where(
            FrozenHousehold.snapshot_id == snapshot_id
        )
    scoped = exists().where(ItemScope.item_id == item.id)
    covers = exists().where(
        ItemScope.item_id == item.id,
        ItemScope.building_id == building,
        or_(ItemScope.unit_id.is_(None), ItemScope.unit_id == unit),
    )
    return query.where(or_(~scoped, covers)).outerjoin(
        OptInSignup, (OptInSignup.item_id == item.id) & (OptInSignup.household_id == hid)
    )


def _snapshot_id(plan_id: int):
    """The id of the plan's frozen electorate, or None before voting opened."""
    snapshot = snapshot_for(plan_id)
    return snapshot.id if snapshot is not None else None


def offer_status(item: Item, snapshot_id=_NO_SNAPSHOT) -> OfferStatus:
    """The item's sign-ups over its scope (answers from outside the scope are not counted),
    with every household's price and answer.

    One statement; `snapshot_id` may be given by a caller that has looked the plan's snapshot
    up already (None: voting has not opened).
    """
    if snapshot_id is _NO_SNAPSHOT:
        snapshot_id = _snapshot_id(item.plan_id)
    query = _scope_select(item, snapshot_id, lambda hid, area: (hid, area, OptInSignup))
    prices, answers = {}, {}
    for household_id, centi, answer in db.session.execute(query):
        prices[household_id] = household_price(
            price_fen=item.price_fen,
            price_fen_per_m2=item.price_fen_per_m2,
            subsidy_fen=item.subsidy_fen or 0,
            area=Decimal(centi).scaleb(-2),
        )
        if answer is not None:
            answers[household_id] = answer
    joined = sum(1 for a in answers.values() if a.decision == "join")
    return OfferStatus(
        item=item,
        in_scope=len(prices),
        signed_up=joined,
        declined=len(answers) - joined,
        prices=prices,
        answers=answers,
    )


def own_price(item: Item, household: Household) -> int:
    """One household's price of an opt-in item, on its frozen area once voting opened."""
    snapshot = snapshot_for(item.plan_id)
    row = frozen_household(snapshot, household.id) if snapshot is not None else None
    centi = row.area_centi if row is not None else household.area_centi
    return household_price(
        price_fen=item.price_fen,
        price_fen_per_m2=item.price_fen_per_m2,
        subsidy_fen=item.subsidy_fen or 0,
        area=Decimal(centi).scaleb(-2),
    )


def offer_counts(item: Item) -> OfferStatus:
    """The item's counts only (in scope, signed up, declined), summed in the database: what a
    household's page shows, without reading every household of a large community."""

    def columns(hid, _area):
        return (
            func.count(hid),
            func.count(case((OptInSignup.decision == "join", 1))),
            func.count(case((OptInSignup.decision == "decline", 1))),
        )

    in_scope, joined, declined = db.session.execute(
        _scope_select(item, _snapshot_id(item.plan_id), columns)
    ).one()
    return OfferStatus(item=item, in_scope=in_scope, signed_up=joined, declined=declined)


def plan_offers(plan: Plan) -> list[OfferStatus]:
    """Every opt-in item's status, in plan order (one statement per item, and one more)."""
    items = opt_in_items(plan)
    if not items:
        return []
    snapshot_id = _snapshot_id(plan.id)
    return [offer_status(item, snapshot_id) for item in items]


def opt_in_owed(plan: Plan) -> dict[int, dict[int, int]]:
    """{item id: {household id: fen}} owed on the plan's opt-in items (pledge = sign-up)."""
    return {status.item.id: status.owed for status in plan_offers(plan)}


def record_signup(
    plan: Plan,
    item: Item,
    household: Household,
    decision: str,
    *,
    channel: str,
    user=None,
    note: str | None = None,
    today: date | None = None,
) -> OptInSignup:
    """Record (or change) the household's answer to an opt-in item, with an audit event.

    Refused outside the item's scope, for a voted item, or once sign-ups closed. A paper
    answer collected before the close may be keyed while paper ballots may (paper entry).
    """
    if item.plan_id != plan.id or item.kind != "opt_in":
        raise DomainError(_l("这个项目不是户内自选项目。"))
    if decision not in SIGNUP_DECISIONS or channel not in SIGNUP_CHANNELS:
        raise DomainError(_l("请选择参加或不参加。"))
    today = today or local_today()
    open_now = is_signup_open(item, plan, today)
    if not open_now and channel == "paper" and item.signup_closes is None:
        open_now = is_paper_entry_open(plan, today)
    if not open_now:
        deadline = signup_deadline(item, plan)
        if deadline is not None and today > deadline:
            raise DomainError(_l("报名已于 %(day)s 截止，不能再更改。", day=deadline.isoformat()))
        raise DomainError(_l("现在不接受报名：报名在表决开始后进行。"))
    if item.id not in {i.id for i in items_for_household(plan, household, kind="opt_in")}:
        raise DomainError(_l("本户不在这个项目的范围内。"))
    row = db.session.scalar(
        select(OptInSignup).where(
            OptInSignup.item_id == item.id, OptInSignup.household_id == household.id
        )
    )
    before = None
    if row is not None and (row.decision, row.channel) == (decision, channel) and not note:
        return row  # the same answer again (a file imported twice): nothing changes
    if row is None:
        row = OptInSignup(
            community_id=plan.community_id, item_id=item.id, household_id=household.id
        )
        db.session.add(row)
    else:
        before = {"decision": row.decision, "channel": row.channel}
    row.decision = decision
    row.channel = channel
    row.recorded_at = utcnow()
    row.recorded_by_id = user.id if user is not None else None
    row.note = (note or "").strip()[:500] or None
    db.session.flush()
    log_event(
        "optin.signup",
        "opt_in_signup",
        row.id,
        community_id=plan.community_id,
        before=before,
        after={
            "item": item.key,
            "household": household.id,
            "decision": decision,
            "channel": channel,
            **({"note": row.note} if row.note else {}),
        },
    )
    return row


def opt_in_context(plan: Plan, household: Household | None = None) -> dict:
    """What a results page shows of the opt-in items (all, or those in a household's scope):
    `offers` and `offer_words` for templates/voting/_optin_results.html."""
    from app.voting.optin_lists import status_words  # the lists module builds on this one

    offers = plan_offers(plan)
    if household is not None:
        mine = {i.id for i in items_for_household(plan, household, kind="opt_in")}
        offers = [s for s in offers if s.item.id in mine]
    return {"offers": offers, "offer_words": {s.item.id: status_words(s) for s in offers}}
