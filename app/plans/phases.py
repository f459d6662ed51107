"""Phases of 两上两下 and what each role may do in each: one table, tested as a matrix.

Pure: takes plain values (phase, dates, today), imports neither Flask nor the database.
"""

from dataclasses import dataclass
from datetime import date

PROPOSALS, DRAFTING, VOTING, PUBLISHED, WORKS, ACCEPTANCE, EVALUATION, CLOSED = PHASES = (
    "proposals",
    "drafting",
    "voting",
    "published",
    # After the vote (共建共管共评, docs/process.md): the works, their acceptance, the residents'
    # evaluation; then the plan is closed and archived.
    "works",
    "acceptance",
    "evaluation",
    "closed",
)
# The phases in which the result has been published (preliminary or final).
AFTER_RESULT = (PUBLISHED, WORKS, ACCEPTANCE, EVALUATION, CLOSED)
# The phases after the final result: the works are followed, accepted and evaluated.
AFTER_VOTE = (WORKS, ACCEPTANCE, EVALUATION, CLOSED)

RESIDENT, WORKER, COMMITTEE = "resident", "worker", "committee"

# After the final result everyone keeps reading what came before and follows the works.
_RESIDENT_AFTER = frozenset(
    {"view_proposals", "view_draft", "view_result", "check_receipt", "view_works"}
)
_STAFF_AFTER = frozenset({"view_proposals", "view_draft", "view_tally", "print", "view_works"})

# What each role may do in each phase. Admins act as workers; district staff only read.
# "vote" also needs voting to be open (voting_open()); "enter_paper" and "review_paper"
# continue after the close until the result is published (paper_entry_open()).
PHASE_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    PROPOSALS: {
        RESIDENT: frozenset({"view_proposals", "propose", "support"}),
        WORKER: frozenset(
            {
                "view_proposals",
                "add_proposal",
                "decide_proposal",
                "edit_items",
                "edit_plan",
                "advance",
            }
        ),
        COMMITTEE: frozenset({"view_proposals", "view_draft"}),
    },
    DRAFTING: {
        RESIDENT: frozenset({"view_proposals", "view_draft"}),
        WORKER: frozenset(
            {
                "view_proposals",
                "add_proposal",
                "decide_proposal",
                "edit_items",
                "edit_plan",
                "advance",
                "print",
            }
        ),
        COMMITTEE: frozenset({"view_proposals", "view_draft", "print"}),
    },
    VOTING: {
        RESIDENT: frozenset({"view_proposals", "view_draft", "vote", "check_receipt"}),
        WORKER: frozenset(
            {
                "view_proposals",
                "view_draft",
                "enter_paper",
                "record_delivery",
                "close_voting",
                "revise_item",
                "print",
                "view_tally",
                "publish",
            }
        ),
        COMMITTEE: frozenset(
            {"view_proposals", "view_draft", "review_paper", "print", "view_tally", "publish"}
        ),
    },
    PUBLISHED: {
        RESIDENT: frozenset({"view_proposals", "view_draft", "view_result", "check_receipt"}),
        WORKER: frozenset(
            {
                "view_proposals",
                "view_draft",
                "view_tally",
                "record_objection",
                "publish",
                "print",
                "advance",
            }
        ),
        COMMITTEE: frozenset(
            {"view_proposals", "view_draft", "view_tally", "record_objection", "publish", "print"}
        ),
    },
    # After the final result: residents follow the works (view_works), report problems
    # (report_issue), volunteer as supervisors; workers run the works, answer issue reports,
    # draft change orders and the final accounts; the committee appoints supervisors, approves
    # change orders and leads the acceptance; every household evaluates in `evaluation`.
    WORKS: {
        RESIDENT: _RESIDENT_AFTER | {"report_issue", "volunteer"},
        WORKER: _STAFF_AFTER | {"advance", "manage_works", "handle_issues", "change_order"},
        COMMITTEE: _STAFF_AFTER | {"handle_issues", "appoint_supervisor", "approve_change"},
    },
    ACCEPTANCE: {
        RESIDENT: _RESIDENT_AFTER | {"report_issue"},
        WORKER: _STAFF_AFTER
        | {"advance", "manage_works", "handle_issues", "run_acceptance", "final_accounts"},
        COMMITTEE: _STAFF_AFTER
        | {"handle_issues", "appoint_supervisor", "run_acceptance", "confirm_accounts"},
    },
    EVALUATION: {
        RESIDENT: _RESIDENT_AFTER | {"report_issue", "evaluate"},
        WORKER: _STAFF_AFTER | {"advance", "handle_issues", "run_evaluation", "final_accounts"},
        COMMITTEE: _STAFF_AFTER | {"handle_issues", "run_evaluation", "confirm_accounts"},
    },
    CLOSED: {RESIDENT: _RESIDENT_AFTER, WORKER: _STAFF_AFTER, COMMITTEE: _STAFF_AFTER},
}

