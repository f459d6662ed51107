"""Opt-in fixtures: the example community and plan with two opt-in items (户内自选), voting open.

The opt-in items are created directly (the plan file's opt-in fields are another helper's work):
D1 入户电线改造, a fixed 1 800 元 minus a 500 元 subsidy, whole community, no minimum;
D2 更换入户门, 12.35 元/m² minus 200 元, 3号楼 only, at least 3 households.
"""

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.plans.conftest import example, household_id  # noqa: F401


@pytest.fixture
def optin_plan(app, example):  # noqa: F811
    """(community id, plan id, {key: item id}) with voting open today."""
    from app.communities.models import Building
    from app.plans.models import Item, ItemScope, Plan
    from app.plans.workflow import set_phase

    def build(phase="voting", **dates):
        cid, pid = example("drafting", **dates)
        with app.test_request_context():
            plan = db.session.get(Plan, pid)
            building3 = db.session.scalar(
                select(Building.id).where(Building.community_id == cid, Building.name == "3号楼")
            )
            d1 = Item(
                community_id=cid,
                plan_id=pid,
                key="D1",
                position=10,
                title="入户电线改造",
                summary="电力增容后，户内电线由施工单位统一更换",
                category="improvement",
                kind="opt_in",
                price_fen=180_000,
                subsidy_fen=50_000,
            )
            d2 = Item(
                community_id=cid,
                plan_id=pid,
                key="D2",
                position=11,
                title="更换入户门",
                category="enhancement",
                kind="opt_in",
                price_fen_per_m2=1235,
                subsidy_fen=20_000,
                min_uptake=3,
            )
            db.session.add_all([d1, d2])
            db.session.flush()
            db.session.add(ItemScope(community_id=cid, item_id=d2.id, building_id=building3))
            db.session.flush()
            db.session.expire(plan, ["items"])
            if phase == "voting":
                set_phase(plan, "voting")
            db.session.commit()
            ids = dict(
                db.session.execute(select(Item.key, Item.id).where(Item.plan_id == pid)).all()
            )
            return cid, pid, ids

    return build
