"""Known-answer tests for app.rules.counting, each worked by hand (docs/counting.md#rules)."""

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from app.rules.counting import (
    CC278_MAJOR,
    CC278_ORDINARY,
    CustomRule,
    Measure,
    OwnerGroup,
    Rule,
    Stratum,
    compare_policies,
    count_centi_cells,
    count_owner_groups,
    count_strata,
    parse_rule,
    tally_counts,
    tally_item,
)
from app.tally.households import (
    HouseholdRecord,
    ItemSpec,
    Scope,
    count_households,
    tally_households,
)

D = Decimal
F = Fraction
PLAN_EXAMPLE = Path(__file__).parents[1] / "data" / "plan-example.json"


def hh(hid, area, owner=None, building="1号楼", unit=None, delivered=False):
    """A household record in one line."""
    return HouseholdRecord(hid, owner, D(area), building, unit, delivered)


def tally_one(households, ballots, rule=CC278_ORDINARY, scope=None, policy="none"):
    """Tally a single item A1."""
    return tally_households(households, ballots, [ItemSpec("A1", rule, scope)], policy)["A1"]


def check(tally, name):
    """The check with this name."""
    return next(c for c in tally.checks if c.name == name)


def test_owner_of_several_households_voting_alike_counts_once():
    # X owns 3 households (30+40+50 m²), all agree: 3 × 1/3 = 1 head, 120 m².
    # Y owns 1 (60 m²), opposes: 1 head. Electorate: 2 owners, 180 m², 4 households.
    roster = [hh("x1", "30"), hh("x2", "40"), hh("x3", "50")]
    roster = [h._replace(owner="X") for h in roster] + [hh("y", "60", owner="Y")]
    ballots = {"x1": {"A1": "agree"}, "x2": {"A1": "agree"}, "x3": {"A1": "agree"}}
    ballots["y"] = {"A1": "oppose"}
    t = tally_one(roster, ballots)
    assert t.electorate == Measure(F(2), D("180"), 4)
    assert t.agree == Measure(F(1), D("120"), 3)
    assert t.oppose == Measure(F(1), D("60"), 1)
    # ordinary: agree 1 > 1/2 × 2 = 1? no, exactly half → not approved although area 120 > 90.
    assert check(t, "approval_headcount").margin == 0
    assert check(t, "approval_area").met
    assert not t.approved and not t.passed


def test_owner_splitting_its_votes_splits_its_head():
    # X owns 2 (40 m² agrees, 60 m² opposes): 1/2 head each way. Y (100 m²) agrees.
    # agree = 1/2 + 1 = 3/2 heads, 140 m²; oppose = 1/2 head, 60 m²; participating 2, 200 m².
    # ordinary: 3/2 > 1 and 140 > 100 → approved; quorum 2 ≥ 4/3, 200 ≥ 400/3 → passed.
    roster = [hh("x1", "40", "X"), hh("x2", "60", "X"), hh("y", "100", "Y")]
    ballots = {"x1": {"A1": "agree"}, "x2": {"A1": "oppose"}, "y": {"A1": "agree"}}
    t = tally_one(roster, ballots)
    assert t.agree == Measure(F(3, 2), D("140"), 2)
    assert t.oppose == Measure(F(1, 2), D("60"), 1)
    assert t.participating == Measure(F(2), D("200"), 3)
    assert check(t, "approval_headcount").margin == F(1, 2)  # 3/2 − 1/2 × 2
    assert check(t, "approval_area").margin == 40  # 140 − 1/2 × 200
    assert t.passed


