"""Shares through the database: the worked elevator example, fix_shares properties, revisions."""

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.communities.roster import RosterRow
from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.funding.operations import update_item_funding
from app.plans.models import HouseholdShare
from app.plans.shares import (
    household_shares,
    item_breakdown,
    plan_shares,
    share_problems,
)
from app.plans.workflow import close_voting, set_phase
from tests.conftest import db_examples
from tests.funding.conftest import B1_EXPECTED, build_world


def stored(item) -> dict[str, int]:
    """{room: fen} of the item's stored (computed) shares."""
    rows = db.session.execute(
        select(HouseholdShare).where(
            HouseholdShare.item_id == item.id, HouseholdShare.custom.is_(False)
        )
    ).scalars()
    from app.communities.models import Household

    return {db.session.get(Household, r.household_id).address_label: r.amount_fen for r in rows}


def test_worked_elevator_example_is_fixed_when_voting_opens(app, world, ctx):
    plan = world.plan
    b1 = world.item("B1")
    # Before voting: computed on the fly, nothing stored.
    assert stored(b1) == {}
    before = household_shares([b1], world.household("3号楼2单元602").id)
    assert before == {b1.id: 7_912_088}
    set_phase(plan, "voting")
    shares = stored(b1)
    # R = 65,000,000 − 20,000,000 = 45,000,000 fen; worked out by hand in test_shares.py.
    assert shares == {f"3号楼2单元{room}": fen for room, fen in B1_EXPECTED.items()}
    assert sum(shares.values()) == 45_000_000
    # Floors 1 and 2 pay nothing; nobody outside the unit has a share of B1.
    assert all(fen == 0 for label, fen in shares.items() if label[-3] in "12")
    assert household_shares([b1], world.household("3号楼1单元602").id) == {b1.id: 0}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "funding.fix_shares"))
    assert json.loads(event.after)["shares"] == 12 + 30 + 6  # B1 + A1 (all) + A2 (1号楼)


def test_breakdown_names_sources_residents_part_and_exempt_floors(app, world, ctx):
    b = item_breakdown(world.item("B1"))
    assert b.cost_fen == 65_000_000
    assert [(s.source, s.amount_fen) for s in b.sources] == [("government", 20_000_000)]
    assert b.residents_fen == 45_000_000
    assert "1、2 层免缴" in b.method_words
    assert b.floor_rows[0] == (1, "0") and b.floor_rows[-1] == (6, "1.6")


def test_fixed_shares_do_not_follow_a_later_direct_write(app, world, ctx):
    """What a household saw when voting opened is what stays, until a recorded revision."""
    set_phase(world.plan, "voting")
    b1 = world.item("B1")
    before = stored(b1)
    b1.cost_fen = 1  # a stray direct write must not move the fixed shares
    assert household_shares([b1], world.household("3号楼2单元602").id)[b1.id] == 7_912_088
    assert plan_shares(world.plan).shares[b1.id][world.household("3号楼2单元602").id] == 7_912_088
    assert stored(b1) == before


def test_funding_change_during_voting_goes_through_revision_and_refixes(app, world, ctx):
    plan = world.plan
    set_phase(plan, "voting")
    b1 = world.item("B1")
    args = dict(
        cost_fen=65_000_000,
        sources={"government": (30_000_000, "以奖代补 1000 万元")},
        share_method="floor",
        floor_coefficients={f: Decimal(c) for f, c in zip(range(1, 7), "001111", strict=True)},
    )
    with pytest.raises(DomainError) as refused:
        update_item_funding(b1, **args)
    assert "暂停表决" in str(refused.value)
    close_voting(plan, "调整电梯补助")
    with pytest.raises(DomainError):
        update_item_funding(b1, **args)  # no reason given
    update_item_funding(b1, **args, reason="区里追加以奖代补")
    assert b1.revision == 2 and b1.revision_reason == "区里追加以奖代补"
    shares = stored(b1)
    assert sum(shares.values()) == 35_000_000
    # Weights 60 and 80 on floors 3–6 (Σ 560): 35,000,000 × 60/560 and × 80/560, exactly.
    for floor in (3, 4, 5, 6):
        assert shares[f"3号楼2单元{floor}01"] == 3_750_000
        assert shares[f"3号楼2单元{floor}02"] == 5_000_000
    assert all(shares[f"3号楼2单元{f}0{d}"] == 0 for f in (1, 2) for d in (1, 2))
    assert [s.note for s in b1.funding] == ["以奖代补 1000 万元"]


def test_published_plan_refuses_funding_changes(app, world, ctx):
    set_phase(world.plan, "voting")
    set_phase(world.plan, "published")
    with pytest.raises(DomainError):
        update_item_funding(
            world.item("A1"),
            cost_fen=1,
            sources={},
            share_method="equal",
            floor_coefficients=None,
            reason="x",
        )


