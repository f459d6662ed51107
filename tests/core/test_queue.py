"""The job queue: URLs choose the storage, and a real worker process (`flask jobs worker`)
takes a job off an SQLite queue and finishes it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from app.core.queue import huey, storage_for
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_queue_urls_choose_the_storage(tmp_path):
    sqlite = storage_for(f"sqlite:///{tmp_path}/q/queue.sqlite3")
    assert isinstance(sqlite, SqliteStorage) and (tmp_path / "q").is_dir()
    assert isinstance(storage_for("redis://127.0.0.1:6379/1"), RedisStorage)
    assert isinstance(storage_for("memory://"), MemoryStorage)
    with pytest.raises(ValueError, match="unknown queue URL"):
        storage_for("amqp://rabbit")


def test_configuration_picks_sqlite_by_default_and_redis_in_production(monkeypatch):
    import importlib

    import config

    monkeypatch.delenv("COPLAN_QUEUE_URL", raising=False)
    reloaded = importlib.reload(config)
    try:
        assert reloaded.DevelopmentConfig.QUEUE_URL.startswith("sqlite:///")
        assert reloaded.DevelopmentConfig.QUEUE_URL.endswith("queue.sqlite3")
        assert reloaded.ProductionConfig.QUEUE_URL == "redis://127.0.0.1:6379/1"
        assert reloaded.TestingConfig.QUEUE_IMMEDIATE is True
    finally:
        importlib.reload(config)


def test_the_worker_command_refuses_an_immediate_queue(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker"])
    assert result.exit_code == 1 and "QUEUE_IMMEDIATE" in result.output


@pytest.mark.slow
def test_a_worker_process_finishes_a_queued_archive_job(app, factory, tmp_path):
    from app.plans.models import Plan
    from app.printing.jobs import job_file
    from app.printing.models import PrintJob
    from app.reports.archive.jobs import enqueue_archive_job, queue_archive_job

    queue_url = f"sqlite:///{tmp_path}/queue.sqlite3"
    cid = factory.community("空小区", buildings=1, units=1, floors=2)
    with app.app_context():
        plan = Plan(community_id=cid, title="新方案")
        db.session.add(plan)
        db.session.flush()
        job_id = queue_archive_job(plan).id
        db.session.commit()
    # This process puts the job on the SQLite queue; the worker process takes it off.
    saved = huey.storage
    huey.immediate = False
    huey.storage = storage_for(queue_url)
    try:
        enqueue_archive_job(job_id)
    finally:
        huey.immediate = True
        huey.storage = saved
    env = os.environ | {
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COPLAN_QUEUE_URL": queue_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "COPLAN_HASH_KEY": app.config["HASH_KEY"],
    }
    env.pop("COPLAN_ENV", None)
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "jobs", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status not in ("done", "failed"):
            time.sleep(0.3)
            with app.app_context():
                status = db.session.scalar(select(PrintJob.status).where(PrintJob.id == job_id))
    finally:
        worker.send_signal(signal.SIGINT)  # Ctrl-C: huey stops gracefully
        output = worker.communicate(timeout=30)[0]
    assert status == "done", output
    assert "coplan jobs worker: queue sqlite" in output
    assert worker.returncode == 0, output
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert job.attempts == 1 and job.worker.endswith(f":{worker.pid}")
        assert job.filename.startswith(f"archive-{job_id}-") and job_file(job) is not None


def test_a_task_run_at_once_uses_the_app_that_queued_it(app):
    """Creating a second app (tests do) must not send the first one's jobs elsewhere: a task
    runs in the active app, and only a worker with no app active uses the configured one."""
    from app.core.queue import job_app
    from tests.conftest import another_app

    other = another_app(app)
    with app.app_context():
        assert job_app() is app
    with other.app_context():
        assert job_app() is other
    assert job_app() is other  # no app active: the last configured (the worker's only app)
