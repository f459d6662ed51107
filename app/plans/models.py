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
# An item is voted (`vote`, counted by the rules) or each household's own choice (`opt_in`,
# 户内自选: signed up or declined, never counted). docs/counting.md.
ITEM_KINDS = ("vote", "opt_in")
# How an item with options (方案比选) picks one: the leader on headcount and area, or the one
# option that passes the item's rule on its own agree totals. docs/counting.md.
OPTION_RULES = ("plurality", "threshold")


class Plan(TenantMixin, db.Model):
    """One community's renovation plan, moving through the phases of 两上两下."""

    __audited__ = True  # rows reconcile with the audit chain

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
    # A change order (设计变更) that raises any household's share by more than this many per
    # cent, or changes scope, needs a revision vote before it takes effect (docs/process.md).
    change_threshold_pct: Mapped[int] = mapped_column(default=10, server_default="10")
    # A revision plan (修订表决) votes on one changed item of this plan; None for a plan of its own.
    revises_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))

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

    __audited__ = True  # rows reconcile with the audit chain

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
    kind: Mapped[str] = mapped_column(String(10), default="vote", server_default="vote")
    # Items with options: "plurality" or "threshold"; None for an item without options.
    option_rule: Mapped[str | None] = mapped_column(String(12))
    # Opt-in items (kind "opt_in"): a fixed price or a price per m² (times the household's
    # area, rounded half up to the fen), minus a per-household subsidy (以奖代补), never below
    # zero; the offer stands only with at least `min_uptake` sign-ups; sign-ups close at the
    # end of `signup_closes` (None: when voting closes).
    price_fen: Mapped[int | None]
    price_fen_per_m2: Mapped[int | None]
    subsidy_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    min_uptake: Mapped[int | None]
    signup_closes: Mapped[date | None]
    # A runoff item (决选) names the undecided item whose leading options it decides.
    runoff_of_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))

    plan: Mapped[Plan] = relationship(back_populates="items")
    scopes: Mapped[list["ItemScope"]] = relationship(cascade="all, delete-orphan")
    funding: Mapped[list["FundingSource"]] = relationship(
        cascade="all, delete-orphan",
        # The item's own funding; an option's funding (option_id set) is ItemOption.funding.
        primaryjoin="and_(Item.id == FundingSource.item_id, FundingSource.option_id.is_(None))",
    )
    options: Mapped[list["ItemOption"]] = relationship(
        back_populates="item", order_by="ItemOption.position", cascade="all, delete-orphan"
    )

    @property
    def has_options(self) -> bool:
        """True for an item with options (方案比选). Their option_rule is set (the plan file and
        the item pages keep it so), which spares the hot vote path a query per plain item."""
        return self.option_rule is not None and bool(self.options)

    __table_args__ = (UniqueConstraint("plan_id", "key"),)


class ItemOption(TenantMixin, db.Model):
    """One alternative of an item (方案比选), with its own cost, funding and share method.

    A household agreeing to the item marks one option (BallotChoice.option_id); its share under
    each option is fixed when voting opens (OptionShare).
    """

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "item_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    key: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    cost_fen: Mapped[int] = mapped_column(default=0)
    share_method: Mapped[str] = mapped_column(String(20), default="equal")
    # JSON {"floor": "coefficient"} for the floor methods.
    floor_coefficients: Mapped[str | None] = mapped_column(Text)

    item: Mapped[Item] = relationship(back_populates="options")
    # Rows carry item_id too (set it when adding one).
    funding: Mapped[list["FundingSource"]] = relationship(
        cascade="all, delete-orphan", overlaps="funding"
    )
    __table_args__ = (UniqueConstraint("item_id", "key"),)


class ItemScope(TenantMixin, db.Model):
    """One building or unit an item is scoped to; an item without scopes covers the community."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "item_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    # None: the whole building; else only this unit.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))


class FundingSource(TenantMixin, db.Model):
    """Money for an item from a source other than residents, in fen."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "funding_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    # Set for an option's own funding; None for the item's.
    option_id: Mapped[int | None] = mapped_column(ForeignKey("item_option.id"), index=True)
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

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "household_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    amount_fen: Mapped[int]
    # Uploaded amounts for the custom method are kept apart from computed ones.
    custom: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (UniqueConstraint("item_id", "household_id"),)


class OptionShare(TenantMixin, db.Model):
    """A household's share under one option of an item, in fen; fixed when voting opens."""

    __audited__ = True  # rows reconcile with the audit chain

    __tablename__ = "option_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("item_option.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    amount_fen: Mapped[int]
    custom: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (UniqueConstraint("option_id", "household_id"),)


Index("ix_item_plan_position", Item.plan_id, Item.position)
