"""Who may do what: the role × permission table (checked by communities.tenancy.staff_required)."""

ADMIN, DISTRICT, WORKER, COMMITTEE = "admin", "district", "worker", "committee"
# Roles from the least privileged up, the order a new-account form offers them (its default is
# the first): a committee member reads, reviews and signs off; a worker also runs the process and
# handles the roster and codes; district staff create communities and accounts; admins do all.
ROLES_BY_PRIVILEGE = (COMMITTEE, WORKER, DISTRICT, ADMIN)

# District staff read progress across their district; they do not handle residents' records.
PERMISSIONS: dict[str, frozenset[str]] = {
    "community.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "community.create": frozenset({ADMIN, DISTRICT}),
    "user.manage": frozenset({ADMIN, DISTRICT}),
    "household.view": frozenset({ADMIN, WORKER, COMMITTEE}),
    "roster.import": frozenset({ADMIN, WORKER}),
    "codes.issue": frozenset({ADMIN, WORKER}),
    "audit.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    # Plans (两上两下): the worker runs the process; the committee reviews and signs off.
    "plan.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "plan.manage": frozenset({ADMIN, WORKER}),
    "proposal.manage": frozenset({ADMIN, WORKER}),
    "ballot.view": frozenset({ADMIN, WORKER, COMMITTEE}),
    "ballot.enter": frozenset({ADMIN, WORKER}),
    "ballot.review": frozenset({ADMIN, COMMITTEE}),
    # Correcting a plan's frozen electorate is a committee act with a reason (design §3c).
    "electorate.correct": frozenset({ADMIN, COMMITTEE}),
    "tally.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "result.publish": frozenset({ADMIN, WORKER, COMMITTEE}),
    "objection.manage": frozenset({ADMIN, WORKER, COMMITTEE}),
    "print": frozenset({ADMIN, WORKER, COMMITTEE}),
    "funding.view": frozenset({ADMIN, DISTRICT, WORKER, COMMITTEE}),
    "funding.manage": frozenset({ADMIN, WORKER}),
    "payment.record": frozenset({ADMIN, WORKER}),
    "export": frozenset({ADMIN, WORKER, COMMITTEE}),
    "archive": frozenset({ADMIN, WORKER, COMMITTEE}),
    "district.overview": frozenset({ADMIN, DISTRICT}),
    # After the vote: a worker drafts change orders and enters the final accounts; the
    # committee approves changes and confirms the accounts (设计变更, 决算).
    "change.draft": frozenset({ADMIN, WORKER}),
    # Acceptance (竣工验收) and the evaluation's rounds: workers and the committee together.
    "acceptance.run": frozenset({ADMIN, WORKER, COMMITTEE}),
    "evaluation.run": frozenset({ADMIN, WORKER, COMMITTEE}),
    "change.approve": frozenset({ADMIN, COMMITTEE}),
    "accounts.enter": frozenset({ADMIN, WORKER}),
    "accounts.confirm": frozenset({ADMIN, COMMITTEE}),
    # After the vote (共建共管共评): the worker runs the works; workers and the committee answer
    # issue reports; the committee appoints resident supervisors.
    "works.manage": frozenset({ADMIN, WORKER}),
    "issue.handle": frozenset({ADMIN, WORKER, COMMITTEE}),
    "supervisor.appoint": frozenset({ADMIN, COMMITTEE}),
}


def has_permission(user, permission: str) -> bool:
    """True when the staff user's role grants the permission."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(getattr(user, "is_staff", False)) and user.role in PERMISSIONS[permission]
