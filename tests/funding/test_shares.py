"""Tests for app.rules.shares (docs/counting.md#shares): known answers and properties."""

import json
import math
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.rules.money import format_fen
from app.rules.shares import (
    ShareError,
    ShareHousehold,
    household_order,
    largest_remainder,
    parse_floor_coefficients,
    residents_part,
    split_shares,
)

PLAN_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "plan-example.json"
B1_TABLE = {"1": 0, "2": 0, "3": 1.0, "4": 1.2, "5": 1.4, "6": 1.6}
WEIGHTED = ("equal", "area", "floor", "floor_flat")


# --- a separate, deliberately plain reference implementation -------------------------------


def ref_weight(method, h, table):
    if method == "equal":
        return Fraction(1)
    if method == "area":
        return Fraction(str(h.area))
    if method == "floor":
        return Fraction(str(table[h.floor])) * Fraction(str(h.area))
    return Fraction(str(table[h.floor]))


def reference(method, total, households, table=None):
    """Hamilton's method written out: quotas, floors, then +1 by (remainder desc, order, id)."""
    weights = {h.id: ref_weight(method, h, table) for h in households}
    weight_sum = sum(weights.values())
    if total == 0:
        return {h.id: 0 for h in households}
    if weight_sum == 0:
        return None  # nobody can pay: must be refused
    quota = {i: Fraction(total) * w / weight_sum for i, w in weights.items()}
    share = {i: math.floor(q) for i, q in quota.items()}
    leftover = total - sum(share.values())
    queue = sorted(households, key=lambda h: (-(quota[h.id] - share[h.id]), h.order, h.id))
    for h in queue[:leftover]:
        share[h.id] += 1
    return share


# --- strategies ------------------------------------------------------------------------------

areas = st.integers(min_value=1, max_value=30_000).map(lambda c: Decimal(c).scaleb(-2))
coefficients = st.integers(min_value=0, max_value=30).map(lambda t: Decimal(t).scaleb(-1))
tables = st.fixed_dictionaries({f: coefficients for f in range(1, 7)})
amounts = st.integers(min_value=0, max_value=10**9)


@st.composite
def electorates(draw, min_size=1, max_size=30, area=areas):
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    return [
        ShareHousehold(
            id=i,
            area=draw(area),
            floor=draw(st.integers(1, 6)),
            # orders may collide: the id then breaks the tie
            order=(draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4))),
        )
        for i in ids
    ]


def shuffled(households, seed):
    copy = list(households)
    random.Random(seed).shuffle(copy)
    return copy


# --- properties ------------------------------------------------------------------------------


@given(st.sampled_from(WEIGHTED), amounts, electorates(), tables, st.integers())
def test_matches_reference_and_sums_exactly(method, total, households, table, seed):
    expected = reference(method, total, households, table)
    if expected is None:
        with pytest.raises(ShareError, match="无人承担"):
            split_shares(method, total, households, floor_coefficients=table)
        return
    got = split_shares(method, total, households, floor_coefficients=table)
    assert got == expected
    assert sum(got.values()) == total
    assert set(got) == {h.id for h in households}
    # same input in any order gives the same output
    again = split_shares(method, total, shuffled(households, seed), floor_coefficients=table)
    assert again == got


@given(st.sampled_from(WEIGHTED), amounts, electorates(), tables)
def test_each_share_is_its_quota_rounded_down_or_up(method, total, households, table):
    weights = {h.id: ref_weight(method, h, table) for h in households}
    weight_sum = sum(weights.values())
    assume(weight_sum > 0)
    got = split_shares(method, total, households, floor_coefficients=table)
    for i, share in got.items():
        quota = Fraction(total) * weights[i] / weight_sum
        assert math.floor(quota) <= share <= math.ceil(quota)


@given(amounts, electorates())
def test_equal_split_differs_by_at_most_one_fen(total, households):
    got = split_shares("equal", total, households)
    assert max(got.values()) - min(got.values()) <= 1
    assert sum(got.values()) == total


@given(amounts, electorates(min_size=2))
def test_area_split_is_monotonic_in_area(total, households):
    got = split_shares("area", total, households)
    for a in households:
        for b in households:
            if a.area > b.area:
                assert got[a.id] >= got[b.id]