ACTIONS = frozenset(a for roles in PHASE_ACTIONS.values() for acts in roles.values() for a in acts)


def phase_role(role: str) -> str:
    """Map an account role onto the phase table (admin acts as worker; district reads)."""
    return {"admin": WORKER, "worker": WORKER, "committee": COMMITTEE, "household": RESIDENT}.get(
        role, ""
    )


def phase_allows(role: str, action: str, phase: str) -> bool:
    """True when `role` may take `action` while the plan is in `phase`."""
    if action not in ACTIONS:
        raise KeyError(f"unknown phase action {action!r}")
    return action in PHASE_ACTIONS.get(phase, {}).get(phase_role(role), frozenset())


@dataclass(frozen=True)
class Schedule:
    """A plan's phase, dates and manual closure, as plain values."""

    phase: str
    drafting_opens: date | None
    voting_opens: date | None
    voting_closes: date | None
    voting_closed_early: bool
    has_items: bool
    # Ended for good (结束表决): no more ballots; collected paper ballots may still be keyed.
    voting_ended: bool = False


def scheduled_phase(s: Schedule, today: date) -> str:
    """The phase the dates call for; phases only move forward, and never into voting without
    items. Publication is a person's act, so the schedule never moves past voting."""
    order = PHASES.index(s.phase)
    target = s.phase
    if order < PHASES.index(DRAFTING) and s.drafting_opens and today >= s.drafting_opens:
        target = DRAFTING
    if (
        PHASES.index(target) < PHASES.index(VOTING)
        and s.voting_opens
        and today >= s.voting_opens
        and s.has_items
    ):
        target = VOTING
    return target


def voting_open(s: Schedule, today: date) -> bool:
    """Ballots may be cast: the plan is voting, the dates include today, not closed early."""
    if s.phase != VOTING or s.voting_closed_early or s.voting_ended:
        return False
    if s.voting_opens and today < s.voting_opens:
        return False
    return not (s.voting_closes and today > s.voting_closes)


def paper_entry_open(s: Schedule, today: date) -> bool:
    """Paper ballots may be keyed: from the day voting opens until the result is published.

    Ballots are filled in and collected while voting is open; keying them is clerical work
    that often runs a day or two past the close. Publishing the preliminary result (which
    refuses while paper ballots await entry) ends it. While voting is paused (closed early,
    e.g. to revise an item) keying waits too: a revised item must not take marks made on
    its earlier wording.
    """
    if s.phase != VOTING or s.voting_closed_early:
        return False
    return not (s.voting_opens and today < s.voting_opens)


def signups_open(s: Schedule, signup_closes: date | None, today: date) -> bool:
    """Opt-in sign-ups (户内自选) are taken from the day voting opens until the deadline.

    Without a deadline of its own an opt-in item closes with the vote (voting_open). With one
    (inclusive), sign-ups may run past the vote's close, but never before voting opened, while
    voting is paused for a revision, or once the plan is closed.
    """
    if signup_closes is None:
        return voting_open(s, today)
    if PHASES.index(s.phase) < PHASES.index(VOTING) or s.phase == CLOSED:
        return False
    if s.phase == VOTING and s.voting_closed_early and not s.voting_ended:
        return False
    if s.voting_opens and today < s.voting_opens:
        return False
    return today <= signup_closes
