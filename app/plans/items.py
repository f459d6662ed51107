"""Writes on a plan and its items: create or import a plan, edit, revise and delete items."""

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.communities.models import Building, Community, Unit
from app.communities.normalize import normalize_building, normalize_unit
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import (
    FundingSource,
    HouseholdShare,
    Item,
    ItemOption,
    ItemProposal,
    ItemScope,
    Plan,
)
from app.plans.phases import DRAFTING, PHASES, PROPOSALS, PUBLISHED, VOTING
from app.plans.planfile import ItemSpec, PlanSpec
from app.plans.queries import busy_plan, local_today
from app.rules.counting import parse_rule


def create_plan(community: Community, title: str, **fields) -> Plan:
    """Start a plan in the proposals phase; not while another plan of the community is voting
    or in its objection period (one plan at a time: residents must reach the one voting)."""
    if not title.strip():
        raise DomainError(_l("请填写方案名称。"))
    other = busy_plan(community.id)
    if other is not None:
        raise DomainError(
            _l(
                "方案“%(t)s”正在表决或公示中，同一时间只能进行一个方案。"
                "请等它公布最终结果后再新建方案。",
                t=other.title,
            )
        )
    plan = Plan(community_id=community.id, title=title.strip(), **fields)
    db.session.add(plan)
    db.session.flush()
    log_event("plan.create", "plan", plan.id, community_id=community.id, after=plan.audit_state())
    return plan


def _places(community: Community) -> tuple[dict, dict]:
    """Building ids by name and unit ids by (building name, unit name)."""
    buildings = {
        b.name: b.id
        for b in db.session.scalars(select(Building).where(Building.community_id == community.id))
    }
    units = {}
    for unit, building_name in db.session.execute(
        select(Unit, Building.name)
        .join(Building, Unit.building_id == Building.id)
        .where(Unit.community_id == community.id)
    ):
        units[(building_name, unit.name)] = (unit.building_id, unit.id)
    return buildings, units


def _resolve_scope(spec: ItemSpec, buildings: dict, units: dict) -> list[tuple[int, int | None]]:
    """(building_id, unit_id or None) pairs for an item's scope; unknown names are errors."""
    pairs, unknown = [], []
    for name in spec.buildings:
        building_id = buildings.get(normalize_building(name))
        if building_id is None:
            unknown.append(name)
        else:
            pairs.append((building_id, None))
    for b, u in spec.units:
        found = units.get((normalize_building(b), normalize_unit(u)))
        if found is None:
            unknown.append(f"{b}{u}")
        else:
            pairs.append(found)
    if unknown:
        raise DomainError(
            _l(
                "项目 %(key)s 的范围包含花名册中没有的楼栋或单元：%(names)s。",
                key=spec.key,
                names="、".join(unknown),
            )
        )
    return pairs


def _write_item(plan: Plan, spec: ItemSpec, position: int, scope: list) -> Item:
    """Create one item with its scope and funding sources."""
    item = Item(
        community_id=plan.community_id,
        plan_id=plan.id,
        key=spec.key,
        position=position,
        title=spec.title,
        summary=spec.summary,
        description=spec.description,
        category=spec.category,
        rule=spec.rule,
        rule_params=json.dumps(spec.rule_params) if spec.rule_params else None,
        cost_fen=spec.cost_fen,
        share_method=spec.share_method,
        floor_coefficients=json.dumps(spec.floor_coefficients) if spec.floor_coefficients else None,
        kind=spec.kind,
        option_rule=spec.option_rule,
        price_fen=spec.price_fen,
        price_fen_per_m2=spec.price_fen_per_m2,
        subsidy_fen=spec.subsidy_fen,
        min_uptake=spec.min_uptake,
        signup_closes=spec.signup_closes,
    )
    db.session.add(item)
    db.session.flush()
    for position, option in enumerate(spec.options):
        row = ItemOption(
            community_id=plan.community_id,
            item_id=item.id,
            key=option.key,
            position=position,
            title=option.title,
            description=option.description,
            cost_fen=option.cost_fen,
            share_method=option.share_method,
            floor_coefficients=(
                json.dumps(option.floor_coefficients) if option.floor_coefficients else None
            ),
        )
        db.session.add(row)
        db.session.flush()
        for source, amount in option.funding.items():
            db.session.add(
                FundingSource(
                    community_id=plan.community_id,
                    item_id=item.id,
                    option_id=row.id,
                    source=source,
                    amount_fen=amount,
                )
            )
    for building_id, unit_id in scope:
        db.session.add(
            ItemScope(
                community_id=plan.community_id,
                item_id=item.id,
                building_id=building_id,
                unit_id=unit_id,
            )
        )
    for source, amount in spec.funding.items():
        db.session.add(
            FundingSource(
                community_id=plan.community_id, item_id=item.id, source=source, amount_fen=amount
            )
        )
    db.session.flush()
    return item


