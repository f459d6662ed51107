"""`flask user ...` and `flask codes ...`."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts.operations import create_user
from app.communities.codes import issue_codes, write_codes_csv
from app.communities.queries import find_community
from app.core.cli import fail_on_domain_error
from app.core.db import transactional

user_cli = AppGroup("user", help="Staff accounts.")
codes_cli = AppGroup("codes", help="Household sign-in codes.")


@user_cli.command("create")
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "district", "worker", "committee"])
)
@click.option("--community", "communities", multiple=True, help="Community name (repeatable).")
@click.option("--district", default="", help="District, for district staff.")
@click.option("--name", "display_name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@fail_on_domain_error
@transactional
def user_create(username, role, communities, district, display_name, password_stdin):
    """Create a staff account; the password comes from a prompt or standard input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    targets = [find_community(name) for name in communities]
    user = create_user(
        username, password, role, communities=targets, district=district, display_name=display_name
    )
    click.echo(f"created {user.role} {user.username}")


@codes_cli.command("issue")
@click.argument("community")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write the codes to (they are not stored in plain text).",
)
@click.option("--only-missing", is_flag=True, help="Only households without a code.")
@click.option("--base-url", default=None, help="Base of the QR links, e.g. https://coplan.gov.cn")
@fail_on_domain_error
def codes_issue(community, out: Path, only_missing, base_url):
    """Issue sign-in codes and write them, with their QR links, to a CSV file."""
    base = (base_url or current_app.config["PUBLIC_BASE_URL"] or "http://127.0.0.1:5000").rstrip(
        "/"
    )
    # Committed before the file is written: a file never holds codes that do not work.
    issued = transactional(issue_codes)(find_community(community), only_missing=only_missing)
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        header = ["building", "unit", "room", "owner", "code", "link"]
        write_codes_csv(fh, issued, lambda code: f"{base}/h/{code}", header)
    click.echo(f"issued {len(issued)} codes to {out}")


commands = [user_cli, codes_cli]
