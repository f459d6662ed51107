"""Plan fixtures: the example community with the example plan, in a chosen phase."""

import json
import os
from datetime import timedelta

import pytest

from app.extensions import db
from tests.conftest import DATA


@pytest.fixture
def example(app, factory):
    """The example roster (84 households) and plan (5 items), voting open today."""
    from app.communities.models import Community
    from app.plans.items import import_plan
    from app.plans.planfile import parse_plan_file
    from app.plans.queries import local_today
    from app.plans.workflow import set_phase

    def build(phase="voting", plan_file="plan-example.json", **dates):
        cid = factory.community("滨城区示例小区", roster=False)
        with app.test_request_context():
            community = db.session.get(Community, cid)
            from app.communities.operations import import_roster_file

            with open(os.path.join(DATA, "roster-example.csv"), "rb") as fh:
                import_roster_file(community, fh.read(), "roster.csv")
            with open(os.path.join(DATA, plan_file), encoding="utf-8") as fh:
                raw = json.load(fh)
            today = local_today()
            raw["phases"]["voting"] = {
                "opens": str(dates.get("opens", today - timedelta(days=1))),
                "closes": str(dates.get("closes", today + timedelta(days=10))),
            }
            raw["phases"]["drafting"] = {"opens": None, "closes": None}
            for item in raw["items"]:
                if "signup_closes" in item:
                    item["signup_closes"] = raw["phases"]["voting"]["closes"]
            plan = import_plan(community, parse_plan_file(json.dumps(raw).encode()))
            if phase in ("drafting", "voting"):
                set_phase(plan, "drafting")
            if phase == "voting":
                set_phase(plan, "voting")
            db.session.commit()
            return cid, plan.id

    return build


def household_id(app, building, unit, room):
    """The id of a household by its address."""
    from sqlalchemy import select

    from app.communities.models import Building, Household, Unit

    with app.app_context():
        return db.session.scalar(
            select(Household.id)
            .join(Building, Household.building_id == Building.id)
            .join(Unit, Household.unit_id == Unit.id)
            .where(Building.name == building, Unit.name == unit, Household.room == room)
        )
