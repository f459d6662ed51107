"""Writes of acceptance and evaluation: validate, change, flush, audit; never commit."""

import json
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.aftercare.models import (
    AcceptanceCheck,
    AcceptanceDefect,
    AcceptanceMember,
    EvaluationKeying,
    EvaluationResponse,
    EvaluationRound,
)
from app.aftercare.queries import applicable_items, keyings, passed_items, response_of
from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Item, Plan
from app.plans.phases import ACCEPTANCE, EVALUATION
from app.plans.queries import local_today
from app.rules.satisfaction import (
    RESULTS,
    KeyingRef,
    Scores,
    decode_scores,
    encode_scores,
    keying_outcome,
)
from app.works.operations import record_acceptance

KEYING_REFUSALS = {
    "counted": _l("这份评价表已经录入并生效，不需要再录入。"),
    "in_review": _l("这份评价表两次录入不一致，正在等待业委会核对，暂不能再录入。"),
    "same_worker": _l(
        "这份评价表的第一次录入是您做的。按双人录入规定，第二次须由另一位工作人员录入。"
    ),
}


def _user_id(user) -> int | None:
    return getattr(user, "id", None) if getattr(user, "is_staff", False) else None


# Acceptance ----------------------------------------------------------------------------------


def _acceptance_open(plan: Plan) -> None:
    if plan.phase != ACCEPTANCE:
        raise DomainError(_l("只有在“竣工验收”阶段才能记录验收。"))


def _passed_item(plan: Plan, item: Item) -> None:
    if item.plan_id != plan.id or item.id not in {i.id for i in passed_items(plan)}:
        raise DomainError(_l("只有表决通过的项目需要验收。"))


def add_member(
    plan: Plan, *, kind: str, name: str, role: str = "", household: Household | None = None
) -> AcceptanceMember:
    """Add a resident representative (a household of the community) or a staff member."""
    _acceptance_open(plan)
    if kind not in ("resident", "staff"):
        raise DomainError(_l("请选择居民代表或工作人员。"))
    name = (name or "").strip()
    if kind == "resident":
        if household is None or household.community_id != plan.community_id:
            raise DomainError(_l("居民代表须是本小区的住户，请选择房屋。"))
        name = name or household.owner_name
    if not name:
        raise DomainError(_l("请填写姓名。"))
    member = AcceptanceMember(
        community_id=plan.community_id,
        plan_id=plan.id,
        kind=kind,
        household_id=household.id if household is not None and kind == "resident" else None,
        name=name[:120],
        role=(role or "").strip()[:60],
    )
    db.session.add(member)
    db.session.flush()
    log_event(
        "acceptance.member_add",
        "acceptance_member",
        member.id,
        community_id=plan.community_id,
        after={"plan": plan.id, "kind": kind, "name": member.name, "role": member.role,
               "household": member.household_id},
    )  # fmt: skip
    return member


def remove_member(plan: Plan, member: AcceptanceMember) -> None:
    """Take a member out of the acceptance group."""
    _acceptance_open(plan)
    before = {"plan": plan.id, "kind": member.kind, "name": member.name}
    db.session.delete(member)
    db.session.flush()
    log_event(
        "acceptance.member_remove",
        "acceptance_member",
        member.id,
        community_id=plan.community_id,
        before=before,
    )


def save_check(
    plan: Plan,
    item: Item,
    *,
    lines: list[tuple[str, bool]],
    result: str | None,
    notes: str = "",
    checked_on: date | None = None,
    user=None,
) -> AcceptanceCheck:
    """Record an item's checklist (edited lines, which passed) and its result."""
    _acceptance_open(plan)
    _passed_item(plan, item)
    cleaned = [{"text": t.strip()[:200], "ok": bool(ok)} for t, ok in lines if t.strip()]
    if not cleaned:
        raise DomainError(_l("验收清单至少要有一项。"))
    if result is not None and result not in RESULTS:
        raise DomainError(_l("请选择验收结果。"))
    if result == "passed" and not all(line["ok"] for line in cleaned):
        raise DomainError(
            _l("清单上还有未通过的项，不能判定为“通过”：请选择“有条件通过”或“不通过”。")
        )
    check = db.session.scalar(select(AcceptanceCheck).where(AcceptanceCheck.item_id == item.id))
    before = None
    if check is None:
        check = AcceptanceCheck(community_id=plan.community_id, plan_id=plan.id, item_id=item.id)
        db.session.add(check)
    else:
        before = {"result": check.result, "checklist": json.loads(check.checklist)}
    check.checklist = json.dumps(cleaned, ensure_ascii=False)
    check.result = result
    check.notes = (notes or "").strip()
    check.checked_on = checked_on or (local_today() if result else None)
    check.recorded_by_id = _user_id(user)
    db.session.flush()
    log_event(
        "acceptance.check",
        "acceptance_check",
        check.id,
        community_id=plan.community_id,
        before=before,
        after={"item": item.key, "result": result, "checklist": cleaned, "notes": check.notes},
    )
    # The item's works follow the result: 已验收, or back to 整改中 when it failed.
    record_acceptance(plan, item.id, result, str(_l("验收小组")))
    return check


