"""`flask community ...` and `flask roster ...`: the same operations as the pages."""

from pathlib import Path

import click
from flask.cli import AppGroup

from app.communities.operations import create_community, import_roster_file
from app.communities.queries import find_community
from app.core.cli import fail_on_domain_error
from app.core.db import transactional

community_cli = AppGroup("community", help="Communities (小区).")
roster_cli = AppGroup("roster", help="Household rosters (花名册).")


@community_cli.command("create")
@click.argument("name")
@click.option("--district", default="", help="District (区) the community belongs to.")
@click.option("--street", default="")
@click.option("--address", default="")
@fail_on_domain_error
@transactional
def community_create(name, district, street, address):
    """Create a community."""
    community = create_community(name, district, street, address)
    click.echo(f"created community {community.id}: {community.name}")


@roster_cli.command("import")
@click.argument("community")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@fail_on_domain_error
@transactional
def roster_import(community, file: Path):
    """Import a roster file (CSV in UTF-8 or GB18030, or XLSX); all or nothing."""
    target = find_community(community)
    summary = import_roster_file(target, file.read_bytes(), file.name)
    for line in summary["skipped"]:
        click.echo(line)
    click.echo(
        "imported {households_in_file} households: {created} new, {updated} updated, "
        "{unchanged} unchanged".format(**summary)
    )
    for plan_id in summary["frozen_plans_unaffected"]:
        click.echo(f"plan {plan_id}: electorate frozen when voting opened; this import leaves it")


commands = [community_cli, roster_cli]
