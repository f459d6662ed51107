"""Reads on pledges and payments: one ledger of (item, household) lines, summed many ways.

A pledge (出资承诺) is not stored apart: it is an "agree" choice marked as pledged on the
household's EFFECTIVE ballot, on the item's current revision, and its amount is the household's
fixed share. Amounts owed follow the shares (a passed item binds every owner in its scope, Civil
Code art. 278), so: gap = required − pledged, outstanding = required − paid.

An opt-in item (户内自选, design §3b) has no shares: a household that signed up owes its price
(pledge = sign-up), and nobody owes anything if the offer lapses (voting.optin.opt_in_owed).
"""

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from sqlalchemy import func, select

from app.communities.models import Household
from app.communities.queries import household_rows
from app.extensions import db
from app.funding.models import Payment
from app.plans.models import Item, Plan
from app.plans.shares import PlanShares, item_residents_part, plan_option_shares, plan_shares
from app.rules.shares import ShareError, household_order
from app.voting.models import BallotChoice, EffectiveBallot
from app.voting.optin import opt_in_owed


@dataclass(frozen=True)
class HouseholdInfo:
    """What reports show of a household."""

    id: int
    building_id: int
    building: str
    unit: str
    room: str
    floor: int
    area_centi: int
    owner_name: str

    @property
    def label(self) -> str:
        """Building, unit and room, e.g. 3号楼2单元301."""
        return f"{self.building}{self.unit}{self.room}"

    @cached_property
    def order(self) -> tuple:
        """Natural building, unit, room order (computed once: the ledger sorts by it per line)."""
        return household_order(self.building, self.unit, self.room)


@dataclass(frozen=True)
class Line:
    """One household's share of one item, its pledge and what it has paid."""

    item: Item
    household: HouseholdInfo
    share_fen: int
    pledged: bool
    paid_fen: int

    @property
    def balance_fen(self) -> int:
        """Still to pay (negative: paid more than the share)."""
        return self.share_fen - self.paid_fen


def households_of(community_id: int, ids=None) -> dict[int, HouseholdInfo]:
    """Households of the community (or only `ids`) with their building and unit names."""
    rows = household_rows(
        community_id,
        Household.building_id,
        Household.floor,
        Household.area_centi,
        Household.owner_name,
        ids=ids,
    )
    return {
        hid: HouseholdInfo(hid, building_id, building, unit, room, floor, area, owner)
        for hid, building, unit, room, building_id, floor, area, owner in rows
    }


def pledges(plan: Plan, household_id: int | None = None) -> set[tuple[int, int]]:
    """(item id, household id) pairs pledged on effective ballots, current revisions only."""
    query = (
        select(BallotChoice.item_id, EffectiveBallot.household_id)
        .join(BallotChoice, BallotChoice.ballot_id == EffectiveBallot.ballot_id)
        .join(Item, Item.id == BallotChoice.item_id)
        .where(
            EffectiveBallot.plan_id == plan.id,
            BallotChoice.choice == "agree",
            BallotChoice.pledge.is_(True),
            BallotChoice.item_revision == Item.revision,
        )
    )
    if household_id is not None:
        query = query.where(EffectiveBallot.household_id == household_id)
    return {(item_id, hid) for item_id, hid in db.session.execute(query)}


def marked_options(plan: Plan, household_id: int | None = None) -> dict[tuple[int, int], int]:
    """{(item id, household id): option id} of the options agreed to on effective ballots,
    current revisions only (方案比选)."""
    query = (
        select(BallotChoice.item_id, EffectiveBallot.household_id, BallotChoice.option_id)
        .join(BallotChoice, BallotChoice.ballot_id == EffectiveBallot.ballot_id)
        .join(Item, Item.id == BallotChoice.item_id)
        .where(
            EffectiveBallot.plan_id == plan.id,
            BallotChoice.choice == "agree",
            BallotChoice.option_id.is_not(None),
            BallotChoice.item_revision == Item.revision,
        )
    )
    if household_id is not None:
        query = query.where(EffectiveBallot.household_id == household_id)
    return {(item_id, hid): oid for item_id, hid, oid in db.session.execute(query)}


def option_item_shares(plan: Plan, household_id: int | None = None) -> dict[int, dict[int, int]]:
    """{item id: {household id: fen}} for the items with options: each household's share under
    the option it agreed to on its effective ballot, so its pledge follows that option. A
    household that marked no option owes nothing on the item yet."""
    if not any(item.has_options for item in plan.items):
        return {}
    by_option = plan_option_shares(plan)
    shares: dict[int, dict[int, int]] = {item.id: {} for item in plan.items if item.has_options}
    for (item_id, hid), option_id in marked_options(plan, household_id).items():
        fen = by_option.get(option_id, {}).get(hid)
        if item_id in shares and fen is not None:
            shares[item_id][hid] = fen
    return shares


def paid_totals(plan: Plan, household_id: int | None = None) -> dict[tuple[int, int], int]:
    """Net paid per (item id, household id), corrections included."""
    query = (
        select(Payment.item_id, Payment.household_id, func.sum(Payment.amount_fen))
        .where(Payment.plan_id == plan.id)
        .group_by(Payment.item_id, Payment.household_id)
    )
    if household_id is not None:
        query = query.where(Payment.household_id == household_id)
    return {(i, h): int(total) for i, h, total in db.session.execute(query)}