@given(amounts, electorates(), tables, st.sampled_from(["floor", "floor_flat"]))
def test_exempt_floors_pay_nothing(total, households, table, method):
    assume(any(table[h.floor] > 0 for h in households))
    got = split_shares(method, total, households, floor_coefficients=table)
    for h in households:
        if table[h.floor] == 0:
            assert got[h.id] == 0
    assert sum(got.values()) == total


@given(amounts, electorates(), tables, st.data())
def test_floor_flat_ignores_area(total, households, table, data):
    assume(any(table[h.floor] > 0 for h in households))
    other = [
        ShareHousehold(id=h.id, area=data.draw(areas), floor=h.floor, order=h.order)
        for h in households
    ]
    assert split_shares("floor_flat", total, households, floor_coefficients=table) == (
        split_shares("floor_flat", total, other, floor_coefficients=table)
    )


@given(electorates(), st.data())
def test_custom_accepted_when_it_sums_to_the_residents_part(households, data):
    custom = {h.id: data.draw(st.integers(0, 10**7)) for h in households}
    total = sum(custom.values())
    assert split_shares("custom", total, households, custom=custom) == custom


@given(electorates(), st.data(), st.integers(-(10**6), 10**6).filter(bool))
def test_custom_refused_with_the_difference_named(households, data, delta):
    custom = {h.id: data.draw(st.integers(0, 10**7)) for h in households}
    total = sum(custom.values()) - delta
    assume(total >= 0)
    with pytest.raises(ShareError) as caught:
        split_shares("custom", total, households, custom=custom)
    assert caught.value.difference_fen == delta
    assert f"相差 {format_fen(abs(delta))} 元" in str(caught.value)


@given(
    amounts,
    st.dictionaries(st.text(max_size=3), st.fractions(min_value=0, max_value=1000), max_size=20),
)
def test_largest_remainder_sums_exactly(total, weights):
    assume(sum(weights.values()) > 0)
    got = largest_remainder(total, weights, order_key=lambda k: k)
    assert sum(got.values()) == total
    assert all(v >= 0 for v in got.values())
    assert all(got[k] == 0 for k, w in weights.items() if w == 0)


# --- known answers, worked by hand ----------------------------------------------------------


def b1_unit():
    """3号楼2单元: six floors, rooms x01 (60.00 m²) and x02 (80.00 m²) on each floor."""
    return [
        ShareHousehold(
            id=floor * 100 + room,
            area=Decimal("60.00") if room == 1 else Decimal("80.00"),
            floor=floor,
            order=household_order("3号楼", "2单元", f"{floor}0{room}"),
            label=f"3号楼2单元{floor}0{room}",
        )
        for floor in range(1, 7)
        for room in (1, 2)
    ]


def test_plan_example_elevator_b1():
    item = next(i for i in json.loads(PLAN_EXAMPLE.read_text())["items"] if i["key"] == "B1")
    assert item["floor_coefficients"] == B1_TABLE and item["share_method"] == "floor"
    # R = 65,000,000 − 20,000,000 = 45,000,000 fen (450,000.00 元)
    total = residents_part(item["cost_fen"], item["funding"])
    assert total == 45_000_000
    table = parse_floor_coefficients(item["floor_coefficients"])
    # Weights = coefficient × area (floors 1–2 exempt):
    #   301: 1.0×60= 60  302: 1.0×80= 80   401: 1.2×60=72  402: 1.2×80= 96
    #   501: 1.4×60= 84  502: 1.4×80=112   601: 1.6×60=96  602: 1.6×80=128
    #   Σ = 140 × (1.0+1.2+1.4+1.6) = 140 × 5.2 = 728
    # Quota = 45,000,000 × w / 728 = w × 5,625,000 / 91; floor, remainder in 91sts:
    #   301: 337,500,000/91 = 3,708,791 r19     302: 450,000,000/91 = 4,945,054 r86
    #   401: 405,000,000/91 = 4,450,549 r41     402: 540,000,000/91 = 5,934,065 r85
    #   501: 472,500,000/91 = 5,192,307 r63     502: 630,000,000/91 = 6,923,076 r84
    #   601: 540,000,000/91 = 5,934,065 r85     602: 720,000,000/91 = 7,912,087 r83
    # Σ floors = 44,999,994; remainders 19+86+41+85+63+84+85+83 = 546 = 6 × 91 → 6 fen left,
    # to the six largest remainders 86 (302), 85 (402), 85 (601), 84 (502), 83 (602),
    # 63 (501); 401 (r41) and 301 (r19) keep their floors.
    expected = {
        101: 0,
        102: 0,
        201: 0,
        202: 0,
        301: 3_708_791,
        302: 4_945_055,
        401: 4_450_549,
        402: 5_934_066,
        501: 5_192_308,
        502: 6_923_077,
        601: 5_934_066,
        602: 7_912_088,
    }
    assert sum(expected.values()) == 45_000_000
    assert split_shares("floor", total, b1_unit(), floor_coefficients=table) == expected
    assert split_shares("floor", total, b1_unit()[::-1], floor_coefficients=table) == expected


