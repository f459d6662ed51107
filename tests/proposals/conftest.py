"""Proposal fixtures: two communities with a plan each, staff of the first, household clients."""

import io
from dataclasses import dataclass, field

import pytest
from PIL import Image
from sqlalchemy import select

from app.communities.models import Community, Household
from app.extensions import db
from app.plans.models import Plan
from tests.conftest import sign_in_staff

STAFF_ROLES = ("admin", "worker", "committee", "district")


def image_bytes(fmt: str = "JPEG", size=(40, 30), color=(200, 30, 30), exif: bytes | None = None):
    """A small real image in `fmt` (JPEG, PNG, WEBP, GIF, BMP)."""
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


@dataclass
class World:
    """Community A (staff, households, a plan) and community B (households, a plan)."""

    app: object
    a: int
    b: int
    plan_a: int
    plan_b: int
    codes_a: dict = field(default_factory=dict)  # household id → sign-in code
    codes_b: dict = field(default_factory=dict)
    _next_ip: int = 1

    @property
    def households_a(self) -> list[int]:
        """Household ids of A in roster order."""
        return sorted(self.codes_a)

    @property
    def households_b(self) -> list[int]:
        """Household ids of B in roster order."""
        return sorted(self.codes_b)

    def household_client(self, household_id: int):
        """A client signed in as the household (its own address, so sign-in limits stay apart)."""
        client = self.app.test_client()
        self._next_ip += 1
        client.environ_base["REMOTE_ADDR"] = f"10.9.{self._next_ip // 250}.{self._next_ip % 250}"
        code = self.codes_a.get(household_id) or self.codes_b[household_id]
        assert client.get(f"/h/{code}").status_code == 302
        return client

    def staff_client(self, role: str):
        """A client signed in as A's staff user of `role`."""
        client = self.app.test_client()
        self._next_ip += 1
        client.environ_base["REMOTE_ADDR"] = f"10.8.{self._next_ip // 250}.{self._next_ip % 250}"
        sign_in_staff(client, f"{role}-a")
        return client

    def set_phase(self, plan_id: int, phase: str) -> None:
        """Put a plan in a phase directly: the phase table is under test, not the transitions."""
        with self.app.app_context():
            db.session.get(Plan, plan_id).phase = phase
            db.session.commit()

    def staff_url(self, suffix: str = "", community_id=None, plan_id=None) -> str:
        """A staff proposals URL of community A's plan (or the ids given)."""
        cid = community_id or self.a
        pid = plan_id or self.plan_a
        return f"/c/{cid}/plans/{pid}/proposals{suffix}"


def _codes_by_id(app, community_id: int, codes: dict) -> dict[int, str]:
    """{household id: code} from the factory's {(building, unit, room): code}."""
    with app.app_context():
        found = {}
        for h in db.session.scalars(
            select(Household).where(Household.community_id == community_id)
        ):
            found[h.id] = codes[(h.building.name, h.unit.name, h.room)]
        return found


@pytest.fixture
def world(app, factory) -> World:
    """Two communities of 8 households each, a plan in the proposals phase in each, A's staff."""
    from app.plans.items import create_plan

    a = factory.community("甲小区", "东区", buildings=1, units=2, floors=2)
    b = factory.community("乙小区", "西区", buildings=1, units=2, floors=2)
    for role in STAFF_ROLES:
        factory.user(
            f"{role}-a",
            role,
            communities=[a] if role in ("worker", "committee") else [],
            district="东区" if role == "district" else "",
        )
    codes_a = _codes_by_id(app, a, factory.codes(a))
    codes_b = _codes_by_id(app, b, factory.codes(b))
    with app.test_request_context():
        plan_a = create_plan(db.session.get(Community, a), "甲小区改造方案").id
        plan_b = create_plan(db.session.get(Community, b), "乙小区改造方案").id
        db.session.commit()
    return World(app, a, b, plan_a, plan_b, codes_a, codes_b)


@pytest.fixture
def make_proposal(app, world):
    """Create a proposal through the real operation (in the proposals phase) and commit."""
    from app.proposals.operations import create_proposal

    def make(
        household_id=None,
        *,
        plan_id=None,
        title="楼道灯坏了",
        category="basic",
        photos=(),
        source="resident",
    ):
        with app.test_request_context():
            plan = db.session.get(Plan, plan_id or world.plan_a)
            household = db.session.get(Household, household_id) if household_id else None
            proposal = create_proposal(
                plan,
                household=household,
                source=source,
                title=title,
                body="晚上看不清，老人容易摔倒。",
                category=category,
                photos=list(photos),
            )
            db.session.commit()
            return proposal.id

    return make
