"""The opt-in price rule (design §3b): fixed or per m² rounded half up, minus the subsidy,
never below zero; the offer stands with enough sign-ups. Pure: no app, no database."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.plans.phases import Schedule, signups_open
from app.rules.optin import household_price, offer_stands

areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
fen = st.integers(min_value=0, max_value=10_000_000)


def test_fixed_price_minus_subsidy():
    assert (
        household_price(
            price_fen=180_000, price_fen_per_m2=None, subsidy_fen=50_000, area=Decimal("65.30")
        )
        == 130_000
    )


def test_per_m2_rounds_half_up_to_the_fen():
    # 1 235 fen/m² × 65.30 m² = 80 645.5 fen → 80 646 (half up), minus 20 000 subsidy.
    assert (
        household_price(
            price_fen=None, price_fen_per_m2=1235, subsidy_fen=20_000, area=Decimal("65.30")
        )
        == 60_646
    )
    # 333 × 12.34 = 4 109.22 → 4 109 (down); 333 × 12.35 = 4 112.55 → 4 113 (up).
    assert (
        household_price(price_fen=None, price_fen_per_m2=333, subsidy_fen=0, area=Decimal("12.34"))
        == 4_109
    )
    assert (
        household_price(price_fen=None, price_fen_per_m2=333, subsidy_fen=0, area=Decimal("12.35"))
        == 4_113
    )


def test_subsidy_above_price_is_zero_never_negative():
    assert (
        household_price(
            price_fen=30_000, price_fen_per_m2=None, subsidy_fen=50_000, area=Decimal("80")
        )
        == 0
    )


def test_min_uptake():
    assert offer_stands(0, None)
    assert not offer_stands(9, 10)
    assert offer_stands(10, 10)


@given(area=areas, per_m2=fen, subsidy=fen)
def test_per_m2_price_matches_a_reference(area, per_m2, subsidy):
    gross = (Decimal(per_m2) * area).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    expected = max(int(gross) - subsidy, 0)
    got = household_price(price_fen=None, price_fen_per_m2=per_m2, subsidy_fen=subsidy, area=area)
    assert got == expected
    assert isinstance(got, int) and got >= 0
    # Within half a fen of the exact product before the subsidy.
    if got > 0:
        assert abs(Decimal(got + subsidy) - Decimal(per_m2) * area) <= Decimal("0.5")


@given(a=areas, b=areas, per_m2=fen)
def test_larger_home_never_pays_less(a, b, per_m2):
    low, high = sorted((a, b))
    price = lambda area: household_price(  # noqa: E731
        price_fen=None, price_fen_per_m2=per_m2, subsidy_fen=0, area=area
    )
    assert price(low) <= price(high)


@given(area=areas, fixed=fen, subsidy=fen)
def test_fixed_price_ignores_area(area, fixed, subsidy):
    got = household_price(price_fen=fixed, price_fen_per_m2=None, subsidy_fen=subsidy, area=area)
    assert got == max(fixed - subsidy, 0)


@given(n=st.integers(0, 500), m=st.one_of(st.none(), st.integers(1, 500)))
def test_offer_stands_iff_enough(n, m):
    assert offer_stands(n, m) == (m is None or n >= m)


def _schedule(phase="voting", closed_early=False, ended=False):
    return Schedule(
        phase, date(2026, 5, 1), date(2026, 6, 1), date(2026, 6, 10), closed_early, True, ended
    )


def test_signups_follow_the_vote_without_a_deadline():
    s = _schedule()
    assert signups_open(s, None, date(2026, 6, 10))
    assert not signups_open(s, None, date(2026, 6, 11))
    assert not signups_open(s, None, date(2026, 5, 31))


def test_own_deadline_may_run_past_the_vote_but_not_past_itself():
    assert signups_open(_schedule("published"), date(2026, 6, 20), date(2026, 6, 20))
    assert not signups_open(_schedule("published"), date(2026, 6, 20), date(2026, 6, 21))
    assert not signups_open(_schedule("drafting"), date(2026, 6, 20), date(2026, 6, 5))
    assert not signups_open(_schedule("closed"), date(2026, 6, 20), date(2026, 6, 5))
    assert not signups_open(_schedule(closed_early=True), date(2026, 6, 20), date(2026, 6, 5))
    assert signups_open(
        _schedule(closed_early=True, ended=True), date(2026, 6, 20), date(2026, 6, 12)
    )
