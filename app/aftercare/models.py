"""Acceptance (竣工验收) and evaluation (满意度评价) after the works: their tables."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db


class AcceptanceMember(TenantMixin, db.Model):
    """A member of a plan's acceptance group: a resident representative (a household of the
    community, named) or a staff member (worker, committee, supervisor, contractor...)."""

    __tablename__ = "acceptance_member"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # resident, staff
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(60), default="")  # 组长, 居民代表, 社区工作人员...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AcceptanceCheck(TenantMixin, db.Model):
    """One passed item's acceptance: its checklist, the lines checked, and the result."""

    __tablename__ = "acceptance_check"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), unique=True)
    # JSON [{"text": "...", "ok": true|false|null}, ...]
    checklist: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(12))  # passed, conditional, failed
    notes: Mapped[str] = mapped_column(Text, default="")
    checked_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AcceptanceDefect(TenantMixin, db.Model):
    """A defect found at acceptance: who rectifies it by when, and the rectification."""

    __tablename__ = "acceptance_defect"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(120))
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, rectified
    rectification: Mapped[str] = mapped_column(Text, default="")
    rectified_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationRound(TenantMixin, db.Model):
    """A round of the residents' evaluation; a second round months later is compared."""

    __tablename__ = "evaluation_round"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int]
    opened_on: Mapped[date]
    closes_on: Mapped[date | None]
    closed_at: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    @property
    def is_open(self) -> bool:
        """Responses are taken until the round is closed."""
        return self.closed_at is None


class EvaluationResponse(TenantMixin, db.Model):
    """A household's one effective response in a round (the latest it or a worker gave)."""

    __tablename__ = "evaluation_response"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # phone, door, paper
    # JSON {"aspects": {...}, "items": {item_id: score}, "comment": "..."} (rules.satisfaction)
    scores: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("round_id", "household_id"),)


class EvaluationKeying(TenantMixin, db.Model):
    """One worker's keying of a printed evaluation form; two that agree make the response."""

    __tablename__ = "evaluation_keying"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    scores: Mapped[str] = mapped_column(Text)
    # pending, confirmed, mismatch, resolution (the committee's decision), superseded
    status: Mapped[str] = mapped_column(String(12), default="pending")
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
