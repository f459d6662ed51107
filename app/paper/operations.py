"""Writes on paper ballots: a worker's keying, a committee's resolution, an invalid ballot.

A confirmed paper ballot goes through ``record_paper_ballot``, which refreshes the household's
effective ballot (docs/counting.md#effective-ballot); entries themselves never count.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.paper.keying import COUNTED, EntryRef, Keying, decode_keying, encode_keying, enter_outcome
from app.paper.models import DELIVERY_METHODS, Delivery, PaperEntry, PaperSerial
from app.paper.serials import format_serial, normalize_serial, serial_problem
from app.plans.models import Item, Plan
from app.plans.queries import is_paper_entry_open, items_for_household
from app.voting.operations import lock_household, record_paper_ballot

REFUSALS = {
    "counted": _l("这张表决票已经录入并计入结果，不需要再录入。"),
    "in_review": _l("这张表决票两次录入不一致，正在等待居委会/业委会核对，暂不能再录入。"),
    "same_worker": _l("这张票的第一次录入是您做的。按双人录入规定，第二次须由另一位工作人员录入。"),
}


def find_serial(plan: Plan, typed: str) -> PaperSerial:
    """The plan's paper serial a worker typed or scanned, or a clear reason why not."""
    serial = normalize_serial(typed)
    problem = serial_problem(serial)
    if problem == "check":
        raise DomainError(_l("票号“%(s)s”的最后一位校验码不符，可能输错了一位，请核对。", s=typed))
    if problem:
        raise DomainError(_l("“%(s)s”不是有效的票号。票号形如 ABCD-EFGH-JKMN-P。", s=typed))
    found = db.session.scalar(
        select(PaperSerial).where(PaperSerial.serial == serial, PaperSerial.plan_id == plan.id)
    )
    if found is None:
        raise DomainError(_l("本方案没有票号 %(s)s 的表决票。", s=format_serial(serial)))
    if found.status == "void":
        raise DomainError(
            _l(
                "票号 %(s)s 已作废（该户的表决票已重新打印），请使用新打印的表决票。",
                s=format_serial(serial),
            )
        )
    return found


def _entries(plan: Plan, household_id: int, serial_id: int | None) -> list[PaperEntry]:
    """The entries of one paper ballot (by serial; serial-less ballots by household)."""
    query = select(PaperEntry).where(
        PaperEntry.plan_id == plan.id, PaperEntry.household_id == household_id
    )
    if serial_id is None:
        query = query.where(PaperEntry.serial_id.is_(None))
    else:
        query = query.where(PaperEntry.serial_id == serial_id)
    return db.session.scalars(query.order_by(PaperEntry.id)).all()


def _check_keying(items: list[Item], keying: Keying) -> None:
    """Refuse marks on items outside the household's scope, and on an item with options an
    agree that names none of its options (or an option on an item without any)."""
    keys = {i.key for i in items}
    outside = sorted(set(keying.marked()) - keys)
    if outside:
        raise DomainError(
            _l("该户不在项目 %(keys)s 的表决范围内，这些项目不应有填写。", keys="、".join(outside))
        )
    for item in items:
        option = keying.options.get(item.key)
        if keying.choices.get(item.key) != "agree":
            continue
        if item.has_options and option not in {o.key for o in item.options}:
            raise DomainError(_l("项目 %(key)s：同意时要标明选的是哪个方案。", key=item.key))
        if not item.has_options and option is not None:
            raise DomainError(_l("项目 %(key)s 没有比选方案。", key=item.key))


def _record(plan, household, items, keying: Keying, user, serial_id) -> int:
    """Record the paper ballot the entries agree on; returns the ballot id."""
    by_key = {i.key: i for i in items}
    options = {}
    for key, option_key in keying.options.items():
        item = by_key.get(key)
        if item is not None:
            options[item.id] = next(o.id for o in item.options if o.key == option_key)
    ballot = record_paper_ballot(
        plan,
        household,
        {by_key[k].id: v for k, v in keying.choices.items() if k in by_key},
        {by_key[k].id for k in keying.pledges if k in by_key},
        user=user,
        serial_id=serial_id,
        options=options,
    )
    return ballot.id