def test_scoped_item_counts_k_inside_the_scope_only():
    # X owns 1号楼 (50 m²) and two in 2号楼 (50, 50); the item covers 2号楼 only, so k = 2:
    # each of X's in-scope households is 1/2 head (not 1/3). Y owns one in 2号楼 (80 m²).
    roster = [
        hh("x1", "50", "X", "1号楼"),
        hh("x2", "50", "X", "2号楼"),
        hh("x3", "50", "X", "2号楼"),
        hh("y", "80", "Y", "2号楼"),
    ]
    ballots = {"x1": {}, "x2": {"A1": "agree"}, "x3": {"A1": "abstain"}, "y": {"A1": "agree"}}
    t = tally_one(roster, ballots, CC278_MAJOR, Scope(buildings={"2号楼"}))
    assert t.electorate == Measure(F(2), D("180"), 3)
    assert t.agree == Measure(F(3, 2), D("130"), 2)  # 1/2 + 1
    assert t.abstain == Measure(F(1, 2), D("50"), 1)
    # major: 3/2 ≥ 3/4 × 2 = 3/2 (exactly) but 130 ≥ 3/4 × 180 = 135 fails.
    assert check(t, "approval_headcount").met and check(t, "approval_headcount").margin == 0
    assert check(t, "approval_area").margin == -5
    assert not t.passed


def test_unit_scope_and_building_scope_combine():
    # Scope: all of 1号楼 plus unit (3号楼, 2单元); 3号楼 1单元 is out.
    roster = [
        hh("a", "10", building="1号楼", unit="1单元"),
        hh("b", "20", building="3号楼", unit="2单元"),
        hh("c", "40", building="3号楼", unit="1单元"),
    ]
    scope = Scope(buildings=["1号楼"], units=[["3号楼", "2单元"]])
    t = tally_one(roster, {}, scope=scope)
    assert t.electorate == Measure(F(2), D("30"), 2)


def test_blank_items_on_an_effective_ballot_count_as_abstain():
    # h1's ballot leaves A2 out and A3 None: both abstain; h2 has no ballot: not participating.
    roster = [hh("h1", "70"), hh("h2", "30")]
    items = [ItemSpec(key, CC278_ORDINARY) for key in ("A1", "A2", "A3")]
    ballots = {"h1": {"A1": "agree", "A3": None}}
    result = tally_households(roster, ballots, items)
    assert result["A1"].agree == Measure(F(1), D("70"), 1)
    for key in ("A2", "A3"):
        assert result[key].abstain == Measure(F(1), D("70"), 1)
        assert result[key].participating == Measure(F(1), D("70"), 1)
        assert result[key].electorate == Measure(F(2), D("100"), 2)


def test_quorum_of_exactly_two_thirds_is_met():
    # 3 owners × 100 m², 2 vote: 2 ≥ 2/3 × 3 and 200 ≥ 2/3 × 300, both with margin 0.
    roster = [hh("a", "100"), hh("b", "100"), hh("c", "100")]
    t = tally_one(roster, {"a": {"A1": "agree"}, "b": {"A1": "agree"}})
    assert check(t, "quorum_headcount").margin == 0
    assert check(t, "quorum_area").margin == 0
    assert check(t, "quorum_area").actual == F(2, 3)
    assert t.quorum_met and t.passed


def test_quorum_just_short_on_area_fails_with_exact_margin():
    # c has 100.01 m²: 200 ≥ 2/3 × 300.01 = 200.00666…? no; margin = (600 − 600.02)/3 = −1/150.
    roster = [hh("a", "100"), hh("b", "100"), hh("c", "100.01")]
    t = tally_one(roster, {"a": {"A1": "agree"}, "b": {"A1": "agree"}})
    assert check(t, "quorum_headcount").met
    assert check(t, "quorum_area").margin == F(-1, 150)
    assert not t.quorum_met and t.approved and not t.passed


def test_major_rule_met_at_exactly_three_quarters():
    # 4 owners × 100 m², all vote, 3 agree: 3 ≥ 3/4 × 4 and 300 ≥ 3/4 × 400.
    roster = [hh(f"h{i}", "100") for i in range(4)]
    ballots = {f"h{i}": {"A1": "agree"} for i in range(3)} | {"h3": {"A1": "oppose"}}
    t = tally_one(roster, ballots, CC278_MAJOR)
    assert [c.margin for c in t.checks if c.name.startswith("approval")] == [0, 0]
    assert t.passed