def add_defect(
    plan: Plan, item: Item, *, description: str, responsible: str, deadline: date | None
) -> AcceptanceDefect:
    """A defect found at acceptance, with the party responsible and a deadline."""
    _acceptance_open(plan)
    _passed_item(plan, item)
    description, responsible = (description or "").strip(), (responsible or "").strip()
    problems = []
    if not description:
        problems.append(_l("请写明问题。"))
    if not responsible:
        problems.append(_l("请写明整改责任单位。"))
    if deadline is None:
        problems.append(_l("请填写整改期限。"))
    elif deadline < local_today():
        problems.append(_l("整改期限不能早于今天。"))
    if problems:
        raise DomainError(*problems)
    defect = AcceptanceDefect(
        community_id=plan.community_id,
        plan_id=plan.id,
        item_id=item.id,
        description=description,
        responsible=responsible[:120],
        deadline=deadline,
    )
    db.session.add(defect)
    db.session.flush()
    log_event(
        "acceptance.defect",
        "acceptance_defect",
        defect.id,
        community_id=plan.community_id,
        after={"item": item.key, "description": description, "responsible": responsible,
               "deadline": deadline.isoformat()},
    )  # fmt: skip
    return defect


def rectify_defect(
    plan: Plan, defect: AcceptanceDefect, *, rectification: str, rectified_on: date | None = None
) -> AcceptanceDefect:
    """Record a defect's rectification (整改), re-inspected by the group."""
    if plan.phase not in (ACCEPTANCE, EVALUATION):
        raise DomainError(_l("只有在验收或评价阶段才能记录整改。"))
    if defect.plan_id != plan.id:
        raise DomainError(_l("这个问题不属于本方案。"))
    if defect.status == "rectified":
        raise DomainError(_l("这个问题已经整改完毕。"))
    rectification = (rectification or "").strip()
    if not rectification:
        raise DomainError(_l("请写明整改情况。"))
    defect.status = "rectified"
    defect.rectification = rectification
    defect.rectified_on = rectified_on or local_today()
    db.session.flush()
    log_event(
        "acceptance.rectify",
        "acceptance_defect",
        defect.id,
        community_id=plan.community_id,
        before={"status": "open"},
        after={"status": "rectified", "rectification": rectification,
               "rectified_on": defect.rectified_on.isoformat()},
    )  # fmt: skip
    return defect


# Evaluation ----------------------------------------------------------------------------------


def start_round(plan: Plan, *, closes_on: date | None = None) -> EvaluationRound:
    """Open the next evaluation round (the first, or a later one to compare with)."""
    if plan.phase != EVALUATION:
        raise DomainError(_l("只有在“满意度评价”阶段才能开始评价。"))
    last = db.session.scalar(
        select(EvaluationRound)
        .where(EvaluationRound.plan_id == plan.id)
        .order_by(EvaluationRound.number.desc())
        .limit(1)
    )
    if last is not None and last.is_open:
        raise DomainError(_l("第 %(n)d 轮评价还没有结束。", n=last.number))
    if closes_on is not None and closes_on < local_today():
        raise DomainError(_l("截止日期不能早于今天。"))
    round_ = EvaluationRound(
        community_id=plan.community_id,
        plan_id=plan.id,
        number=(last.number + 1) if last else 1,
        opened_on=local_today(),
        closes_on=closes_on,
    )
    db.session.add(round_)
    db.session.flush()
    log_event(
        "evaluation.open",
        "evaluation_round",
        round_.id,
        community_id=plan.community_id,
        after={"plan": plan.id, "number": round_.number,
               "closes_on": closes_on.isoformat() if closes_on else None},
    )  # fmt: skip
    return round_


def end_round(plan: Plan, round_: EvaluationRound) -> None:
    """Close a round: no more responses; its results are final."""
    if round_.plan_id != plan.id or not round_.is_open:
        raise DomainError(_l("这一轮评价已经结束。"))
    pending = db.session.scalar(
        select(func.count(EvaluationKeying.id)).where(
            EvaluationKeying.round_id == round_.id, EvaluationKeying.status == "mismatch"
        )
    )
    if pending:
        raise DomainError(_l("还有 %(n)d 份评价表两次录入不一致，请业委会先核对。", n=pending))
    round_.closed_at = utcnow()
    db.session.flush()
    log_event(
        "evaluation.close",
        "evaluation_round",
        round_.id,
        community_id=plan.community_id,
        after={"plan": plan.id, "number": round_.number},
    )


