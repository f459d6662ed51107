"""Background print jobs: a thread with its own app context renders a batch into instance/prints/.

The request that queues a job commits it and returns at once; the thread starts when the
response is closed, reports progress in short transactions of its own (the page polls them),
and writes the batch's codes or serials with the finished file in one final transaction.
"""

import logging
import os
import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from app.accounts.models import User
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Plan
from app.printing.batches import prepare, render_to_file
from app.printing.models import PrintJob
from app.printing.operations import apply_batch, finish_print_job

log = logging.getLogger(__name__)

# Files hold sign-in codes in plain text: kept only this long after printing.
RETENTION = timedelta(hours=24)
# A job that has not reported progress for this long died with its process.
STALE = timedelta(minutes=10)
PROGRESS_EVERY = 0.5  # seconds between progress writes

_threads: dict[int, threading.Thread] = {}


def prints_dir() -> Path:
    """Where finished PDFs wait for download (instance/prints/, private to the server)."""
    base = current_app.config.get("COPLAN_PRINT_DIR") or os.path.join(
        os.environ.get("COPLAN_INSTANCE") or current_app.instance_path, "prints"
    )
    path = Path(base)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def job_file(job: PrintJob) -> Path | None:
    """The finished job's PDF, if it is still there."""
    if not job.filename:
        return None
    path = prints_dir() / job.filename
    return path if path.is_file() else None


def effective_status(job: PrintJob) -> str:
    """The job's status, reading a silent queued or running job as failed (its process died)."""
    if job.status in ("queued", "running") and utcnow() - job.updated_at > STALE:
        return "failed"
    return job.status


def start_print_job(job_id: int, *, base_url: str = "", app=None) -> None:
    """Run the job in a background thread (call once the job is committed)."""
    app = app or current_app._get_current_object()
    thread = threading.Thread(
        target=_run, args=(app, job_id, base_url), name=f"print-job-{job_id}", daemon=True
    )
    _threads[job_id] = thread
    thread.start()


def wait_for_jobs(timeout: float = 60) -> None:
    """Wait for every started job to end (tests, and a clean shutdown)."""
    for job_id, thread in list(_threads.items()):
        thread.join(timeout)
        _threads.pop(job_id, None)


class _ProgressWriter:
    """Commits the job's progress on its own connection, at most every PROGRESS_EVERY seconds."""

    def __init__(self, job_id: int, total: int):
        self.job_id, self.total, self.done, self.last = job_id, total, 0, 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY or self.done == self.total:
            self.last = now
            with db.engine.begin() as conn:
                conn.execute(
                    update(PrintJob)
                    .where(PrintJob.id == self.job_id)
                    .values(done=self.done, updated_at=utcnow())
                )


def _wait_visible(job_id: int, seconds: float = 30) -> PrintJob | None:
    """The job row, once the request that queued it has committed."""
    deadline = time.monotonic() + seconds
    while True:
        job = db.session.scalar(select(PrintJob).where(PrintJob.id == job_id))
        if job is not None or time.monotonic() > deadline:
            return job
        db.session.rollback()
        time.sleep(0.1)


def _run(app, job_id: int, base_url: str) -> None:
    """The thread's body: prepare, render, apply; any failure leaves the job failed, no writes."""
    with app.app_context():
        try:
            job = _wait_visible(job_id)
            if job is None or job.status != "queued":
                return
            user = db.session.get(User, job.created_by_id) if job.created_by_id else None
            actor = user.actor_label if user else None
            plan = db.session.get(Plan, job.plan_id)
            options = {}
            if job.kind == "letters":
                options = {"base_url": base_url, "contact": job.contact}
            batch = prepare(
                plan, job.kind, building_id=job.building_id, unit_id=job.unit_id, **options
            )
            job.status, job.total, job.updated_at = "running", batch.households, utcnow()
            filename = f"{job.kind}-{job.id}-{secrets.token_hex(8)}.pdf"
            user_id = job.created_by_id
            # End the transaction before the long render, and touch no ORM object during it:
            # on SQLite every transaction holds the write lock the progress writes need.
            db.session.commit()
            path = prints_dir() / filename
            pages = render_to_file(batch, str(path), _ProgressWriter(job_id, batch.households))
            try:
                job = db.session.get(PrintJob, job_id)
                apply_batch(
                    db.session.get(Plan, batch.plan_id), batch, user_id=user_id, actor=actor
                )
                finish_print_job(job, filename, pages, actor=actor)
                db.session.commit()
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        except DomainError as exc:
            _fail(job_id, str(exc))
        except Exception:
            log.exception("print job %s failed", job_id)
            _fail(job_id, "打印时系统出错，没有写入任何更改。请稍后重试；如仍失败请联系管理员。")
        finally:
            db.session.remove()


def _fail(job_id: int, message: str) -> None:
    """Record a failed job (its batch wrote nothing)."""
    db.session.rollback()
    job = db.session.get(PrintJob, job_id)
    if job is None:
        return
    job.status, job.error = "failed", message
    job.updated_at = job.finished_at = utcnow()
    log_event(
        "print.failed", "print_job", job.id, community_id=job.community_id, after={"error": message}
    )
    db.session.commit()


def purge_old_files(community_id: int) -> int:
    """Delete the community's files older than RETENTION (they may hold codes); how many."""
    cutoff = utcnow() - RETENTION
    jobs = db.session.scalars(
        select(PrintJob).where(
            PrintJob.community_id == community_id,
            PrintJob.filename.is_not(None),
            PrintJob.finished_at < cutoff,
        )
    ).all()
    for job in jobs:
        (prints_dir() / job.filename).unlink(missing_ok=True)
        log_event("print.purge", "print_job", job.id, community_id=job.community_id)
        job.filename = None
    db.session.flush()
    return len(jobs)
