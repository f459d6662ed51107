"""`flask community ...` and `flask roster ...`: the same operations as the pages."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.communities.models import Community
from app.communities.operations import create_community, import_roster_file
from app.communities.queries import find_community
from app.core.audit import CITY, chain_head, chains, verify_anchor, verify_chain
from app.core.cli import audit_cli, fail_on_domain_error
from app.core.db import transactional
from app.core.reconcile import NO_EVENT, baseline, has_baseline, reconcile
from app.extensions import db

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


def _chain_name(chain: int) -> str:
    if chain == CITY:
        return "city-wide chain"
    community = db.session.get(Community, chain)
    return f"chain of {community.name if community else f'community {chain}'} ({chain})"


@audit_cli.command("verify")
@click.option("--community", "community_name", help="Only this community's chain and rows.")
@click.option(
    "--anchor",
    help="SEQ:HASH printed on a notice: the chain must still hold that exact event "
    "(needs --community).",
)
@click.option("--chains-only", is_flag=True, help="Walk the chains only, not the rows.")
@fail_on_domain_error
def audit_verify(community_name: str | None, anchor: str | None, chains_only: bool):
    """Walk the chains (sequence without gaps, every hash, every link) and reconcile every
    audited row with its community's chain. Exit 1 listing each problem."""
    if anchor and not community_name:
        raise click.UsageError("--anchor needs --community")
    if community_name:
        selected = [find_community(community_name).id]
    else:  # every chain, and every community (a community's rows may have no chain at all)
        selected = sorted(set(chains()) | set(db.session.scalars(db.select(Community.id))))
    failed = False
    for chain in selected:
        report = verify_chain(chain)
        name = _chain_name(chain)
        if report.ok:
            click.echo(f"{name}: intact, {report.checked} events, head {report.head or '-'}")
        else:
            failed = True
            click.echo(
                f"{name}: BROKEN at event {report.broken_at}: {report.reason} "
                f"({report.checked} events before it are intact)",
                err=True,
            )
        if chain == CITY or chains_only:
            continue
        findings = reconcile(chain)
        db.session.expunge_all()
        if not findings:
            click.echo(f"{name}: every audited row reconciles with the chain")
            continue
        failed = True
        click.echo(f"{name}: {len(findings)} rows do not reconcile with the chain", err=True)
        for finding in findings:
            click.echo(f"  row {finding}", err=True)
        if not has_baseline(chain) and any(f.problem == NO_EVENT for f in findings):
            click.echo(
                "  (rows made before rows were recorded need `flask audit baseline` once, "
                "right after upgrading)",
                err=True,
            )
    if anchor:
        try:
            check = verify_anchor(selected[0], anchor)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--anchor") from exc
        if check.ok:
            click.echo(f"anchor {check.seq}:{check.expected[:16]}… is in the chain, unchanged")
        else:
            failed = True
            found = "no such event" if check.found is None else f"hash there is {check.found}"
            click.echo(
                f"anchor {check.seq}:{check.expected[:16]}… NOT in the chain ({found})", err=True
            )
    if failed:
        sys.exit(1)


@audit_cli.command("baseline")
@click.option("--community", "community_name", help="Only this community.")
@fail_on_domain_error
@transactional
def audit_baseline(community_name: str | None):
    """Once, right after upgrading a database made before rows were recorded: record every
    audited row no event records yet, one event per community. Refused where done already."""
    if community_name:
        selected = [find_community(community_name)]
    else:
        selected = db.session.scalars(db.select(Community).order_by(Community.id)).all()
    for community in selected:
        count = baseline(community.id)
        if count is None:
            click.echo(f"{community.name}: baseline recorded before; nothing done")
        else:
            click.echo(f"{community.name}: baseline recorded, {count} rows")


@audit_cli.command("head")
@click.argument("community")
@fail_on_domain_error
def audit_head(community: str):
    """Print the community chain's head as SEQ:HASH (the last token on the line)."""
    head = chain_head(find_community(community).id)
    click.echo(f"head {head.head if head else '0:' + '0' * 64}")


commands = [community_cli, roster_cli]
