"""Writes on ballots: cast online, record paper and assisted ballots, keep the effective ballot.

Every ballot write ends by refreshing the household's effective ballot (docs/counting.md), under a
row lock on the household so concurrent submissions serialise on PostgreSQL.
"""

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.communities.models import Household
from app.core.audit import log_event
from app.core.codes import ALPHABET
from app.core.db import begin_writing, utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Item, Plan
from app.plans.queries import is_paper_entry_open, is_voting_open, items_for_household
from app.rules.precedence import BallotRef, choose_effective_ballot
from app.voting import writes
from app.voting.models import CHOICES, Ballot, EffectiveBallot

RECEIPT_LENGTH = 10


def new_receipt() -> str:
    """A random receipt code (47 bits), unambiguous like sign-in codes."""
    return "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))


def lock_household(household_id: int) -> None:
    """Serialise ballot writes per household: what a ballot write checks (the close, the
    household's other ballots) holds until its commit. PostgreSQL: a row lock on the household
    (the community chain's lock comes last, when the event is appended: voters of one community
    wait on each other only that long). SQLite: one writer at a time (app.core.db); a
    reads_first request becomes the writer here, so the checks that follow read the newest data.
    """
    begin_writing()
    if db.engine.dialect.name != "sqlite":
        db.session.execute(
            select(Household.id).where(Household.id == household_id).with_for_update()
        )


def precedence_key(item: Item, option_id: int | None) -> str:
    """The key a choice goes under for the precedence rules: the item's, or for an agree with an
    option "B1@a", so two ballots agreeing with different options differ (a conflict)."""
    if option_id is None:
        return item.key
    keys = {o.id: o.key for o in item.options}
    return f"{item.key}@{keys.get(option_id, option_id)}"


def _ballot_ref(ballot: Ballot, items: dict[int, Item]) -> BallotRef:
    """A ballot as the precedence rules see it; choices on a stale item revision are blank."""
    choices = {}
    for c in ballot.choices:
        item = items.get(c.item_id)
        if item is not None:
            current = c.item_revision == item.revision
            key = precedence_key(item, c.option_id if current else None)
            choices[key] = c.choice if current else None
    return BallotRef(ballot.id, ballot.channel, ballot.recorded_at, choices)


def refresh_effective_ballot(
    plan: Plan, household_id: int, online_ref: BallotRef | None, others: bool
) -> dict | None:
    """Recompute which of the household's ballots counts, by the plan's conflict policy; the
    effective ballot's stored row, or None when none counts.

    `online_ref`: the online ballot just recorded, if any (else the latest is read). `others`:
    whether the household has paper or assisted ballots on the plan (_closing_check reads it
    with the close; most households have none, and then none are loaded).
    """

    def household_ballots(*channels):
        return (
            select(Ballot)
            .options(selectinload(Ballot.choices))
            .where(
                Ballot.plan_id == plan.id,
                Ballot.household_id == household_id,
                Ballot.channel.in_(channels),
            )
        )

    items = {i.id: i for i in plan.items}
    db.session.flush()
    paper = []
    if others:
        paper = db.session.scalars(
            household_ballots("paper", "assisted").order_by(Ballot.recorded_at, Ballot.id)
        ).all()
    if online_ref is None:
        latest_online = db.session.scalar(
            household_ballots("online")
            .order_by(Ballot.recorded_at.desc(), Ballot.id.desc())
            .limit(1)
        )
        online_ref = _ballot_ref(latest_online, items) if latest_online else None
    decision = choose_effective_ballot(
        online_ref,
        [_ballot_ref(b, items) for b in paper],
        plan.conflict_policy,
    )
    if decision.effective is None:
        current = db.session.scalar(
            select(EffectiveBallot).where(
                EffectiveBallot.plan_id == plan.id, EffectiveBallot.household_id == household_id
            )
        )
        if current is not None:
            db.session.delete(current)
            db.session.flush()
        return None
    return writes.keep_effective(
        {
            "community_id": plan.community_id,
            "plan_id": plan.id,
            "household_id": household_id,
            "ballot_id": decision.effective.id,
            "conflict": decision.conflict,
            "reason": decision.reason,
            "updated_at": utcnow(),
        }
    )