def test_impossible_split_is_refused_when_saved_and_named_when_voting_opens(app, world, ctx):
    a1 = world.item("A1")
    with pytest.raises(DomainError) as refused:
        update_item_funding(
            a1,
            cost_fen=3_000_000,
            sources={"government": (1_000_000, "")},
            share_method="floor",
            floor_coefficients={1: Decimal(1), 2: Decimal(1)},  # floors 3–6 missing
        )
    assert "楼层系数表缺少第 3、4、5、6 层" in str(refused.value)
    # A custom item without an upload cannot be split: voting still opens, the item is named.
    update_item_funding(
        a1,
        cost_fen=3_000_000,
        sources={"government": (1_000_000, "")},
        share_method="custom",
        floor_coefficients=None,
    )
    assert share_problems(world.plan) and "A1" in share_problems(world.plan)[0]
    set_phase(world.plan, "voting")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "funding.fix_shares"))
    assert "A1" in json.loads(event.after)["problems"]
    assert household_shares([a1], world.household("1号楼1单元101").id) == {a1.id: None}


def test_residents_check_must_match(app, world, ctx):
    with pytest.raises(DomainError) as refused:
        update_item_funding(
            world.item("A2"),
            cost_fen=100_000,
            sources={"government": (40_000, "")},
            share_method="equal",
            floor_coefficients=None,
            residents_check_fen=50_000,
        )
    assert "相差 100.00 元" in str(refused.value)


# --- properties through the database -----------------------------------------------------

_names = itertools.count()


def _rows(areas_and_floors):
    return [
        RosterRow(n + 2, "1号楼", "1单元", f"{floor}{n:02d}", floor, area, f"业主{n}", None, None)
        for n, (area, floor) in enumerate(areas_and_floors)
    ]


@settings(
    max_examples=db_examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    households=st.lists(
        st.tuples(
            st.integers(2_000, 20_000).map(lambda c: Decimal(c).scaleb(-2)),
            st.integers(1, 6),
        ),
        min_size=1,
        max_size=14,
    ),
    method=st.sampled_from(["equal", "area", "floor", "floor_flat"]),
    residents=st.integers(0, 50_000_000),
    coefficients=st.lists(st.integers(0, 20), min_size=6, max_size=6),
)
def test_fixed_shares_properties(app, households, method, residents, coefficients):
    table = {str(f): str(Decimal(c).scaleb(-1)) for f, c in enumerate(coefficients, start=1)}
    if all(Decimal(table[str(f)]) == 0 for _a, f in households):
        table[str(households[0][1])] = "1.0"  # somebody must be able to pay
    item = {
        "key": "X",
        "title": "测试",
        "category": "basic",
        "cost_fen": residents + 1_000,
        "funding": {"government": 1_000},
        "share_method": method,
        **({"floor_coefficients": table} if method.startswith("floor") else {}),
    }
    name = f"小区{next(_names)}"
    world = build_world(app, name=name, items=[item], rows=_rows(households), voting=True)
    with app.test_request_context():
        x = world.item("X")
        rows = db.session.scalars(select(HouseholdShare).where(HouseholdShare.item_id == x.id))
        by_household = {}
        from app.communities.models import Household

        for r in rows:
            h = db.session.get(Household, r.household_id)
            by_household[h.id] = (r.amount_fen, h.area, h.floor)
        shares = [s for s, _a, _f in by_household.values()]
        assert len(by_household) == len(households)
        assert sum(shares) == residents  # exactly the residents' part
        assert all(s >= 0 for s in shares)
        if method == "equal":
            assert max(shares) - min(shares) <= 1
        if method == "area":
            ordered = sorted(by_household.values(), key=lambda v: v[1])
            for (s1, a1, _), (s2, a2, _) in itertools.pairwise(ordered):
                assert s1 <= s2 or a1 == a2  # monotonic in area (ties may differ by one fen)
                if a1 == a2:
                    assert abs(s1 - s2) <= 1
        if method.startswith("floor"):
            for share, _area, floor in by_household.values():
                if Decimal(table[str(floor)]) == 0:
                    assert share == 0  # exempt floors pay nothing
        db.session.remove()


def test_shares_are_worked_out_once_inside_a_read_only_build(app, world, ctx):
    """reading_once() lets an archive ask for shares repeatedly at the cost of one."""
    from app.core.memo import reading_once

    assert plan_shares(world.plan) is not plan_shares(world.plan)  # outside: afresh each time
    with reading_once():
        first = plan_shares(world.plan)
        assert plan_shares(world.plan) is first
    assert plan_shares(world.plan) is not first
    assert plan_shares(world.plan).shares == first.shares
