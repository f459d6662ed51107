"""Works fixtures: a community whose plan was voted, published and moved into `works`."""

import io
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from tests.conftest import sign_in_staff

PLAN_FILE = "app/demo/data/plan.json"


def jpeg(colour=(200, 120, 40), size=(64, 48)) -> bytes:
    """A small real JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


@dataclass
class WorksEstate:
    """Community A (plan in works: A1 passed, A2 failed) and community B (another tenant)."""

    app: object
    a: int
    b: int
    plan: int
    plan_b: int
    codes: dict  # household id -> sign-in code, community A
    codes_b: dict
    _ip: list = field(default_factory=lambda: [0])

    def _client(self):
        client = self.app.test_client()
        self._ip[0] += 1
        client.environ_base["REMOTE_ADDR"] = f"10.16.{self._ip[0] // 250}.{self._ip[0] % 250}"
        return client

    def household_client(self, household_id: int):
        """A client signed in as the household."""
        client = self._client()
        code = self.codes.get(household_id) or self.codes_b[household_id]
        assert client.get(f"/h/{code}").status_code == 302
        return client

    def staff_client(self, username: str):
        """A client signed in as a staff user."""
        client = self._client()
        sign_in_staff(client, username)
        return client

    @property
    def households(self) -> list[int]:
        """Household ids of A in order."""
        return sorted(self.codes)

    def works_ids(self, plan_id=None) -> list[int]:
        """Ids of a plan's works (A's by default)."""
        from app.works.models import Works

        with self.app.app_context():
            return list(
                db.session.scalars(
                    select(Works.id)
                    .where(Works.plan_id == (plan_id or self.plan))
                    .order_by(Works.id)
                )
            )


def published_plan_in_works(app, community_id: int, *, key_prefix: str) -> int:
    """Import A1 and A2 of the demo plan, everyone agrees to A1 and opposes A2, publish the
    final result and enter `works`; returns the plan id."""
    from app.communities.models import Community, Household
    from app.plans.items import import_plan
    from app.plans.planfile import parse_plan_file
    from app.plans.queries import items_for_household, local_today
    from app.plans.workflow import end_voting, set_phase
    from app.tally.operations import publish_final, publish_preliminary
    from app.voting.operations import cast_online_ballot

    with app.test_request_context():
        community = db.session.get(Community, community_id)
        with open(PLAN_FILE, encoding="utf-8") as fh:
            raw = json.load(fh)
        today = local_today()
        raw["community"] = community.name
        raw["items"] = [i for i in raw["items"] if i["key"] in ("A1", "A2")]
        raw["phases"] = {
            "voting": {"opens": str(today - timedelta(days=5)), "closes": str(today)},
            "objection_days": 7,
        }
        plan = import_plan(community, parse_plan_file(json.dumps(raw).encode()))
        set_phase(plan, "voting")
        households = db.session.scalars(
            select(Household).where(Household.community_id == community_id)
        ).all()
        for household in households:
            choices = {
                i.id: "agree" if i.key == "A1" else "oppose"
                for i in items_for_household(plan, household)
            }
            cast_online_ballot(plan, household, choices, set(), f"{key_prefix}-{household.id}")
        end_voting(plan, "test")
        publish_preliminary(plan, today)
        publish_final(plan, plan.objections_close + timedelta(days=1))
        set_phase(plan, "works")
        db.session.commit()
        return plan.id


@pytest.fixture
def works_estate(app, factory):
    """Communities A (8 households) and B (4); both plans in works."""
    a = factory.community("甲小区", buildings=2, units=1, floors=2, per_floor=2)
    b = factory.community("乙小区", buildings=2, units=1, floors=1, per_floor=2)
    factory.user("worker-a", "worker", communities=[a])
    factory.user("committee-a", "committee", communities=[a])
    factory.user("worker-b", "worker", communities=[b])
    factory.user("district-1", "district", district="滨城区")
    codes_a = factory.codes(a)
    codes_b = factory.codes(b)
    plan = published_plan_in_works(app, a, key_prefix="a")
    plan_b = published_plan_in_works(app, b, key_prefix="b")
    from app.communities.models import Building, Household, Unit

    def by_id(codes, community_id):
        with app.app_context():
            ids = {}
            for (building, unit, room), code in codes.items():
                ids[
                    db.session.scalar(
                        select(Household.id)
                        .join(Building, Household.building_id == Building.id)
                        .join(Unit, Household.unit_id == Unit.id)
                        .where(
                            Household.community_id == community_id,
                            Building.name == building,
                            Unit.name == unit,
                            Household.room == room,
                        )
                    )
                ] = code
            return ids

    return WorksEstate(app, a, b, plan, plan_b, by_id(codes_a, a), by_id(codes_b, b))
