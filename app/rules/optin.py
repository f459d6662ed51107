"""Household opt-in items (户内自选, design §3b): each household's price and whether the offer
stands. Pure: plain numbers in, plain numbers out; no database and no request.

Price per household = a fixed amount, or a price per m² × the household's area rounded half up
to the fen, minus the per-household subsidy (以奖代补), never below zero. An offer with a
minimum uptake (a group price) stands only when at least that many households signed up.
"""

from decimal import ROUND_HALF_UP, Decimal


def household_price(
    *,
    price_fen: int | None,
    price_fen_per_m2: int | None,
    subsidy_fen: int,
    area: Decimal,
) -> int:
    """What one household pays for an opt-in item, in fen (docs/counting.md#opt-in)."""
    if price_fen is not None:
        gross = int(price_fen)
    elif price_fen_per_m2 is not None:
        exact = Decimal(int(price_fen_per_m2)) * Decimal(area)
        gross = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        gross = 0
    return max(gross - int(subsidy_fen or 0), 0)


def offer_stands(signed_up: int, min_uptake: int | None) -> bool:
    """True when the offer holds: no minimum, or at least `min_uptake` households signed up."""
    return min_uptake is None or signed_up >= min_uptake
