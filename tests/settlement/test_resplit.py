"""Final accounts' re-split (rules.settlement) against hand-worked examples, and a property."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.settlement import (
    difference_words,
    differences,
    largest_rise_pct,
    raised_beyond,
    resplit,
    totals,
)
from app.rules.shares import ShareError, ShareHousehold, split_shares


def hh(i, area="60", floor=1):
    return ShareHousehold(id=i, area=Decimal(area), floor=floor, order=((0, i, ""),))


def test_equal_refunds_sum_to_the_difference():
    # 1000 fen over three: 333.33 each, the 1 fen left to the first → 334, 333, 333.
    # Actual 800: 266.67 each, 2 fen left to the first two → 267, 267, 266.
    households = [hh(1), hh(2), hh(3)]
    planned = split_shares("equal", 1000, households)
    assert planned == {1: 334, 2: 333, 3: 333}
    actual = resplit("equal", 800, households, planned)
    assert actual == {1: 267, 2: 267, 3: 266}
    diffs = differences(planned, actual)
    assert [d.difference_fen for d in diffs] == [-67, -66, -67]
    t = totals(diffs)
    assert (t.refunds_fen, t.top_ups_fen, t.refund_households) == (200, 0, 3)
    assert t.net_fen == 800 - 1000


def test_area_top_ups_sum_to_the_difference():
    # Areas 60, 80, 70.5 (Σ 210.5). 10000 fen: 2850.356, 3800.475, 3349.169 → floors sum 9999,
    # the 1 fen to the largest remainder (.475) → 2850, 3801, 3349. 12000 fen: 3420.428,
    # 4560.570, 4019.002 → 11999, the 1 fen to .570 → 3420, 4561, 4019.
    households = [hh(1, "60"), hh(2, "80"), hh(3, "70.50")]
    planned = split_shares("area", 10_000, households)
    assert planned == {1: 2850, 2: 3801, 3: 3349}
    actual = resplit("area", 12_000, households, planned)
    assert actual == {1: 3420, 2: 4561, 3: 4019}
    t = totals(differences(planned, actual))
    assert (t.top_ups_fen, t.refunds_fen) == (570 + 760 + 670, 0)
    assert t.net_fen == 2000


def test_floor_method_keeps_exempt_floors_at_zero():
    # Coefficients 1: 0, 2: 1.0, 3: 1.5; areas 60, 60, 80 → weights 0, 60, 120 (Σ 180).
    # 1000 fen: 0, 333.33, 666.67 → 0, 333, 667 (1 fen to .67); 700 fen: 0, 233.33, 466.67 →
    # 0, 233, 467.
    households = [hh(1, "60", 1), hh(2, "60", 2), hh(3, "80", 3)]
    table = {1: Decimal("0"), 2: Decimal("1.0"), 3: Decimal("1.5")}
    planned = split_shares("floor", 1000, households, floor_coefficients=table)
    assert planned == {1: 0, 2: 333, 3: 667}
    actual = resplit("floor", 700, households, planned, floor_coefficients=table)
    assert actual == {1: 0, 2: 233, 3: 467}
    diffs = differences(planned, actual)
    assert [d.kind for d in diffs] == ["none", "refund", "refund"]
    assert totals(diffs).refunds_fen == 300


def test_rounding_remainder_can_move_one_fen_either_way():
    households = [hh(1), hh(2), hh(3)]
    planned = split_shares("equal", 1000, households)  # 334, 333, 333
    actual = resplit("equal", 1001, households, planned)  # 334, 334, 333
    assert [d.difference_fen for d in differences(planned, actual)] == [0, 1, 0]


def test_custom_splits_in_proportion_to_the_planned_amounts():
    households = [hh(1), hh(2), hh(3)]
    planned = {1: 500, 2: 300, 3: 200}
    # 1500 fen in proportion 5:3:2 → 750, 450, 300 exactly.
    assert resplit("custom", 1500, households, planned) == {1: 750, 2: 450, 3: 300}
    with pytest.raises(ShareError):
        resplit("custom", 100, households, {1: 0, 2: 0, 3: 0})


def test_threshold():
    before = {1: 1000, 2: 1000, 3: 0}
    assert raised_beyond(before, {1: 1100, 2: 1000, 3: 0}, 10) == []
    assert raised_beyond(before, {1: 1101, 2: 900, 3: 0}, 10) == [1]
    assert raised_beyond(before, {1: 1000, 2: 1000, 3: 1}, 50) == [3]
    assert largest_rise_pct(before, {1: 1150, 2: 1000, 3: 0}) == Fraction(15)
    assert largest_rise_pct(before, {1: 1000, 2: 1000, 3: 5}) is None
    with pytest.raises(ShareError):
        raised_beyond(before, before, -1)


def test_words():
    assert difference_words(-1234) == "退 12.34 元"
    assert difference_words(500) == "补 5.00 元"
    assert difference_words(0) == "无差额"


@st.composite
def cases(draw):
    n = draw(st.integers(1, 12))
    areas = draw(st.lists(st.integers(1, 20000), min_size=n, max_size=n))
    floors = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    households = [
        ShareHousehold(id=i + 1, area=Decimal(a).scaleb(-2), floor=f, order=((0, i, ""),))
        for i, (a, f) in enumerate(zip(areas, floors, strict=True))
    ]
    method = draw(st.sampled_from(["equal", "area", "floor", "floor_flat"]))
    table = {f: Decimal(draw(st.integers(1, 30))) / 10 for f in range(1, 5)}
    return method, households, table, draw(st.integers(0, 10**9)), draw(st.integers(0, 10**9))


@given(cases())
def test_refunds_and_top_ups_sum_to_the_difference(case):
    method, households, table, planned_r, actual_r = case
    planned = split_shares(method, planned_r, households, floor_coefficients=table)
    actual = resplit(method, actual_r, households, planned, floor_coefficients=table)
    assert sum(actual.values()) == actual_r
    t = totals(differences(planned, actual))
    assert t.top_ups_fen - t.refunds_fen == actual_r - planned_r
    assert t.planned_fen == planned_r and t.actual_fen == actual_r
    # Same method, same weights: when the part grows nobody is refunded more than the 1 fen
    # of rounding, and when it shrinks nobody tops up more than 1 fen.
    for d in differences(planned, actual):
        assert d.difference_fen >= -1 if actual_r >= planned_r else d.difference_fen <= 1
