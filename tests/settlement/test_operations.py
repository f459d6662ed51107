"""Change orders and final accounts through their operations, on the elevator community
(tests/funding/conftest.py): A1 area over all 30 households, A2 equal over 1号楼's 6, B1 floor
over 3号楼2单元's 12."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.funding.statement import household_statement, statement_pdf
from app.plans.items import update_plan
from app.plans.models import HouseholdShare, Item, Plan
from app.plans.queries import current_plan
from app.settlement.changes import (
    approve_change,
    draft_change,
    reject_change,
    revised_item,
    settle_revision,
)
from app.settlement.finals import (
    confirm_final_accounts,
    enter_final_accounts,
    household_finals,
)
from tests.conftest import db_examples
from tests.funding.conftest import B1_EXPECTED, build_world


@pytest.fixture
def works(app):
    """The elevator plan with its shares fixed (voting opened), then moved on to the works."""
    w = build_world(app, voting=True)
    with app.test_request_context():
        w.plan.phase = "works"
        db.session.commit()
    with app.test_request_context():
        yield w


def shares(item: Item) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(HouseholdShare.household_id, HouseholdShare.amount_fen).where(
                HouseholdShare.item_id == item.id
            )
        ).all()
    )


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_final_accounts_equal_method_refunds(works):
    a2 = works.item("A2")
    # Planned: 1000.00 yuan over 6 households = 166.6667 → 166.67 × 4 and 166.66 × 2.
    assert sorted(shares(a2).values()) == [16_666, 16_666, 16_667, 16_667, 16_667, 16_667]
    final = enter_final_accounts(a2, actual_cost_fen=90_000, actual_sources={})
    # Actual 900.00 yuan: 150.00 each; refunds 16.67 × 4 + 16.66 × 2 = 100.00 yuan exactly.
    assert {s.actual_fen for s in final.shares} == {15_000}
    assert (final.planned_residents_fen, final.actual_residents_fen) == (100_000, 90_000)
    assert (final.refunds_fen, final.top_ups_fen) == (10_000, 0)
    assert sum(s.actual_fen - s.planned_fen for s in final.shares) == -10_000
    (event,) = events("final.enter")
    assert event.community_id == works.community_id
    assert json.loads(event.after)["refunds_fen"] == 10_000
    # Corrected before confirmation: 1,100 yuan with 50 from public income → 1,050 split again.
    final = enter_final_accounts(
        a2, actual_cost_fen=110_000, actual_sources={"public_income": 5_000}
    )
    assert (final.refunds_fen, final.top_ups_fen) == (0, 5_000)
    assert {s.source: (s.planned_fen, s.actual_fen) for s in final.sources} == {
        "public_income": (0, 5_000)
    }
    assert sorted(s.actual_fen for s in final.shares) == [17_500] * 6
    first, second = (json.loads(e.before or "null") for e in events("final.enter"))
    assert first is None and second["refunds_fen"] == 10_000  # the correction keeps the old


def test_final_accounts_floor_method_top_ups_and_exempt_floors(works):
    b1 = works.item("B1")
    # Planned 650,000 − 200,000 = 450,000 yuan; actual 670,000 − 210,000 = 460,000 yuan.
    final = enter_final_accounts(
        b1, actual_cost_fen=67_000_000, actual_sources={"government": 21_000_000}
    )
    assert final.actual_residents_fen == 46_000_000
    assert final.top_ups_fen - final.refunds_fen == 1_000_000
    by_room = {}
    for h in works.unit_households("3号楼", "2单元"):
        s = next(s for s in final.shares if s.household_id == h.id)
        by_room[h.room] = (s.planned_fen, s.actual_fen)
    assert {r: p for r, (p, _a) in by_room.items()} == B1_EXPECTED
    # Floors 1–2 pay nothing before and after; the weight of 301 is 1.0 × 60 = 60 of 728
    # (Σ coefficient × area = 140 × (1.0 + 1.2 + 1.4 + 1.6)), so 46,000,000 × 60 / 728 =
    # 3,791,208.79: 3,791,208 plus the leftover fen its remainder .79 earns.
    for room in ("101", "102", "201", "202"):
        assert by_room[room] == (0, 0)
    assert by_room["301"][1] == 3_791_209
    assert sum(a for _p, a in by_room.values()) == 46_000_000


def test_confirmed_accounts_are_final_and_on_the_statement(works):
    a2 = works.item("A2")
    final = enter_final_accounts(a2, actual_cost_fen=120_000, actual_sources={}, note="审计")
    household = works.household("1号楼1单元101")
    assert household_finals(works.plan, household.id) == []  # not confirmed yet
    confirm_final_accounts(final)
    with pytest.raises(DomainError, match="已经确认"):
        confirm_final_accounts(final)
    with pytest.raises(DomainError, match="不能再修改"):
        enter_final_accounts(a2, actual_cost_fen=1, actual_sources={})
    (line,) = household_finals(works.plan, household.id)
    assert (line.actual_fen, line.difference_fen) == (20_000, 20_000 - line.planned_fen)
    statement = household_statement(works.plan, household, works.plan.created_at.date())
    assert statement.final_difference_fen == line.difference_fen > 0
    assert statement_pdf(statement).startswith(b"%PDF")
    assert events("final.confirm")[0].community_id == works.community_id


def test_sources_beyond_the_cost_are_refused(works):
    with pytest.raises(DomainError, match="无法重新分摊"):
        enter_final_accounts(
            works.item("A2"), actual_cost_fen=1000, actual_sources={"government": 2000}
        )


def test_change_within_the_threshold_takes_effect_on_approval(works):
    a1 = works.item("A1")
    before = shares(a1)
    # Residents' part 20,000 → 20,500 yuan: every share rises about 2.5 %.
    change = draft_change(a1, reason="增加保温层厚度", cost_change_fen=50_000)
    assert not change.needs_vote and change.households_beyond == 0
    assert change.residents_after_fen == 2_050_000
    approve_change(change)
    assert change.status == "effective" and change.revision_plan_id is None
    assert a1.cost_fen == 3_050_000
    after = shares(a1)
    assert sum(after.values()) == 2_050_000
    assert all(after[h] >= before[h] for h in before)
    assert {s.household_id: s.after_fen for s in change.shares} == after
    assert [e.action for e in events("change.approve")] == ["change.approve"]


def test_change_beyond_the_threshold_needs_a_revision_vote(works):
    a1 = works.item("A1")
    before = shares(a1)
    change = draft_change(a1, reason="增加外墙涂料", cost_change_fen=300_000)  # +15 %
    assert change.needs_vote and change.households_beyond == 30
    assert change.largest_rise.startswith("15.")
    with pytest.raises(DomainError, match="没有办结"):
        draft_change(a1, reason="又一项", cost_change_fen=1)
    approve_change(change)
    assert change.status == "pending_vote"
    revision = db.session.get(Plan, change.revision_plan_id)
    assert (revision.phase, revision.revises_plan_id) == ("drafting", works.plan_id)
    (item,) = revision.items
    assert item == revised_item(change)
    assert (item.key, item.cost_fen, item.share_method) == ("A1", 3_300_000, "area")
    assert {f.source: f.amount_fen for f in item.funding} == {"government": 1_000_000}
    assert shares(a1) == before and a1.cost_fen == 3_000_000  # not in effect yet
    # The revision plan never hides the plan in works from the household home page.
    assert current_plan(works.community_id).id == works.plan_id
    settle_revision(change, False)
    assert change.status == "refused" and shares(a1) == before and a1.cost_fen == 3_000_000
    with pytest.raises(DomainError):
        settle_revision(change, True)


def test_revision_vote_passed_applies_the_change(works):
    a1 = works.item("A1")
    change = draft_change(a1, reason="增加外墙涂料", cost_change_fen=300_000)
    approve_change(change)
    settle_revision(change, True)
    assert change.status == "effective" and a1.cost_fen == 3_300_000
    assert sum(shares(a1).values()) == 2_300_000
    assert events("change.settle_revision")[0].community_id == works.community_id


def test_scope_change_needs_a_vote_and_threshold_is_a_plan_setting(works):
    a2 = works.item("A2")
    change = draft_change(a2, reason="延伸到2号楼", cost_change_fen=0, scope_change="增加2号楼")
    assert change.needs_vote and change.households_beyond == 0
    reject_change(change, note="先做1号楼")
    assert change.status == "rejected"
    update_plan(works.plan, change_threshold_pct=20)
    change = draft_change(a2, reason="管径加大", cost_change_fen=15_000)  # +15 %
    assert change.threshold_pct == 20 and not change.needs_vote


def test_a_change_needs_a_reason_and_a_change(works):
    with pytest.raises(DomainError, match="原因"):
        draft_change(works.item("A1"), reason=" ", cost_change_fen=100)
    with pytest.raises(DomainError, match="没有改动"):
        draft_change(works.item("A1"), reason="无", cost_change_fen=0)


@settings(max_examples=db_examples(40), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["A1", "A2", "B1"]),
    cost=st.integers(0, 10**9),
    government=st.integers(0, 10**8),
)
def test_entered_accounts_refunds_and_top_ups_sum_to_the_difference(works, key, cost, government):
    item = works.item(key)
    if government > cost:
        with pytest.raises(DomainError):
            enter_final_accounts(
                item, actual_cost_fen=cost, actual_sources={"government": government}
            )
        return
    final = enter_final_accounts(
        item, actual_cost_fen=cost, actual_sources={"government": government}
    )
    assert final.actual_residents_fen == cost - government
    assert sum(s.actual_fen for s in final.shares) == cost - government
    assert final.planned_residents_fen == sum(shares(item).values())
    assert (
        final.top_ups_fen - final.refunds_fen == (cost - government) - final.planned_residents_fen
    )
