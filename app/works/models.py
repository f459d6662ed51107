"""The works after the vote (施工): one per passed item, its log and photos, resident
supervisors (居民监督员) and residents' issue reports (问题反映). docs/process.md."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TenantMixin, utcnow
from app.extensions import db

# Status of a works, in order (default progress: app.works.rules.DEFAULT_PROGRESS).
WORKS_STATUSES = ("pending", "in_progress", "paused", "completed", "rectifying", "accepted")
LOG_KINDS = ("progress", "inspection", "status", "issue")
PHOTO_STAGES = ("before", "during", "after")
SEVERITIES = ("ok", "minor", "serious")
SUPERVISOR_STATUSES = ("volunteered", "nominated", "appointed")
# An issue report: reported → assigned (整改中) → rectified (待复查) → closed, or back to
# assigned when the re-inspection fails.
ISSUE_STATUSES = ("reported", "assigned", "rectified", "closed")


class Works(TenantMixin, db.Model):
    """The works of one passed item (and its chosen option, when the item had options)."""

    __tablename__ = "works"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("item_option.id"))
    contractor: Mapped[str] = mapped_column(String(200), default="")
    site_supervisor: Mapped[str] = mapped_column(String(200), default="")  # 监理
    contract_fen: Mapped[int | None]
    complaints_contact: Mapped[str] = mapped_column(String(200), default="")
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    actual_start: Mapped[date | None]
    actual_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    progress: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    item = relationship("Item")
    option = relationship("ItemOption")  # the option the vote chose (None: no options)
    __table_args__ = (UniqueConstraint("item_id", "option_id"),)

    def audit_state(self) -> dict:
        """Fields recorded in the audit trail."""
        return {
            c.name: getattr(self, c.name)
            for c in self.__table__.columns
            if c.name not in ("id", "community_id", "created_at", "updated_at")
        }


class WorksLogEntry(TenantMixin, db.Model):
    """One dated line of a works' log: progress, a status change, a supervisor's inspection,
    or an issue report about it."""

    __tablename__ = "works_log_entry"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    works_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    entry_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20), default="progress")
    stage: Mapped[str | None] = mapped_column(String(10))  # before, during, after
    severity: Mapped[str | None] = mapped_column(String(10))  # inspections only
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(120), default="")  # as shown to residents
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos: Mapped[list["WorksPhoto"]] = relationship(
        primaryjoin="WorksLogEntry.id == WorksPhoto.log_entry_id",
        order_by="WorksPhoto.id",
        viewonly=True,
    )


class WorksPhoto(TenantMixin, db.Model):
    """A photo of a log entry or an issue report (re-encoded on upload, metadata dropped)."""

    __tablename__ = "works_photo"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_entry_id: Mapped[int | None] = mapped_column(ForeignKey("works_log_entry.id"), index=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue_report.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorksSupervisor(TenantMixin, db.Model):
    """A household that volunteered or was nominated as resident supervisor of a works, and
    whether the committee appointed it."""

    __tablename__ = "works_supervisor"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    works_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="volunteered")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    appointed_at: Mapped[datetime | None]
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    household = relationship("Household")
    __table_args__ = (UniqueConstraint("works_id", "household_id"),)


class IssueReport(TenantMixin, db.Model):
    """A household's report of a problem with the works (问题反映), and where it stands."""

    __tablename__ = "issue_report"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    works_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    location: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="reported")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    household = relationship("Household")
    works = relationship("Works")
    photos: Mapped[list[WorksPhoto]] = relationship(
        primaryjoin="IssueReport.id == WorksPhoto.issue_id", order_by="WorksPhoto.id", viewonly=True
    )
    steps: Mapped[list["IssueStep"]] = relationship(order_by="IssueStep.id", viewonly=True)


class IssueStep(TenantMixin, db.Model):
    """One step of an issue report's handling: who did what, when, and what they wrote."""

    __tablename__ = "issue_step"
    __audited__ = True  # rows reconcile with the audit chain (app.core.ledger)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue_report.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))  # reported, assigned, rectified, reopened, closed
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
