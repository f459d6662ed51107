"""Jobs run by the queue's worker (app.core.queue): print batches here, archives in
app.reports.archive.jobs, all in one table (PrintJob) with their progress.

The request that queues a job commits its row and puts "run job N" on the queue once the
response is closed; the worker runs it in an app context of its own, reports progress in short
transactions (the page polls them), writes its file under a temporary name renamed at the end,
and writes the batch's codes or serials with the finished file in one final transaction. An
unexpected error is retried (MAX_ATTEMPTS runs in all); a refusal fails at once. A worker killed
mid-job leaves the job running with its "host:pid": the next worker started on that host queues
it again (recover_interrupted_jobs), and pages read a silent job as failed (STALE).
"""

import logging
import os
import secrets
import socket
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.accounts.models import User
from app.core.audit import log_event
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.queue import huey, on_worker_start, run_in_job_app
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
MAX_ATTEMPTS = 3  # runs of a job before an unexpected error fails it
RETRY_DELAY = 5  # seconds before the queue runs a job again


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
    """The job's status, reading a silent running job as failed (its worker died); a queued job
    waits in the queue until a worker takes it."""
    if job.status == "running" and utcnow() - job.updated_at > STALE:
        return "failed"
    return job.status


def progress_page(template: str, job: PrintJob, **context):
    """A job's page (template gets `job`, `status`, `available` and `context`); while the job
    is queued or running, the standard Refresh header polls it without JavaScript."""
    status = effective_status(job)
    page = render_template(
        template, job=job, status=status, available=job_file(job) is not None, **context
    )
    return page, 200, ({"Refresh": "2"} if status in ("queued", "running") else {})


def worker_name() -> str:
    """This process, as recorded on the jobs it runs: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job(job: PrintJob) -> bool:
    """Claim a queued job for this process (committed); False if it is not queued (done,
    failed, or already taken). The claim is one conditional UPDATE, so a job delivered twice
    (requeued while still in the queue) runs once."""
    if job is None:
        return False
    now = utcnow()
    claimed = db.session.execute(
        update(PrintJob)
        .where(PrintJob.id == job.id, PrintJob.status == "queued")
        .values(
            status="running",
            worker=worker_name(),
            error=None,
            attempts=PrintJob.attempts + 1,
            started_at=now,
            updated_at=now,
        )
    ).rowcount
    db.session.commit()
    return claimed == 1


def retry_or_fail(job_id: int, message: str) -> bool:
    """After an unexpected error: queue the job again if it has runs left (True: the caller
    re-raises so the queue retries it), else record it failed."""
    db.session.rollback()
    job = db.session.get(PrintJob, job_id)
    if job is None:
        return False
    if job.attempts < MAX_ATTEMPTS:
        job.status, job.worker, job.updated_at = "queued", None, utcnow()
        job.message = str(_l("出错了，稍后自动重试。"))
        db.session.commit()
        return True
    fail_job(job_id, message)
    return False


def enqueue_print_job(job_id: int, base_url: str = "") -> None:
    """Put the (committed) job on the queue."""
    run_print_job(job_id, base_url)


@huey.task(retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY)
def run_print_job(job_id: int, base_url: str = "") -> None:
    """The queue's task: run print job `job_id` in the worker's app context."""
    run_in_job_app(_run, job_id, base_url)


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


def _run(job_id: int, base_url: str) -> None:
    """Prepare, render, apply; a refusal fails the job, an error retries it, nothing half-done."""
    try:
        job = _wait_visible(job_id)
        if not start_job(job):
            return
        user = db.session.get(User, job.created_by_id) if job.created_by_id else None
        actor = user.actor_label if user else None
        plan = db.session.get(Plan, job.plan_id)
        options = {}
        if job.kind == "letters":
            options = {"base_url": base_url, "contact": job.contact}
        batch = prepare(plan, job.kind, building_id=job.building_id, unit_id=job.unit_id, **options)
        job.total, job.updated_at = batch.households, utcnow()
        filename = f"{job.kind}-{job.id}-{secrets.token_hex(8)}.pdf"
        user_id = job.created_by_id
        # End the transaction before the long render, and touch no ORM object during it:
        # on SQLite every transaction holds the write lock the progress writes need.
        db.session.commit()
        path = prints_dir() / filename
        pages = render_to_file(batch, str(path), _ProgressWriter(job_id, batch.households))
        try:
            job = db.session.get(PrintJob, job_id)
            apply_batch(db.session.get(Plan, batch.plan_id), batch, user_id=user_id, actor=actor)
            finish_print_job(job, filename, pages, actor=actor)
            db.session.commit()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    except DomainError as exc:
        fail_job(job_id, str(exc))
    except Exception:
        log.exception("print job %s failed", job_id)
        if retry_or_fail(
            job_id, "打印时系统出错，没有写入任何更改。请稍后重试；如仍失败请联系管理员。"
        ):
            raise


def fail_job(job_id: int, message: str) -> None:
    """Record a failed job (it wrote nothing)."""
    db.session.rollback()
    job = db.session.get(PrintJob, job_id)
    if job is None:
        return
    job.status, job.error, job.message = "failed", message, ""
    job.updated_at = job.finished_at = utcnow()
    log_event(
        "archive.failed"
        if job.kind == "archive"
        else ("export.failed" if job.kind == "export" else "print.failed"),
        "print_job",
        job.id,
        community_id=job.community_id,
        after={"error": message},
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


def requeue_waiting_jobs() -> list[int]:
    """Put on the queue again the jobs still queued after STALE (their message may have been
    lost: the queue was down when the page queued them, or Redis lost it). A job delivered
    twice runs once (start_job). Called when a worker starts; returns the ids."""
    cutoff = utcnow() - STALE
    jobs = db.session.execute(
        select(PrintJob.id, PrintJob.kind).where(
            PrintJob.status == "queued", PrintJob.updated_at < cutoff
        )
    ).all()
    db.session.commit()
    for job_id, kind in jobs:
        ENQUEUE[kind](job_id)
    return [job_id for job_id, _kind in jobs]


def recover_interrupted_jobs(host: str | None = None) -> list[int]:
    """Queue again the jobs a dead worker on this host left running (its process is gone); a
    job out of runs is failed instead. Called when a worker starts; returns the ids requeued."""
    host = host or socket.gethostname()
    jobs = db.session.scalars(
        select(PrintJob).where(PrintJob.status == "running", PrintJob.worker.like(f"{host}:%"))
    ).all()
    requeued = []
    for job in jobs:
        pid = job.worker.rsplit(":", 1)[1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            fail_job(job.id, "任务多次中断（工作进程退出），没有写入任何更改。请重新提交。")
            continue
        job.status, job.worker, job.updated_at = "queued", None, utcnow()
        job.message = str(_l("工作进程中断，已重新排队。"))
        requeued.append((job.id, job.kind))
    db.session.commit()
    for job_id, kind in requeued:
        ENQUEUE[kind](job_id)
    return [job_id for job_id, _kind in requeued]


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs on this host."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# How a job of each kind is put on the queue again; app.reports.archive.jobs adds "archive".
ENQUEUE = {"letters": enqueue_print_job, "ballots": enqueue_print_job}


@on_worker_start
def recover_on_startup() -> None:
    """When a worker starts, queue again what a dead worker on this host left running, and
    what has waited in the queue too long."""
    recovered = recover_interrupted_jobs()
    if recovered:
        log.warning("requeued jobs left running by a stopped worker: %s", recovered)
    waiting = requeue_waiting_jobs()
    if waiting:
        log.warning("queued again jobs waiting since before %s: %s", STALE, waiting)
