"""Change orders (设计变更): a worker drafts a change to a passed item, the committee decides.

Each household's share before (as fixed, or as moved by earlier changes) and after is worked out
over the plan's frozen electorate by the item's method (rules.settlement.resplit). A change that
raises any share by more than the plan's threshold, or changes the scope, needs a revision vote:
a small linked plan (one item, the revised item) voted like any plan; the change takes effect
only if that vote's final result passes it (app.closeout reads the result). Otherwise it takes
effect on approval. Writes flush and log audit events, never commit.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import (
    FUNDING_SOURCES,
    FundingSource,
    HouseholdShare,
    Item,
    ItemScope,
    Plan,
)
from app.plans.phases import DRAFTING
from app.plans.shares import electorate_for_shares, fixed_share_rows, floor_table
from app.rules.settlement import largest_rise_pct, raised_beyond, resplit
from app.rules.shares import ShareError, residents_part
from app.settlement.models import ChangeOrder, ChangeShare


def current_shares(item: Item) -> dict[int, int]:
    """The item's stored shares now, {household: fen}."""
    return {hid: fen for _i, hid, fen in fixed_share_rows([item.id])}


def new_funding(item: Item, funding_change: dict[str, int]) -> dict[str, int]:
    """The item's other sources after adding the changes, {source: fen}."""
    funding = {f.source: f.amount_fen for f in item.funding}
    for source, change in funding_change.items():
        funding[source] = funding.get(source, 0) + change
    return {s: v for s, v in funding.items() if v}


def _after(item: Item, cost_fen: int, funding: dict[str, int], before: dict[int, int]):
    """(residents' part, shares) of the item with these figures, same method and rounding."""
    if cost_fen < 0:
        raise DomainError(_l("变更后的造价不能为负数。"))
    if any(v < 0 for v in funding.values()):
        raise DomainError(_l("变更后的资金来源不能为负数。"))
    try:
        part = residents_part(cost_fen, funding)
        shares = resplit(
            item.share_method,
            part,
            electorate_for_shares(item),
            before,
            floor_coefficients=floor_table(item),
        )
    except ShareError as exc:
        raise DomainError(_l("变更后无法分摊：%(e)s", e=exc.message)) from exc
    return part, shares


def _state(change: ChangeOrder) -> dict:
    return {
        "plan": change.plan_id,
        "item": change.item_id,
        "reason": change.reason,
        "cost_change_fen": change.cost_change_fen,
        "funding_change": json.loads(change.funding_change or "{}"),
        "scope_change": change.scope_change,
        "status": change.status,
        "residents_before_fen": change.residents_before_fen,
        "residents_after_fen": change.residents_after_fen,
        "threshold_pct": change.threshold_pct,
        "largest_rise": change.largest_rise,
        "households_beyond": change.households_beyond,
        "needs_vote": change.needs_vote,
        "revision_plan": change.revision_plan_id,
    }


