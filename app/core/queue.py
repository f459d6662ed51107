"""The job queue (huey): an embedded SQLite queue in instance/ by default, Redis in production.

Long work (print batches, archives) is put on the queue as a task naming a row of the app's own
job table (`app.printing.models.PrintJob`); a worker process (`flask jobs worker`) takes it off
and runs it inside an app context of its own. The queue holds only "run job N": who asked, what,
the state, progress, file and error live in the table, so pages and the audit trail read them
there. Tests run tasks in the calling process (huey's immediate mode).
"""

import logging
from pathlib import Path

from flask import Flask, after_this_request, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from app.extensions import db

log = logging.getLogger(__name__)

QUEUE_NAME = "coplan"

# The one queue every task is registered on. Its storage is chosen by configure_queue() from
# the app's config (QUEUE_URL); until then it keeps tasks in memory.
huey = Huey(QUEUE_NAME, immediate=True, storage_class=MemoryStorage)

_app: Flask | None = None
# Run once when `flask jobs worker` starts, before it takes jobs (e.g. requeue what a dead
# worker left running); packages above core add theirs with on_worker_start.
_worker_start_hooks: list = []


def on_worker_start(fn):
    """Register `fn()` to run (in an app context) when a worker process starts."""
    _worker_start_hooks.append(fn)
    return fn


def run_worker_start_hooks() -> None:
    """Run the registered start hooks, in registration order."""
    for fn in _worker_start_hooks:
        fn()


def storage_for(url: str, name: str = QUEUE_NAME):
    """A huey storage for a queue URL: sqlite:///path, redis://host:port/db, or memory://."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return SqliteStorage(name, filename=str(path))
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(name, url=url)
    if url == "memory://":
        return MemoryStorage(name)
    raise ValueError(f"unknown queue URL {url!r}: use sqlite:///PATH or redis://HOST:PORT/DB")


def configure_queue(app: Flask) -> None:
    """Point the queue at the app's QUEUE_URL (or run tasks at once with QUEUE_IMMEDIATE), and
    remember the app, whose context the tasks run in."""
    global _app
    _app = app
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    huey.immediate = immediate
    if not immediate:
        huey.storage = storage_for(app.config["QUEUE_URL"])


def job_app() -> Flask:
    """The app a task runs in: the one whose context is active (a task run at once, in
    immediate mode, by the process that queued it), else the configured one (the worker's)."""
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        raise RuntimeError("the job queue is not configured: create the app first")
    return _app


def run_in_job_app(run, *args) -> None:
    """A task's body: `run(*args)` in the app context it belongs in, its session removed after
    (a worker runs many tasks in one process)."""
    with job_app().app_context():
        try:
            run(*args)
        finally:
            db.session.remove()


def enqueue_after_response(enqueue, *args) -> None:
    """Call `enqueue(*args)` once this request's response is closed: after the request's
    commit, so the worker always finds the job's row (in the app of this request)."""
    app = current_app._get_current_object()

    @after_this_request
    def enqueue_on_close(response):
        def enqueue_now():
            with app.app_context():
                enqueue(*args)

        response.call_on_close(enqueue_now)
        return response


def queue_kind() -> str:
    """What the queue runs on, for the worker's banner: sqlite, redis, memory or immediate."""
    if huey.immediate:
        return "immediate"
    storage = huey.storage
    if isinstance(storage, SqliteStorage):
        return f"sqlite ({storage.filename})"
    if isinstance(storage, RedisStorage):
        return "redis"
    return "memory"
