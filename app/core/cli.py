"""`flask audit ...`, `flask backup`, and the helper that turns domain errors into a clear exit."""

import functools
import logging
import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from app.core.backup import BackupError, backup_database
from app.core.errors import DomainError
from app.extensions import db

# Its commands (verify, head) live in app.communities.cli, which can name communities.
audit_cli = AppGroup("audit", help="The audit trails: one chain per community, one city-wide.")


def fail_on_domain_error(fn):
    """Print a refused operation's reasons to stderr and exit with status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            for reason in exc.reasons:
                click.echo(f"error: {reason}", err=True)
            sys.exit(1)

    return wrapper


@click.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (SQLite: a database file; PostgreSQL: a pg_dump custom-format archive).",
)
@with_appcontext
def backup_command(out: Path):
    """Write a consistent copy of the database (SQLite online backup, or pg_dump)."""
    try:
        result = backup_database(db.engine.url, out)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup written: {result.path} ({result.kind}, {result.size} bytes)")


jobs_cli = AppGroup("jobs", help="The job queue: print batches and archives.")


@jobs_cli.command("worker")
@click.option("--workers", default=1, show_default=True, help="Jobs run at the same time.")
@with_appcontext
def jobs_worker(workers: int):
    """Take jobs off the queue and run them until stopped (Ctrl-C or SIGTERM)."""
    from app.core.queue import huey, queue_kind, run_worker_start_hooks

    if huey.immediate:
        click.echo("error: the queue runs jobs at once here (QUEUE_IMMEDIATE); no worker needed")
        sys.exit(1)
    click.echo(f"coplan jobs worker: queue {queue_kind()}, {workers} worker(s)")
    # Each job started, finished, retried or failed, on stderr (journald under systemd).
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_worker_start_hooks()
    consumer = huey.create_consumer(workers=workers, worker_type="thread", check_worker_health=True)
    consumer.run()


commands = [audit_cli, backup_command, jobs_cli]
