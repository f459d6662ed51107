"""Change orders (设计变更) and final accounts (决算) of a plan's passed items, in fen.

A change order keeps every household's share before and after it (ChangeShare), so what the
change did to each household stays on record after the item's figures move. Final accounts
keep the actual cost and sources per item (and chosen option), and every household's planned and
actual share (FinalShare): the refund or top-up is their difference.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TenantMixin, utcnow
from app.extensions import db

# drafted → (approved → effective) | (pending_vote → effective | refused) | rejected
CHANGE_STATUSES = ("drafted", "pending_vote", "effective", "rejected", "refused")
FINAL_STATUSES = ("entered", "confirmed")


class ChangeOrder(TenantMixin, db.Model):
    """A change to a passed item's cost, funding or scope, drafted by a worker."""

    __tablename__ = "change_order"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    cost_change_fen: Mapped[int] = mapped_column(default=0)
    # JSON {source: change in fen} of the other funding sources.
    funding_change: Mapped[str] = mapped_column(Text, default="{}")
    # What changes in the item's scope (words); empty when the scope stays.
    scope_change: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="drafted")
    # Worked out when drafted: the residents' part before and after, the largest rise in %
    # ("" when a share rises from zero), whether a revision vote is needed and why.
    residents_before_fen: Mapped[int] = mapped_column(default=0)
    residents_after_fen: Mapped[int] = mapped_column(default=0)
    threshold_pct: Mapped[int] = mapped_column(default=10)
    largest_rise: Mapped[str] = mapped_column(String(20), default="")
    households_beyond: Mapped[int] = mapped_column(default=0)
    needs_vote: Mapped[bool] = mapped_column(default=False)
    # The linked revision plan (one item, the revised item) that votes on it.
    revision_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    effective_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shares: Mapped[list["ChangeShare"]] = relationship(cascade="all, delete-orphan")


class ChangeShare(TenantMixin, db.Model):
    """A household's share of the item before and after a change order, in fen."""

    __tablename__ = "change_share"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("change_order.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    before_fen: Mapped[int]
    after_fen: Mapped[int]
    __table_args__ = (UniqueConstraint("change_id", "household_id"),)


class FinalAccount(TenantMixin, db.Model):
    """The final accounts of one passed item (and its chosen option): entered, then confirmed."""

    __tablename__ = "final_account"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("item_option.id"))
    planned_cost_fen: Mapped[int]
    actual_cost_fen: Mapped[int]
    planned_residents_fen: Mapped[int]
    actual_residents_fen: Mapped[int]
    refunds_fen: Mapped[int] = mapped_column(default=0)
    top_ups_fen: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="entered")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None]

    sources: Mapped[list["FinalSource"]] = relationship(cascade="all, delete-orphan")
    shares: Mapped[list["FinalShare"]] = relationship(cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("item_id"),)


class FinalSource(TenantMixin, db.Model):
    """The actual amount of one funding source other than residents, in fen."""

    __tablename__ = "final_source"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    final_id: Mapped[int] = mapped_column(ForeignKey("final_account.id"), index=True)
    source: Mapped[str] = mapped_column(String(30))
    planned_fen: Mapped[int] = mapped_column(default=0)
    actual_fen: Mapped[int] = mapped_column(default=0)


class FinalShare(TenantMixin, db.Model):
    """A household's planned and actual share of an item; actual − planned is 补 (+) or 退 (−)."""

    __tablename__ = "final_share"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    final_id: Mapped[int] = mapped_column(ForeignKey("final_account.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    planned_fen: Mapped[int]
    actual_fen: Mapped[int]
    __table_args__ = (UniqueConstraint("final_id", "household_id"),)
