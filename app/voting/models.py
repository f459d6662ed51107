"""Ballots (表决票): online, paper and assisted; choices per item; the one effective ballot."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TenantMixin, utcnow
from app.extensions import db

CHANNELS = ("online", "paper", "assisted")
CHOICES = ("agree", "oppose", "abstain")


class Ballot(TenantMixin, db.Model):
    """One recorded ballot of a household on a plan; online changes add new versions."""

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Shown to the resident; checks "was my vote counted?" without revealing choices.
    receipt: Mapped[str] = mapped_column(String(16), unique=True)
    # The form's one-time key: a double tap or a resent form records one ballot.
    submission_key: Mapped[str | None] = mapped_column(String(40))
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("paper_serial.id"))
    # Assisted ballots: who authorised it (proxy, family member) and who witnessed.
    authorised_by: Mapped[str | None] = mapped_column(String(80))
    witness: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)

    choices: Mapped[list["BallotChoice"]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("household_id", "plan_id", "submission_key"),
        Index("ix_ballot_plan_household", "plan_id", "household_id", "channel"),
    )


class BallotChoice(TenantMixin, db.Model):
    """A ballot's choice on one item (None: left blank, counted as abstain)."""

    __tablename__ = "ballot_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    # The item's revision the household saw; a revised item voids older choices.
    item_revision: Mapped[int] = mapped_column(default=1)
    choice: Mapped[str | None] = mapped_column(String(10))
    pledge: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (UniqueConstraint("ballot_id", "item_id"),)


class EffectiveBallot(TenantMixin, db.Model):
    """The one ballot that counts for a household, kept current whenever its ballots change.

    The unique constraint makes a second effective ballot impossible at the database level.
    """

    __tablename__ = "effective_ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), index=True)
    conflict: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(30))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("plan_id", "household_id"),)


class Delivery(TenantMixin, db.Model):
    """A recorded delivery of the ballot or letter to a household (needed by follow_majority)."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    method: Mapped[str] = mapped_column(String(20), default="in_person")
    __table_args__ = (UniqueConstraint("plan_id", "household_id"),)


class PaperSerial(TenantMixin, db.Model):
    """A printed paper ballot's serial; reprinting voids the previous serial."""

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


class Objection(TenantMixin, db.Model):
    """An objection to a published result, recorded by a worker, with its resolution."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