def enter_paper_ballot(
    plan: Plan, household: Household, keying: Keying, *, user, serial: PaperSerial | None = None
) -> PaperEntry:
    """One worker's keying of a paper ballot; confirms it when double entry agrees (or is off)."""
    lock_household(household.id)
    if not is_paper_entry_open(plan):
        raise DomainError(_l("结果已经公布或表决尚未开始，纸质票不能再录入。"))
    if serial is not None:
        if serial.household_id != household.id or serial.plan_id != plan.id:
            raise DomainError(_l("票号与住户不符。"))
        if serial.invalid_reason:
            raise DomainError(_l("这张表决票已记为无效票：%(r)s", r=serial.invalid_reason))
    items = items_for_household(plan, household)
    _check_keying(items, keying)
    serial_id = serial.id if serial else None
    existing = _entries(plan, household.id, serial_id)
    refs = [EntryRef(e.id, e.entered_by_id, e.status, decode_keying(e.choices)) for e in existing]
    outcome = enter_outcome(plan.paper_double_entry, refs, user.id if user else None, keying)
    if outcome.refusal:
        raise DomainError(REFUSALS[outcome.refusal])
    entry = PaperEntry(
        community_id=plan.community_id,
        plan_id=plan.id,
        serial_id=serial_id,
        household_id=household.id,
        entered_by_id=user.id if user else None,
        choices=encode_keying(keying),
        status=outcome.status,
    )
    db.session.add(entry)
    if serial is not None and serial.returned_at is None:
        serial.returned_at = utcnow()
    partner = next((e for e in existing if e.id == outcome.partner), None)
    if outcome.status == "confirmed":
        for stale in existing:  # double entry turned off meanwhile: earlier keyings step aside
            if stale.status == "pending" and stale is not partner:
                stale.status = "superseded"
        entry.ballot_id = _record(plan, household, items, keying, user, serial_id)
        if partner is not None:
            partner.status, partner.ballot_id = "confirmed", entry.ballot_id
    elif outcome.status == "mismatch":
        partner.status = "mismatch"
    db.session.flush()
    log_event(
        "paper.enter",
        "paper_entry",
        entry.id,
        community_id=plan.community_id,
        after={
            "household": household.id,
            "serial": serial.serial if serial else None,
            "status": entry.status,
            "keying": encode_keying(keying),
            "ballot": entry.ballot_id,
        },
        actor=user.actor_label if user else None,
    )
    return entry


def resolve_mismatch(
    plan: Plan, household: Household, serial_id: int | None, keying: Keying, *, user
) -> PaperEntry:
    """A committee member records what the paper ballot says after two keyings disagreed."""
    lock_household(household.id)
    existing = _entries(plan, household.id, serial_id)
    mismatched = [e for e in existing if e.status == "mismatch"]
    if not mismatched:
        raise DomainError(_l("这张表决票没有待核对的不一致录入。"))
    items = items_for_household(plan, household)
    _check_keying(items, keying)
    entry = PaperEntry(
        community_id=plan.community_id,
        plan_id=plan.id,
        serial_id=serial_id,
        household_id=household.id,
        entered_by_id=user.id,
        choices=encode_keying(keying),
        status="resolution",
    )
    db.session.add(entry)
    for e in mismatched:
        e.status = "superseded"
    entry.ballot_id = _record(plan, household, items, keying, user, serial_id)
    db.session.flush()
    log_event(
        "paper.resolve",
        "paper_entry",
        entry.id,
        community_id=plan.community_id,
        before={"entries": [e.id for e in mismatched]},
        after={
            "household": household.id,
            "keying": encode_keying(keying),
            "ballot": entry.ballot_id,
        },
    )
    return entry


def mark_invalid(plan: Plan, serial: PaperSerial, reason: str, *, user) -> None:
    """Record a returned ballot as invalid (unreadable, spoiled, unsigned), with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("请填写无效的原因，例如：未签名、无法辨认、破损。"))
    if serial.invalid_reason:
        raise DomainError(_l("这张表决票已记为无效票。"))
    lock_household(serial.household_id)
    entries = _entries(plan, serial.household_id, serial.id)
    if any(e.status in COUNTED for e in entries):
        raise DomainError(_l("这张表决票已经计入结果，不能再记为无效。"))
    for e in entries:
        e.status = "superseded"
    serial.invalid_reason = reason[:500]
    serial.returned_at = serial.returned_at or utcnow()
    db.session.flush()
    log_event(
        "paper.invalid",
        "paper_serial",
        serial.id,
        community_id=plan.community_id,
        after={"serial": serial.serial, "household": serial.household_id, "reason": reason},
    )


def record_delivery(plan: Plan, household: Household, method: str, user=None) -> Delivery:
    """Record that the ballot or letter reached a household (follow_majority needs it)."""
    if plan.phase != "voting":
        raise DomainError(_l("只有表决期间才能登记送达。"))
    if household.community_id != plan.community_id:
        raise DomainError(_l("这户不属于本小区。"))
    if method not in DELIVERY_METHODS:
        raise DomainError(_l("请选择送达方式。"))
    existing = db.session.scalar(
        select(Delivery).where(Delivery.plan_id == plan.id, Delivery.household_id == household.id)
    )
    if existing is not None:
        raise DomainError(_l("这户的送达已经登记过了。"))
    delivery = Delivery(
        community_id=plan.community_id,
        plan_id=plan.id,
        household_id=household.id,
        method=method,
        recorded_by_id=getattr(user, "id", None),
    )
    db.session.add(delivery)
    db.session.flush()
    log_event(
        "ballot.delivery",
        "delivery",
        delivery.id,
        community_id=plan.community_id,
        after={"plan": plan.id, "household": household.id, "method": method},
    )
    return delivery
