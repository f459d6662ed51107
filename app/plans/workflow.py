"""The phase workflow of 两上两下: move a plan forward (by hand or by date), pause, reopen voting.

Opening voting freezes the electorate (communities.electorate.take_snapshot: households, areas,
owner groups) and fixes every household's share over it (plans.shares.fix_shares), so what a
household saw before voting is what it votes and pledges on. See docs/process.md.
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from app.communities.electorate import take_snapshot
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import PHASES, Plan
from app.plans.phases import VOTING, scheduled_phase
from app.plans.queries import local_today, schedule_of
from app.plans.shares import fix_shares


def set_phase(plan: Plan, phase: str, *, reason: str = "", actor: str | None = None) -> None:
    """Move a plan to a later phase, with the guards of each transition."""
    if phase not in PHASES or PHASES.index(phase) <= PHASES.index(plan.phase):
        raise DomainError(_l("方案不能从“%(a)s”回到或停留在“%(b)s”。", a=plan.phase, b=phase))
    if phase == VOTING and not plan.items:
        raise DomainError(_l("方案还没有项目，不能开始表决。"))
    before = {"phase": plan.phase}
    plan.phase = phase
    plan.phase_changed_at = utcnow()
    if phase == VOTING and (plan.voting_opens is None or plan.voting_opens > local_today()):
        plan.voting_opens = local_today()
    db.session.flush()
    if phase == VOTING:
        # The electorate is fixed first (design §3c): shares are split over the frozen one.
        take_snapshot(plan.community_id, plan.id, plan.title)
        fix_shares(plan)  # what a household saw before voting is what it votes and pledges on
    log_event(
        "plan.phase",
        "plan",
        plan.id,
        community_id=plan.community_id,
        before=before,
        after={"phase": phase, "reason": reason},
        actor=actor,
    )


def sync_phase(plan: Plan, today: date | None = None) -> bool:
    """Apply the phase the dates call for (no cron: checked when pages load); True if moved."""
    today = today or local_today()
    if scheduled_phase(schedule_of(plan), today) == plan.phase:
        return False
    # Many page loads may notice the date at once: lock the plan row and look again, so the
    # move (its audit event, fixing shares) happens once. SQLite already holds the write lock.
    if db.engine.dialect.name != "sqlite":
        db.session.refresh(plan, with_for_update=True)
    target = scheduled_phase(schedule_of(plan), today)
    if target == plan.phase:
        return False
    set_phase(plan, target, reason="schedule", actor="system:schedule")
    return True


def close_voting(plan: Plan, reason: str) -> None:
    """Close voting ahead of its date (e.g. to revise an item); ballots stop being accepted."""
    if plan.phase != VOTING or plan.voting_closed_at is not None:
        raise DomainError(_l("表决没有在进行，无需暂停。"))
    if not reason.strip():
        raise DomainError(_l("请说明暂停表决的原因。"))
    plan.voting_closed_at = utcnow()
    plan.voting_closed_reason = reason.strip()
    db.session.flush()
    log_event(
        "plan.close_voting",
        "plan",
        plan.id,
        community_id=plan.community_id,
        after={"reason": reason},
    )


def reopen_voting(plan: Plan) -> None:
    """Reopen voting closed early, if its dates still allow."""
    if plan.phase != VOTING or plan.voting_closed_at is None:
        raise DomainError(_l("表决没有被暂停。"))
    if plan.voting_closes and plan.voting_closes < local_today():
        raise DomainError(_l("表决截止日期已过，请先修改截止日期。"))
    plan.voting_closed_at = None
    db.session.flush()
    log_event("plan.reopen_voting", "plan", plan.id, community_id=plan.community_id)
