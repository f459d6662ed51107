"""Known-answer tests of the database tally (app.tally.queries), each worked by hand."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import event

from app.extensions import db
from app.plans.queries import local_today
from app.rules.counting import Measure
from app.tally.queries import tally_plan
from tests.tally.conftest import TODAY

D, F = Decimal, Fraction


def check(result, name):
    """The check of an item's tally with this name."""
    return next(c for c in result.tally.checks if c.name == name)


def test_owner_with_several_households_voting_alike_counts_once_and_exact_two_thirds(estate):
    # X owns 3 households (30+40+50 m²), all agree; Y (60 m²) opposes; Z (90 m²) does not vote.
    # Electorate: 3 owners, 270 m², 5 households. Participating: X and Y = 2 owners, 180 m².
    # Quorum: 2 ≥ 2/3 × 3 = 2 and 180 ≥ 2/3 × 270 = 180: met exactly (以上 includes the bound).
    # Ordinary approval: agree 1 head > 1/2 × 2 = 1? No — exactly half is not 过半数.
    plan = estate.plan()
    estate.item(plan, "A1", rule="cc278_ordinary")
    xs = [estate.household(a, owner="X") for a in ("30", "40", "50")]
    y, _z = estate.household("60", owner="Y"), estate.household("90")
    for h in xs:
        estate.ballot(plan, h, {"A1": "agree"})
    estate.ballot(plan, y, {"A1": "oppose"})
    r = tally_plan(plan, TODAY).item("A1")
    t = r.tally
    assert t.electorate == Measure(F(3), D("270"), 5)
    assert t.participating == Measure(F(2), D("180"), 4)
    assert t.agree == Measure(F(1), D("120"), 3)
    assert t.oppose == Measure(F(1), D("60"), 1)
    assert t.abstain == Measure(F(0), D("0"), 0)
    assert t.quorum_met
    assert check(r, "quorum_headcount").margin == 0 and check(r, "quorum_area").margin == 0
    assert not check(r, "approval_headcount").met  # exactly half
    assert check(r, "approval_area").met  # 120 > 90
    assert not t.passed


def test_owner_splitting_votes_splits_its_head_and_exact_three_quarters(estate):
    # X owns 2 households of 50 m²: one agrees, one opposes. Y (100 m²) agrees.
    # Agree: 1/2 + 1 = 3/2 heads, 150 m²; oppose 1/2 head, 50 m². Electorate 2 owners, 200 m².
    # Major: 3/2 ≥ 3/4 × 2 = 3/2 and 150 ≥ 3/4 × 200 = 150: met exactly.
    plan = estate.plan()
    estate.item(plan, "A1", rule="cc278_major")
    x1, x2 = estate.household("50", owner="X"), estate.household("50", owner="X")
    y = estate.household("100", owner="Y")
    estate.ballot(plan, x1, {"A1": "agree"})
    estate.ballot(plan, x2, {"A1": "oppose"})
    estate.ballot(plan, y, {"A1": "agree"})
    t = tally_plan(plan, TODAY).item("A1").tally
    assert t.agree == Measure(F(3, 2), D("150"), 2)
    assert t.oppose == Measure(F(1, 2), D("50"), 1)
    assert t.electorate.owners == 2
    assert [c.margin for c in t.checks if c.name.startswith("approval")] == [0, 0]
    assert t.passed


