"""A large plan's archive is a job on the queue: the download answers at once with a progress
page, the worker builds the ZIP (temporary name, renamed), the page then offers the file; a
failure is retried and leaves no file; a dead worker's job is queued again.

The queue runs in immediate mode here (a job runs when its response is closed);
tests/core/test_queue.py runs a real worker process."""

import hashlib
import io
import zipfile
from contextlib import nullcontext

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.printing.models import PrintJob
from tests.conftest import sign_in_staff
from tests.reports.test_archive import archived  # noqa: F401


@pytest.fixture
def large(app, monkeypatch, tmp_path):
    """Every plan counts as large: its archive is built by the worker (into a folder of its
    own; the ballots file the archive keeps is copied there)."""
    from app.printing.jobs import prints_dir

    with app.app_context():
        before = prints_dir()
    monkeypatch.setitem(app.config, "ARCHIVE_INLINE_HOUSEHOLDS", 0)
    monkeypatch.setitem(app.config, "COPLAN_PRINT_DIR", str(tmp_path / "jobs"))
    (tmp_path / "jobs").mkdir()
    for kept in before.glob("ballots-*"):
        (tmp_path / "jobs" / kept.name).write_bytes(kept.read_bytes())


def _job(app, job_id=None) -> PrintJob:
    with app.app_context():
        query = select(PrintJob).where(PrintJob.kind == "archive")
        job = db.session.scalar(query.where(PrintJob.id == job_id) if job_id else query)
        db.session.expunge(job)
        return job


def _leftovers(app, job_id: int) -> list[str]:
    """The job's files in the job folder (finished or partial)."""
    from app.printing.jobs import prints_dir

    with app.app_context():
        prefix = f"archive-{job_id}-"
        return sorted(p.name for p in prints_dir().iterdir() if p.name.startswith(prefix))


@pytest.mark.slow
def test_a_large_plans_download_answers_with_a_progress_page_then_the_zip(
    app,
    archived,  # noqa: F811
    large,
):
    from app.reports.archive.build import verify_archive

    client = app.test_client()
    sign_in_staff(client, "committee1")
    base = f"/c/{archived['cid']}/plans/{archived['pid']}/archive"
    response = client.get(base + ".zip")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert "/archive/jobs/" in job_url
    # Before the worker takes it: the progress page, refreshing itself.
    waiting = client.get(job_url)
    assert waiting.headers["Refresh"] == "2" and "排队中" in waiting.get_data(as_text=True)
    assert client.get(job_url + "/file").status_code == 302
    response.close()  # as a WSGI server does: the job is queued once the response is closed
    job = _job(app)
    assert (job.status, job.attempts, job.done, job.total) == ("done", 1, 10, 10)
    page = client.get(job_url)
    assert "Refresh" not in page.headers and "下载档案（ZIP）" in page.get_data(as_text=True)
    download = client.get(job_url + "/file")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    data = download.get_data()
    result = verify_archive(io.BytesIO(data))
    assert result.ok, [p.message for p in result.problems]
    # The archive's print register lists print jobs only, never archive jobs (nor their ZIPs).
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not any(name.endswith(".zip") for name in names)
    # One audit trail: who asked, and the archive made by the worker in the user's name.
    with app.app_context():
        queued = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.queue"))
        made = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive"))
        assert queued.actor == made.actor == "user:committee1"
        assert made.after_data["via"] == "queue"
        assert made.after_data["sha256"] == hashlib.sha256(data).hexdigest()
    archive_page = client.get(base).get_data(as_text=True)
    assert "后台任务" in archive_page and job_url in archive_page
    assert _leftovers(app, job.id) == [job.filename]  # the renamed ZIP, no partial file


