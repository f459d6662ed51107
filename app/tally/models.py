"""After counting: objections to a published result (公示期异议)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db


class Objection(TenantMixin, db.Model):
    """An objection to a published result, recorded by a worker, with its resolution."""

    __audited__ = True  # rows reconcile with the audit chain

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
