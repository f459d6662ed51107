"""`flask plan ...`: import a plan file, move a plan's phase."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.communities.queries import find_community
from app.core.cli import fail_on_domain_error
from app.core.db import transactional
from app.extensions import db
from app.plans.items import import_plan
from app.plans.models import Plan
from app.plans.phases import PHASES
from app.plans.planfile import PlanFileError, parse_plan_file
from app.plans.planschema import schema_json
from app.plans.workflow import set_phase

plan_cli = AppGroup("plan", help="Renovation plans (改造方案).")


@plan_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", default=None, help="Community name (default: the file's).")
@fail_on_domain_error
@transactional
def plan_import(file: Path, community):
    """Create a plan from a plan file (JSON, docs/formats.md#plan-file); all or nothing."""
    try:
        spec = parse_plan_file(file.read_bytes())
    except PlanFileError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    target = find_community(community or spec.community)
    plan = import_plan(target, spec)
    click.echo(f"imported plan {plan.id}: {plan.title} ({len(spec.items)} items)")


@plan_cli.command("phase")
@click.argument("plan_id", type=int)
@click.argument("phase", type=click.Choice(PHASES))
@fail_on_domain_error
@transactional
def plan_phase(plan_id: int, phase: str):
    """Move a plan to a later phase.

    proposals → drafting → voting → published → works → acceptance → evaluation → closed.
    """
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        click.echo(f"error: no plan {plan_id}", err=True)
        sys.exit(1)
    set_phase(plan, phase, reason="cli")
    click.echo(f"plan {plan.id} is now in phase {phase}")


@plan_cli.command("schema")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (docs/plan.schema.json) instead of printing.",
)
def schema_command(out: Path | None) -> None:
    """Print the plan file's JSON Schema (draft 2020-12), or write it to --out."""
    text = schema_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")


commands = [plan_cli]
