"""Final accounts (决算): a worker enters an item's actual cost and sources, the committee
confirms; every household's share is split again by the item's method and rounding.

Writes flush and log an audit event (community_id), never commit. Which items passed and which
option was chosen is the tally's to say: the pages (app.closeout) pass them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import FUNDING_SOURCES, Item, ItemOption, OptionShare, Plan
from app.plans.shares import electorate_for_shares, fixed_share_rows
from app.rules.settlement import differences, resplit, totals
from app.rules.shares import (
    ShareError,
    ShareHousehold,
    parse_floor_coefficients,
    residents_part,
    split_shares,
)
from app.settlement.models import FinalAccount, FinalShare, FinalSource


@dataclass(frozen=True)
class Planned:
    """What the plan said of an item (or its chosen option): cost, sources, shares."""

    cost_fen: int
    sources: dict[str, int]
    method: str
    floor_table: dict | None
    shares: dict[int, int]  # household → fen, as fixed (or as changed by change orders)
    households: list[ShareHousehold]

    @property
    def residents_fen(self) -> int:
        return sum(self.shares.values())


def _table(raw: str | None):
    return parse_floor_coefficients(json.loads(raw)) if raw else None


def planned_figures(item: Item, option: ItemOption | None = None) -> Planned:
    """The planned cost, sources and each household's planned share of the item or option.

    The shares are the stored ones (fixed when voting opened, moved by change orders that took
    effect); an option's are its OptionShare rows, or when none were stored, its split now."""
    households = electorate_for_shares(item)
    if option is None:
        shares = {hid: fen for _i, hid, fen in fixed_share_rows([item.id])}
        return Planned(
            item.cost_fen,
            {f.source: f.amount_fen for f in item.funding},
            item.share_method,
            _table(item.floor_coefficients),
            shares,
            households,
        )
    sources = {f.source: f.amount_fen for f in option.funding}
    table = _table(option.floor_coefficients)
    shares = dict(
        db.session.execute(
            select(OptionShare.household_id, OptionShare.amount_fen).where(
                OptionShare.option_id == option.id
            )
        ).all()
    )
    if not shares and option.share_method != "custom":
        try:
            shares = split_shares(
                option.share_method,
                residents_part(option.cost_fen, sources),
                households,
                floor_coefficients=table,
            )
        except ShareError as exc:
            raise DomainError(_l("方案的份额无法计算：%(e)s", e=exc.message)) from exc
    return Planned(option.cost_fen, sources, option.share_method, table, shares, households)


def final_of(item: Item) -> FinalAccount | None:
    """The item's final accounts, if entered."""
    return db.session.scalar(select(FinalAccount).where(FinalAccount.item_id == item.id))


def _state(final: FinalAccount) -> dict:
    return {
        "item": final.item_id,
        "option": final.option_id,
        "planned_cost_fen": final.planned_cost_fen,
        "actual_cost_fen": final.actual_cost_fen,
        "planned_residents_fen": final.planned_residents_fen,
        "actual_residents_fen": final.actual_residents_fen,
        "refunds_fen": final.refunds_fen,
        "top_ups_fen": final.top_ups_fen,
        "sources": {s.source: s.actual_fen for s in final.sources},
        "status": final.status,
    }