def test_major_rule_abstentions_count_against():
    # 4 owners vote: 2 agree, 1 oppose, 1 abstains. 2 ≥ 3/4 × 4 = 3? no.
    roster = [hh(f"h{i}", "100") for i in range(4)]
    ballots = {"h0": {"A1": "agree"}, "h1": {"A1": "agree"}, "h2": {"A1": "oppose"}, "h3": {}}
    assert not tally_one(roster, ballots, CC278_MAJOR).approved


def test_ordinary_rule_exactly_half_is_not_passed():
    # 4 owners × 100 m², all vote, 2 agree 2 oppose: 2 > 2? no; 200 > 200? no (过半数 is strict).
    roster = [hh(f"h{i}", "100") for i in range(4)]
    ballots = {f"h{i}": {"A1": "agree" if i < 2 else "oppose"} for i in range(4)}
    t = tally_one(roster, ballots)
    assert t.quorum_met and not t.approved and not t.passed
    assert [c.margin for c in t.checks if c.name.startswith("approval")] == [0, 0]


def test_ordinary_rule_needs_both_dimensions():
    # a (50) and b (50) agree, c (100) opposes: heads 2 > 3/2 yes, area 100 > 100 no.
    roster = [hh("a", "50"), hh("b", "50"), hh("c", "100")]
    ballots = {"a": {"A1": "agree"}, "b": {"A1": "agree"}, "c": {"A1": "oppose"}}
    t = tally_one(roster, ballots)
    assert check(t, "approval_headcount").met and not check(t, "approval_area").met
    assert not t.passed


def c1_rule():
    """Item C1's rule as plan-example.json gives it."""
    items = json.loads(PLAN_EXAMPLE.read_text(encoding="utf-8"))["items"]
    c1 = next(item for item in items if item["key"] == "C1")
    return parse_rule(c1["rule"], c1["custom"])


def test_plan_example_c1_parses_to_two_thirds_of_all_owners_by_headcount():
    assert c1_rule() == Rule("custom", CustomRule(F(0), F(2, 3), False, "electorate", "headcount"))


def test_custom_c1_counts_against_all_owners_without_quorum():
    # 6 owners; owner P (public housing) has 3 households. P, a, b, c agree, the 300 m² owner
    # opposes, one stays home: 4 ≥ 2/3 × 6 = 4 → passed; area plays no part, no quorum checks.
    roster = [hh(f"p{i}", "40", "P") for i in range(3)]
    roster += [hh("a", "50"), hh("b", "50"), hh("c", "50"), hh("big", "300"), hh("home", "60")]
    ballots = {f"p{i}": {"A1": "agree"} for i in range(3)}
    ballots |= {h: {"A1": "agree"} for h in "abc"} | {"big": {"A1": "oppose"}}
    t = tally_one(roster, ballots, c1_rule())
    assert t.electorate.owners == 6
    assert [c.name for c in t.checks] == [
        "electorate_nonempty",
        "participants_present",
        "approval_headcount",
    ]
    assert check(t, "approval_headcount").base == 6
    assert check(t, "approval_headcount").margin == 0
    assert t.quorum_met and t.passed
    # If P abstains instead: 3 < 4 of all owners → not passed, although 3 of the 5 voting
    # owners agree and only 1 opposes.
    ballots |= {f"p{i}": {"A1": "abstain"} for i in range(3)}
    assert tally_one(roster, ballots, c1_rule()).agree.owners == 3
    assert not tally_one(roster, ballots, c1_rule()).passed


def test_custom_quorum_and_strict_approval_on_area():
    # quorum 1/2 by area, approval > 1/2 of participating area. Areas 60, 30, 10.
    # a (60) agrees, b (30) opposes: quorum 90 ≥ 50; approval 60 > 45 → passed.
    rule = parse_rule(
        "custom",
        {
            "quorum": "0.5",
            "approval": "1/2",
            "strict": True,
            "base": "participating",
            "dimensions": "area",
        },
    )
    roster = [hh("a", "60"), hh("b", "30"), hh("c", "10")]
    t = tally_one(roster, {"a": {"A1": "agree"}, "b": {"A1": "oppose"}}, rule)
    assert [c.name for c in t.checks][2:] == ["quorum_area", "approval_area"]
    assert check(t, "approval_area").margin == 15 and t.passed


