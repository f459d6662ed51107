"""Paper ballots: the serial printed on each ballot, its delivery, and each worker's keying."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db

DELIVERY_METHODS = ("in_person", "mailbox", "family")


class PaperSerial(TenantMixin, db.Model):
    """A printed paper ballot's serial; reprinting voids the previous serial."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "paper_serial"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    serial: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="issued")  # issued, void
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    voided_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    # Unreadable or spoiled ballots are recorded as invalid, with a reason.
    invalid_reason: Mapped[str | None] = mapped_column(Text)


class PaperEntry(TenantMixin, db.Model):
    """One worker's keying of a paper ballot; with double entry two must match."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "paper_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("paper_serial.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # JSON {item_key: choice or null, "_pledges": [item_key, ...]}.
    choices: Mapped[str] = mapped_column(Text)
    # pending (waiting for a second entry), confirmed, mismatch, resolution (a committee's
    # decision on a mismatch), superseded.
    status: Mapped[str] = mapped_column(String(12), default="pending")
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballot.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(TenantMixin, db.Model):
    """A recorded delivery of the ballot or letter to a household (needed by follow_majority)."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    method: Mapped[str] = mapped_column(String(20), default="in_person")
    __table_args__ = (UniqueConstraint("plan_id", "household_id"),)
