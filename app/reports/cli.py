"""`flask archive PLAN --out FILE.zip` builds a plan's archive; `flask archive verify FILE.zip`
checks one (exit status 0 when intact, 1 with each problem listed)."""

import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.core.cli import fail_on_domain_error
from app.core.db import begin_snapshot, commit_or_rollback
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Plan
from app.reports.archive.build import build_archive, record_archive, verify_archive


class _ArchiveGroup(AppGroup):
    """A group whose default subcommand is `build`: `flask archive 12 --out x.zip` builds."""

    def parse_args(self, ctx, args):
        """Route anything that is not a subcommand or an option to `build`."""
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["build", *args]
        return super().parse_args(ctx, args)


archive = _ArchiveGroup(
    "archive",
    help=(
        "The plan archive (一小区一档案). `flask archive PLAN --out FILE.zip` builds one; "
        "`flask archive verify FILE.zip` checks one."
    ),
)


@archive.command("build")
@click.argument("plan_id", metavar="PLAN", type=int)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The ZIP file to write.",
)
@fail_on_domain_error
def build_command(plan_id: int, out: Path):
    """Build the archive of plan PLAN (its id) into FILE.zip; the build is audited."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise DomainError(f"no plan with id {plan_id}")
    partial = out.with_name(out.name + ".partial")
    # One transaction, as `transactional` would, but the file takes its name only once the
    # audit event recording it is committed: no archive exists that the trail does not know.
    try:
        begin_snapshot()  # every file of the archive describes the same moment
        info = build_archive(plan, partial)
        commit_or_rollback()  # the snapshot ends before the audit event reads the chain's end
        record_archive(plan, info, via="cli", filename=out.name)
        commit_or_rollback()
        os.replace(partial, out)
    except BaseException:
        db.session.rollback()
        partial.unlink(missing_ok=True)
        raise
    click.echo(f"archive: {out}")
    click.echo(f"files:   {info.files}")
    click.echo(f"size:    {info.size} bytes")
    click.echo(f"sha256:  {info.sha256}")


@archive.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(file: Path):
    """Check FILE.zip against its manifest and its audit chain; exit 1 listing each problem."""
    result = verify_archive(file)
    manifest = result.manifest or {}
    plan = manifest.get("plan") or {}
    community = manifest.get("community") or {}
    if manifest:
        click.echo(
            f"archive of plan {plan.get('id')} ({plan.get('title')}), "
            f"community {community.get('name')}, made {manifest.get('created_at')} "
            f"by {manifest.get('created_by')}"
        )
    click.echo(f"sha256:  {result.sha256}")
    for note in result.notes:
        click.echo(f"note: {note.message}")
    if not result.ok:
        for problem in result.problems:
            click.echo(f"problem [{problem.kind}]: {problem.message}", err=True)
        click.echo(f"FAILED: {len(result.problems)} problem(s)", err=True)
        sys.exit(1)
    audit = result.audit
    events = f", audit trail: {audit.events} events intact" if audit else ""
    click.echo(f"OK: {result.files_checked} files match the manifest{events}")


commands = [archive]