def _closing_check(plan: Plan, household_id: int) -> tuple[datetime, bool]:
    """The database's time now, refused if voting was ended (结束表决) at or before it, and
    whether the household has a paper or assisted ballot on the plan: one statement.

    The end is read afresh (not from the request's copy of the plan), in the same statement as
    the time, and the time returned becomes the ballot's recorded time: a ballot counts only if
    recorded before the close.
    """
    row = writes.ballot_checks(plan, household_id)
    now = row.now if "now" in row._fields else utcnow()  # SQLite's clock is this process's
    if row.voting_ended_at is not None and now >= row.voting_ended_at:
        raise DomainError(_l("表决已经结束，选择没有被记录。"))
    return now, bool(row.others)


def _validate_choices(
    items: list[Item], choices: dict, pledges: set, *, complete: bool, options: dict | None = None
) -> None:
    """Refuse choices outside the household's scope, unknown values, or missing items; on an
    item with options (方案比选) an agree must name one of its options, and only then."""
    if not items:  # e.g. a household added to the census after the electorate was frozen
        raise DomainError(_l("您家不在本方案任何项目的表决范围内，表决没有被记录。"))
    in_scope = {i.id for i in items}
    outside = set(choices) - in_scope
    if outside or (set(pledges) - in_scope):
        raise DomainError(_l("表决内容包含不属于您家表决范围的项目，未被记录。请刷新页面重试。"))
    if any(v is not None and v not in CHOICES for v in choices.values()):
        raise DomainError(_l("表决内容无效，未被记录。请刷新页面重试。"))
    options = options or {}
    for item in items:
        marked = options.get(item.id)
        if choices.get(item.id) == "agree" and item.has_options:
            if marked not in {o.id for o in item.options}:
                raise DomainError(
                    _l("%(key)s %(title)s：同意时请选择一个方案。", key=item.key, title=item.title)
                )
        elif marked is not None:
            raise DomainError(_l("表决内容无效，未被记录。请刷新页面重试。"))
    if set(options) - in_scope:
        raise DomainError(_l("表决内容包含不属于您家表决范围的项目，未被记录。请刷新页面重试。"))
    if complete:
        missing = [i for i in items if choices.get(i.id) is None]
        if missing:
            raise DomainError(
                _l(
                    "还有 %(n)d 个项目没有选择：%(keys)s。",
                    n=len(missing),
                    keys="、".join(f"{i.key} {i.title}" for i in missing),
                )
            )


def _record(
    plan: Plan,
    household: Household,
    channel: str,
    items: list[Item],
    choices: dict,
    pledges: set,
    options: dict | None = None,
    checked: tuple[datetime, bool] | None = None,
    **fields,
) -> Ballot | None:
    """Write a ballot with its choices and refresh the effective ballot (app.voting.writes).

    With a submission key, a key the household has used on this plan already records nothing
    (the unique constraint is the check) and returns None. `checked`: what _closing_check
    returned when the caller ran it already (the online ballot checks before it writes).
    """
    unknown = set(fields) - set(_BALLOT_FIELDS)
    if unknown:
        raise TypeError(f"not a ballot field: {', '.join(sorted(unknown))}")
    recorded_at, others = utcnow(), channel != "online"  # paper, assisted: one of the others
    if channel != "paper":  # paper is keyed after the close too
        recorded_at, had_others = checked or _closing_check(plan, household.id)
        others = others or had_others
    row = writes.add_ballot(
        {
            "community_id": plan.community_id,
            "plan_id": plan.id,
            "household_id": household.id,
            "channel": channel,
            "receipt": new_receipt(),
            **{name: fields.get(name) for name in _BALLOT_FIELDS},
            "recorded_at": recorded_at,
        },
        once=bool(fields.get("submission_key")),
    )
    if row is None:
        return None
    options = options or {}
    writes.add_choices(
        [
            {
                "community_id": plan.community_id,
                "ballot_id": row["id"],
                "item_id": item.id,
                "item_revision": item.revision,
                "choice": choices.get(item.id),
                "option_id": options.get(item.id) if choices.get(item.id) == "agree" else None,
                "pledge": item.id in pledges and choices.get(item.id) == "agree",
            }
            for item in items
        ]
    )
    online_ref = None
    if channel == "online":
        online_ref = BallotRef(
            row["id"],
            channel,
            row["recorded_at"],
            {_choice_key(i, choices, options): choices.get(i.id) for i in items},
        )
    effective = refresh_effective_ballot(plan, household.id, online_ref, others)
    log_event(
        f"ballot.{channel}",
        "ballot",
        row["id"],
        community_id=plan.community_id,
        after={
            "household": household.id,
            "receipt": row["receipt"],
            "choices": {i.key: choices.get(i.id) for i in items},
            "options": _option_keys(items, choices, options),
            "pledges": sorted(i.key for i in items if i.id in pledges),
            "effective": effective["ballot_id"] if effective else None,
            "conflict": bool(effective and effective["conflict"]),
        },
    )
    return writes.attached_ballot(row)


