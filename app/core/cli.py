"""`flask audit ...`, and the helper that turns domain errors into a clear exit."""

import functools
import sys

import click
from flask.cli import AppGroup

from app.core.audit import verify_chain
from app.core.errors import DomainError

audit_cli = AppGroup("audit", help="The audit trail.")


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


@audit_cli.command("verify")
def audit_verify():
    """Check the hash chain; report the first broken link."""
    report = verify_chain()
    if report.ok:
        click.echo(f"audit trail intact: {report.checked} events checked")
        return
    click.echo(
        f"audit trail broken at event {report.broken_at}: {report.reason} "
        f"({report.checked} events before it are intact)",
        err=True,
    )
    sys.exit(1)


commands = [audit_cli]