def test_scoped_item_counts_only_its_unit_and_k_inside_it(estate):
    # B1 is the elevator of 3号楼 2单元. Owner P has one household there and one elsewhere:
    # inside B1's electorate P has k = 1 (a whole head); in the community-wide A1, k = 2.
    plan = estate.plan()
    estate.item(plan, "A1", rule="cc278_ordinary")
    estate.item(plan, "B1", rule="cc278_major", scope=[("3号楼", "2单元")])
    p_in = estate.household("80", owner="P", building="3号楼", unit="2单元")
    estate.household("70", owner="P", building="1号楼")
    q = estate.household("90", building="3号楼", unit="2单元")
    estate.household("60", building="3号楼", unit="1单元")
    estate.ballot(plan, p_in, {"A1": "agree", "B1": "agree"})
    estate.ballot(plan, q, {"A1": "agree", "B1": "agree"})
    result = tally_plan(plan, TODAY)
    b1 = result.item("B1").tally
    assert b1.electorate == Measure(F(2), D("170"), 2)
    assert b1.agree == Measure(F(2), D("170"), 2)
    assert b1.passed
    a1 = result.item("A1").tally
    assert a1.electorate == Measure(F(3), D("300"), 4)
    assert a1.agree == Measure(F(3, 2), D("170"), 2)  # P's household counts 1/2 a head here


def test_building_scope_and_unit_scope_in_the_same_building_count_each_household_once(estate):
    plan = estate.plan()
    estate.item(plan, "A2", scope=["2号楼", ("2号楼", "1单元")])
    estate.household("50", building="2号楼", unit="1单元")
    estate.household("60", building="2号楼", unit="2单元")
    estate.household("70", building="1号楼")
    assert tally_plan(plan, TODAY).item("A2").tally.electorate == Measure(F(2), D("110"), 2)


def test_blank_absent_and_stale_choices_count_as_abstain(estate):
    # A returned ballot marks A1, leaves A2 blank, has no row for A3, and marked A4 on the
    # revision before A4 was changed: it participates in all four; A2-A4 are abstentions.
    plan = estate.plan()
    for key in ("A1", "A2", "A3"):
        estate.item(plan, key, rule="cc278_ordinary")
    estate.item(plan, "A4", rule="cc278_ordinary", revision=2)
    h = estate.household("75")
    estate.ballot(plan, h, {"A1": "agree", "A2": None, "A4": "agree"}, stale={"A4"})
    result = tally_plan(plan, TODAY)
    assert result.item("A1").tally.agree == Measure(F(1), D("75"), 1)
    for key in ("A2", "A3", "A4"):
        t = result.item(key).tally
        assert t.participating == t.abstain == Measure(F(1), D("75"), 1)
        assert t.quorum_met and not t.approved


def test_mark_outside_the_items_scope_is_ignored(estate):
    # A keying error: a household outside B1's unit marked B1. It is not in B1's electorate.
    plan = estate.plan()
    estate.item(plan, "B1", scope=[("3号楼", "2单元")])
    inside = estate.household("80", building="3号楼", unit="2单元")
    outside = estate.household("60", building="1号楼")
    estate.ballot(plan, inside, {"B1": "oppose"})
    estate.ballot(plan, outside, {"B1": "agree"})
    t = tally_plan(plan, TODAY).item("B1").tally
    assert t.electorate == t.participating == t.oppose == Measure(F(1), D("80"), 1)


def test_follow_majority_only_for_delivered_households_and_per_dimension(estate):
    # a 50 agree, b 100 oppose, c 40 agree; d 70 delivered without a ballot; e 60 not delivered.
    # Among voters, heads: agree 2 > oppose 1; area: oppose 100 > agree 90.
    # d joins agree on headcount and oppose on area; e stays out.
    plan = estate.plan(non_voter_policy="follow_majority")
    estate.item(plan, "A1", rule="cc278_ordinary")
    a, b, c = estate.household("50"), estate.household("100"), estate.household("40")
    d, _e = estate.household("70"), estate.household("60")
    estate.ballot(plan, a, {"A1": "agree"})
    estate.ballot(plan, b, {"A1": "oppose"})
    estate.ballot(plan, c, {"A1": "agree"})
    estate.deliver(plan, d)
    r = tally_plan(plan, TODAY).item("A1")
    t, plain = r.tally, r.without_policy
    assert t.non_voter_policy == "follow_majority" and plain.non_voter_policy == "none"
    assert t.deemed == Measure(F(1), D("70"), 1)
    assert t.participating == Measure(F(4), D("260"), 4)
    assert t.agree == Measure(F(3), D("90"), 3)
    assert t.oppose == Measure(F(1), D("170"), 1)
    assert plain.participating == Measure(F(3), D("190"), 3)
    assert plain.agree == Measure(F(2), D("90"), 2)
    # Quorum: with d, 4/5 heads and 260/320 m²; without, 3/5 < 2/3: not met.
    assert t.quorum_met and not plain.quorum_met
    # Approval by area fails either way (90 of 260; 90 of 190).
    assert not t.passed and not plain.passed


