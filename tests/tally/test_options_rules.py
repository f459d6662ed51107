"""Options within an item (方案比选, design §3a): worked examples and properties of
app.rules.options against a reference that counts one household at a time."""

from collections import Counter, defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.counting import (
    CC278_MAJOR,
    CC278_ORDINARY,
    CustomRule,
    Measure,
    Rule,
    count_strata,
    tally_counts,
)
from app.rules.options import decide_options, option_measures, option_rule_allowed

D, F = Decimal, Fraction


def count(households, keys, rule=CC278_ORDINARY, option_rule="plurality"):
    """Tally one item from (owner, area, mark) rows: mark an option key, "oppose", "abstain",
    or None (no ballot). Returns the plain tally and the option outcome."""
    k_of = Counter(owner for owner, _area, _mark in households)
    strata, options = [], []
    for owner, area, mark in households:
        k = k_of[owner]
        status = "no_ballot" if mark is None else mark if mark in ("oppose", "abstain") else "agree"
        strata.append((k, status, 1, D(area)))
        if status == "agree":
            options.append((mark, k, 1, D(area)))
    tally = tally_counts(count_strata(strata), rule)
    return tally, decide_options(tally, option_measures(keys, options), option_rule)


# --- worked by hand (docs/counting.md#options) -----------------------------------------------


def test_multi_unit_owner_splits_its_head_across_two_options():
    # Owner X has two flats: 60 m² marks A, 80 m² marks B; k = 2, so each is half a head.
    # Y (70 m²) marks A, Z (90 m²) marks B, W (50 m²) opposes. Electorate 4 owners, 350 m².
    tally, outcome = count(
        [("X", "60", "A"), ("X", "80", "B"), ("Y", "70", "A"), ("Z", "90", "B"),
         ("W", "50", "oppose")], ["A", "B"],
    )  # fmt: skip
    # Agree = A + B: 1/2 + 1 + 1/2 + 1 = 3 of 4 heads (> 1/2), 300 of 350 m² (> 175): passed.
    assert (tally.agree.owners, tally.agree.area, tally.agree.households) == (3, 300, 4)
    assert tally.passed and outcome.passed
    a, b = outcome.option("A").agree, outcome.option("B").agree
    assert (a.owners, a.area, a.households) == (F(3, 2), 130, 2)
    assert (b.owners, b.area, b.households) == (F(3, 2), 170, 2)
    assert a + b == tally.agree
    # 3/2 each on headcount: a tie, so no option is chosen although B leads on area.
    assert outcome.leaders_headcount == ("A", "B") and outcome.leaders_area == ("B",)
    assert outcome.chosen is None and not outcome.decided
    assert outcome.runoff == ("A", "B")


def test_headcount_and_area_leaders_differ():
    # A: two owners of 50 m²; B: one owner of 150 m². A leads on heads 2:1, B on area 150:100.
    tally, outcome = count([("P", "50", "A"), ("Q", "50", "A"), ("R", "150", "B")], ["A", "B"])
    assert tally.passed
    assert outcome.leaders_headcount == ("A",) and outcome.leaders_area == ("B",)
    assert (outcome.chosen, outcome.decided, outcome.runoff) == (None, False, ("A", "B"))


def test_one_option_leads_on_both_measures_and_is_chosen():
    # A: 2 heads, 140 m²; B: 1 head, 60 m²; one abstention of 40 m² participates.
    tally, outcome = count(
        [("P", "70", "A"), ("Q", "70", "A"), ("R", "60", "B"), ("S", "40", "abstain")], ["A", "B"]
    )
    assert tally.passed
    assert (outcome.chosen, outcome.decided, outcome.runoff) == ("A", True, ())


def test_three_options_tied_on_area_go_to_a_runoff_of_all_leaders():
    # Heads: A 2, B 1, C 1; area: A 100, B 100, C 100 (B and C have 100 m² each, A two of 50).
    # A leads on heads; on area all three tie: runoff between A, B and C.
    _tally, outcome = count(
        [("P", "50", "A"), ("Q", "50", "A"), ("R", "100", "B"), ("S", "100", "C")],
        ["A", "B", "C"],
    )
    assert outcome.leaders_area == ("A", "B", "C")
    assert outcome.runoff == ("A", "B", "C") and outcome.chosen is None