def _accepting(plan: Plan, round_: EvaluationRound) -> None:
    if plan.phase != EVALUATION or round_.plan_id != plan.id or not round_.is_open:
        raise DomainError(_l("评价已经结束，不能再提交或修改。"))


def _check_scores(plan: Plan, household: Household, scores: Scores) -> None:
    if household.community_id != plan.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    if scores.is_empty():
        raise DomainError(_l("请至少给一项打分，或写下您的意见。"))
    allowed = {i.id for i in applicable_items(plan, household)}
    if set(scores.items) - allowed:
        raise DomainError(_l("只能对与您家有关的、已通过表决的项目打分。"))


def _set_response(
    plan: Plan, round_: EvaluationRound, household: Household, scores: Scores, channel: str, user
) -> EvaluationResponse:
    """Make `scores` the household's one effective response in the round (the latest counts)."""
    response = response_of(round_, household.id)
    before = None
    if response is None:
        response = EvaluationResponse(
            community_id=plan.community_id, round_id=round_.id, household_id=household.id
        )
        db.session.add(response)
    else:
        before = {"channel": response.channel, **json.loads(response.scores)}
    response.channel = channel
    response.scores = encode_scores(scores)
    response.recorded_by_id = _user_id(user)
    response.recorded_at = utcnow()
    db.session.flush()
    log_event(
        "evaluation.respond",
        "evaluation_response",
        response.id,
        community_id=plan.community_id,
        before=before,
        after={"round": round_.number, "household": household.id, "channel": channel,
               **json.loads(response.scores)},
    )  # fmt: skip
    return response


def submit_phone_response(
    plan: Plan, round_: EvaluationRound, household: Household, scores: Scores
) -> EvaluationResponse:
    """A household's own response on its phone; it may change it until the round closes."""
    _accepting(plan, round_)
    _check_scores(plan, household, scores)
    return _set_response(plan, round_, household, scores, "phone", None)


def record_door_response(
    plan: Plan, round_: EvaluationRound, household: Household, scores: Scores, user
) -> EvaluationResponse:
    """A worker records a household's answers at the door (上门)."""
    _accepting(plan, round_)
    _check_scores(plan, household, scores)
    return _set_response(plan, round_, household, scores, "door", user)


def enter_form(
    plan: Plan, round_: EvaluationRound, household: Household, scores: Scores, user
) -> EvaluationKeying:
    """One worker's keying of a printed form; the second agreeing keying makes the response."""
    _accepting(plan, round_)
    _check_scores(plan, household, scores)
    existing = keyings(round_, household.id)
    outcome = keying_outcome(
        [KeyingRef(k.id, k.entered_by_id, k.status, decode_scores(k.scores)) for k in existing],
        _user_id(user),
        scores,
    )
    if outcome.refusal:
        raise DomainError(KEYING_REFUSALS[outcome.refusal])
    keying = EvaluationKeying(
        community_id=plan.community_id,
        round_id=round_.id,
        household_id=household.id,
        entered_by_id=_user_id(user),
        scores=encode_scores(scores),
        status=outcome.status,
    )
    db.session.add(keying)
    if outcome.partner is not None:
        partner = next(k for k in existing if k.id == outcome.partner)
        partner.status = outcome.status
    db.session.flush()
    log_event(
        "evaluation.key",
        "evaluation_keying",
        keying.id,
        community_id=plan.community_id,
        after={"round": round_.number, "household": household.id, "status": outcome.status},
    )
    if outcome.status == "confirmed":
        _set_response(plan, round_, household, scores, "paper", user)
    return keying


def resolve_form(
    plan: Plan, round_: EvaluationRound, household: Household, scores: Scores, user
) -> EvaluationKeying:
    """The committee reads the form itself and records what it says (two keyings disagreed)."""
    _accepting(plan, round_)
    _check_scores(plan, household, scores)
    disputed = [k for k in keyings(round_, household.id) if k.status == "mismatch"]
    if not disputed:
        raise DomainError(_l("这份评价表没有待核对的录入。"))
    for k in disputed:
        k.status = "superseded"
    keying = EvaluationKeying(
        community_id=plan.community_id,
        round_id=round_.id,
        household_id=household.id,
        entered_by_id=_user_id(user),
        scores=encode_scores(scores),
        status="resolution",
    )
    db.session.add(keying)
    db.session.flush()
    log_event(
        "evaluation.resolve",
        "evaluation_keying",
        keying.id,
        community_id=plan.community_id,
        after={
            "round": round_.number,
            "household": household.id,
            "superseded": [k.id for k in disputed],
        },
    )
    _set_response(plan, round_, household, scores, "paper", user)
    return keying
