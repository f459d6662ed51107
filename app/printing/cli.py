"""`flask print ...`: household letters and paper ballots as PDF, with a progress bar."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.communities.models import Building, Unit
from app.communities.normalize import normalize_building, normalize_unit
from app.core.cli import fail_on_domain_error
from app.core.db import commit_or_rollback
from app.core.errors import DomainError
from app.extensions import db
from app.formats.fonts import pdf_font
from app.formats.pdf import Pen
from app.plans.models import Plan
from app.printing.batches import prepare, render_to_file
from app.printing.notice_data import NOTICE_KINDS, notice_data, notice_problem
from app.printing.notices import draw_notice
from app.printing.operations import apply_batch
from app.printing.queries import ballots_printable

print_cli = AppGroup("print", help="PDFs: household letters and paper ballots.")


def find_plan(plan_id: int) -> Plan:
    """A plan by id, or a clear error."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise DomainError(f"no plan {plan_id}")
    return plan


def find_place(plan: Plan, building: str | None, unit: str | None) -> tuple[int | None, int | None]:
    """(building id, unit id) named on the command line, in the plan's community."""
    if unit and not building:
        raise DomainError("--unit needs --building")
    if not building:
        return None, None
    found = db.session.scalar(
        select(Building).where(
            Building.community_id == plan.community_id,
            Building.name == normalize_building(building),
        )
    )
    if found is None:
        raise DomainError(f"no building {building!r} in this plan's community")
    if not unit:
        return found.id, None
    unit_row = db.session.scalar(
        select(Unit).where(Unit.building_id == found.id, Unit.name == normalize_unit(unit))
    )
    if unit_row is None:
        raise DomainError(f"no unit {unit!r} in {found.name}")
    return found.id, unit_row.id


def run_batch(plan: Plan, kind: str, out: Path, building, unit, **options) -> None:
    """Prepare, render with a progress bar, then write codes or serials and keep the file."""
    pdf_font()  # no font: say how to install one before any work
    building_id, unit_id = find_place(plan, building, unit)
    batch = prepare(plan, kind, building_id=building_id, unit_id=unit_id, **options)
    if not batch.pages:
        raise DomainError("no household to print in this batch")
    # A device or pipe (/dev/stdout, /dev/null) is written through, never replaced by a file.
    special = out.exists() and not out.is_file()
    if special:
        handle, partial = tempfile.mkstemp(suffix=".pdf")
        os.close(handle)
    else:
        partial = f"{out}.uncommitted"
    label = f"{kind} ({batch.households} households)"
    try:
        with click.progressbar(length=batch.households, label=label, file=sys.stderr) as bar:
            pages = render_to_file(batch, partial, bar.update)
        apply_batch(plan, batch)
        commit_or_rollback()
        if special:
            shutil.copyfile(partial, out)
            os.remove(partial)
        else:
            os.replace(partial, out)
    except BaseException:
        db.session.rollback()
        if os.path.exists(partial):
            os.remove(partial)
        raise
    click.echo(f"wrote {pages} pages for {batch.households} households to {out}")


def _common(fn):
    """Options every batch command takes."""
    fn = click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))(fn)
    fn = click.option("--unit", default=None, help="Unit (单元) name; needs --building.")(fn)
    fn = click.option("--building", default=None, help="Building (楼栋) name, e.g. 3号楼.")(fn)
    return click.argument("plan_id", type=int)(fn)


@print_cli.command("letters")
@_common
@click.option("--contact", default="", help="Where residents get help, printed on the letter.")
@click.option("--base-url", default=None, help="Base of the QR links, e.g. https://coplan.gov.cn")
@fail_on_domain_error
def print_letters(plan_id, building, unit, out, contact, base_url):
    """Household letters with FRESH sign-in codes: each household's old code stops working."""
    plan = find_plan(plan_id)
    base = base_url or current_app.config["PUBLIC_BASE_URL"] or "http://127.0.0.1:5000"
    run_batch(plan, "letters", out, building, unit, base_url=base, contact=contact)


@print_cli.command("ballots")
@_common
@fail_on_domain_error
def print_ballots(plan_id, building, unit, out):
    """Paper ballots with new serials: each household's previous serial becomes void."""
    plan = find_plan(plan_id)
    problem = ballots_printable(plan)
    if problem:
        raise DomainError(problem)
    run_batch(plan, "ballots", out, building, unit)


@print_cli.command("notice")
@click.argument("plan_id", type=int)
@click.option(
    "--kind",
    type=click.Choice(NOTICE_KINDS),
    required=True,
    help="preliminary 公示, final 公告, or sheet (tally sheet with signature lines).",
)
@click.option("--contact", default="", help="Where objections and questions go.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@fail_on_domain_error
def print_notice(plan_id, kind, contact, out):
    """A result notice or the tally sheet of a plan, from its tally."""
    plan = find_plan(plan_id)
    problem = notice_problem(plan, kind)
    if problem:
        raise DomainError(problem)
    pen = Pen(str(out), title=f"{plan.title} {kind}")
    draw_notice(pen, notice_data(plan, kind, contact))
    pen.save()
    click.echo(f"wrote {pen.pages} pages to {out}")


commands = [print_cli]