# The ballot's columns a caller may give (_record's **fields); the rest are set by _record.
_BALLOT_FIELDS = (
    "recorded_by_id",
    "submission_key",
    "serial_id",
    "authorised_by",
    "witness",
    "note",
)


def _choice_key(item: Item, choices: dict, options: dict) -> str:
    return precedence_key(item, options.get(item.id) if choices.get(item.id) == "agree" else None)


def _option_keys(items: list[Item], choices: dict, options: dict) -> dict[str, str]:
    """{item key: option key} of the options an agree marks (for the audit event)."""
    marked = {}
    for item in items:
        if choices.get(item.id) == "agree" and item.has_options:
            keys = {o.id: o.key for o in item.options}
            marked[item.key] = keys.get(options.get(item.id), "")
    return marked


def _submitted(plan: Plan, household: Household, submission_key: str | None) -> Ballot | None:
    """The household's ballot recorded from the form with this key, if any."""
    if not submission_key:
        return None
    return db.session.scalar(
        select(Ballot).where(
            Ballot.plan_id == plan.id,
            Ballot.household_id == household.id,
            Ballot.submission_key == submission_key,
        )
    )


def cast_online_ballot(
    plan: Plan,
    household: Household,
    choices: dict[int, str],
    pledges: set[int],
    submission_key: str,
    options: dict[int, int] | None = None,
) -> Ballot:
    """Record a household's online ballot; the same form sent twice records one ballot.

    A form sent again finds its ballot even when it would now be refused (voting ended since,
    an item revised): the resident sees the receipt of what was recorded.
    """
    lock_household(household.id)
    key = submission_key or None
    try:  # the checks only: nothing is written before they pass
        if not is_voting_open(plan):
            raise DomainError(_l("表决已经结束或尚未开始，您的选择没有被记录。"))
        items = items_for_household(plan, household)
        _validate_choices(items, choices, pledges, complete=True, options=options)
        checked = _closing_check(plan, household.id)
    except DomainError:
        existing = _submitted(plan, household, key)
        if existing is None:
            raise
        return existing
    ballot = _record(
        plan,
        household,
        "online",
        items,
        choices,
        pledges,
        options,
        checked,
        submission_key=key,
    )
    return ballot if ballot is not None else _submitted(plan, household, key)


def record_assisted_ballot(
    plan: Plan,
    household: Household,
    choices: dict[int, str | None],
    pledges: set[int],
    *,
    user,
    authorised_by: str,
    witness: str,
    options: dict[int, int] | None = None,
) -> Ballot:
    """A worker records a ballot at the door for a resident who cannot vote alone."""
    lock_household(household.id)
    if not is_voting_open(plan):
        raise DomainError(_l("表决已经结束或尚未开始。"))
    if not authorised_by.strip() or not witness.strip():
        raise DomainError(_l("代填表决需要填写授权人和见证人。"))
    items = items_for_household(plan, household)
    _validate_choices(items, choices, pledges, complete=False, options=options)
    return _record(
        plan,
        household,
        "assisted",
        items,
        choices,
        pledges,
        options,
        recorded_by_id=user.id,
        authorised_by=authorised_by.strip(),
        witness=witness.strip(),
    )


def record_paper_ballot(
    plan: Plan,
    household: Household,
    choices: dict[int, str | None],
    pledges: set[int],
    *,
    user=None,
    serial_id: int | None = None,
    options: dict[int, int] | None = None,
) -> Ballot:
    """Record a confirmed paper ballot (double entry already agreed); blanks count as abstain."""
    lock_household(household.id)
    if not is_paper_entry_open(plan):
        raise DomainError(_l("结果已经公布或表决尚未开始，纸质票不能再录入。"))
    items = items_for_household(plan, household)
    _validate_choices(items, choices, pledges, complete=False, options=options)
    return _record(
        plan,
        household,
        "paper",
        items,
        choices,
        pledges,
        options,
        recorded_by_id=user.id if user else None,
        serial_id=serial_id,
    )
