"""`flask ballots ...`: the paper ballots file, entered as one worker's keying."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import User
from app.core.cli import fail_on_domain_error
from app.core.db import transactional
from app.core.errors import DomainError
from app.core.permissions import has_permission
from app.extensions import db
from app.paper.importing import import_paper_ballots
from app.plans.models import Plan

ballots_cli = AppGroup("ballots", help="Paper ballots (纸质表决票).")


def entering_user(username: str, plan: Plan) -> User:
    """The worker the keying is recorded for: active, allowed to enter ballots, in the community."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise DomainError(f"no active staff user {username!r}")
    if not has_permission(user, "ballot.enter"):
        raise DomainError(f"{username} ({user.role}) may not enter paper ballots")
    in_community = user.role == "admin" or any(
        m.community_id == plan.community_id for m in user.memberships
    )
    if not in_community:
        raise DomainError(f"{username} is not a member of this plan's community")
    return user


@ballots_cli.command("import")
@click.argument("plan_id", metavar="PLAN", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "username", required=True, help="The worker whose keying this file is.")
@fail_on_domain_error
@transactional
def ballots_import(plan_id: int, file: Path, username: str):
    """Enter a paper ballots file (CSV or XLSX) as one worker's keying; all or nothing."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        click.echo(f"error: no plan with id {plan_id}", err=True)
        sys.exit(1)
    user = entering_user(username, plan)
    summary = import_paper_ballots(plan, file.read_bytes(), file.name, user=user)
    click.echo(
        "entered {rows} paper ballots: {confirmed} confirmed, {pending} waiting for a second "
        "keying, {mismatch} sent to review".format(**summary)
    )


commands = [ballots_cli]
