"""The district overview's stored tally summaries (district.summaries): derived figures, counted
again whenever their community changes, so they are neither a record nor audited."""

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db


class PlanSummary(TenantMixin, db.Model):
    """A plan's few tally figures for the overview (turnout, items passed), as counted at its
    community's newest audit event (id and hash) on `day`: the fingerprint that tells whether
    they still hold (district.summaries)."""

    __tablename__ = "plan_summary"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), primary_key=True)
    event_id: Mapped[int]
    event_hash: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
    provisional: Mapped[bool]
    electorate_households: Mapped[int]
    voted_households: Mapped[int]
    electorate_area_centi: Mapped[int] = mapped_column(BigInteger)
    voted_area_centi: Mapped[int] = mapped_column(BigInteger)
    items_passed: Mapped[int]
    items_total: Mapped[int]
