"""Fixtures of the reliability tests: the example community, with its plan open for voting."""

import os
from datetime import timedelta

import pytest

from app.extensions import db
from tests.conftest import DATA, PG_URL


def is_postgres(app) -> bool:
    """True when the suite runs on PostgreSQL."""
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def pytest_runtest_setup(item):
    """Tests marked postgres_only are skipped, with the reason, when the suite runs on SQLite."""
    if item.get_closest_marker("postgres_only") and not PG_URL:
        pytest.skip("PostgreSQL only (row locks, pg_dump): set COPLAN_TEST_DATABASE_URL")


# Phase dates relative to today (days), so the schedule keeps the plan in the wanted phase.
SCHEDULES = {
    "proposals": {"proposals": (-1, 10), "drafting": (11, 19), "voting": (20, 30)},
    "drafting": {"proposals": (-20, -10), "drafting": (-9, 10), "voting": (11, 30)},
    "voting": {"proposals": (-30, -20), "drafting": (-19, -2), "voting": (-1, 30)},
}


def build_plan(app, phase: str = "voting") -> dict:
    """The roster example and plan example imported, with dates that put the plan in `phase`.

    Returns {"community_id", "plan_id", "households": {(building, unit, room): id}}.
    """
    from app.communities.models import Household
    from app.communities.operations import create_community, import_roster_file
    from app.plans.items import import_plan
    from app.plans.planfile import parse_plan_file
    from app.plans.queries import local_today
    from app.plans.workflow import set_phase

    with app.app_context():
        community = create_community("滨城区示例小区", "滨城区")
        with open(os.path.join(DATA, "roster-example.csv"), "rb") as fh:
            import_roster_file(community, fh.read(), "roster-example.csv")
        with open(os.path.join(DATA, "plan-example.json"), "rb") as fh:
            spec = parse_plan_file(fh.read())
        today = local_today()
        for name, (opens, closes) in SCHEDULES[phase].items():
            spec.dates[f"{name}_opens"] = today + timedelta(days=opens)
            spec.dates[f"{name}_closes"] = today + timedelta(days=closes)
        plan = import_plan(community, spec)
        if phase != plan.phase:
            set_phase(plan, phase)
        db.session.commit()
        households = {
            (h.building.name, h.unit.name, h.room): h.id
            for h in db.session.scalars(
                db.select(Household).where(Household.community_id == community.id)
            )
        }
        result = {"community_id": community.id, "plan_id": plan.id, "households": households}
        db.session.remove()
        return result


def build_voting_plan(app) -> dict:
    """The example community with its plan open for voting (from yesterday to 30 days on)."""
    return build_plan(app, "voting")


@pytest.fixture
def voting_plan(app):
    """The example community with its plan in the voting phase."""
    return build_voting_plan(app)
