"""Reads for printing: the households of a batch in household order, and what their pages say.

A batch of a thousand ballots reads the plan's items, scopes and shares once, not once per
household: the per-household helpers (``items_for_household``, ``household_shares``) are
reproduced here in bulk with the same meaning.
"""

from collections import defaultdict
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.communities.electorate import frozen_ids, snapshot_for
from app.communities.models import Building, Community, Household, Unit
from app.core.errors import DomainError
from app.extensions import db
from app.paper.models import PaperSerial
from app.plans.models import HouseholdShare, Item, ItemScope, Plan
from app.plans.queries import local_today
from app.plans.shares import compute_item_shares, opt_in_prices, plan_option_shares
from app.printing.ballots import BallotData, BallotItem, BallotOption
from app.printing.models import PRINT_KINDS, PrintJob
from app.rules.shares import ShareError, household_order


def batch_households(plan: Plan, building_id=None, unit_id=None) -> list[Household]:
    """The community's households (or one building's, or one unit's), in household order."""
    query = (
        select(Household)
        .options(joinedload(Household.building), joinedload(Household.unit))
        .where(Household.community_id == plan.community_id)
    )
    if unit_id is not None:
        query = query.where(Household.unit_id == unit_id)
    elif building_id is not None:
        query = query.where(Household.building_id == building_id)
    households = db.session.scalars(query).all()
    return sorted(households, key=lambda h: household_order(h.building.name, h.unit.name, h.room))


def batch_label(building: Building | None, unit: Unit | None) -> str:
    """The batch in words: 全小区, 3号楼, 3号楼2单元."""
    if unit is not None:
        return unit.building.name + (unit.name or "")
    if building is not None:
        return building.name
    return "全小区"


class PlanBook:
    """A plan's items, scopes and shares, read once, answering per household."""

    def __init__(self, plan: Plan):
        self.plan = plan
        # Voted items, then opt-in items (户内自选: a 参加/不参加 box on the ballot, not a vote).
        self.items = db.session.scalars(
            select(Item).where(Item.plan_id == plan.id).order_by(Item.position, Item.id)
        ).all()
        self.option_shares = plan_option_shares(plan)
        self.scopes: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
        for item_id, building_id, unit_id in db.session.execute(
            select(ItemScope.item_id, ItemScope.building_id, ItemScope.unit_id)
            .join(Item, Item.id == ItemScope.item_id)
            .where(Item.plan_id == plan.id)
        ):
            self.scopes[item_id].append((building_id, unit_id))
        self.fixed: dict[tuple[int, int], int] = {
            (item_id, household_id): fen
            for item_id, household_id, fen in db.session.execute(
                select(
                    HouseholdShare.item_id, HouseholdShare.household_id, HouseholdShare.amount_fen
                )
                .join(Item, Item.id == HouseholdShare.item_id)
                .where(Item.plan_id == plan.id, HouseholdShare.custom.is_(False))
            )
        }
        self._computed: dict[int, dict[int, int]] = {}
        self._paying: dict[int, bool] = {}
        snapshot = snapshot_for(plan.id)
        self.electorate = frozen_ids(snapshot) if snapshot is not None else None

    def items_for(self, household: Household) -> list[Item]:
        """The items whose scope includes the household (as items_for_household): none for a
        household outside the plan's frozen electorate."""
        if self.electorate is not None and household.id not in self.electorate:
            return []
        return [
            item
            for item in self.items
            if item.id not in self.scopes
            or any(
                b == household.building_id and (u is None or u == household.unit_id)
                for b, u in self.scopes[item.id]
            )
        ]

    def share(self, item: Item, household_id: int) -> int:
        """The household's share in fen (as household_shares): fixed once stored, else computed."""
        fixed = self.fixed.get((item.id, household_id))
        if fixed is not None:
            return fixed
        if not item.cost_fen:
            return 0
        if item.id not in self._computed:
            try:
                self._computed[item.id] = compute_item_shares(item)
            except ShareError as exc:
                raise DomainError(
                    _l(
                        "项目 %(key)s 的分摊费用无法计算：%(reason)s 请先修正资金安排再打印。",
                        key=item.key,
                        reason=str(exc),
                    )
                ) from None
        return self._computed[item.id].get(household_id, 0)

    def options(self, item: Item, household_id: int) -> tuple[BallotOption, ...]:
        """The item's options (方案比选) with the household's share under each."""
        if not item.has_options:
            return ()
        return tuple(
            BallotOption(
                key=option.key,
                title=option.title,
                share_fen=self.option_shares.get(option.id, {}).get(household_id),
            )
            for option in item.options
        )

    def residents_pay(self, item: Item) -> bool:
        """Whether residents pay anything toward the item (else the ballot prints no share)."""
        if item.id not in self._paying:
            self._paying[item.id] = bool(item.cost_fen) and (
                item.cost_fen > sum(f.amount_fen for f in item.funding)
                or any(fen for (i, _h), fen in self.fixed.items() if i == item.id)
            )
        return self._paying[item.id]

    def opt_in_price(self, item: Item, household_id: int) -> int:
        """The household's price of an opt-in item (plans.shares.opt_in_prices), read once."""
        if item.id not in self._computed:
            self._computed[item.id] = opt_in_prices(item)
        return self._computed[item.id].get(household_id, 0)

    def ballot(self, household: Household, serial: str, community: Community) -> BallotData:
        """The ballot of one household with its serial: its voted items, then its opt-in items
        (户内自选) with their price and a 参加/不参加 box."""
        items = tuple(
            BallotItem(
                key=item.key,
                title=item.title,
                summary=item.summary or "",
                category=item.category,
                share_fen=self.opt_in_price(item, household.id)
                if item.kind == "opt_in"
                else (self.share(item, household.id) if self.residents_pay(item) else None),
                kind=item.kind,
                options=self.options(item, household.id),
            )
            for item in sorted(self.items_for(household), key=lambda i: i.kind == "opt_in")
        )
        return BallotData(
            community=community.name,
            plan_title=self.plan.title,
            building=household.building.name,
            unit=household.unit.name,
            room=household.room,
            area=Decimal(household.area),
            owner_name=household.owner_name,
            serial=serial,
            items=items,
            voting_closes=self.plan.voting_closes,
            conflict_policy=self.plan.conflict_policy,
        )