def test_follow_majority_without_any_delivery_equals_none(estate):
    plan = estate.plan(non_voter_policy="follow_majority")
    estate.item(plan, "A1", rule="cc278_ordinary")
    voter = estate.household("50")
    estate.household("70")
    estate.ballot(plan, voter, {"A1": "agree"})
    r = tally_plan(plan, TODAY).item("A1")
    assert r.tally.deemed == Measure.zero()
    assert r.tally.participating == r.without_policy.participating
    assert (r.tally.passed, r.without_policy.passed) == (False, False)  # 1/2 < 2/3 quorum


def test_policy_none_has_no_comparison_and_ignores_deliveries(estate):
    plan = estate.plan()
    estate.item(plan, "A1")
    h = estate.household("50")
    estate.deliver(plan, h)
    r = tally_plan(plan, TODAY).item("A1")
    assert r.without_policy is None
    assert r.tally.participating == Measure.zero()


def test_custom_rule_from_item_params(estate):
    # C1: 2/3 of ALL owners by headcount agree (以上), no quorum. 3 owners; 2 agree: 2 ≥ 2.
    plan = estate.plan()
    custom = {
        "quorum": "0",
        "approval": "2/3",
        "strict": False,
        "base": "electorate",
        "dimensions": "headcount",
    }
    estate.item(plan, "C1", rule="custom", custom=custom)
    hs = [estate.household("50"), estate.household("60"), estate.household("500")]
    estate.ballot(plan, hs[0], {"C1": "agree"})
    estate.ballot(plan, hs[1], {"C1": "agree"})
    t = tally_plan(plan, TODAY).item("C1").tally
    assert [c.name for c in t.checks] == [
        "electorate_nonempty",
        "participants_present",
        "approval_headcount",
    ]
    assert t.passed


def test_ballot_counts_by_channel_conflicts_and_awaiting_entry(estate):
    plan = estate.plan()
    estate.item(plan, "A1")
    hs = [estate.household("50") for _ in range(5)]
    estate.ballot(plan, hs[0], {"A1": "agree"}, channel="online")
    estate.ballot(plan, hs[1], {"A1": "agree"}, channel="paper", conflict=True)
    estate.ballot(plan, hs[2], {"A1": "agree"}, channel="assisted")
    estate.paper_entry(plan, hs[3], "pending")
    estate.paper_entry(plan, hs[4], "mismatch")
    estate.paper_entry(plan, hs[4], "mismatch")
    estate.paper_entry(plan, hs[2], "confirmed")
    counts = tally_plan(plan, TODAY).ballots
    assert counts.effective == 3
    assert counts.by_channel == {"online": 1, "paper": 1, "assisted": 1}
    assert counts.conflicts == 1
    assert counts.awaiting_entry == 2
    # A pending or mismatched double entry is not a ballot yet: those households do not count.
    assert tally_plan(plan, TODAY).item("A1").tally.participating.households == 3