def test_b1_floor_flat_by_hand():
    # Weights 0,0,0,0,1,1,1.2,1.2,1.4,1.4,1.6,1.6: Σ = 10.4; quota = 45,000,000 × c / 10.4
    #   c=1.0: 4,326,923.0769…  c=1.2: 5,192,307.6923…  c=1.4: 6,057,692.3077…
    #   c=1.6: 6,923,076.9231…  (in 13ths: r1, r9, r4, r12 — 45,000,000/10.4 = 4,326,923 1/13)
    # Σ remainders = 2 × (1+9+4+12)/13 = 52/13 = 4 → floors sum to 44,999,996, 4 fen left;
    # they go to r12 (601, 602) and r9 (401, 402); 301, 302, 501, 502 keep their floors.
    table = parse_floor_coefficients(B1_TABLE)
    got = split_shares("floor_flat", 45_000_000, b1_unit(), floor_coefficients=table)
    assert [got[i] for i in (301, 302, 401, 402, 501, 502, 601, 602)] == [
        4_326_923,
        4_326_923,
        5_192_308,
        5_192_308,
        6_057_692,
        6_057_692,
        6_923_077,
        6_923_077,
    ]
    assert got[101] == got[202] == 0 and sum(got.values()) == 45_000_000


def test_equal_100_fen_over_3_the_first_in_order_gets_the_extra_fen():
    households = [
        ShareHousehold(id=1, area=Decimal(50), floor=1, order=household_order("1号楼", "1", "103")),
        ShareHousehold(id=2, area=Decimal(50), floor=1, order=household_order("1号楼", "1", "102")),
        ShareHousehold(id=3, area=Decimal(50), floor=1, order=household_order("1号楼", "1", "101")),
    ]
    # 100/3 = 33 r1 each; one fen left; equal remainders → room 101 (id 3) first in order.
    assert split_shares("equal", 100, households) == {3: 34, 2: 33, 1: 33}
    assert split_shares("equal", 100, households[::-1]) == {3: 34, 2: 33, 1: 33}
    # 101 fen: two fen left → rooms 101 and 102.
    assert split_shares("equal", 101, households) == {3: 34, 2: 34, 1: 33}


def test_natural_order_puts_201_before_1001():
    assert household_order("1号楼", "1单元", "201") < household_order("1号楼", "1单元", "1001")
    assert household_order("2号楼", None, "1001") < household_order("10号楼", None, "101")
    assert household_order("3号楼", "2单元", "601") < household_order("3号楼", "10单元", "101")
    assert household_order("９号楼", "", "１") < household_order("10号楼", "", "1")
    households = [
        ShareHousehold(id=7, area=Decimal(1), floor=10, order=household_order("1号楼", "", "1001")),
        ShareHousehold(id=8, area=Decimal(1), floor=2, order=household_order("1号楼", "", "201")),
    ]
    assert split_shares("equal", 1, households) == {8: 1, 7: 0}


def test_funding_exceeding_cost_is_refused():
    with pytest.raises(ShareError, match="超过项目造价") as caught:
        residents_part(10_000_00, {"government": 8_000_00, "utility": 3_000_00})
    assert caught.value.difference_fen == 1_000_00
    assert "超出 1,000.00 元" in str(caught.value)


