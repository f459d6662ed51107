"""Writes on proposals (一上): propose, support, merge, accept into the draft, decline.

Each operation checks the plan's phase (app/plans/phases.py), flushes, appends an audit event
and never commits; a refusal raises DomainError with reasons and changes nothing.
"""

import unicodedata
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.vocabulary import PROPOSAL_STATUS_LABELS
from app.extensions import db
from app.plans.items import delete_item, ensure_editable, save_item
from app.plans.models import CATEGORIES, Item, ItemProposal, Plan
from app.plans.phases import phase_allows
from app.proposals.forms import BODY_MAX, TITLE_MAX
from app.proposals.models import PROPOSAL_SOURCES, Proposal, ProposalPhoto, ProposalSupport
from app.proposals.uploads import prepare_photos

# A household may have this many proposals waiting at once: enough for anyone, not for spam.
MAX_OPEN_PER_HOUSEHOLD = 10
REASON_MAX = 1000
# The same proposal sent again within this time is the first one (double tap, flaky network).
RESUBMIT_WINDOW = timedelta(minutes=10)

# Why an action is refused in the plan's current phase, in words for the person refused.
PHASE_REFUSALS = {
    "propose": _l("现在不是征集提议的时间，不能提交新的提议。"),
    "support": _l("现在不是征集提议的时间，不能再支持或取消支持。"),
    "add_proposal": _l("方案已进入表决或公布阶段，不能再添加提议。"),
    "decide_proposal": _l("方案已进入表决或公布阶段，不能再处理提议。"),
}


def require_phase(plan: Plan, role: str, action: str) -> None:
    """Refuse `action` for `role` unless the plan's phase allows it."""
    if not phase_allows(role, action, plan.phase):
        raise DomainError(PHASE_REFUSALS[action])


def _clean(text: str | None) -> str:
    """Trimmed, NFC-normalised text."""
    return unicodedata.normalize("NFC", text or "").strip()


def _check_text(title: str, body: str, category: str) -> list:
    """Problems with a proposal's words."""
    problems = []
    if not title:
        problems.append(_l("请用一句话写下您想改什么。"))
    elif len(title) > TITLE_MAX:
        problems.append(_l("标题最多 %(n)d 个字。", n=TITLE_MAX))
    if len(body) > BODY_MAX:
        problems.append(_l("详细说明最多 %(n)d 个字。", n=BODY_MAX))
    if category not in CATEGORIES:
        problems.append(_l("请选择类别。"))
    return problems


def _recent_twin(plan: Plan, household: Household, title: str, body: str) -> Proposal | None:
    """The same words from the same household a moment ago: a double tap or a resent form."""
    return db.session.scalar(
        select(Proposal)
        .where(
            Proposal.plan_id == plan.id,
            Proposal.household_id == household.id,
            Proposal.title == title,
            Proposal.body == body,
            Proposal.created_at >= utcnow() - RESUBMIT_WINDOW,
        )
        .limit(1)
    )


