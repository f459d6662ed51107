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

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of their own: (plan, household, channel) and (household, plan, key) start with
    # them, and every index is one more write per ballot.
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
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

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "ballot_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"))  # (ballot, item) indexes it
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    # The item's revision the household saw; a revised item voids older choices.
    item_revision: Mapped[int] = mapped_column(default=1)
    choice: Mapped[str | None] = mapped_column(String(10))
    # For an item with options: the option an "agree" marks (agree = agree with this option).
    option_id: Mapped[int | None] = mapped_column(ForeignKey("item_option.id"))
    pledge: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (UniqueConstraint("ballot_id", "item_id"),)


SIGNUP_DECISIONS = ("join", "decline")
SIGNUP_CHANNELS = ("online", "paper", "door")


class OptInSignup(TenantMixin, db.Model):
    """A household's current answer to an opt-in item (户内自选): join (参加) or decline.

    One row per household and item, changed until sign-ups close; every change is an audit
    event, so the history is in the community's chain.
    """

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "opt_in_signup"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("item_id", "household_id"),)


class EffectiveBallot(TenantMixin, db.Model):
    """The one ballot that counts for a household, kept current whenever its ballots change.

    The unique constraint makes a second effective ballot impossible at the database level.
    """

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "effective_ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))  # (plan, household) indexes it
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"), index=True)
    conflict: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(30))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("plan_id", "household_id"),)