def import_plan(community: Community, spec: PlanSpec) -> Plan:
    """Create a plan with its items from a validated plan file; all or nothing."""
    if spec.community and spec.community != community.name:
        raise DomainError(
            _l("方案文件属于“%(file)s”，不是“%(name)s”。", file=spec.community, name=community.name)
        )
    buildings, units = _places(community)
    scopes = {}
    problems = []
    for item in spec.items:
        try:
            scopes[item.key] = _resolve_scope(item, buildings, units)
        except DomainError as exc:
            problems.extend(exc.reasons)
    if problems:
        raise DomainError(*problems)
    plan = create_plan(
        community,
        spec.title,
        description=spec.description,
        objection_days=spec.objection_days,
        conflict_policy=spec.conflict_policy,
        paper_double_entry=spec.paper_double_entry,
        non_voter_policy=spec.non_voter_policy,
        **spec.dates,
    )
    for position, item in enumerate(spec.items):
        _write_item(plan, item, position, scopes[item.key])
    log_event(
        "plan.import",
        "plan",
        plan.id,
        community_id=community.id,
        after={"items": [i.key for i in spec.items]},
    )
    return plan


def ensure_editable(plan: Plan) -> None:
    """Items change only before voting; during voting only through the revise path."""
    if plan.phase not in (PROPOSALS, DRAFTING):
        raise DomainError(_l("表决已开始，不能直接修改项目。如确需修改，请先暂停表决并说明原因。"))


REVISABLE_FIELDS = ("title", "summary", "description")
CUSTOM_PARAMS = ("quorum", "approval", "strict", "base", "dimensions")


def item_edit_lock(plan: Plan) -> str | None:
    """Why an item of the plan cannot be edited now, or None when it can (drafting, or voting
    paused for a revision)."""
    if plan.phase in (PROPOSALS, DRAFTING):
        return None
    if plan.phase == VOTING and plan.voting_ended_at is None:
        if plan.voting_closed_at is not None:
            return None
        return str(_l("表决进行中，项目不能修改。如确需修改，请先在方案页暂停表决并说明原因。"))
    return str(_l("表决已经结束，项目不能再修改。"))


def refuse_fixed_item_changes(
    item: Item,
    *,
    scope: list[tuple[int, int | None]] | None = None,
    rule_params: dict | None = None,
    **fields,
) -> None:
    """Refuse, before anything is saved, a change a revision during voting cannot make: only
    the wording (REVISABLE_FIELDS) changes then; the key, category, rule and scope are fixed.

    Only what the form actually sent is given; an unchanged value passes.
    """
    changed = [name for name, value in fields.items() if value != getattr(item, name)]
    if rule_params:
        current = json.loads(item.rule_params) if item.rule_params else {}
        if any(current.get(name) != value for name, value in rule_params.items()):
            changed.append("rule_params")
    if scope is not None:
        current_scope = sorted((s.building_id, s.unit_id) for s in item.scopes)
        if sorted(scope, key=lambda pair: (pair[0], pair[1] or 0)) != sorted(
            current_scope, key=lambda pair: (pair[0], pair[1] or 0)
        ):
            changed.append("scope")
    if changed:
        raise DomainError(
            _l(
                "表决开始后，项目的编号、类别、表决规则和范围不能再改，只能修改名称和说明。"
                "这次没有保存任何修改。"
            )
        )


