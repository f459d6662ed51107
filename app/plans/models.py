"""Plan (改造方案), its phases and policies; items (改造项目) with scope, rule and funding."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.communities.models import Community
from app.core.db import TenantMixin, utcnow
from app.extensions import db

# 两上两下: proposals (一上) → drafting (一下) → voting (二上) → published (二下), then the works,
# their acceptance and evaluation (共建共管共评) → closed. PHASES lives in app.plans.phases.
CATEGORIES = ("basic", "improvement", "enhancement")
RULES = ("cc278_ordinary", "cc278_major", "custom")
CONFLICT_POLICIES = ("paper_prevails", "online_prevails", "latest_prevails")
NON_VOTER_POLICIES = ("none", "follow_majority")
SHARE_METHODS = ("equal", "area", "floor", "floor_flat", "custom")
FUNDING_SOURCES = ("government", "utility", "maintenance_fund", "public_income", "other")
RESULT_STAGES = ("preliminary", "final")


class Plan(TenantMixin, db.Model):
    """One community's renovation plan, moving through the phases of 两上两下."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(20), default="proposals")
    # Calendar days in the community's time zone; "closes" is the last day (inclusive).
    proposals_opens: Mapped[date | None]
    proposals_closes: Mapped[date | None]
    drafting_opens: Mapped[date | None]
    drafting_closes: Mapped[date | None]
    voting_opens: Mapped[date | None]
    voting_closes: Mapped[date | None]
    # Set when a worker closes voting ahead of its date (e.g. to revise an item); reopening clears.
    voting_closed_at: Mapped[datetime | None]
    voting_closed_reason: Mapped[str | None] = mapped_column(Text)
    # Set when a worker ends voting for good (结束表决), at the database's time; no ballot is
    # accepted from then on, and voting_closes is cut back to that day.
    voting_ended_at: Mapped[datetime | None]
    voting_end_reason: Mapped[str | None] = mapped_column(Text)
    objection_days: Mapped[int] = mapped_column(default=7)
    conflict_policy: Mapped[str] = mapped_column(String(20), default="paper_prevails")
    paper_double_entry: Mapped[bool] = mapped_column(default=True)
    non_voter_policy: Mapped[str] = mapped_column(String(20), default="none")
    # Publication (二下): preliminary result, objection period, final result.
    result_stage: Mapped[str | None] = mapped_column(String(20))
    preliminary_published_at: Mapped[datetime | None]
    objections_close: Mapped[date | None]
    final_published_at: Mapped[datetime | None]
    phase_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship()
    items: Mapped[list["Item"]] = relationship(
        back_populates="plan", order_by="Item.position", cascade="all, delete-orphan"
    )

    def audit_state(self) -> dict:
        """Fields recorded in the audit trail."""
        return {
            c.name: getattr(self, c.name)
            for c in self.__table__.columns
            if c.name not in ("id", "community_id", "created_at")
        }


class Item(TenantMixin, db.Model):
    """One renovation item of a plan, voted on separately."""

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    key: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(20), default="cc278_major")
    # Custom rule parameters as JSON: quorum, approval, strict, base, dimensions.
    rule_params: Mapped[str | None] = mapped_column(Text)
    cost_fen: Mapped[int] = mapped_column(default=0)
    share_method: Mapped[str] = mapped_column(String(20), default="equal")
    # JSON {"floor": "coefficient"} for the floor methods.
    floor_coefficients: Mapped[str | None] = mapped_column(Text)
    # Bumped when an item changes during voting (close, change with a reason, reopen):
    # choices recorded for an older revision no longer count.
    revision: Mapped[int] = mapped_column(default=1)
    revision_reason: Mapped[str | None] = mapped_column(Text)
    revised_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="items")
    scopes: Mapped[list["ItemScope"]] = relationship(cascade="all, delete-orphan")
    funding: Mapped[list["FundingSource"]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("plan_id", "key"),)


class ItemScope(TenantMixin, db.Model):
    """One building or unit an item is scoped to; an item without scopes covers the community."""

    __tablename__ = "item_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    # None: the whole building; else only this unit.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))


class FundingSource(TenantMixin, db.Model):
    """Money for an item from a source other than residents, in fen."""

    __tablename__ = "funding_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    source: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")


class ItemProposal(TenantMixin, db.Model):
    """A proposal an item answers (the draft shows which proposals it took up)."""

    __tablename__ = "item_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    __table_args__ = (UniqueConstraint("item_id", "proposal_id"),)


class HouseholdShare(TenantMixin, db.Model):
    """A household's share of an item's residents' part, in fen; fixed when voting opens."""

    __tablename__ = "household_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    amount_fen: Mapped[int]
    # Uploaded amounts for the custom method are kept apart from computed ones.
    custom: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (UniqueConstraint("item_id", "household_id"),)


Index("ix_item_plan_position", Item.plan_id, Item.position)