def test_tie_between_two_of_three_leaves_the_third_out_of_the_runoff():
    # Heads A 2, B 2, C 1; area A 200, B 180, C 100. Heads tie A/B, area leader A: runoff A, B.
    _tally, outcome = count(
        [("P", "100", "A"), ("Q", "100", "A"), ("R", "90", "B"), ("S", "90", "B"),
         ("T", "100", "C")], ["A", "B", "C"],
    )  # fmt: skip
    assert outcome.runoff == ("A", "B")


def test_failed_item_chooses_no_option_and_is_decided():
    # Quorum: 2 of 5 owners take part (< 2/3): the item fails; its options do not matter.
    tally, outcome = count(
        [("P", "60", "A"), ("Q", "60", "A"), ("R", "60", None), ("S", "60", None),
         ("T", "60", None)], ["A", "B"],
    )  # fmt: skip
    assert not tally.quorum_met and not outcome.passed
    assert (outcome.chosen, outcome.decided, outcome.runoff) == (None, True, ())


def test_threshold_with_no_passing_option_fails_the_item():
    # Four owners of 100 m²: A, A, B, B. The item (agree 4 of 4) would pass, but under threshold
    # each option needs more than half on its own: A has 2 of 4 heads and 200 of 400 m², exactly
    # half, not more. No option passes, so the item fails.
    tally, outcome = count(
        [("P", "100", "A"), ("Q", "100", "A"), ("R", "100", "B"), ("S", "100", "B")],
        ["A", "B"], option_rule="threshold",
    )  # fmt: skip
    assert tally.passed
    assert not outcome.passed and outcome.chosen is None and outcome.decided
    assert [o.passed for o in outcome.options] == [False, False]
    margins = [c.margin for c in outcome.option("A").checks]
    assert margins == [0, 0]  # 2 − 1/2 × 4, 200 − 1/2 × 400: exactly on the bound


def test_threshold_with_one_passing_option_chooses_it():
    # A: 3 of 4 heads, 300 of 400 m²: more than half on both; B has a quarter.
    _tally, outcome = count(
        [("P", "100", "A"), ("Q", "100", "A"), ("R", "100", "A"), ("S", "100", "B")],
        ["A", "B"], option_rule="threshold",
    )  # fmt: skip
    assert (outcome.passed, outcome.chosen) == (True, "A")
    assert [o.passed for o in outcome.options] == [True, False]


def test_threshold_under_the_major_rule_needs_three_quarters_per_option():
    # Major rule: A has 3 of 4 heads (≥ 3/4) but 240 of 340 m² (< 255): A fails, so the item.
    _tally, outcome = count(
        [("P", "80", "A"), ("Q", "80", "A"), ("R", "80", "A"), ("S", "100", "B")],
        ["A", "B"], rule=CC278_MAJOR, option_rule="threshold",
    )  # fmt: skip
    assert not outcome.passed and outcome.chosen is None


def test_threshold_needs_approval_above_one_half():
    half = Rule("custom", CustomRule(F(0), F(1, 2), False, "participating", "both"))
    assert not option_rule_allowed(half, "threshold")
    assert option_rule_allowed(CC278_ORDINARY, "threshold")  # > 1/2 strictly
    assert option_rule_allowed(half, "plurality")
    with pytest.raises(ValueError, match="above one half"):
        count([("P", "1", "A")], ["A", "B"], rule=half, option_rule="threshold")


def test_refuses_unknown_options_and_wrong_option_counts():
    with pytest.raises(ValueError, match="not one of"):
        option_measures(["A", "B"], [("C", 1, 1, D(1))])
    with pytest.raises(ValueError, match="1–5 options"):
        count([("P", "1", "A")], ["A", "B", "C", "D", "E", "F"])
    with pytest.raises(ValueError):
        option_measures(["A", "B"], [("A", 1, 1, 1.5)])  # floats are inexact


# --- properties against a household-at-a-time reference --------------------------------------


