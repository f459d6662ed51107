"""Pledges (出资承诺) and payments (缴费) per household and item, in fen."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db

PAYMENT_METHODS = ("cash", "bank", "wechat", "alipay", "other")


class Pledge(TenantMixin, db.Model):
    """A household's pledge of its share of an item, made with its agreeing ballot."""

    __tablename__ = "pledge"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    amount_fen: Mapped[int]
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballot.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("item_id", "household_id"),)


class Payment(TenantMixin, db.Model):
    """A payment against a pledge; corrections are new (negative) entries, never edits."""

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
