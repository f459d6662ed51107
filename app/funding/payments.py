"""Writes on payments (缴费): record a payment against a household's fixed share; correct one.

Payments are never edited or deleted: a correction is a reversing entry (the negative of the
corrected payment), optionally followed by a replacing entry, both linked by corrects_id; the
reason is kept in the audit trail.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.communities.models import Household
from app.core.audit import log_event
from app.core.errors import DomainError
from app.extensions import db
from app.funding.models import PAYMENT_METHODS, Payment
from app.plans.models import Item, Plan
from app.plans.queries import local_today
from app.plans.shares import fixed_share_rows, shares_fixed
from app.rules.money import format_fen
from app.voting.optin import offer_status

MAX_RECEIPT = 40


def _payment_state(payment: Payment) -> dict:
    """A payment as the audit trail records it."""
    return {
        "plan": payment.plan_id,
        "item": payment.item_id,
        "household": payment.household_id,
        "amount_fen": payment.amount_fen,
        "paid_on": payment.paid_on,
        "method": payment.method,
        "receipt_no": payment.receipt_no,
        "corrects": payment.corrects_id,
    }


def reversed_payment_ids(plan_id: int) -> set[int]:
    """Ids of the plan's payments a reversing entry has cancelled."""
    return set(
        db.session.scalars(
            select(Payment.corrects_id).where(
                Payment.plan_id == plan_id,
                Payment.corrects_id.is_not(None),
                Payment.amount_fen < 0,
            )
        )
    )


def record_payment(
    plan: Plan,
    household: Household,
    item: Item,
    *,
    amount_fen: int,
    paid_on: date,
    method: str,
    receipt_no: str,
    user=None,
    corrects: Payment | None = None,
) -> Payment:
    """Record a payment of a household towards its fixed share of an item."""
    if item.plan_id != plan.id or household.community_id != plan.community_id:
        raise ValueError("item or household of another plan")
    if not shares_fixed(plan):
        raise DomainError(_l("表决开始后每户份额才确定，之后才能登记缴费。"))
    if item.kind == "opt_in":  # owed only once signed up, and only if the offer stands
        share = offer_status(item).owed.get(household.id, 0)
    else:
        rows = fixed_share_rows([item.id], household.id)
        share = rows[0][2] if rows else 0
    if share <= 0 and item.kind == "opt_in":
        raise DomainError(
            _l(
                "%(household)s 没有报名参加 %(key)s，或团购价未成立，不需要缴费。",
                household=household.address_label,
                key=item.key,
            )
        )
    if share <= 0:
        raise DomainError(
            _l(
                "%(household)s 在项目 %(key)s 中没有应缴金额，不能登记缴费。",
                household=household.address_label,
                key=item.key,
            )
        )
    if amount_fen <= 0:
        raise DomainError(_l("缴费金额必须大于零。更正错误的记录请使用“更正”。"))
    paid = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            Payment.item_id == item.id, Payment.household_id == household.id
        )
    )
    if paid + amount_fen > share:
        raise DomainError(
            _l(
                "超出应缴金额：应缴 %(share)s 元，已缴 %(paid)s 元，本次最多可登记 %(left)s 元。",
                share=format_fen(share),
                paid=format_fen(paid),
                left=format_fen(max(share - paid, 0)),
            )
        )
    if paid_on > local_today():
        raise DomainError(_l("缴费日期不能晚于今天。"))
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("请选择缴费方式。"))
    receipt_no = receipt_no.strip()
    if not receipt_no or len(receipt_no) > MAX_RECEIPT:
        raise DomainError(_l("请填写收据号（最多 %(n)d 个字符）。", n=MAX_RECEIPT))
    cancelled = reversed_payment_ids(plan.id)
    clash = db.session.scalars(
        select(Payment.id).where(
            Payment.plan_id == plan.id,
            Payment.amount_fen > 0,
            func.lower(Payment.receipt_no) == receipt_no.lower(),
        )
    ).all()
    if [pid for pid in clash if pid not in cancelled and (corrects is None or pid != corrects.id)]:
        raise DomainError(_l("收据号 %(no)s 已经登记过，请核对是否重复登记。", no=receipt_no))
    payment = Payment(
        community_id=plan.community_id,
        plan_id=plan.id,
        item_id=item.id,
        household_id=household.id,
        amount_fen=amount_fen,
        paid_on=paid_on,
        method=method,
        receipt_no=receipt_no,
        corrects_id=corrects.id if corrects else None,
        recorded_by_id=getattr(user, "id", None),
    )
    db.session.add(payment)
    db.session.flush()
    log_event(
        "payment.record",
        "payment",
        payment.id,
        community_id=plan.community_id,
        after=_payment_state(payment),
    )
    return payment


def correct_payment(
    payment: Payment, *, reason: str, user=None, replacement: dict | None = None
) -> list[Payment]:
    """Cancel a payment by a reversing entry, optionally recording the right one in its place.

    ``replacement`` holds amount_fen, paid_on, method and receipt_no of the replacing entry.
    """
    if payment.amount_fen <= 0:
        raise DomainError(_l("冲正记录不能再更正。"))
    if payment.id in reversed_payment_ids(payment.plan_id):
        raise DomainError(_l("这笔缴费已经更正过了；如需再改，请更正替换它的那笔记录。"))
    if not reason.strip():
        raise DomainError(_l("请说明更正的原因。"))
    plan = db.session.get(Plan, payment.plan_id)
    reversal = Payment(
        community_id=payment.community_id,
        plan_id=payment.plan_id,
        item_id=payment.item_id,
        household_id=payment.household_id,
        amount_fen=-payment.amount_fen,
        paid_on=local_today(),
        method=payment.method,
        receipt_no=payment.receipt_no,
        corrects_id=payment.id,
        recorded_by_id=getattr(user, "id", None),
    )
    db.session.add(reversal)
    db.session.flush()
    entries = [reversal]
    if replacement is not None:
        entries.append(
            record_payment(
                plan,
                db.session.get(Household, payment.household_id),
                db.session.get(Item, payment.item_id),
                user=user,
                corrects=payment,
                **replacement,
            )
        )
    log_event(
        "payment.correct",
        "payment",
        payment.id,
        community_id=payment.community_id,
        before=_payment_state(payment),
        after={"entries": [e.id for e in entries], "reason": reason.strip()},
    )
    return entries
