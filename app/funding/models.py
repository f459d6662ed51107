"""Payments (缴费) per household and item, in fen.

Pledges (出资承诺) are not stored apart: a pledge is an "agree" choice marked as pledged on the
household's effective ballot, of the household's fixed share (HouseholdShare).
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db

PAYMENT_METHODS = ("cash", "bank", "wechat", "alipay", "other")


class Payment(TenantMixin, db.Model):
    """A payment against a pledge; corrections are new (negative) entries, never edits."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    amount_fen: Mapped[int]
    paid_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(20))
    receipt_no: Mapped[str] = mapped_column(String(40), default="")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