def create_proposal(
    plan: Plan,
    *,
    title: str,
    body: str = "",
    category: str,
    photos: list[tuple[str, bytes]] = (),
    household: Household | None = None,
    source: str = "resident",
    entered_by=None,
) -> Proposal:
    """A household's proposal (source resident), or one a worker gathered door to door or by
    survey (household optional); the proposing household counts as its first supporter.
    A household sending the same words again within minutes gets its first proposal back."""
    if source not in PROPOSAL_SOURCES:
        raise DomainError(_l("提议来源无效。"))
    if source == "resident":
        require_phase(plan, "household", "propose")
        if household is None:
            raise DomainError(_l("请先登录。"))
    else:
        require_phase(plan, "worker", "add_proposal")
    if household is not None and household.community_id != plan.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    title, body = _clean(title), _clean(body)
    problems = _check_text(title, body, category)
    prepared = prepare_photos(list(photos), problems)
    if source == "resident" and not problems:
        waiting = db.session.scalar(
            select(func.count(Proposal.id)).where(
                Proposal.plan_id == plan.id,
                Proposal.household_id == household.id,
                Proposal.status == "open",
            )
        )
        if waiting >= MAX_OPEN_PER_HOUSEHOLD:
            problems.append(
                _l(
                    "您家已有 %(n)d 条提议在征集中，请等工作人员处理后再提。",
                    n=MAX_OPEN_PER_HOUSEHOLD,
                )
            )
    if problems:
        raise DomainError(*problems)
    if source == "resident":
        again = _recent_twin(plan, household, title, body)
        if again is not None:
            return again
    proposal = Proposal(
        community_id=plan.community_id,
        plan_id=plan.id,
        household_id=household.id if household else None,
        entered_by_id=entered_by.id if entered_by is not None else None,
        source=source,
        title=title,
        body=body,
        category=category,
        status="open",
    )
    db.session.add(proposal)
    db.session.flush()
    for content_type, data in prepared:
        db.session.add(
            ProposalPhoto(
                community_id=plan.community_id,
                proposal_id=proposal.id,
                content_type=content_type,
                size=len(data),
                data=data,
            )
        )
    if household is not None:
        db.session.add(
            ProposalSupport(
                community_id=plan.community_id, proposal_id=proposal.id, household_id=household.id
            )
        )
    db.session.flush()
    log_event(
        "proposal.create",
        "proposal",
        proposal.id,
        community_id=plan.community_id,
        after={
            "plan_id": plan.id,
            "title": title,
            "body": body,
            "category": category,
            "source": source,
            "household_id": proposal.household_id,
            "photos": [{"type": t, "size": len(d)} for t, d in prepared],
        },
    )
    return proposal


def _check_supportable(proposal: Proposal, household: Household, plan: Plan) -> None:
    """The household may support (or stop supporting) this proposal now."""
    require_phase(plan, "household", "support")
    if proposal.community_id != household.community_id:
        raise DomainError(_l("找不到这条提议。"))
    if proposal.status not in ("open", "accepted"):
        raise DomainError(_l("这条提议已合并或未被采纳，不能再支持。"))


def _insert_support_once(proposal: Proposal, household: Household) -> bool:
    """Insert the support row unless it exists; True when inserted. Race-safe: a double tap
    from two requests at once meets the unique constraint and inserts nothing."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(ProposalSupport)
        .values(
            community_id=proposal.community_id,
            proposal_id=proposal.id,
            household_id=household.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["proposal_id", "household_id"])
        .returning(ProposalSupport.id)
    )
    return db.session.execute(statement).scalar() is not None


def support_proposal(proposal: Proposal, household: Household) -> bool:
    """Add the household's support (one each); supporting again changes nothing. True if added."""
    plan = db.session.get(Plan, proposal.plan_id)
    _check_supportable(proposal, household, plan)
    if not _insert_support_once(proposal, household):
        return False
    log_event(
        "proposal.support",
        "proposal",
        proposal.id,
        community_id=proposal.community_id,
        after={"household_id": household.id},
    )
    return True


def withdraw_support(proposal: Proposal, household: Household) -> bool:
    """Withdraw the household's support while proposals are open. True if there was one."""
    plan = db.session.get(Plan, proposal.plan_id)
    _check_supportable(proposal, household, plan)
    if proposal.household_id == household.id:
        raise DomainError(_l("这是您家提出的提议，提议人的支持不能取消。"))
    removed = db.session.execute(
        delete(ProposalSupport).where(
            ProposalSupport.proposal_id == proposal.id,
            ProposalSupport.household_id == household.id,
        )
    ).rowcount
    if not removed:
        return False
    log_event(
        "proposal.withdraw_support",
        "proposal",
        proposal.id,
        community_id=proposal.community_id,
        before={"household_id": household.id},
    )
    return True


def _decidable(proposal: Proposal, *, statuses=("open",)) -> Plan:
    """The proposal's plan, once the phase and the proposal's status allow a decision."""
    plan = db.session.get(Plan, proposal.plan_id)
    require_phase(plan, "worker", "decide_proposal")
    if proposal.status not in statuses:
        raise DomainError(
            _l(
                "这条提议已经处理过了（%(status)s）。",
                status=PROPOSAL_STATUS_LABELS[proposal.status],
            )
        )
    return plan


