"""A plan's archive built by the queue's worker: the download of a large plan answers at once
with the job's progress page, and the ZIP when it is ready.

The job is a row of the one job table (PrintJob, kind "archive"): who asked, state, progress by
archive part, file, error. The ZIP is written under a temporary name and renamed once complete;
the "archive" audit event and the job's "done" are committed together, so a worker killed
mid-build leaves no file and a job that is retried (app.printing.jobs) or failed.
"""

import logging
import os
import secrets

from sqlalchemy import update

from app.accounts.models import User
from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import begin_read_snapshot, commit_or_rollback, utcnow
from app.core.errors import DomainError
from app.core.queue import huey, run_in_job_app
from app.extensions import db
from app.plans.models import Plan
from app.plans.queries import local_today
from app.printing.jobs import (
    ENQUEUE,
    MAX_ATTEMPTS,
    RETRY_DELAY,
    fail_job,
    prints_dir,
    retry_or_fail,
    start_job,
)
from app.printing.models import PrintJob
from app.reports.archive.build import ARCHIVE_STEPS, build_archive, record_archive

log = logging.getLogger(__name__)


def archive_in_background(plan: Plan, limit: int) -> bool:
    """Whether the plan's archive is large enough (more than `limit` households in its
    community) to be built by the worker rather than in the request."""
    households = db.session.query(Household.id).filter_by(community_id=plan.community_id)
    return households.count() > limit


def archive_download_name(plan: Plan) -> str:
    """The name the archive ZIP is downloaded as."""
    return f"coplan-plan-{plan.id}-archive-{local_today():%Y%m%d}.zip"


def queue_archive_job(plan: Plan, *, user=None) -> PrintJob:
    """Record an archive job for the plan (flushed and audited; queued after commit)."""
    job = PrintJob(
        community_id=plan.community_id,
        plan_id=plan.id,
        kind="archive",
        total=len(ARCHIVE_STEPS),
        created_by_id=user.id if user else None,
    )
    db.session.add(job)
    db.session.flush()
    log_event(
        "archive.queue",
        "print_job",
        job.id,
        community_id=plan.community_id,
        after={"plan": plan.id},
    )
    return job


def enqueue_archive_job(job_id: int) -> None:
    """Put the (committed) archive job on the queue."""
    run_archive_job(job_id)


ENQUEUE["archive"] = enqueue_archive_job


@huey.task(retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY)
def run_archive_job(job_id: int) -> None:
    """The queue's task: build archive job `job_id` in the worker's app context."""
    run_in_job_app(_run, job_id)


class _StepWriter:
    """Records which archive part is being written, on a connection of its own (the build reads
    in a snapshot that holds no write lock)."""

    def __init__(self, job_id: int):
        self.job_id, self.done = job_id, 0

    def __call__(self, step: str) -> None:
        self.done = ARCHIVE_STEPS.index(step)
        with db.engine.begin() as conn:
            conn.execute(
                update(PrintJob)
                .where(PrintJob.id == self.job_id)
                .values(done=self.done, message=step, updated_at=utcnow())
            )


def _run(job_id: int) -> None:
    """Build the ZIP under a temporary name, rename it, then mark the job done with its audit
    event; a refusal fails the job, an unexpected error retries it."""
    path = None
    try:
        job = db.session.get(PrintJob, job_id)
        if not start_job(job):
            return
        plan_id, user_id = job.plan_id, job.created_by_id
        filename = f"archive-{job_id}-{secrets.token_hex(8)}.zip"
        path = prints_dir() / filename
        partial = path.with_name(filename + ".partial")
        begin_read_snapshot()  # every file describes one moment; writers are not blocked
        plan = db.session.get(Plan, plan_id)
        user = db.session.get(User, user_id) if user_id else None
        try:
            info = build_archive(plan, str(partial), user=user, progress=_StepWriter(job_id))
            commit_or_rollback()  # the snapshot ends before the audit event reads the chain
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        plan = db.session.get(Plan, plan_id)
        user = db.session.get(User, user_id) if user_id else None
        actor = user.actor_label if user else None
        record_archive(plan, info, via="queue", filename=archive_download_name(plan), actor=actor)
        job = db.session.get(PrintJob, job_id)
        job.status, job.filename, job.message = "done", filename, ""
        job.done = job.total
        job.finished_at = job.updated_at = utcnow()
        db.session.commit()
    except DomainError as exc:
        _discard(path)
        fail_job(job_id, str(exc))
    except Exception:
        _discard(path)
        log.exception("archive job %s failed", job_id)
        if retry_or_fail(
            job_id, "生成档案时系统出错，没有留下文件。请稍后重试；如仍失败请联系管理员。"
        ):
            raise


def _discard(path) -> None:
    """Remove a renamed ZIP whose job could not be marked done (nothing half-recorded)."""
    if path is not None:
        path.unlink(missing_ok=True)