def draft_change(
    item: Item,
    *,
    reason: str,
    cost_change_fen: int,
    funding_change: dict[str, int] | None = None,
    scope_change: str = "",
    user=None,
) -> ChangeOrder:
    """Record a worker's change order with every household's share before and after."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_l("请写明变更原因。"))
    if item.options:
        raise DomainError(_l("有多个方案的项目暂不支持设计变更，请在决算中按实际方案结算。"))
    funding_change = {s: v for s, v in (funding_change or {}).items() if v}
    unknown = set(funding_change) - set(FUNDING_SOURCES)
    if unknown:
        raise ValueError(f"unknown funding sources {sorted(unknown)}")
    scope_change = scope_change.strip()
    if not cost_change_fen and not funding_change and not scope_change:
        raise DomainError(_l("变更没有改动造价、资金或范围。"))
    pending = db.session.scalar(
        select(ChangeOrder.id).where(
            ChangeOrder.item_id == item.id, ChangeOrder.status.in_(("drafted", "pending_vote"))
        )
    )
    if pending:
        raise DomainError(_l("项目 %(key)s 还有一项变更没有办结。", key=item.key))
    plan = item.plan
    before = current_shares(item)
    part, after = _after(
        item, item.cost_fen + cost_change_fen, new_funding(item, funding_change), before
    )
    beyond = raised_beyond(before, after, plan.change_threshold_pct)
    rise = largest_rise_pct(before, after)
    change = ChangeOrder(
        community_id=item.community_id,
        plan_id=item.plan_id,
        item_id=item.id,
        reason=reason,
        cost_change_fen=cost_change_fen,
        funding_change=json.dumps(funding_change, sort_keys=True),
        scope_change=scope_change,
        status="drafted",
        residents_before_fen=sum(before.values()),
        residents_after_fen=part,
        threshold_pct=plan.change_threshold_pct,
        largest_rise="" if rise is None else f"{float(rise):.1f}",
        households_beyond=len(beyond),
        needs_vote=bool(beyond) or bool(scope_change),
        created_by_id=getattr(user, "id", None),
    )
    change.shares = [
        ChangeShare(
            community_id=item.community_id,
            household_id=hid,
            before_fen=before.get(hid, 0),
            after_fen=after.get(hid, 0),
        )
        for hid in dict.fromkeys([*before, *after])
    ]
    db.session.add(change)
    db.session.flush()
    log_event(
        "change.draft",
        "change_order",
        change.id,
        community_id=item.community_id,
        after=_state(change),
    )
    return change


def _decided(change: ChangeOrder, status: str, user, note: str) -> dict:
    before = _state(change)
    change.status = status
    change.decision_note = note.strip()
    change.decided_by_id = getattr(user, "id", None)
    change.decided_at = utcnow()
    return before


def reject_change(change: ChangeOrder, *, note: str = "", user=None) -> None:
    """The committee rejects a drafted change: the item stays as it is."""
    if change.status != "drafted":
        raise DomainError(_l("这项变更已经处理过了。"))
    before = _decided(change, "rejected", user, note)
    db.session.flush()
    log_event(
        "change.reject",
        "change_order",
        change.id,
        community_id=change.community_id,
        before=before,
        after=_state(change),
    )


def approve_change(change: ChangeOrder, *, note: str = "", user=None) -> None:
    """The committee approves a drafted change: it takes effect now, or, when it needs a
    revision vote, a linked revision plan is drafted and the change waits for its result."""
    if change.status != "drafted":
        raise DomainError(_l("这项变更已经处理过了。"))
    item = db.session.get(Item, change.item_id)
    if change.needs_vote:
        before = _decided(change, "pending_vote", user, note)
        change.revision_plan_id = _revision_plan(change, item).id
    else:
        before = _decided(change, "effective", user, note)
        _apply(change, item)
    db.session.flush()
    log_event(
        "change.approve",
        "change_order",
        change.id,
        community_id=change.community_id,
        before=before,
        after=_state(change),
    )


def _revision_plan(change: ChangeOrder, item: Item) -> Plan:
    """A plan in drafting with one item, the item as the change would make it."""
    original = item.plan
    plan = Plan(
        community_id=item.community_id,
        title=f"修订表决：{item.key} {item.title}"[:200],
        description=(
            f"{original.title} 项目 {item.key} 的设计变更（第 {change.id} 号）：{change.reason}"
        ),
        phase=DRAFTING,
        revises_plan_id=original.id,
        change_threshold_pct=original.change_threshold_pct,
        objection_days=original.objection_days,
        conflict_policy=original.conflict_policy,
        paper_double_entry=original.paper_double_entry,
        non_voter_policy=original.non_voter_policy,
    )
    db.session.add(plan)
    db.session.flush()
    scope_words = f"\n范围变更：{change.scope_change}" if change.scope_change else ""
    revised = Item(
        community_id=item.community_id,
        plan_id=plan.id,
        key=item.key,
        position=0,
        title=item.title,
        summary=item.summary,
        description=f"{item.description}\n\n变更原因：{change.reason}{scope_words}".strip(),
        category=item.category,
        rule=item.rule,
        rule_params=item.rule_params,
        cost_fen=item.cost_fen + change.cost_change_fen,
        share_method=item.share_method,
        floor_coefficients=item.floor_coefficients,
    )
    db.session.add(revised)
    db.session.flush()
    funding = new_funding(item, json.loads(change.funding_change or "{}"))
    db.session.add_all(
        FundingSource(community_id=item.community_id, item_id=revised.id, source=s, amount_fen=v)
        for s, v in funding.items()
    )
    db.session.add_all(
        ItemScope(
            community_id=item.community_id,
            item_id=revised.id,
            building_id=s.building_id,
            unit_id=s.unit_id,
        )
        for s in item.scopes
    )
    if item.share_method == "custom":
        db.session.add_all(
            HouseholdShare(
                community_id=item.community_id,
                item_id=revised.id,
                household_id=s.household_id,
                amount_fen=s.after_fen,
                custom=True,
            )
            for s in change.shares
        )
    db.session.flush()
    log_event(
        "plan.create_revision",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={"revises_plan": original.id, "change_order": change.id, "item": item.key},
    )
    return plan


def revised_item(change: ChangeOrder) -> Item | None:
    """The one item of the change's revision plan."""
    if change.revision_plan_id is None:
        return None
    return db.session.scalar(select(Item).where(Item.plan_id == change.revision_plan_id))


