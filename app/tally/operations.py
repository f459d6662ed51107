"""Writes of the tally module: ballot delivery, and publication (二下) — the preliminary result,
objections with their resolution, the final result. Each flushes and appends an audit event."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Item, Plan
from app.plans.queries import local_today
from app.plans.workflow import cut_short_dates
from app.tally.models import Objection
from app.tally.queries import tally_plan, voting_over


def _today(today: date | None) -> date:
    """Today in the configured time zone unless given."""
    if today is not None:
        return today

    return local_today()


def _result_summary(plan: Plan, today: date) -> dict:
    """The outcome per item, recorded in the audit trail when a result is published."""
    result = tally_plan(plan, today)
    items = {}
    for r in result.items:
        t = r.tally
        chosen = r.chosen_option
        items[r.item.key] = {"passed": r.passed, "chosen_option": chosen and chosen[1]} | {
            name: [str(getattr(t, name).owners), str(getattr(t, name).area)]
            for name in ("electorate", "participating", "agree", "oppose")
        }
    return {"ballots": result.ballots.effective, "items": items}


def publish_preliminary(plan: Plan, today: date | None = None) -> None:
    """Publish the preliminary result (公示) once voting is over; the objection period starts."""
    today = _today(today)
    if plan.phase != "voting" or not voting_over(plan, today):
        raise DomainError(_l("表决结束后才能公示结果。"))
    awaiting = tally_plan(plan, today).ballots.awaiting_entry
    if awaiting:
        raise DomainError(_l("还有 %(n)d 户的纸质票等待录入或复核，请处理后再公示。", n=awaiting))
    before = {"phase": plan.phase, "result_stage": plan.result_stage}
    dates = cut_short_dates(plan, "published", today)  # voting paused for good ends today
    before |= dates
    plan.phase = "published"
    plan.phase_changed_at = plan.preliminary_published_at = utcnow()
    plan.result_stage = "preliminary"
    plan.objections_close = today + timedelta(days=plan.objection_days)
    db.session.flush()
    log_event(
        "result.publish_preliminary",
        "plan",
        plan.id,
        community_id=plan.community_id,
        before=before,
        after={
            "phase": plan.phase,
            "result_stage": plan.result_stage,
            "objections_close": plan.objections_close,
            "result": _result_summary(plan, today),
            **{k: getattr(plan, k) for k in dates},
        },
    )


def _open_for_objections(plan: Plan) -> None:
    """Objections are recorded and resolved while the preliminary result stands."""
    if plan.phase != "published" or plan.result_stage != "preliminary":
        raise DomainError(_l("只有在结果公示期间才能登记或处理异议。"))


def record_objection(
    plan: Plan,
    text: str,
    *,
    item: Item | None = None,
    household: Household | None = None,
    user=None,
) -> Objection:
    """Record an objection to the preliminary result, as a worker received it."""
    _open_for_objections(plan)
    if not text.strip():
        raise DomainError(_l("请填写异议内容。"))
    if item is not None and item.plan_id != plan.id:
        raise DomainError(_l("这个项目不属于本方案。"))
    if household is not None and household.community_id != plan.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    objection = Objection(
        community_id=plan.community_id,
        plan_id=plan.id,
        item_id=item.id if item else None,
        household_id=household.id if household else None,
        text=text.strip(),
        recorded_by_id=getattr(user, "id", None),
    )
    db.session.add(objection)
    db.session.flush()
    log_event(
        "objection.record",
        "objection",
        objection.id,
        community_id=plan.community_id,
        after={
            "plan": plan.id,
            "item": item.key if item else None,
            "household": household.id if household else None,
            "text": objection.text,
        },
    )
    return objection


def resolve_objection(objection: Objection, resolution: str, user=None) -> None:
    """Record how an objection was resolved (once; the answer is part of the public record)."""
    _open_for_objections(db.session.get(Plan, objection.plan_id))
    if objection.resolved_at is not None:
        raise DomainError(_l("这条异议已经处理过了。"))
    if not resolution.strip():
        raise DomainError(_l("请填写处理结果。"))
    objection.resolution = resolution.strip()
    objection.resolved_at = utcnow()
    objection.resolved_by_id = getattr(user, "id", None)
    db.session.flush()
    log_event(
        "objection.resolve",
        "objection",
        objection.id,
        community_id=objection.community_id,
        after={"resolution": objection.resolution},
    )


def unresolved_objections(plan: Plan) -> int:
    """How many objections to the plan's result still wait for a resolution."""
    return db.session.scalar(
        select(func.count(Objection.id)).where(
            Objection.plan_id == plan.id, Objection.resolved_at.is_(None)
        )
    )


def publish_final(plan: Plan, today: date | None = None) -> None:
    """Publish the final result after the objection period, every objection resolved."""
    today = _today(today)
    _open_for_objections(plan)
    if plan.objections_close and today <= plan.objections_close:
        raise DomainError(
            _l("公示期到 %(d)s 结束，之后才能公布最终结果。", d=plan.objections_close.isoformat())
        )
    open_count = unresolved_objections(plan)
    if open_count:
        raise DomainError(_l("还有 %(n)d 条异议没有处理。", n=open_count))
    plan.result_stage = "final"
    plan.final_published_at = utcnow()
    db.session.flush()
    log_event(
        "result.publish_final",
        "plan",
        plan.id,
        community_id=plan.community_id,
        before={"result_stage": "preliminary"},
        after={"result_stage": "final", "result": _result_summary(plan, today)},
    )