@pytest.mark.parametrize(
    ("policy", "counted"),
    [("paper_prevails", "oppose"), ("online_prevails", "agree"), ("latest_prevails", "oppose")],
)
def test_online_and_paper_ballot_of_one_household_count_once_by_policy(estate, policy, counted):
    # Through the voting operations: online agree, then a confirmed paper ballot opposing.
    from app.voting.operations import cast_online_ballot, record_paper_ballot

    today = local_today()
    plan = estate.plan(
        conflict_policy=policy,
        voting_opens=today - timedelta(days=1),
        voting_closes=today + timedelta(days=1),
    )
    item = estate.item(plan, "A1", rule="cc278_ordinary")
    h = estate.household("60")
    estate.household("60")
    cast_online_ballot(plan, h, {item.id: "agree"}, set(), "form-1")
    record_paper_ballot(plan, h, {item.id: "oppose"}, set())
    result = tally_plan(plan, today)
    t = result.item("A1").tally
    assert t.participating == getattr(t, counted) == Measure(F(1), D("60"), 1)
    assert result.ballots.effective == 1 and result.ballots.conflicts == 1


def test_other_plans_and_communities_do_not_leak(estate, make_estate):
    plan = estate.plan()
    estate.item(plan, "A1")
    h = estate.household("50")
    estate.ballot(plan, h, {"A1": "agree"})
    other_plan = estate.plan()
    estate.item(other_plan, "A1")
    estate.ballot(other_plan, estate.household("70"), {"A1": "oppose"})
    foreign = make_estate(name="别的小区")
    foreign.household("999")
    t = tally_plan(plan, TODAY).item("A1").tally
    assert t.electorate == Measure(F(2), D("120"), 2)
    assert t.agree == t.participating == Measure(F(1), D("50"), 1)


def test_provisional_while_voting_is_open(estate):
    plan = estate.plan()
    estate.item(plan, "A1")
    assert tally_plan(plan, TODAY).provisional
    assert not tally_plan(plan, plan.voting_closes + timedelta(days=1)).provisional
    plan.voting_closed_at = plan.voting_opens  # closed early
    assert not tally_plan(plan, TODAY).provisional


def test_turnout_by_building_and_unit_weighs_owners_community_wide(estate):
    plan = estate.plan()
    estate.item(plan, "A1")
    x1 = estate.household("50", owner="X", building="1号楼")
    estate.household("50", owner="X", building="2号楼")
    estate.household("100", building="2号楼")
    estate.ballot(plan, x1, {"A1": "agree"})
    result = tally_plan(plan, TODAY)
    assert result.community.electorate == Measure(F(2), D("200"), 3)
    assert result.community.participating == Measure(F(1, 2), D("50"), 1)
    by_place = {(p.building_id, p.unit_id): p for p in result.places}
    b1 = estate.buildings["1号楼"].id
    assert by_place[(b1, None)].participating == Measure(F(1, 2), D("50"), 1)
    assert by_place[(b1, None)].electorate == Measure(F(1, 2), D("50"), 1)


def test_query_count_does_not_grow_with_households_or_items(app, estate):
    def queries_for(n_households, n_items):
        plan = estate.plan()
        for i in range(n_items):
            estate.item(plan, f"K{i}", scope=[("9号楼", "1单元")] if i % 2 else ())
        for i in range(n_households):
            h = estate.household("50", owner="X" if i < 2 else f"O{i % 3}" if i % 2 else None)
            estate.ballot(plan, h, {f"K{j}": "agree" for j in range(n_items)})
        estate.commit()
        statements = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        assert plan.phase == "voting"  # loaded before counting
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            tally_plan(plan, TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert queries_for(2, 2) == queries_for(12, 6) == 5  # whatever the size (the 5th: options)


def test_a_read_only_stretch_counts_a_plan_once_a_day(app, estate):
    """Inside core.memo.reading_once() (an archive build) the tally is counted once per plan and
    day; outside, every call counts the database as it is."""
    from app.core.memo import reading_once

    plan = estate.plan()
    estate.item(plan, "K1")
    estate.ballot(plan, estate.household("50"), {"K1": "agree"})
    estate.commit()
    assert tally_plan(plan, TODAY) is not tally_plan(plan, TODAY)
    with reading_once():
        first = tally_plan(plan, TODAY)
        assert tally_plan(plan, TODAY) is first
        assert tally_plan(plan, TODAY + timedelta(days=1)) is not first  # another day
    assert tally_plan(plan, TODAY) is not first
