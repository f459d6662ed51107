"""Residents' proposals (一上) and their supporters."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TenantMixin, utcnow
from app.extensions import db

PROPOSAL_STATUSES = ("open", "accepted", "declined", "merged")
PROPOSAL_SOURCES = ("resident", "door_to_door", "survey")


class Proposal(TenantMixin, db.Model):
    """An item a household (or a worker, from a visit or survey) proposes for the plan."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    source: Mapped[str] = mapped_column(String(20), default="resident")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    decline_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    photos: Mapped[list["ProposalPhoto"]] = relationship(cascade="all, delete-orphan")


class ProposalSupport(TenantMixin, db.Model):
    """One household's support for a proposal (one each)."""

    __tablename__ = "proposal_support"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The proposal this support was moved from by a merge, so undoing the merge moves it back.
    merged_from_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    __table_args__ = (UniqueConstraint("proposal_id", "household_id"),)


class ProposalPhoto(TenantMixin, db.Model):
    """A photo attached to a proposal (size and type checked on upload)."""

    __tablename__ = "proposal_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
