"""`flask tally PLAN [--json]`: the same count as the results pages, for scripts and checks."""

import json
import sys

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.plans.models import Plan
from app.tally.document import exact, opt_in_json, tally_document
from app.tally.queries import tally_plan


@click.command("tally")
@click.argument("plan_id", metavar="PLAN", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the tally document (docs/formats.md).")
@with_appcontext
def tally_command(plan_id: int, as_json: bool):
    """Tally plan PLAN (its id) by Civil Code art. 278 and print the result."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        click.echo(f"error: no plan with id {plan_id}", err=True)
        sys.exit(1)
    result = tally_plan(plan)
    if as_json:
        click.echo(json.dumps(tally_document(result), ensure_ascii=False, indent=2))
        return
    state = "provisional (voting open)" if result.provisional else "voting over"
    b = result.ballots
    click.echo(f"plan {plan.id}: {plan.title} [{plan.phase}, {state}]")
    channels = ", ".join(f"{k} {v}" for k, v in b.by_channel.items())
    click.echo(
        f"ballots: {b.effective} effective ({channels}), {b.conflicts} conflicts, "
        f"{b.awaiting_entry} awaiting entry"
    )
    for r in result.items:
        t = r.tally
        took_part = exact(t.participating.owners)
        click.echo(
            f"{r.item.key:6} {'PASSED' if r.passed else 'not passed':10} "
            f"participating {took_part} of {exact(t.electorate.owners)} owners, "
            f"{t.participating.area} of {t.electorate.area} m²; "
            f"agree {exact(t.agree.owners)} owners, {t.agree.area} m²  {r.item.title}"
        )
        if r.options is not None:  # options within the item: each one's agree, then the outcome
            for o in r.options.options:
                mark = "" if o.passed is None else (" passes" if o.passed else " fails")
                click.echo(
                    f"       option {o.key}: agree {exact(o.agree.owners)} owners, "
                    f"{o.agree.area} m², {o.agree.households} households{mark}"
                )
            if r.options.chosen is not None:
                click.echo(f"       chosen option: {r.options.chosen}")
            elif r.undecided:
                click.echo(f"       undecided: runoff between {', '.join(r.options.runoff)}")
    for o in opt_in_json(plan):  # opt-in items: sign-ups, not votes (never counted)
        minimum = "no minimum" if o["min_uptake"] is None else f"minimum {o['min_uptake']}"
        click.echo(
            f"{o['key']:6} {'STANDS' if o['offer_stands'] else 'lapses':10} "
            f"opt-in: signed up {o['signed_up']}, declined {o['declined']} of "
            f"{o['households']} households ({minimum})  {o['title']}"
        )


commands = [tally_command]