def merge_proposals(duplicate: Proposal, keep: Proposal) -> int:
    """Merge a duplicate into the proposal kept: its supports move over (a household that
    supports both counts once) and it points to the kept one. Returns the supports moved."""
    _decidable(duplicate)
    if keep.id == duplicate.id:
        raise DomainError(_l("不能把提议合并到它自己。"))
    if keep.plan_id != duplicate.plan_id:
        raise DomainError(_l("只能合并同一个方案中的提议。"))
    if keep.status not in ("open", "accepted"):
        raise DomainError(_l("只能并入征集中或已采纳的提议。"))
    already = select(ProposalSupport.household_id).where(ProposalSupport.proposal_id == keep.id)
    before = {
        "supports": db.session.scalar(
            select(func.count()).where(ProposalSupport.proposal_id == duplicate.id)
        )
    }
    # A household supporting both keeps its support of the duplicate where it is (the kept
    # proposal counts it once already); the others move over, marked with where they came from
    # (the first merge they took part in), so undoing the merge can move them back.
    moved = db.session.execute(
        update(ProposalSupport)
        .where(
            ProposalSupport.proposal_id == duplicate.id,
            ProposalSupport.household_id.not_in(already),
        )
        .values(
            proposal_id=keep.id,
            merged_from_id=func.coalesce(ProposalSupport.merged_from_id, duplicate.id),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    # Proposals merged earlier into the duplicate now point straight at the kept one.
    db.session.execute(
        update(Proposal)
        .where(Proposal.merged_into_id == duplicate.id)
        .values(merged_into_id=keep.id)
    )
    duplicate.status = "merged"
    duplicate.merged_into_id = keep.id
    duplicate.decided_at = utcnow()
    db.session.flush()
    log_event(
        "proposal.merge",
        "proposal",
        duplicate.id,
        community_id=duplicate.community_id,
        before={"status": "open", **before},
        after={"status": "merged", "merged_into_id": keep.id, "supports_moved": moved},
    )
    return moved


def undo_merge(duplicate: Proposal) -> int:
    """Undo a merge while the draft is still open (proposals and drafting): the duplicate is
    open again and the supports that moved from it go back. Proposals merged into it earlier
    stay with the proposal they now point to. Returns the supports moved back."""
    _decidable(duplicate, statuses=("merged",))
    keep_id = duplicate.merged_into_id
    back = db.session.execute(
        update(ProposalSupport)
        .where(
            ProposalSupport.proposal_id == keep_id,
            ProposalSupport.merged_from_id == duplicate.id,
        )
        .values(proposal_id=duplicate.id, merged_from_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    duplicate.status = "open"
    duplicate.merged_into_id = None
    duplicate.decided_at = None
    db.session.flush()
    log_event(
        "proposal.unmerge",
        "proposal",
        duplicate.id,
        community_id=duplicate.community_id,
        before={"status": "merged", "merged_into_id": keep_id},
        after={"status": "open", "supports_moved_back": back},
    )
    return back


def undo_decline(proposal: Proposal) -> None:
    """Take back a decline while the draft is still open: the proposal is open again."""
    _decidable(proposal, statuses=("declined",))
    reason = proposal.decline_reason
    proposal.status = "open"
    proposal.decline_reason = None
    proposal.decided_at = None
    db.session.flush()
    log_event(
        "proposal.undecline",
        "proposal",
        proposal.id,
        community_id=proposal.community_id,
        before={"status": "declined", "reason": reason},
        after={"status": "open"},
    )


def merge_preview(duplicate: Proposal, keep: Proposal) -> tuple[int, int]:
    """(supports that would move to the kept proposal, supporters of both counted once)."""
    already = select(ProposalSupport.household_id).where(ProposalSupport.proposal_id == keep.id)
    total = db.session.scalar(
        select(func.count()).where(ProposalSupport.proposal_id == duplicate.id)
    )
    both = db.session.scalar(
        select(func.count()).where(
            ProposalSupport.proposal_id == duplicate.id, ProposalSupport.household_id.in_(already)
        )
    )
    return total - both, both


def _link(proposal: Proposal, item: Item) -> None:
    """Record that the item answers the proposal, and mark the proposal accepted."""
    db.session.add(
        ItemProposal(community_id=proposal.community_id, item_id=item.id, proposal_id=proposal.id)
    )
    before = proposal.status
    proposal.status = "accepted"
    proposal.decline_reason = None
    proposal.decided_at = utcnow()
    db.session.flush()
    log_event(
        "proposal.accept",
        "proposal",
        proposal.id,
        community_id=proposal.community_id,
        before={"status": before},
        after={"status": "accepted", "item_id": item.id, "item_key": item.key},
    )


def accept_into_new_item(proposal: Proposal, *, key: str, title: str, category: str) -> Item:
    """Accept a proposal as a new item of the draft plan (rule, scope and funding come later,
    on the item's page)."""
    plan = _decidable(proposal, statuses=("open", "accepted"))
    ensure_editable(plan)
    key, title = _clean(unicodedata.normalize("NFKC", key or "")), _clean(title)
    problems = []
    if not key or len(key) > 12 or any(ch.isspace() for ch in key):
        problems.append(_l("项目编号要短，不含空格，最多 12 个字符，如 A3。"))
    elif db.session.scalar(select(Item.id).where(Item.plan_id == plan.id, Item.key == key)):
        problems.append(_l("项目编号 %(key)s 在本方案中已经用过了。", key=key))
    if not title or len(title) > 200:
        problems.append(_l("请填写项目名称（最多 200 个字）。"))
    if category not in CATEGORIES:
        problems.append(_l("请选择类别。"))
    if problems:
        raise DomainError(*problems)
    item = save_item(
        plan, None, scope=[], key=key, title=title, category=category, description=proposal.body
    )
    _link(proposal, item)
    return item


def link_to_item(proposal: Proposal, item: Item) -> None:
    """Accept a proposal as answered by an item already in the draft plan."""
    plan = _decidable(proposal, statuses=("open", "accepted"))
    ensure_editable(plan)
    if item.plan_id != plan.id:
        raise DomainError(_l("只能关联本方案中的项目。"))
    exists = db.session.scalar(
        select(ItemProposal.id).where(
            ItemProposal.item_id == item.id, ItemProposal.proposal_id == proposal.id
        )
    )
    if exists:
        raise DomainError(_l("这条提议已经关联到项目 %(key)s。", key=item.key))
    _link(proposal, item)


def decline_proposal(proposal: Proposal, reason: str) -> None:
    """Decline a proposal with a reason the proposer (and everyone) reads."""
    _decidable(proposal)
    reason = _clean(reason)
    if not reason:
        raise DomainError(_l("请写明不采纳的原因，提议人会看到。"))
    if len(reason) > REASON_MAX:
        raise DomainError(_l("原因最多 %(n)d 个字。", n=REASON_MAX))
    proposal.status = "declined"
    proposal.decline_reason = reason
    proposal.decided_at = utcnow()
    db.session.flush()
    log_event(
        "proposal.decline",
        "proposal",
        proposal.id,
        community_id=proposal.community_id,
        before={"status": "open"},
        after={"status": "declined", "reason": reason},
    )


def reopen_unanswered(proposal_ids: list[int]) -> list[int]:
    """Accepted proposals no item answers any more (their item was deleted) go back to open."""
    if not proposal_ids:
        return []
    still_answered = select(ItemProposal.proposal_id).where(
        ItemProposal.proposal_id.in_(proposal_ids)
    )
    orphans = db.session.scalars(
        select(Proposal).where(
            Proposal.id.in_(proposal_ids),
            Proposal.status == "accepted",
            Proposal.id.not_in(still_answered),
        )
    ).all()
    for proposal in orphans:
        proposal.status = "open"
        proposal.decided_at = None
        log_event(
            "proposal.reopen",
            "proposal",
            proposal.id,
            community_id=proposal.community_id,
            before={"status": "accepted"},
            after={"status": "open"},
        )
    db.session.flush()
    return [p.id for p in orphans]


def remove_draft_item(item: Item) -> list[int]:
    """Delete an item of a draft plan; the accepted proposals no other item answers reopen."""
    return reopen_unanswered(delete_item(item))