def revise_item(item: Item, reason: str, **changes) -> None:
    """Change an item while voting is paused: a new revision voids the choices made on it."""
    plan = item.plan
    if plan.phase != VOTING or plan.voting_closed_at is None:
        raise DomainError(_l("只有在暂停表决后才能修改表决中的项目。"))
    if not reason.strip():
        raise DomainError(_l("请说明修改项目的原因，居民会看到这个原因。"))
    before = {k: getattr(item, k) for k in changes}
    for name, value in changes.items():
        setattr(item, name, value)
    item.revision += 1
    item.revision_reason = reason.strip()
    item.revised_at = utcnow()
    db.session.flush()
    log_event(
        "item.revise",
        "item",
        item.id,
        community_id=item.community_id,
        before=before,
        after={**changes, "revision": item.revision, "reason": reason},
    )


PLAN_FIELDS = (
    "title",
    "description",
    "proposals_opens",
    "proposals_closes",
    "drafting_opens",
    "drafting_closes",
    "voting_opens",
    "voting_closes",
    "objection_days",
    "conflict_policy",
    "paper_double_entry",
    "non_voter_policy",
    "change_threshold_pct",
)


POLICY_FIELDS = ("conflict_policy", "paper_double_entry", "non_voter_policy")


def locked_plan_fields(plan: Plan) -> dict[str, str]:
    """The plan fields that can no longer change in its phase, each with the reason (shown on
    the form beside the read-only field, and given when a change is refused)."""
    order = PHASES.index(plan.phase)
    locked = {}
    if order > PHASES.index(PROPOSALS):
        reason = _l("征集意见阶段已经结束，日期不再修改。")
        locked |= {"proposals_opens": reason, "proposals_closes": reason}
    if order > PHASES.index(DRAFTING):
        reason = _l("公布草案阶段已经结束，日期不再修改。")
        locked |= {"drafting_opens": reason, "drafting_closes": reason}
        locked["voting_opens"] = _l("表决已经开始，开始日期不再修改。")
        policy = _l("表决开始后计票规则不能再改。")
        locked |= dict.fromkeys(POLICY_FIELDS, policy)
    if plan.voting_ended_at is not None or order > PHASES.index(VOTING):
        locked["voting_closes"] = _l("表决已经结束，截止日期不再修改。")
    if plan.result_stage is not None or order > PHASES.index(PUBLISHED):
        locked["objection_days"] = _l(
            "结果已经公示，异议期已定到 %(d)s，修改天数不会再起作用。",
            d=plan.objections_close or "—",
        )
    return locked


def update_plan(plan: Plan, **fields) -> None:
    """Change a plan's title, dates or policies; what its phase has fixed is refused, with why.

    A value that would be ignored is refused rather than saved: a past phase's dates, the
    counting policies once voting starts, the objection period once the result is out, and a
    voting close before today (ending voting early is its own act: workflow.end_voting).
    """
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not plan fields: {sorted(unknown)}")
    changed = {k for k, v in fields.items() if v != getattr(plan, k)}
    locked = locked_plan_fields(plan)
    problems = []
    for name in PLAN_FIELDS:  # in form order, one message per reason
        if name in changed and name in locked and locked[name] not in problems:
            problems.append(locked[name])
    closes = fields.get("voting_closes")
    moved = "voting_closes" in changed and "voting_closes" not in locked
    if moved and closes is not None and closes < local_today():
        problems.append(
            _l(
                "表决截止日期不能改到今天以前。"
                "如要提前结束表决，请在方案页使用“结束表决”并说明原因。"
            )
        )
    for opens, closes in (
        ("proposals_opens", "proposals_closes"),
        ("drafting_opens", "drafting_closes"),
        ("voting_opens", "voting_closes"),
    ):
        a, b = fields.get(opens, getattr(plan, opens)), fields.get(closes, getattr(plan, closes))
        if a and b and b < a:
            problems.append(_l("结束日期不能早于开始日期。"))
            break
    if problems:
        raise DomainError(*problems)
    before = {k: getattr(plan, k) for k in fields}
    for name, value in fields.items():
        setattr(plan, name, value)
    db.session.flush()
    log_event(
        "plan.update", "plan", plan.id, community_id=plan.community_id, before=before, after=fields
    )


