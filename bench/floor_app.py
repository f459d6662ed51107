"""The framework floor for bench/vote_throughput.py: CoPlan's own app, with one extra route that
does what the ballot confirmation does before any ballot work — the request hooks, the signed
session, the CSRF check, the household's sign-in lookup (``household_required``) — and then
inserts one row into bench/bare_app.py's table and commits.

A ballot does all of this and its own work besides, so its rate can't pass this floor's: the
floor's ratio to the bare insert bounds what any ballot write path behind this framework can
reach. Served by gunicorn for the bench only (``bench.floor_app:app``); never part of the app.
"""

from flask import g
from sqlalchemy import insert

from app import create_app
from app.communities.tenancy import household_required
from app.core.db import reads_first
from app.extensions import db
from bench.bare_app import rows

app = create_app()


@reads_first
@household_required
def floor():
    """One row for the signed-in household, in its own transaction → 204."""
    db.session.execute(insert(rows).values(payload=f"household {g.household.id}"))
    db.session.commit()
    return "", 204


app.add_url_rule("/bench/floor", "bench_floor", floor, methods=["POST"])
