"""After the vote: an item's residents' part split again (决算, 设计变更), and the differences.

Pure: no Flask, no database. The residents' part as it finally stands (actual cost minus the
actual other sources, or a change order's new figures) is split over the same households by the
same method and rounding as the planned shares (``split_shares``: floors, then the leftover fen
to the largest remainders, ties in building, unit, room order), so the new shares add up to it
exactly. A custom item's new part is split in proportion to the planned custom amounts. Each
household's difference is new − planned: positive is a top-up (补), negative a refund (退); the
differences add up exactly to the difference of the two residents' parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.rules.money import format_fen
from app.rules.shares import (
    Method,
    ShareError,
    ShareHousehold,
    largest_remainder,
    split_shares,
)


def resplit(
    method: Method,
    residents_fen: int,
    households: Sequence[ShareHousehold],
    planned: Mapping[int, int],
    *,
    floor_coefficients: Mapping[int, Decimal] | None = None,
) -> dict[int, int]:
    """The residents' part ``residents_fen`` split again over ``households``; {id: fen}.

    ``planned`` are the planned shares; the custom method splits in proportion to them (an item
    whose planned custom amounts are all zero cannot carry a new part)."""
    if method != "custom":
        return split_shares(
            method, residents_fen, households, floor_coefficients=floor_coefficients
        )
    ordered = sorted(households, key=lambda h: (h.order, h.id))
    rank = {h.id: i for i, h in enumerate(ordered)}
    weights = {h.id: Fraction(planned.get(h.id, 0)) for h in ordered}
    return largest_remainder(residents_fen, weights, rank.__getitem__)


@dataclass(frozen=True)
class Difference:
    """One household's planned and new share, in fen."""

    household_id: int
    planned_fen: int
    actual_fen: int

    @property
    def difference_fen(self) -> int:
        """New − planned: positive a top-up (补), negative a refund (退)."""
        return self.actual_fen - self.planned_fen

    @property
    def kind(self) -> str:
        """ "top_up", "refund" or "none"."""
        d = self.difference_fen
        return "top_up" if d > 0 else "refund" if d < 0 else "none"


def differences(planned: Mapping[int, int], actual: Mapping[int, int]) -> list[Difference]:
    """Every household of either split, planned beside new (a missing one counts as 0)."""
    ids = list(dict.fromkeys([*planned, *actual]))
    return [Difference(i, planned.get(i, 0), actual.get(i, 0)) for i in ids]


@dataclass(frozen=True)
class Totals:
    """Refunds and top-ups of a re-split, each as a positive number of fen."""

    planned_fen: int
    actual_fen: int
    refunds_fen: int
    top_ups_fen: int
    refund_households: int
    top_up_households: int

    @property
    def net_fen(self) -> int:
        """Top-ups − refunds = actual − planned residents' part."""
        return self.top_ups_fen - self.refunds_fen


def totals(diffs: Sequence[Difference]) -> Totals:
    """Sum the planned and new shares, the refunds and the top-ups."""
    refunds = [-d.difference_fen for d in diffs if d.difference_fen < 0]
    top_ups = [d.difference_fen for d in diffs if d.difference_fen > 0]
    return Totals(
        planned_fen=sum(d.planned_fen for d in diffs),
        actual_fen=sum(d.actual_fen for d in diffs),
        refunds_fen=sum(refunds),
        top_ups_fen=sum(top_ups),
        refund_households=len(refunds),
        top_up_households=len(top_ups),
    )


def raised_beyond(
    before: Mapping[int, int], after: Mapping[int, int], threshold_pct: int
) -> list[int]:
    """Households whose share rises by more than ``threshold_pct`` per cent (设计变更).

    A household that paid nothing before and would pay something after has risen beyond any
    threshold. Exact: after × 100 > before × (100 + threshold)."""
    if isinstance(threshold_pct, bool) or not isinstance(threshold_pct, int) or threshold_pct < 0:
        raise ShareError(f"变更阈值必须是非负整数百分比，收到 {threshold_pct!r}")
    return [
        hid
        for hid, fen in after.items()
        if fen > before.get(hid, 0) and fen * 100 > before.get(hid, 0) * (100 + threshold_pct)
    ]


def largest_rise_pct(before: Mapping[int, int], after: Mapping[int, int]) -> Fraction | None:
    """The largest rise of any household's share in per cent (None when one rises from 0)."""
    worst = Fraction(0)
    for hid, fen in after.items():
        was = before.get(hid, 0)
        if fen > was:
            if was == 0:
                return None
            worst = max(worst, Fraction(fen - was, was) * 100)
    return worst


def difference_words(fen: int) -> str:
    """ "退 12.34 元", "补 5.00 元" or "无差额" (Chinese, for statements and exports)."""
    if fen < 0:
        return f"退 {format_fen(-fen)} 元"
    if fen > 0:
        return f"补 {format_fen(fen)} 元"
    return "无差额"