def _apply(change: ChangeOrder, item: Item) -> None:
    """Move the item's figures (and, after a vote, its scope) and its stored shares."""
    revised = revised_item(change)
    before = current_shares(item)
    if revised is not None:
        cost = revised.cost_fen
        funding = {f.source: f.amount_fen for f in revised.funding if f.amount_fen}
        scopes = [(s.building_id, s.unit_id) for s in revised.scopes]
        if sorted(scopes, key=str) != sorted(
            ((s.building_id, s.unit_id) for s in item.scopes), key=str
        ):
            item.scopes = [
                ItemScope(community_id=item.community_id, building_id=b, unit_id=u)
                for b, u in scopes
            ]
            db.session.flush()
    else:
        cost = item.cost_fen + change.cost_change_fen
        funding = new_funding(item, json.loads(change.funding_change or "{}"))
    part, after = _after(item, cost, funding, before)
    item.cost_fen = cost
    item.funding = [
        FundingSource(community_id=item.community_id, source=s, amount_fen=v)
        for s, v in funding.items()
    ]
    custom = item.share_method == "custom"
    db.session.execute(delete(HouseholdShare).where(HouseholdShare.item_id == item.id))
    db.session.add_all(
        HouseholdShare(
            community_id=item.community_id,
            item_id=item.id,
            household_id=hid,
            amount_fen=fen,
            custom=custom,
        )
        for hid, fen in after.items()
    )
    # What took effect is what the households see (a vote may have moved the scope).
    rows = {s.household_id: s for s in change.shares}
    for hid in dict.fromkeys([*before, *after]):
        row = rows.pop(hid, None)
        if row is None:
            row = ChangeShare(community_id=item.community_id, household_id=hid)
            change.shares.append(row)
        row.before_fen, row.after_fen = before.get(hid, 0), after.get(hid, 0)
    for row in rows.values():
        change.shares.remove(row)
    change.residents_after_fen = part
    change.effective_at = utcnow()
    db.session.flush()


def settle_revision(change: ChangeOrder, passed: bool, *, note: str = "") -> None:
    """The revision vote's final result is in: the change takes effect if the vote passed the
    revised item, else it is refused and the original item stands."""
    if change.status != "pending_vote":
        raise DomainError(_l("这项变更不在等待修订表决。"))
    before = _state(change)
    if passed:
        change.status = "effective"
        _apply(change, db.session.get(Item, change.item_id))
    else:
        change.status = "refused"
    if note:
        change.decision_note = (change.decision_note + "\n" + note).strip()
    db.session.flush()
    log_event(
        "change.settle_revision",
        "change_order",
        change.id,
        community_id=change.community_id,
        before=before,
        after={**_state(change), "vote_passed": passed},
    )


def plan_changes(plan: Plan) -> list[ChangeOrder]:
    """The plan's change orders, newest first."""
    return list(
        db.session.scalars(
            select(ChangeOrder)
            .where(ChangeOrder.plan_id == plan.id)
            .order_by(ChangeOrder.id.desc())
        )
    )


def household_changes(
    plan: Plan, household_id: int
) -> list[tuple[ChangeOrder, ChangeShare | None]]:
    """The plan's changes that took effect, with this household's share before and after."""
    rows = db.session.execute(
        select(ChangeOrder, ChangeShare)
        .outerjoin(
            ChangeShare,
            (ChangeShare.change_id == ChangeOrder.id) & (ChangeShare.household_id == household_id),
        )
        .where(ChangeOrder.plan_id == plan.id, ChangeOrder.status == "effective")
        .order_by(ChangeOrder.effective_at, ChangeOrder.id)
    ).all()
    return [(c, s) for c, s in rows]


def effective_changes_by_item(
    plan: Plan, household_id: int
) -> dict[int, list[tuple[ChangeOrder, ChangeShare | None]]]:
    """The changes in effect per item, each with this household's share before and after
    (None when the item does not concern it): the residents' item pages show them."""
    by_item: dict[int, list] = {}
    for change, share in household_changes(plan, household_id):
        by_item.setdefault(change.item_id, []).append((change, share))
    return by_item


def change_for_revision_plan(plan_id: int) -> ChangeOrder | None:
    """The change order a revision plan votes on."""
    return db.session.scalar(select(ChangeOrder).where(ChangeOrder.revision_plan_id == plan_id))
