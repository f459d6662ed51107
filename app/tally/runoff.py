"""Runoffs (决选) for items whose options came out undecided (design §3a).

An item with options passes but chooses no option when the headcount and area leaders differ
or either is tied. A worker then opens a runoff: a small plan of its own with one item whose
``runoff_of_id`` names the undecided item and whose options are the leading ones, copied with
their costs, funding, share methods and fixed shares. It goes through the usual machinery —
its own dates, ballot page, paper ballots, tally, publication and notices — and is voted by the
same frozen electorate as the original vote (``copy_snapshot``). One plan votes at a time
(``plans.queries.busy_plan``), so a runoff opens once the original's final result is out.
A runoff is decided the same way; undecided again, the item cannot go ahead until a revised
item is voted, and no further runoff is opened.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.communities.electorate import copy_snapshot, snapshot_for
from app.core.audit import log_event
from app.core.errors import DomainError
from app.extensions import db
from app.plans.items import create_plan
from app.plans.models import FundingSource, Item, ItemOption, ItemScope, OptionShare, Plan
from app.plans.queries import local_today
from app.tally.queries import ItemResult, tally_plan


@dataclass(frozen=True)
class RunoffLink:
    """A runoff of an item: its plan and item, and where that plan stands."""

    plan_id: int
    plan_title: str
    phase: str
    result_stage: str | None
    item_id: int
    item_key: str
    voting_opens: date | None
    voting_closes: date | None


def runoffs_of(item_ids) -> dict[int, RunoffLink]:
    """The runoff opened for each of these items, by the undecided item's id (one query)."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        select(Item.runoff_of_id, Item.id, Item.key, Plan)
        .join(Plan, Plan.id == Item.plan_id)
        .where(Item.runoff_of_id.in_(list(item_ids)))
        .order_by(Item.id)
    )
    return {
        of: RunoffLink(plan.id, plan.title, plan.phase, plan.result_stage, item_id, key,
                       plan.voting_opens, plan.voting_closes)
        for of, item_id, key, plan in rows
    }  # fmt: skip


def runoff_origin(item_id: int) -> tuple[Plan, Item] | None:
    """The plan and item a runoff item decides."""
    item = db.session.get(Item, item_id)
    return (item.plan, item) if item is not None else None


def runoff_problem(plan: Plan, result: ItemResult) -> str | None:
    """Why no runoff can be opened for this item now (a message), or None."""
    if not result.undecided:
        return _l("这个项目已经决出方案（或未通过），不需要决选。")
    if result.item.runoff_of_id is not None:
        return _l("决选仍未决出方案：本项目须修改后重新表决，不能再次决选。")
    if plan.result_stage != "final":
        return _l("原方案的最终结果公布后，才能发起决选。")
    if runoffs_of([result.item.id]):
        return _l("这个项目已经发起过决选。")
    return None


def _copy_funding(rows, community_id: int, item_id: int, option_id: int | None) -> None:
    """Copy funding rows onto an item (option_id None) or one of its options."""
    for f in rows:
        db.session.add(
            FundingSource(
                community_id=community_id, item_id=item_id, option_id=option_id,
                source=f.source, amount_fen=f.amount_fen, note=f.note,
            )
        )  # fmt: skip


def open_runoff(item: Item, voting_opens: date, voting_closes: date) -> Plan:
    """Open a runoff (决选) for an undecided item: a new plan in drafting, voting by its dates
    (the phase moves on its opening day, or by a worker), with the leading options only."""
    plan = item.plan
    if voting_closes < voting_opens or voting_opens < local_today():
        raise DomainError(_l("决选的开始日期不能早于今天，截止日期不能早于开始日期。"))
    result = tally_plan(plan).item(item.key)
    problem = runoff_problem(plan, result)
    if problem is not None:
        raise DomainError(problem)
    leading = [o for o in item.options if o.key in result.options.runoff]
    with force_locale("zh_CN"):  # a plan's title and description are data, kept in Chinese
        title = str(_l("%(t)s：%(k)s %(i)s 决选", t=plan.title, k=item.key, i=item.title))
        description = str(_l("在领先的方案 %(o)s 之间决选（原方案的表决未决出方案）。",
                             o="、".join(o.key for o in leading)))  # fmt: skip
    runoff = create_plan(
        plan.community, title[:200], description=description,
        voting_opens=voting_opens, voting_closes=voting_closes,
        conflict_policy=plan.conflict_policy, paper_double_entry=plan.paper_double_entry,
        non_voter_policy=plan.non_voter_policy, objection_days=plan.objection_days,
    )  # fmt: skip
    runoff.phase = "drafting"
    copy = Item(
        community_id=plan.community_id, plan_id=runoff.id, key=item.key, position=0,
        title=item.title, summary=item.summary, description=item.description,
        category=item.category, rule=item.rule, rule_params=item.rule_params,
        cost_fen=item.cost_fen, share_method=item.share_method,
        floor_coefficients=item.floor_coefficients, kind="vote", option_rule="plurality",
        runoff_of_id=item.id,
    )  # fmt: skip
    db.session.add(copy)
    db.session.flush()
    for scope in item.scopes:
        db.session.add(
            ItemScope(community_id=plan.community_id, item_id=copy.id,
                      building_id=scope.building_id, unit_id=scope.unit_id)
        )  # fmt: skip
    _copy_funding(item.funding, plan.community_id, copy.id, None)
    for position, option in enumerate(leading):
        new = ItemOption(
            community_id=plan.community_id, item_id=copy.id, key=option.key, position=position,
            title=option.title, description=option.description, cost_fen=option.cost_fen,
            share_method=option.share_method, floor_coefficients=option.floor_coefficients,
        )  # fmt: skip
        db.session.add(new)
        db.session.flush()
        _copy_funding(option.funding, plan.community_id, copy.id, new.id)
        shares = db.session.scalars(select(OptionShare).where(OptionShare.option_id == option.id))
        for share in shares:
            db.session.add(
                OptionShare(community_id=plan.community_id, option_id=new.id,
                            household_id=share.household_id, amount_fen=share.amount_fen,
                            custom=share.custom)
            )  # fmt: skip
    db.session.flush()
    original = snapshot_for(plan.id)
    if original is not None:  # the same frozen electorate as the vote it decides (§3c)
        copy_snapshot(original, runoff.id, runoff.title)
    log_event(
        "plan.runoff_open", "plan", runoff.id, community_id=plan.community_id,
        after={"runoff_of": {"plan": plan.id, "item": item.id, "key": item.key},
               "options": [o.key for o in leading], "voting_opens": voting_opens,
               "voting_closes": voting_closes},
    )  # fmt: skip
    return runoff
