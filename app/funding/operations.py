"""Writes on co-funding: item funding, custom shares, fixing shares when voting opens.

Item funding changes directly while the plan is drafted; during voting only while voting is
paused, as a revision with a reason (app.plans.items.revise_item), and the item's stored
shares are fixed again at once. Payments: see payments.py.
"""

import json
from contextlib import suppress
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.communities.models import Building, Household, Unit
from app.core.audit import log_event
from app.core.errors import DomainError
from app.extensions import db
from app.funding.customfile import CustomRow
from app.plans.items import ensure_editable, revise_item
from app.plans.models import (
    FUNDING_SOURCES,
    SHARE_METHODS,
    FundingSource,
    HouseholdShare,
    Item,
)
from app.plans.phases import VOTING
from app.plans.shares import (
    electorate_for_shares,
    fix_item_shares,
    item_residents_part,
)
from app.rules.money import format_fen
from app.rules.shares import RESIDENTS, ShareError, residents_part, split_shares


def _revising(item: Item, reason: str) -> bool:
    """True when the change must go through the revise path; refuses when no change may."""
    plan = item.plan
    if plan.phase == VOTING and plan.voting_closed_at is not None:
        if not reason.strip():
            raise DomainError(_l("表决期间修改资金安排，请说明原因，居民会看到这个原因。"))
        return True
    ensure_editable(plan)
    return False


def _funding_state(item: Item) -> dict:
    """The funding fields recorded in the audit trail."""
    return {
        "cost_fen": item.cost_fen,
        "share_method": item.share_method,
        "floor_coefficients": item.floor_coefficients,
        "sources": {f.source: [f.amount_fen, f.note] for f in item.funding},
    }


def update_item_funding(
    item: Item,
    *,
    cost_fen: int,
    sources: dict[str, tuple[int, str]],
    share_method: str,
    floor_coefficients: dict[int, Decimal] | None,
    residents_check_fen: int | None = None,
    reason: str = "",
) -> None:
    """Set an item's cost, funding sources and share method; refuse what cannot be split."""
    if item.has_options and (cost_fen or any(amount for amount, _note in sources.values())):
        # The money of an item with options (方案比选) is on each option (plans.options).
        raise DomainError(
            _l("这个项目有比选方案，造价和资金来源填在各个方案里（项目页的“比选方案”）。")
        )
    revising = _revising(item, reason)
    unknown = set(sources) - set(FUNDING_SOURCES)
    if unknown or share_method not in SHARE_METHODS:
        raise ValueError(f"unknown funding source or method: {sorted(unknown)} {share_method}")
    amounts = {source: amount for source, (amount, _note) in sources.items()}
    if residents_check_fen is not None:
        amounts[RESIDENTS] = residents_check_fen
    try:
        residents = residents_part(cost_fen, amounts)
    except ShareError as exc:
        raise DomainError(exc.message) from exc
    table_json = item.floor_coefficients
    if share_method in ("floor", "floor_flat"):
        if not floor_coefficients:
            raise DomainError(_l("按楼层分摊需要填写楼层系数表。"))
        table_json = json.dumps(
            {str(f): str(c) for f, c in sorted(floor_coefficients.items())}, sort_keys=False
        )
    if share_method != "custom":  # custom amounts are checked when they are uploaded
        try:
            split_shares(
                share_method,
                residents,
                electorate_for_shares(item),
                floor_coefficients=floor_coefficients,
            )
        except ShareError as exc:
            raise DomainError(_l("无法按这种方式分摊：%(error)s", error=exc.message)) from exc
    before = _funding_state(item)
    changes = {"cost_fen": cost_fen, "share_method": share_method, "floor_coefficients": table_json}
    if revising:
        revise_item(item, reason, **changes)
    else:
        for name, value in changes.items():
            setattr(item, name, value)
    item.funding = [
        FundingSource(
            community_id=item.community_id, source=source, amount_fen=amount, note=note.strip()
        )
        for source in FUNDING_SOURCES
        if source in sources
        for amount, note in [sources[source]]
        if amount or note.strip()
    ]
    db.session.flush()
    if revising:
        # A custom item may need a new upload; the funding page says so.
        with suppress(ShareError):
            fix_item_shares(item)
    log_event(
        "funding.update",
        "item",
        item.id,
        community_id=item.community_id,
        before=before,
        after={**_funding_state(item), "residents_fen": residents, "reason": reason.strip()},
    )


def _household_keys(community_id: int) -> dict[tuple[str, str, str], int]:
    """Household ids by (building, unit, room) as the roster stores them."""
    rows = db.session.execute(
        select(Building.name, Unit.name, Household.room, Household.id)
        .join(Building, Household.building_id == Building.id)
        .join(Unit, Household.unit_id == Unit.id)
        .where(Household.community_id == community_id)
    )
    return {(b, u, room): hid for b, u, room, hid in rows}


def upload_custom_shares(
    item: Item, rows: list[CustomRow], *, filename: str = "", reason: str = ""
) -> int:
    """Store uploaded per-household amounts for the custom method: all or nothing.

    They must cover exactly the item's electorate and add up to its residents' part; otherwise
    every problem is named (rows by number, the difference in yuan) and nothing changes.
    """
    revising = _revising(item, reason)
    if item.share_method != "custom":
        raise DomainError(_l("请先把分摊方式改为“按每户约定金额分摊”并保存，再上传每户金额。"))
    try:
        residents = item_residents_part(item)
    except ShareError as exc:
        raise DomainError(exc.message) from exc
    electorate = electorate_for_shares(item)
    in_scope = {h.id for h in electorate}
    keys = _household_keys(item.community_id)
    problems: list = []
    amounts: dict[int, int] = {}
    for row in rows:
        hid = keys.get(row.key)
        if hid is None:
            problems.append(
                _l("第 %(row)d 行：花名册中没有 %(household)s。", row=row.row, household=row.label)
            )
        elif hid not in in_scope:
            problems.append(
                _l(
                    "第 %(row)d 行：%(household)s 不在本项目的范围内。",
                    row=row.row,
                    household=row.label,
                )
            )
        else:
            amounts[hid] = row.amount_fen
    missing = [h.name for h in electorate if h.id not in amounts]
    if missing:
        shown = "、".join(missing[:10]) + ("……" if len(missing) > 10 else "")
        problems.append(_l("缺少本项目范围内的 %(n)d 户：%(names)s。", n=len(missing), names=shown))
    given = sum(row.amount_fen for row in rows)
    if given != residents:
        difference = given - residents
        problems.append(
            _l(
                "上传金额合计 %(given)s 元，居民出资部分为 %(part)s 元，"
                "%(direction)s %(diff)s 元。",
                given=format_fen(given),
                part=format_fen(residents),
                direction=_l("多出") if difference > 0 else _l("还差"),
                diff=format_fen(abs(difference)),
            )
        )
    if problems:
        raise DomainError(*problems)
    split_shares("custom", residents, electorate, custom=amounts)  # the pure rule agrees
    if revising:
        revise_item(item, reason)
    db.session.execute(delete(HouseholdShare).where(HouseholdShare.item_id == item.id))
    db.session.add_all(
        HouseholdShare(
            community_id=item.community_id,
            item_id=item.id,
            household_id=hid,
            amount_fen=fen,
            custom=True,
        )
        for hid, fen in amounts.items()
    )
    db.session.flush()
    log_event(
        "funding.custom_upload",
        "item",
        item.id,
        community_id=item.community_id,
        after={
            "households": len(amounts),
            "total_fen": given,
            "filename": filename,
            "reason": reason.strip(),
        },
    )
    return len(amounts)
