"""The district rollup: the queue's worker recounts the overview's stale tally summaries.

The overview queues it when it had to show stored figures of an earlier moment, or none yet
(district.summaries). One rollup runs at a time (a lock on the queue's storage: Redis in
production, so across every worker process); it recounts every community's current plan whose
summary is missing or stale, a batch per read snapshot, so a rollup queued while another runs
finds little left to do. Its result is the summary table itself, which every web worker reads:
there is no file and nobody waits on it, so it keeps no row in the job table; a failed run is
retried by the queue, and the next overview queues another anyway.
"""

import logging

from huey.exceptions import TaskLockedException
from sqlalchemy import select

from app.core.queue import enqueue_after_response, huey, run_in_job_app
from app.district.queries import TALLIED, newest_plan_ids
from app.district.summaries import BATCH, refresh_summaries
from app.extensions import db
from app.plans.models import Plan
from app.plans.queries import local_today

log = logging.getLogger(__name__)

ROLLUP_LOCK = "district-rollup"


def rollup() -> int:
    """Recount every stale summary of the city's tallied plans; returns how many."""
    today = local_today()
    plan_ids = db.session.scalars(
        select(Plan.id)
        .where(Plan.id.in_(newest_plan_ids()), Plan.phase.in_(TALLIED))
        .order_by(Plan.id)
    ).all()
    db.session.rollback()  # nothing written: the batches read in snapshots of their own
    recounted = 0
    for start in range(0, len(plan_ids), BATCH):
        recounted += refresh_summaries(plan_ids[start : start + BATCH], today)
    return recounted


@huey.task(retries=2, retry_delay=10)
def run_rollup() -> None:
    """The queue's task: the rollup in the worker's app context, one at a time."""
    try:
        with huey.lock_task(ROLLUP_LOCK):
            run_in_job_app(_logged_rollup)
    except TaskLockedException:
        log.info("district rollup already running: this one is not needed")


def _logged_rollup() -> None:
    recounted = rollup()
    log.info("district rollup: %d plan summaries recounted", recounted)


def queue_rollup() -> None:
    """Queue a rollup once this request's response is sent."""
    enqueue_after_response(run_rollup)