def test_residents_part():
    assert residents_part(180_000_000, {"government": 150_000_000, "maintenance_fund": 10**7}) == (
        20_000_000
    )
    assert residents_part(30_000_000, {"government": 30_000_000}) == 0
    assert residents_part(500, {"government": 200, "residents": 300}) == 300
    with pytest.raises(ShareError):
        residents_part(500, {"government": 200, "residents": 250})
    with pytest.raises(ShareError):
        residents_part(500, {"government": -1})
    with pytest.raises(ShareError):
        residents_part(500, {"government": 1.5})


def test_parse_floor_coefficients_is_exact():
    table = parse_floor_coefficients(json.loads(json.dumps(B1_TABLE)))
    assert table == {1: 0, 2: 0, 3: 1, 4: Decimal("1.2"), 5: Decimal("1.4"), 6: Decimal("1.6")}
    assert str(table[4]) == "1.2" and all(isinstance(v, Decimal) for v in table.values())
    assert parse_floor_coefficients({3: "0.75", "-1": 0}) == {-1: 0, 3: Decimal("0.75")}
    for bad in ({"3": -0.5}, {"三": 1}, {"3": "abc"}, {"3": "NaN"}, {"3": True}, {"3": 1, 3: 2}):
        with pytest.raises(ShareError):
            parse_floor_coefficients(bad)


def test_missing_floor_is_named():
    table = parse_floor_coefficients({"1": 0, "2": 0, "3": 1, "4": 1, "5": 1})
    with pytest.raises(ShareError, match="缺少第 6 层") as caught:
        split_shares("floor", 45_000_000, b1_unit(), floor_coefficients=table)
    assert caught.value.ids == (6,)
    assert "3号楼2单元601" in str(caught.value)
    with pytest.raises(ShareError, match="楼层系数表"):
        split_shares("floor", 100, b1_unit())


def test_zero_total_empty_electorate_and_nobody_to_pay():
    table = parse_floor_coefficients(B1_TABLE)
    low = [h for h in b1_unit() if h.floor <= 2]
    assert split_shares("floor", 0, low, floor_coefficients=table) == dict.fromkeys(
        (101, 102, 201, 202), 0
    )
    assert split_shares("equal", 0, []) == {}
    with pytest.raises(ShareError, match="没有分摊住户"):
        split_shares("equal", 100, [])
    with pytest.raises(ShareError, match="无人承担"):
        split_shares("floor", 100, low, floor_coefficients=table)
    with pytest.raises(ShareError):
        split_shares("equal", -1, low)
    with pytest.raises(ShareError, match="未知"):
        split_shares("bogus", 100, low)  # type: ignore[arg-type]


def test_custom_names_missing_and_extra_households():
    unit = b1_unit()
    full = {h.id: 1000 for h in unit}
    with pytest.raises(ShareError, match="缺少 1 户：3号楼2单元601") as caught:
        split_shares("custom", 12_000, unit, custom={k: v for k, v in full.items() if k != 601})
    assert caught.value.ids == (601,)
    with pytest.raises(ShareError, match="不在本项目范围内的住户：#999"):
        split_shares("custom", 13_000, unit, custom={**full, 999: 1000})
    with pytest.raises(ShareError) as caught:
        split_shares("custom", 12_345, unit, custom=full)
    message = "定制分摊合计 120.00 元，与居民出资部分 123.45 元相差 3.45 元（不足）"
    assert str(caught.value) == message
    assert caught.value.difference_fen == -345
    with pytest.raises(ShareError, match="不能为负数"):
        split_shares("custom", 10_000, unit, custom={**full, 101: -1000, 102: -1000})
    with pytest.raises(ShareError, match="需要上传"):
        split_shares("custom", 12_000, unit)


def test_bad_inputs_refused():
    h = ShareHousehold(id=1, area=Decimal("-1"), floor=1, order=())
    with pytest.raises(ShareError, match="面积不能为负数"):
        split_shares("area", 100, [h])
    twice = [ShareHousehold(id=1, area=Decimal(1), floor=1)] * 2
    with pytest.raises(ShareError, match="住户重复"):
        split_shares("equal", 100, twice)
    with pytest.raises(ShareError, match="精确"):
        largest_remainder(100, {"a": 0.5}, order_key=str)


def test_format_fen():
    assert format_fen(0) == "0.00"
    assert format_fen(5) == "0.05"
    assert format_fen(123_456) == "1,234.56"
    assert format_fen(45_000_000) == "450,000.00"
    assert format_fen(-1_234) == "-12.34"