OPT_IN_PRICE_FIELDS = (
    "price_fen",
    "price_fen_per_m2",
    "subsidy_fen",
    "min_uptake",
    "signup_closes",
)


def check_kind_fields(item: Item | None, fields: dict) -> None:
    """An opt-in item (户内自选) has exactly one price form and no options; a voted item has no
    price fields (the plan file's rules, design §3b). Clears them on a voted item."""
    kind = fields.get("kind", "vote")
    if kind == "opt_in":
        problems = []
        if (fields.get("price_fen") is None) == (fields.get("price_fen_per_m2") is None):
            problems.append(_l("户内自选项目请填写每户固定价或每平方米单价，只填其中一个。"))
        if item is not None and item.options:
            problems.append(_l("这个项目有比选方案，不能改为户内自选；请先删除方案。"))
        if problems:
            raise DomainError(*problems)
        return
    if fields.get("price_fen") is not None or fields.get("price_fen_per_m2") is not None:
        raise DomainError(_l("价格只用于户内自选项目；表决项目的费用在“资金安排”页填写。"))
    if "kind" in fields:
        fields.update(dict.fromkeys(OPT_IN_PRICE_FIELDS), subsidy_fen=0)


def save_item(
    plan: Plan, item: Item | None, *, scope: list[tuple[int, int | None]], **fields
) -> Item:
    """Create or edit an item of a plan that is still being drafted."""
    ensure_editable(plan)
    check_kind_fields(item, fields)
    key = fields.get("key", "").strip()
    clash = db.session.scalar(select(Item.id).where(Item.plan_id == plan.id, Item.key == key))
    if clash and (item is None or clash != item.id):
        raise DomainError(_l("编号 %(key)s 已被本方案的其他项目使用。", key=key))
    if fields.get("rule") == "custom":
        try:
            parse_rule("custom", json.loads(fields.get("rule_params") or "{}"))
        except (ValueError, TypeError) as exc:
            raise DomainError(_l("自定义表决规则无效：%(error)s", error=exc)) from exc
    else:
        fields["rule_params"] = None
    created = item is None
    before = None
    if created:
        position = len(plan.items)
        item = Item(community_id=plan.community_id, plan_id=plan.id, position=position)
        db.session.add(item)
    else:
        before = {k: getattr(item, k) for k in fields}
        before["scope"] = [(s.building_id, s.unit_id) for s in item.scopes]
    for name, value in fields.items():
        setattr(item, name, value)
    item.scopes = [
        ItemScope(community_id=plan.community_id, building_id=b, unit_id=u) for b, u in scope
    ]
    db.session.flush()
    log_event(
        "item.create" if created else "item.update",
        "item",
        item.id,
        community_id=plan.community_id,
        before=before,
        after={**fields, "scope": scope},
    )
    return item


def delete_item(item: Item) -> list[int]:
    """Remove an item from a plan that is still being drafted; returns the proposals it answered.

    Ballots and payments start only once voting opens, and a plan never goes back to drafting
    (plans.phases); should any such row point at the item all the same, the database's foreign
    keys refuse the delete and nothing changes. The caller decides what becomes of the answered
    proposals (proposals.operations.remove_draft_item sends them back to the list).
    """
    ensure_editable(item.plan)
    state = {"key": item.key, "title": item.title}
    answered = list(
        db.session.scalars(
            select(ItemProposal.proposal_id).where(ItemProposal.item_id == item.id)
        ).all()
    )
    try:
        with db.session.begin_nested():
            # Its links to proposals and any uploaded custom shares go with it.
            db.session.execute(delete(ItemProposal).where(ItemProposal.item_id == item.id))
            db.session.execute(delete(HouseholdShare).where(HouseholdShare.item_id == item.id))
            db.session.delete(item)
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            _l("项目 %(key)s 已有表决或缴费记录，不能删除。", key=state["key"])
        ) from None
    log_event("item.delete", "item", item.id, community_id=item.community_id, before=state)
    return answered