def test_a_small_plan_is_still_built_in_the_request(app, archived):  # noqa: F811
    client = app.test_client()
    sign_in_staff(client, "committee1")
    response = client.get(f"/c/{archived['cid']}/plans/{archived['pid']}/archive.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with app.app_context():
        assert db.session.scalar(select(PrintJob).where(PrintJob.kind == "archive")) is None


@pytest.mark.slow
def test_a_failing_archive_job_is_retried_then_fails_leaving_no_file(
    app,
    archived,  # noqa: F811
    large,
    monkeypatch,
):
    from app.printing.jobs import MAX_ATTEMPTS
    from app.reports.archive import jobs

    def half_written(plan, target, **kwargs):
        with open(target, "wb") as out:
            out.write(b"PK half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "build_archive", half_written)
    client = app.test_client()
    sign_in_staff(client, "worker1")
    response = client.get(f"/c/{archived['cid']}/plans/{archived['pid']}/archive.zip")
    response.close()
    job = _job(app)
    assert (job.status, job.attempts, job.filename) == ("queued", 1, None)
    assert "稍后自动重试" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _leftovers(app, job.id) == []
    for attempt in range(2, MAX_ATTEMPTS + 1):
        expected = pytest.raises(OSError) if attempt < MAX_ATTEMPTS else nullcontext()
        with expected, app.app_context():
            jobs.run_archive_job.call_local(job.id)
    job = _job(app, job.id)
    assert (job.status, job.attempts, job.filename) == ("failed", MAX_ATTEMPTS, None)
    page = client.get(response.headers["Location"])
    assert "没有留下文件" in page.get_data(as_text=True) and "Refresh" not in page.headers
    assert _leftovers(app, job.id) == []
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive")) is None
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "archive.failed")
        ).after_data["error"]


def test_a_job_left_running_by_a_dead_worker_is_queued_again(app, factory):
    """A worker killed mid-job leaves its job "running" under its host:pid; the next worker on
    that host queues it again (here run at once), and leaves a live worker's job alone."""
    import socket

    from app.plans.models import Plan
    from app.printing.jobs import recover_interrupted_jobs, worker_name

    cid = factory.community("空小区", buildings=1, units=1, floors=1)
    with app.app_context():
        plan = Plan(community_id=cid, title="新方案")
        db.session.add(plan)
        db.session.flush()
        dead = PrintJob(
            community_id=cid, plan_id=plan.id, kind="archive", status="running", attempts=1,
            worker=f"{socket.gethostname()}:999999999", total=10, done=3,
        )  # fmt: skip
        alive = PrintJob(
            community_id=cid, plan_id=plan.id, kind="archive", status="running", attempts=1,
            worker=worker_name(), total=10,
        )  # fmt: skip
        db.session.add_all([dead, alive])
        db.session.commit()
        ids = (dead.id, alive.id)
        assert recover_interrupted_jobs() == [ids[0]]
    dead, alive = _job(app, ids[0]), _job(app, ids[1])
    assert (dead.status, dead.attempts, dead.done) == ("done", 2, 10) and dead.filename
    assert alive.status == "running"


def test_a_job_delivered_twice_runs_once_and_a_forgotten_one_is_queued_again(app, factory):
    """The queue may deliver a job twice (a worker's start queues again what waited too long,
    while its first message may still come): the conditional claim runs it once."""
    from datetime import timedelta

    from app.core.db import utcnow
    from app.plans.models import Plan
    from app.printing.jobs import requeue_waiting_jobs
    from app.reports.archive.jobs import run_archive_job

    cid = factory.community("空小区", buildings=1, units=1, floors=1)
    with app.app_context():
        plan = Plan(community_id=cid, title="新方案")
        db.session.add(plan)
        db.session.flush()
        forgotten = PrintJob(
            community_id=cid, plan_id=plan.id, kind="archive", total=10,
            updated_at=utcnow() - timedelta(hours=1),
        )  # fmt: skip
        recent = PrintJob(community_id=cid, plan_id=plan.id, kind="archive", total=10)
        db.session.add_all([forgotten, recent])
        db.session.commit()
        ids = forgotten.id, recent.id
        assert requeue_waiting_jobs() == [ids[0]]  # run at once here (immediate mode)
    assert _job(app, ids[0]).status == "done" and _job(app, ids[1]).status == "queued"
    with app.app_context():
        run_archive_job.call_local(ids[0])  # its first message, delivered late
    job = _job(app, ids[0])
    assert (job.status, job.attempts) == ("done", 1)
    with app.app_context():
        made = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "archive")).all()
        assert len(made) == 1
