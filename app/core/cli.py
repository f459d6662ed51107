"""`flask audit ...`, `flask backup`, and the helper that turns domain errors into a clear exit."""

import functools
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


commands = [audit_cli, backup_command]
