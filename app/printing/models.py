"""The job table: long work run by the queue's worker (a batch of letters or ballots, a plan's
archive), with who asked, its state, progress, file and error (app.core.queue)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import TenantMixin, utcnow
from app.extensions import db

JOB_KINDS = ("letters", "ballots", "archive", "export")
PRINT_KINDS = ("letters", "ballots")
JOB_STATES = ("queued", "running", "done", "failed")


class PrintJob(TenantMixin, db.Model):
    """One job: a batch (community, building or unit) of letters or ballots and its PDF, a
    plan's archive ZIP, or one of its exports. The table keeps its historical name; every
    kind of job lives here."""

    __tablename__ = "print_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # The batch: the whole community, one building, or one unit.
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    # File name inside instance/prints/ (random, so it cannot be guessed); None until done.
    filename: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    # What the job is doing now ("notices", "exports"...), shown under its progress bar.
    message: Mapped[str] = mapped_column(String(200), default="")
    # Runs started: a job retried by the queue after an error counts each run.
    attempts: Mapped[int] = mapped_column(default=0)
    # What an export job writes: "<export>.<format>", e.g. "ballots.xlsx".
    target: Mapped[str | None] = mapped_column(String(80))
    # The worker process running it ("host:pid"): a restarted worker finds the jobs its dead
    # predecessor left running and queues them again.
    worker: Mapped[str | None] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