def issued_serials(plan: Plan, household_ids) -> dict[int, PaperSerial]:
    """The households' current (issued, not void) serials on the plan."""
    ids = list(household_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(PaperSerial).where(
            PaperSerial.plan_id == plan.id,
            PaperSerial.status == "issued",
            PaperSerial.household_id.in_(ids),
        )
    ).all()
    return {s.household_id: s for s in rows}


def plan_jobs(plan: Plan, limit: int = 20) -> list[PrintJob]:
    """The plan's recent print jobs (letters and ballots), newest first."""
    return db.session.scalars(
        select(PrintJob)
        .where(PrintJob.plan_id == plan.id, PrintJob.kind.in_(PRINT_KINDS))
        .order_by(PrintJob.id.desc())
        .limit(limit)
    ).all()


def plan_places(plan: Plan) -> tuple[list[Building], list[Unit]]:
    """The community's buildings and units in natural order, for choosing a batch."""
    buildings = db.session.scalars(
        select(Building).where(Building.community_id == plan.community_id)
    ).all()
    units = db.session.scalars(
        select(Unit)
        .options(joinedload(Unit.building))
        .where(Unit.community_id == plan.community_id)
    ).all()
    buildings = sorted(buildings, key=lambda b: household_order(b.name))
    units = sorted(units, key=lambda u: household_order(u.building.name, u.name))
    return buildings, [u for u in units if u.name]


def ballots_printable(plan: Plan):
    """Why ballots cannot be printed now (a message), or None: drafting, or voting not over."""
    if plan.phase == "drafting":
        return None
    if plan.phase == "voting":
        if plan.voting_closes and local_today() > plan.voting_closes:
            return _l("表决已经截止，不能再打印表决票。")
        return None
    return _l("只有在方案公示（一下）或表决（二上）阶段才能打印表决票。")