def enter_final_accounts(
    item: Item,
    *,
    actual_cost_fen: int,
    actual_sources: dict[str, int],
    option: ItemOption | None = None,
    note: str = "",
    user=None,
) -> FinalAccount:
    """Enter (or correct, until confirmed) the item's actual cost and funding per source, and
    split the actual residents' part again by the item's method and rounding."""
    if option is not None and option.item_id != item.id:
        raise ValueError("option of another item")
    if item.options and option is None:
        raise DomainError(_l("本项目有多个方案，请选择实际实施的方案。"))
    final = final_of(item)
    if final is not None and final.status == "confirmed":
        raise DomainError(_l("项目 %(key)s 的决算已经确认，不能再修改。", key=item.key))
    unknown = set(actual_sources) - set(FUNDING_SOURCES)
    if unknown:
        raise ValueError(f"unknown funding sources {sorted(unknown)}")
    if actual_cost_fen < 0 or any(v < 0 for v in actual_sources.values()):
        raise DomainError(_l("金额不能为负数。"))
    planned = planned_figures(item, option)
    try:
        actual_residents = residents_part(actual_cost_fen, actual_sources)
        actual = resplit(
            planned.method,
            actual_residents,
            planned.households,
            planned.shares,
            floor_coefficients=planned.floor_table,
        )
    except ShareError as exc:
        raise DomainError(_l("无法重新分摊：%(e)s", e=exc.message)) from exc
    diffs = differences(planned.shares, actual)
    sums = totals(diffs)
    before = _state(final) if final is not None else None
    if final is None:
        final = FinalAccount(community_id=item.community_id, plan_id=item.plan_id, item_id=item.id)
        db.session.add(final)
    final.option_id = option.id if option is not None else None
    final.planned_cost_fen = planned.cost_fen
    final.actual_cost_fen = actual_cost_fen
    final.planned_residents_fen = sums.planned_fen
    final.actual_residents_fen = actual_residents
    final.refunds_fen = sums.refunds_fen
    final.top_ups_fen = sums.top_ups_fen
    final.note = note.strip()
    final.status = "entered"
    final.entered_by_id = getattr(user, "id", None)
    final.entered_at = utcnow()
    # A correction updates the rows in place (replacing the lists would insert before the
    # old rows are deleted and trip the unique constraints).
    sources = {src.source: src for src in final.sources}
    for source in FUNDING_SOURCES:
        planned_fen, actual_fen = planned.sources.get(source, 0), actual_sources.get(source, 0)
        row = sources.pop(source, None)
        if not planned_fen and not actual_fen:
            if row is not None:
                final.sources.remove(row)
            continue
        if row is None:
            row = FinalSource(community_id=item.community_id, source=source)
            final.sources.append(row)
        row.planned_fen, row.actual_fen = planned_fen, actual_fen
    rows = {row.household_id: row for row in final.shares}
    for d in diffs:
        row = rows.pop(d.household_id, None)
        if row is None:
            row = FinalShare(community_id=item.community_id, household_id=d.household_id)
            final.shares.append(row)
        row.planned_fen, row.actual_fen = d.planned_fen, d.actual_fen
    for row in rows.values():
        final.shares.remove(row)
    db.session.flush()
    log_event(
        "final.enter",
        "final_account",
        final.id,
        community_id=item.community_id,
        before=before,
        after=_state(final),
    )
    return final


def confirm_final_accounts(final: FinalAccount, user=None) -> None:
    """The committee confirms the entered final accounts; from then on they are final."""
    if final.status == "confirmed":
        raise DomainError(_l("这项决算已经确认过了。"))
    final.status = "confirmed"
    final.confirmed_by_id = getattr(user, "id", None)
    final.confirmed_at = utcnow()
    db.session.flush()
    log_event(
        "final.confirm",
        "final_account",
        final.id,
        community_id=final.community_id,
        before={"status": "entered"},
        after=_state(final),
    )


@dataclass(frozen=True)
class HouseholdFinal:
    """One confirmed item's planned and actual share for a household."""

    item: Item
    planned_fen: int
    actual_fen: int

    @property
    def difference_fen(self) -> int:
        """Actual − planned: positive a top-up (补), negative a refund (退)."""
        return self.actual_fen - self.planned_fen


def household_finals(plan: Plan, household_id: int) -> list[HouseholdFinal]:
    """The household's refund or top-up on each item whose final accounts are confirmed."""
    rows = db.session.execute(
        select(Item, FinalShare.planned_fen, FinalShare.actual_fen)
        .join(FinalAccount, FinalAccount.item_id == Item.id)
        .join(FinalShare, FinalShare.final_id == FinalAccount.id)
        .where(
            FinalAccount.plan_id == plan.id,
            FinalAccount.status == "confirmed",
            FinalShare.household_id == household_id,
        )
        .order_by(Item.position, Item.id)
    ).all()
    return [HouseholdFinal(item, planned, actual) for item, planned, actual in rows]


def plan_finals(plan: Plan) -> dict[int, FinalAccount]:
    """The plan's final accounts by item id."""
    return {
        f.item_id: f
        for f in db.session.scalars(select(FinalAccount).where(FinalAccount.plan_id == plan.id))
    }


def final_differences(final: FinalAccount) -> dict[int, int]:
    """Each household's actual − planned share of a final account, {household: fen}."""
    return {s.household_id: s.actual_fen - s.planned_fen for s in final.shares}
