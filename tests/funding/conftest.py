"""Builders for the funding tests: a community with an elevator unit, and a plan on it."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.communities.models import Building, Community, Household, Unit
from app.communities.operations import apply_roster_import, create_community, plan_roster_import
from app.communities.roster import RosterRow
from app.extensions import db
from app.plans.items import import_plan
from app.plans.models import Item, Plan
from app.plans.planfile import parse_plan_file
from app.plans.workflow import set_phase

B1_TABLE = {"1": 0, "2": 0, "3": 1.0, "4": 1.2, "5": 1.4, "6": 1.6}
# The worked elevator example (tests/funding/test_shares.py, test_plan_example_elevator_b1).
B1_EXPECTED = {
    "101": 0,
    "102": 0,
    "201": 0,
    "202": 0,
    "301": 3_708_791,
    "302": 4_945_055,
    "401": 4_450_549,
    "402": 5_934_066,
    "501": 5_192_308,
    "502": 6_923_077,
    "601": 5_934_066,
    "602": 7_912_088,
}

ITEMS = [
    {
        "key": "A1",
        "title": "外墙保温",
        "category": "basic",
        "cost_fen": 3_000_000,
        "funding": {"government": 1_000_000},
        "share_method": "area",
    },
    {
        "key": "A2",
        "title": "1号楼污水管",
        "category": "basic",
        "scope": {"buildings": ["1号楼"]},
        "cost_fen": 100_000,
        "funding": {},
        "share_method": "equal",
    },
    {
        "key": "B1",
        "title": "3号楼2单元加装电梯",
        "category": "improvement",
        "scope": {"units": [["3号楼", "2单元"]]},
        "cost_fen": 65_000_000,
        "funding": {"government": 20_000_000},
        "share_method": "floor",
        "floor_coefficients": B1_TABLE,
    },
]


def roster_rows() -> list[RosterRow]:
    """3号楼2单元: six floors, 60 and 80 m²; 3号楼1单元: 70 m²; 1号楼1单元: three floors."""
    rows: list[RosterRow] = []

    def add(building, unit, floor, door, area):
        n = len(rows) + 2
        rows.append(
            RosterRow(
                n, building, unit, f"{floor}0{door}", floor, Decimal(area), f"业主{n}", None, None
            )
        )

    for floor in range(1, 7):
        for door, area in ((1, "60.00"), (2, "80.00")):
            add("3号楼", "2单元", floor, door, area)
    for floor in range(1, 7):
        for door in (1, 2):
            add("3号楼", "1单元", floor, door, "70.00")
    for floor in range(1, 4):
        for door, area in ((1, "55.50"), (2, "72.25")):
            add("1号楼", "1单元", floor, door, area)
    return rows


def plan_file(community: str, items=None, **extra) -> bytes:
    """A plan file for `community` with the given items (default: A1, A2, B1)."""
    return json.dumps(
        {"community": community, "title": "改造方案", "items": items or ITEMS, **extra},
        ensure_ascii=False,
    ).encode()


class World:
    """Ids of what build_world made, and lookups on them (inside an app context)."""

    def __init__(self, community_id: int, plan_id: int):
        self.community_id = community_id
        self.plan_id = plan_id

    @property
    def community(self) -> Community:
        return db.session.get(Community, self.community_id)

    @property
    def plan(self) -> Plan:
        return db.session.get(Plan, self.plan_id)

    def item(self, key: str) -> Item:
        return db.session.scalar(select(Item).where(Item.plan_id == self.plan_id, Item.key == key))

    def household(self, label: str) -> Household:
        """A household by "3号楼2单元301"."""
        for h in db.session.scalars(
            select(Household).where(Household.community_id == self.community_id)
        ):
            if h.address_label == label:
                return h
        raise KeyError(label)

    def building_id(self, name: str) -> int:
        return db.session.scalar(
            select(Building.id).where(
                Building.community_id == self.community_id, Building.name == name
            )
        )

    def unit_households(self, building: str, unit: str) -> list[Household]:
        return db.session.scalars(
            select(Household)
            .join(Unit, Household.unit_id == Unit.id)
            .join(Building, Household.building_id == Building.id)
            .where(
                Household.community_id == self.community_id,
                Building.name == building,
                Unit.name == unit,
            )
        ).all()


def build_world(app, name="幸福小区", district="滨城区", items=None, rows=None, voting=False):
    """A community with the elevator roster and a plan; optionally moved into voting."""
    with app.test_request_context():
        community = create_community(name, district)
        apply_roster_import(
            community,
            plan_roster_import(community, rows or roster_rows()),
            filename="t",
            sha256="-",
        )
        plan = import_plan(community, parse_plan_file(plan_file(name, items)))
        if voting:
            set_phase(plan, "voting")
        db.session.commit()
        return World(community.id, plan.id)


@pytest.fixture
def world(app):
    """The elevator community and its plan, still in the proposals phase."""
    return build_world(app)