def test_parse_rule_accepts_exact_strings_and_refuses_floats():
    params = {"quorum": "0", "approval": "2/3", "strict": False, "base": "electorate"}
    params["dimensions"] = "both"
    assert parse_rule("custom", params).thresholds.approval == F(2, 3)
    assert parse_rule("cc278_major") == CC278_MAJOR
    for bad in ({**params, "approval": 0.5}, {**params, "approval": "4/3"}, {"approval": "1/2"}):
        with pytest.raises(ValueError):
            parse_rule("custom", bad)
    with pytest.raises(ValueError):
        parse_rule("custom", {**params, "base": "owners"})
    with pytest.raises(ValueError):
        parse_rule("cc278_ordinary", params)
    with pytest.raises(ValueError):
        parse_rule("unanimous")


def test_empty_electorate_is_not_passed_and_does_not_divide_by_zero():
    t = tally_one([hh("a", "50")], {}, CC278_MAJOR, Scope(buildings={"9号楼"}))
    assert t.electorate == Measure.zero()
    assert not check(t, "electorate_nonempty").met
    thresholds = [c for c in t.checks if c.name.startswith(("quorum", "approval"))]
    assert len(thresholds) == 4 and all(c.actual is None and not c.met for c in thresholds)
    assert not t.quorum_met and not t.approved and not t.passed


def test_no_participants_is_not_passed_even_with_a_zero_custom_threshold():
    rule = Rule("custom", CustomRule(F(0), F(0), False, "electorate", "both"))
    t = tally_one([hh("a", "50"), hh("b", "50")], {}, rule)
    assert not check(t, "participants_present").met
    assert not t.passed


def follow_roster():
    """a (30) and b (30) agree, c (100) opposes; d (40) delivered, silent; e (50) undelivered."""
    roster = [hh("a", "30"), hh("b", "30"), hh("c", "100")]
    roster += [hh("d", "40", delivered=True), hh("e", "50")]
    ballots = {"a": {"A1": "agree"}, "b": {"A1": "agree"}, "c": {"A1": "oppose"}}
    return roster, ballots


def test_follow_majority_splits_a_silent_household_across_dimensions():
    # Among voters agree leads by heads (2:1) and oppose by area (60:100), so d's head goes to
    # agree and its 40 m² to oppose; e was not delivered and stays out.
    roster, ballots = follow_roster()
    t = tally_one(roster, ballots, policy="follow_majority")
    assert t.deemed == Measure(F(1), D("40"), 1)
    assert t.agree == Measure(F(3), D("60"), 3)
    assert t.oppose == Measure(F(1), D("140"), 1)
    assert t.participating == Measure(F(4), D("200"), 4)
    # quorum 4 ≥ 10/3 and 200 ≥ 500/3: met; approval 3 > 2 but 60 > 100 fails.
    assert t.quorum_met and check(t, "approval_headcount").met and not t.passed


def test_without_follow_majority_silent_households_do_not_participate():
    # Participation 3 of 5 owners: 3 ≥ 10/3? no → quorum not met.
    roster, ballots = follow_roster()
    t = tally_one(roster, ballots)
    assert t.deemed == Measure.zero()
    assert t.participating == Measure(F(3), D("160"), 3)
    assert not t.quorum_met


def test_compare_policies_gives_both_outcomes_from_one_count():
    roster, ballots = follow_roster()
    counts = count_households(roster, ballots, [ItemSpec("A1", CC278_ORDINARY)])["A1"]
    both = compare_policies(counts, CC278_ORDINARY)
    assert both["none"].participating.owners == 3
    assert both["follow_majority"].participating.owners == 4