def reference(households, keys, approval_num, option_rule):
    """Count per household with Fractions, then read §3a literally (ordinary or major rule)."""
    k_of = Counter(owner for owner, _a, _m in households)
    E, P, A = [F(0), F(0)], [F(0), F(0)], [F(0), F(0)]
    per = {key: [F(0), F(0), 0] for key in keys}
    for owner, area, mark in households:
        w, a = F(1, k_of[owner]), F(D(area))
        E[0], E[1] = E[0] + w, E[1] + a
        if mark is not None:
            P[0], P[1] = P[0] + w, P[1] + a
        if mark in per:
            A[0], A[1] = A[0] + w, A[1] + a
            per[mark][0] += w
            per[mark][1] += a
            per[mark][2] += 1
    approval, strict = (F(1, 2), True) if approval_num == "ordinary" else (F(3, 4), False)

    def approves(agree):
        return all(
            P[d] > 0 and (agree[d] / P[d] > approval if strict else agree[d] / P[d] >= approval)
            for d in (0, 1)
        )

    quorum = P[0] > 0 and all(P[d] / E[d] >= F(2, 3) for d in (0, 1))
    passed = quorum and approves(A)
    if option_rule == "threshold":
        winners = [key for key in keys if quorum and approves(per[key])]
        return per, bool(winners), (winners[0] if winners else None), ()
    top_heads = [key for key in keys if per[key][0] == max(per[x][0] for x in keys)]
    top_area = [key for key in keys if per[key][1] == max(per[x][1] for x in keys)]
    if not passed:
        return per, False, None, ()
    if top_heads == top_area and len(top_heads) == 1:
        return per, True, top_heads[0], ()
    return per, True, None, tuple(k for k in keys if k in top_heads or k in top_area)


@st.composite
def option_cases(draw):
    """2-5 options; owners with 1-3 households each marking an option, oppose, abstain or
    nothing; few distinct areas so that ties happen."""
    keys = ["A", "B", "C", "D", "E"][: draw(st.integers(2, 5))]
    marks = st.sampled_from([*keys, *keys, "oppose", "abstain", None])
    households = []
    for owner in range(draw(st.integers(1, 9))):
        for _ in range(draw(st.integers(1, 3))):
            area = draw(st.sampled_from(["50", "60", "75.5", "100"]))
            households.append((f"o{owner}", area, draw(marks)))
    return (
        households,
        keys,
        draw(st.sampled_from(["ordinary", "major"])),
        draw(st.sampled_from(["plurality", "threshold"])),
    )


@settings(deadline=None)
@given(option_cases())
def test_options_match_the_reference(case):
    households, keys, rule_name, option_rule = case
    rule = CC278_ORDINARY if rule_name == "ordinary" else CC278_MAJOR
    _tally, outcome = count(households, keys, rule, option_rule)
    per, passed, chosen, runoff = reference(households, keys, rule_name, option_rule)
    for key in keys:
        m = outcome.option(key).agree
        assert [m.owners, F(m.area), m.households] == per[key]
    assert (outcome.passed, outcome.chosen, outcome.runoff) == (passed, chosen, runoff)


@settings(deadline=None)
@given(option_cases())
def test_option_invariants(case):
    households, keys, rule_name, option_rule = case
    rule = CC278_ORDINARY if rule_name == "ordinary" else CC278_MAJOR
    tally, outcome = count(households, keys, rule, option_rule)
    total = Measure.zero()
    for option in outcome.options:
        total += option.agree
    assert total == tally.agree  # agree is the sum over the options
    assert outcome.passed <= tally.passed  # options never make an item pass
    assert outcome.decided == (not outcome.passed or outcome.chosen is not None)
    if outcome.chosen is not None:
        assert outcome.passed
    if option_rule == "threshold":
        assert sum(bool(o.passed) for o in outcome.options) <= 1
        assert outcome.runoff == ()
    elif not outcome.decided:
        assert len(outcome.runoff) >= 2
        assert set(outcome.leaders_headcount) | set(outcome.leaders_area) == set(outcome.runoff)
    by_key = defaultdict(int)
    for _o, _a, mark in households:
        by_key[mark] += 1
    assert all(outcome.option(k).agree.households == by_key[k] for k in keys)
