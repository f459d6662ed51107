"""The phase workflow of 两上两下: move a plan forward (by hand or by date), pause, reopen voting.

Opening voting freezes the electorate (communities.electorate.take_snapshot: households, areas,
owner groups) and fixes every household's share over it (plans.shares.fix_shares), so what a
household saw before voting is what it votes and pledges on. See docs/process.md.
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from app.communities.electorate import take_snapshot
from app.core.audit import log_event
from app.core.db import begin_writing, db_now, utcnow
from app.core.errors import DomainError
from app.core.vocabulary import phase_label
from app.extensions import db
from app.plans.models import Plan
from app.plans.options import options_problems
from app.plans.phases import AFTER_VOTE, CLOSED, PHASES, VOTING, scheduled_phase
from app.plans.queries import busy_plan, local_today, schedule_of
from app.plans.shares import fix_shares

# The phases that have dates, with their first and last day's fields.
DATED_PHASES = (
    ("proposals", "proposals_opens", "proposals_closes"),
    ("drafting", "drafting_opens", "drafting_closes"),
    ("voting", "voting_opens", "voting_closes"),
)

# Called as fn(plan, phase) after a plan moves into a phase, in the same transaction: packages
# above plans act on the move without plans importing them (app.works creates the works of the
# passed items when the plan enters `works`).
_phase_entered_hooks: list = []


def on_phase_entered(fn) -> None:
    """Register fn(plan, phase), run after every phase move (once per function)."""
    if fn not in _phase_entered_hooks:
        _phase_entered_hooks.append(fn)


def date_cuts(plan: Plan, phase: str, today: date) -> dict[str, tuple]:
    """The dates a move to `phase` today cuts short, as {field: (old, new)}.

    A phase left behind ended today at the latest (its last day, and its first day if it never
    came, are cut back to today); the phase entered began today at the latest (and today, if
    it had no first day).
    """
    cuts = {}
    target = PHASES.index(phase)
    for name, opens, closes in DATED_PHASES:
        fields = (opens, closes) if PHASES.index(name) < target else ()
        if name == phase:
            fields = (opens,)
        for field in fields:
            value = getattr(plan, field)
            if (value is None and field == opens and name == phase) or (
                value is not None and value > today
            ):
                cuts[field] = (value, today)
    return cuts


def cut_short_dates(plan: Plan, phase: str, today: date) -> dict:
    """Apply date_cuts; returns the changed fields with their old values (for the audit)."""
    cuts = date_cuts(plan, phase, today)
    for field, (_old, new) in cuts.items():
        setattr(plan, field, new)
    return {field: old for field, (old, _new) in cuts.items()}


def set_phase(plan: Plan, phase: str, *, reason: str = "", actor: str | None = None) -> None:
    """Move a plan to a later phase, with the guards of each transition."""
    if phase not in PHASES or PHASES.index(phase) <= PHASES.index(plan.phase):
        raise DomainError(_l("方案不能从“%(a)s”回到或停留在“%(b)s”。", a=plan.phase, b=phase))
    if phase in AFTER_VOTE and phase != CLOSED and plan.result_stage != "final":
        raise DomainError(_l("最终结果公布后，才能进入“%(p)s”阶段。", p=phase_label(phase)))
    if phase == VOTING and not plan.items:
        raise DomainError(_l("方案还没有项目，不能开始表决。"))
    if phase == VOTING and options_problems(plan):
        raise DomainError(*options_problems(plan))
    if phase == VOTING:
        other = busy_plan(plan.community_id, exclude=plan.id)
        if other is not None:
            raise DomainError(
                _l(
                    "本小区的方案“%(t)s”正在表决或公示，同一时间只能有一个方案表决。"
                    "请等它公布最终结果后再开始表决。",
                    t=other.title,
                )
            )
    before = {"phase": plan.phase}
    today = local_today()
    dates = cut_short_dates(plan, phase, today)
    plan.phase = phase
    plan.phase_changed_at = utcnow()
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
        before=before | dates,
        after={"phase": phase, "reason": reason} | {k: getattr(plan, k) for k in dates},
        actor=actor,
    )
    for hook in _phase_entered_hooks:
        hook(plan, phase)


def sync_phase(plan: Plan, today: date | None = None) -> bool:
    """Apply the phase the dates call for (no cron: checked when pages load); True if moved."""
    today = today or local_today()
    if scheduled_phase(schedule_of(plan), today) == plan.phase:
        return False
    # Many page loads may notice the date at once: lock the plan row and look again, so the
    # move (its audit event, fixing shares) happens once. SQLite: become the writer (a
    # reads_first request is not yet) and look again.
    begin_writing()
    db.session.refresh(plan, with_for_update=db.engine.dialect.name != "sqlite")
    target = scheduled_phase(schedule_of(plan), today)
    if target == plan.phase:
        return False
    if target == VOTING and busy_plan(plan.community_id, exclude=plan.id) is not None:
        # One plan votes at a time: this one waits (in drafting) until the other is final.
        if plan.phase == "drafting":
            return False
        target = "drafting"
    if target == VOTING and options_problems(plan):
        # An item with a single option cannot be put to the vote: the plan waits in drafting
        # (the plan page names the item) until a worker adds or removes the option.
        if plan.phase == "drafting":
            return False
        target = "drafting"
    set_phase(plan, target, reason="schedule", actor="system:schedule")
    return True


def close_voting(plan: Plan, reason: str) -> None:
    """Close voting ahead of its date (e.g. to revise an item); ballots stop being accepted."""
    if plan.phase != VOTING or plan.voting_closed_at is not None or plan.voting_ended_at:
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
    if plan.voting_ended_at is not None:
        raise DomainError(_l("表决已经结束，不能恢复。"))
    if plan.voting_closes and plan.voting_closes < local_today():
        raise DomainError(_l("表决截止日期已过，请先修改截止日期。"))
    plan.voting_closed_at = None
    db.session.flush()
    log_event("plan.reopen_voting", "plan", plan.id, community_id=plan.community_id)


def end_voting(plan: Plan, reason: str) -> None:
    """End voting now, for good (结束表决), with a reason; never into the past.

    The close is recorded at the database's time and the last voting day becomes today, so
    notices print the period voting really ran; online and assisted ballots after that moment
    are refused (voting.operations). Collected paper ballots may still be keyed until the
    preliminary result is published.
    """
    today = local_today()
    if plan.phase != VOTING or plan.voting_ended_at is not None:
        raise DomainError(_l("表决没有在进行，无法结束。"))
    if plan.voting_opens and plan.voting_opens > today:
        raise DomainError(_l("表决还没有开始，不能结束。"))
    if plan.voting_closes and plan.voting_closes < today:
        raise DomainError(_l("表决已于 %(d)s 截止，无需再结束。", d=plan.voting_closes))
    if not reason.strip():
        raise DomainError(_l("请说明提前结束表决的原因。"))
    before = {
        "voting_closes": plan.voting_closes,
        "voting_closed_at": plan.voting_closed_at,
    }
    plan.voting_ended_at = db_now()
    plan.voting_end_reason = reason.strip()
    plan.voting_closes = today
    plan.voting_closed_at = None  # a pause ends with the vote
    db.session.flush()
    log_event(
        "plan.end_voting",
        "plan",
        plan.id,
        community_id=plan.community_id,
        before=before,
        after={
            "voting_ended_at": plan.voting_ended_at,
            "voting_closes": plan.voting_closes,
            "reason": plan.voting_end_reason,
        },
    )