def test_follow_majority_tie_abstains_on_each_dimension_separately():
    # a (40) agrees, b (60) opposes: heads tie 1:1 → d's head abstains; area 40:60 → d's 10 m²
    # go to oppose. With an exact tie on both, everything of d abstains.
    roster = [hh("a", "40"), hh("b", "60"), hh("d", "10", delivered=True)]
    ballots = {"a": {"A1": "agree"}, "b": {"A1": "oppose"}}
    t = tally_one(roster, ballots, policy="follow_majority")
    assert t.abstain == Measure(F(1), D("0"), 1)
    assert t.oppose == Measure(F(1), D("70"), 1)
    roster[1] = hh("b", "40")
    t = tally_one(roster, ballots, policy="follow_majority")
    assert t.abstain == Measure(F(1), D("10"), 1)


def test_follow_majority_weighs_a_partly_silent_owner_by_k():
    # X owns x1 (50, agrees) and x2 (50, delivered, silent); y (20) opposes. Voters: agree
    # 1/2 head vs oppose 1 head → x2's 1/2 head to oppose; area 50 vs 20 → x2's 50 m² to agree.
    roster = [hh("x1", "50", "X"), hh("x2", "50", "X", delivered=True), hh("y", "20")]
    ballots = {"x1": {"A1": "agree"}, "y": {"A1": "oppose"}}
    t = tally_one(roster, ballots, policy="follow_majority")
    assert t.oppose == Measure(F(3, 2), D("20"), 2)
    assert t.agree == Measure(F(1, 2), D("100"), 1)


def test_owner_groups_and_strata_give_the_same_tally_as_households():
    # follow_roster as owner groups, and as (k, status, households, area) rows.
    roster, ballots = follow_roster()
    expected = tally_one(roster, ballots, policy="follow_majority")
    one = {"agree": (1, D("30"))}
    groups = [
        OwnerGroup("a", 1, D("30"), one),
        OwnerGroup("b", 1, D("30"), one),
        OwnerGroup("c", 1, D("100"), {"oppose": (1, D("100"))}),
        OwnerGroup("d", 1, D("40"), {}, (1, D("40"))),
        OwnerGroup("e", 1, D("50"), {}),
    ]
    assert tally_item(groups, CC278_ORDINARY, "follow_majority") == expected
    rows = [
        Stratum(1, "agree", 2, D("60")),
        Stratum(1, "oppose", 1, D("100")),
        Stratum(1, "delivered_no_ballot", 1, D("40")),
        (1, "no_ballot", 1, D("50")),
    ]
    assert tally_counts(count_strata(rows), CC278_ORDINARY, "follow_majority") == expected
    cells = {(1, "agree"): (2, 6000), (1, "oppose"): (1, 10000)}
    cells |= {(1, "delivered_no_ballot"): (1, 4000), (1, "no_ballot"): (1, 5000)}
    assert tally_counts(count_centi_cells(cells), CC278_ORDINARY, "follow_majority") == expected


@pytest.mark.parametrize(
    "cells",
    [
        {(1, "agree"): (1, -100)},  # negative area
        {(1, "agree"): (-1, 100)},  # negative households
        {(0, "agree"): (1, 100)},  # k below 1
        {(1, "agree"): (0, 100)},  # area without households
        {(1, "agree"): (1, 50.5)},  # not integer hundredths
        {(1, "maybe"): (1, 100)},  # not a status
        {(2, "agree"): (1, 100)},  # one household of a two-household owner
    ],
)
def test_centi_cells_refuse_what_strata_refuse(cells):
    with pytest.raises(ValueError):
        count_centi_cells(cells)


def test_inconsistent_or_inexact_input_is_refused():
    with pytest.raises(ValueError, match="whole owner count"):
        count_strata([(2, "agree", 1, D("50"))])  # one household of a two-household owner
    with pytest.raises(ValueError):
        count_strata([(1, "agree", 1, 50.5)])  # floats are inexact
    with pytest.raises(ValueError):
        count_owner_groups([OwnerGroup("X", 2, D("80"), {"agree": (3, D("80"))})])
    with pytest.raises(ValueError):
        tally_one([hh("a", "1")], {"zz": {"A1": "agree"}})  # unknown household
    with pytest.raises(ValueError):
        tally_one([hh("a", "1")], {"a": {"A1": "yes"}})
