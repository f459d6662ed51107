"""A large plan's export (CSV/XLSX) built by the queue's worker: the download answers at once
with the job's progress page, then offers the file.

The job is a row of the one job table (PrintJob, kind "export", target "<export>.<format>").
The file is written under a temporary name and renamed when complete; the "export" audit event
and the job's "done" are committed together (app.reports.archive.jobs does the same for
archives; retries and recovery are app.printing.jobs').
"""

import logging
import os
import secrets

from app.accounts.models import User
from app.communities.models import Household
from app.core.audit import log_event
from app.core.db import begin_read_snapshot, commit_or_rollback, utcnow
from app.core.errors import DomainError
from app.core.queue import huey, run_in_job_app
from app.extensions import db
from app.formats.downloads import plan_meta
from app.formats.writers import csv_bytes, xlsx_bytes
from app.plans.models import Plan
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
from app.reports.exports import EXPORTS

log = logging.getLogger(__name__)

FAILED = "导出时系统出错，没有留下文件。请稍后重试；如仍失败请联系管理员。"


def export_in_background(plan: Plan, limit: int) -> bool:
    """Whether the plan's community has more than `limit` households (its exports are then
    built by the worker, not in the request)."""
    households = db.session.query(Household.id).filter_by(community_id=plan.community_id)
    return households.count() > limit


def queue_export_job(plan: Plan, export: str, fmt: str, *, user=None) -> PrintJob:
    """Record an export job for the plan (flushed and audited; queued after commit)."""
    job = PrintJob(
        community_id=plan.community_id,
        plan_id=plan.id,
        kind="export",
        target=f"{export}.{fmt}",
        total=1,
        created_by_id=user.id if user else None,
    )
    db.session.add(job)
    db.session.flush()
    log_event(
        "export.queue",
        "print_job",
        job.id,
        community_id=plan.community_id,
        after={"plan": plan.id, "export": export, "format": fmt},
    )
    return job


def job_export(job: PrintJob) -> tuple[str, str]:
    """An export job's (export name, format)."""
    export, _dot, fmt = (job.target or "").rpartition(".")
    return export, fmt


def enqueue_export_job(job_id: int) -> None:
    """Put the (committed) export job on the queue."""
    run_export_job(job_id)


ENQUEUE["export"] = enqueue_export_job


@huey.task(retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY)
def run_export_job(job_id: int) -> None:
    """The queue's task: build export job `job_id` in the worker's app context."""
    run_in_job_app(_run, job_id)


def _run(job_id: int) -> None:
    """Build the file from one moment of the data, rename it into place, then mark the job done
    with its audit event; a refusal fails the job, an unexpected error retries it."""
    path = None
    try:
        job = db.session.get(PrintJob, job_id)
        if not start_job(job):
            return
        plan_id, user_id = job.plan_id, job.created_by_id
        export, fmt = job_export(job)
        spec = EXPORTS[export]
        filename = f"export-{job_id}-{secrets.token_hex(8)}.{fmt}"
        path = prints_dir() / filename
        partial = path.with_name(filename + ".partial")
        begin_read_snapshot()
        plan = db.session.get(Plan, plan_id)
        user = db.session.get(User, user_id) if user_id else None
        reports = spec.build(plan)
        meta = plan_meta(str(spec.label), plan, user)
        data = csv_bytes(reports[0], meta) if fmt == "csv" else xlsx_bytes(reports, meta)
        commit_or_rollback()
        try:
            partial.write_bytes(data)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        log_event(
            "export",
            "plan",
            plan_id,
            community_id=job.community_id,
            after={
                "export": export,
                "format": fmt,
                "rows": sum(len(r.rows) for r in reports),
                "bytes": len(data),
                "via": "queue",
            },
            actor=user.actor_label if user else None,
        )
        job = db.session.get(PrintJob, job_id)
        job.status, job.filename, job.message, job.done = "done", filename, "", 1
        job.finished_at = job.updated_at = utcnow()
        db.session.commit()
    except DomainError as exc:
        _discard(path)
        fail_job(job_id, str(exc))
    except Exception:
        _discard(path)
        log.exception("export job %s failed", job_id)
        if retry_or_fail(job_id, FAILED):
            raise


def _discard(path) -> None:
    """Remove a renamed file whose job could not be marked done."""
    if path is not None:
        path.unlink(missing_ok=True)