def ledger(
    plan: Plan, *, household_id: int | None = None, shares: PlanShares | None = None
) -> list[Line]:
    """The plan's lines in item, then building-unit-room order (one household if given)."""
    shares = shares or plan_shares(plan)
    pledged = pledges(plan, household_id)
    paid = paid_totals(plan, household_id)
    owed = opt_in_owed(plan) if any(i.kind == "opt_in" for i in plan.items) else {}
    pledged |= {(item_id, hid) for item_id, homes in owed.items() for hid in homes}
    wanted = None if household_id is None else {household_id}
    info = households_of(plan.community_id, wanted)
    by_option = option_item_shares(plan, household_id)
    lines = []
    # Building, unit, room order, sorted once for every item (ties: the household id).
    ranked = sorted(info, key=lambda h: (info[h].order, h))
    for item in plan.items:
        if item.kind == "opt_in":  # what a signed-up household owes (户内自选)
            item_shares = owed.get(item.id, {})
        elif item.has_options:  # the share under the option the household chose
            item_shares = by_option.get(item.id, {})
        else:
            item_shares = shares.shares.get(item.id, {})
        for hid in (h for h in ranked if h in item_shares):
            lines.append(
                Line(
                    item,
                    info[hid],
                    item_shares[hid],
                    (item.id, hid) in pledged,
                    paid.get((item.id, hid), 0),
                )
            )
    return lines


def rate(part: int, whole: int) -> Fraction | None:
    """part / whole exactly, or None when whole is 0."""
    return Fraction(part, whole) if whole else None


@dataclass
class Figures:
    """Sums over ledger lines: what the dashboard shows per item, building or in total."""

    required_fen: int = 0
    pledged_fen: int = 0
    paid_fen: int = 0
    payers: int = 0  # households with a share above zero
    pledged_payers: int = 0
    payer_area_centi: int = 0
    pledged_area_centi: int = 0

    def add(self, line: Line) -> None:
        """Count one line."""
        self.required_fen += line.share_fen
        self.paid_fen += line.paid_fen
        if line.share_fen > 0:
            self.payers += 1
            self.payer_area_centi += line.household.area_centi
            if line.pledged:
                self.pledged_payers += 1
                self.pledged_area_centi += line.household.area_centi
        if line.pledged:
            self.pledged_fen += line.share_fen

    @property
    def gap_fen(self) -> int:
        """Required from residents but not pledged."""
        return self.required_fen - self.pledged_fen

    @property
    def outstanding_fen(self) -> int:
        """Required from residents but not yet paid."""
        return self.required_fen - self.paid_fen

    @property
    def household_rate(self) -> Fraction | None:
        """Pledging households among those with a share."""
        return rate(self.pledged_payers, self.payers)

    @property
    def area_rate(self) -> Fraction | None:
        """Their area among the area of those with a share."""
        return rate(self.pledged_area_centi, self.payer_area_centi)

    @property
    def money_rate(self) -> Fraction | None:
        """Pledged among required, in fen."""
        return rate(self.pledged_fen, self.required_fen)

    @property
    def paid_rate(self) -> Fraction | None:
        """Paid among required, in fen."""
        return rate(self.paid_fen, self.required_fen)


@dataclass
class ItemFunding:
    """One row of the funding dashboard."""

    item: Item
    cost_fen: int
    residents_fen: int | None
    figures: Figures
    fixed: bool
    problem: str | None


@dataclass
class Dashboard:
    """Per item and in total."""

    items: list[ItemFunding]
    total: Figures
    cost_fen: int
    lines: list[Line] = field(repr=False, default_factory=list)


def funding_dashboard(plan: Plan) -> Dashboard:
    """Required from residents, pledged, gap, pledge rates, paid and outstanding per item."""
    shares = plan_shares(plan)
    lines = ledger(plan, shares=shares)
    per_item: dict[int, Figures] = {item.id: Figures() for item in plan.items}
    total = Figures()
    for line in lines:
        per_item[line.item.id].add(line)
        total.add(line)
    rows = []
    for item in plan.items:
        try:
            residents = item_residents_part(item)
        except ShareError:
            residents = None
        rows.append(
            ItemFunding(
                item,
                item.cost_fen,
                residents,
                per_item[item.id],
                item.id in shares.fixed,
                shares.problems.get(item.id),
            )
        )
    return Dashboard(rows, total, sum(i.cost_fen for i in plan.items), lines)


def by_building(lines: list[Line]) -> list[tuple[str, int, Item, Figures]]:
    """(building name, building id, item, figures) for every building and item with lines."""
    groups: dict[tuple[int, int], Figures] = {}
    names: dict[int, str] = {}
    items: dict[int, Item] = {}
    for line in lines:
        key = (line.household.building_id, line.item.id)
        groups.setdefault(key, Figures()).add(line)
        names[line.household.building_id] = line.household.building
        items[line.item.id] = line.item
    ordered = sorted(
        groups,
        key=lambda k: (household_order(names[k[0]]), items[k[1]].position, items[k[1]].id),
    )
    return [(names[b], b, items[i], groups[(b, i)]) for b, i in ordered]


def payments_of(plan: Plan, *, household_id: int | None = None, limit: int | None = None):
    """The plan's payments (newest first when limited), with who recorded them."""
    query = select(Payment).where(Payment.plan_id == plan.id)
    if household_id is not None:
        query = query.where(Payment.household_id == household_id)
    if limit:
        return db.session.scalars(query.order_by(Payment.id.desc()).limit(limit)).all()
    return db.session.scalars(query.order_by(Payment.paid_on, Payment.id)).all()
