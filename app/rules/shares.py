"""Split an item's residents' part over its electorate (docs/counting.md#shares, co-funding).

Pure: no Flask, no database. Money is integer fen; weights are exact (Decimal areas and
coefficients become Fractions); floats are refused. Each household's share is its exact
quota ``R × weight / Σweights`` rounded down to the fen; the fen left over go one each to
the largest remainders, ties broken by the household's ``order`` key (then by id), so the
shares always add up to ``R`` exactly and never depend on input order (Hamilton's method).
Messages are Chinese, the UI default; the caller may translate them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal, TypeVar

from app.rules.money import format_fen

K = TypeVar("K", bound=Hashable)
Method = Literal["equal", "area", "floor", "floor_flat", "custom"]
METHODS: tuple[str, ...] = ("equal", "area", "floor", "floor_flat", "custom")
RESIDENTS = "residents"  # a funding key that names the residents' part itself


class ShareError(ValueError):
    """A share cannot be computed; ``str(e)`` is a message fit for a worker."""

    def __init__(
        self, message: str, *, difference_fen: int | None = None, ids: Iterable[Any] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.difference_fen = difference_fen  # given minus expected, in fen
        self.ids = tuple(ids)  # household ids (or floors) the message is about


@dataclass(frozen=True)
class ShareHousehold:
    """One household of an item's electorate, as the split needs it."""

    id: int
    area: Decimal
    floor: int
    order: tuple = ()  # natural-sort key, e.g. household_order(building, unit, room)
    label: str = field(default="", compare=False)  # e.g. "3号楼2单元601", used in messages

    @property
    def name(self) -> str:
        """The label if given, else ``#id``."""
        return self.label or f"#{self.id}"


@functools.lru_cache(maxsize=65536)
def household_order(*parts: str | int | None) -> tuple:
    """Natural-sort key for (building, unit, room): "2号楼" < "10号楼", "201" < "1001".

    Pure and asked for once per household per item (40 items × 5,000 households in a large
    plan), so the keys are cached."""
    key: list[tuple] = []
    for part in parts:
        chunks = re.split(r"(\d+)", "" if part is None else str(part).strip())
        key.append(tuple((0, int(c), "") if c.isdecimal() else (1, 0, c) for c in chunks if c))
    return tuple(key)


def _names(items: Iterable[str], limit: int = 10) -> str:
    items = list(items)
    shown = "、".join(items[:limit])
    return shown + (f" 等 {len(items)} 户" if len(items) > limit else "")


def _fen(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShareError(f"{what}必须是以分为单位的整数，收到 {value!r}")
    return value


def residents_part(cost_fen: int, funding: Mapping[str, int]) -> int:
    """Return cost minus all other funding sources, in fen; refuse if they exceed the cost."""
    cost = _fen(cost_fen, "项目造价")
    if cost < 0:
        raise ShareError(f"项目造价不能为负数：{format_fen(cost)} 元")
    others = 0
    for source, amount in funding.items():
        amount = _fen(amount, f"资金来源 {source} ")
        if amount < 0:
            raise ShareError(f"资金来源 {source} 不能为负数：{format_fen(amount)} 元")
        if source != RESIDENTS:
            others += amount
    part = cost - others
    if part < 0:
        raise ShareError(
            f"其他资金来源合计 {format_fen(others)} 元，超过项目造价 {format_fen(cost)} 元"
            f"（超出 {format_fen(-part)} 元）",
            difference_fen=-part,
        )
    if RESIDENTS in funding and funding[RESIDENTS] != part:
        diff = funding[RESIDENTS] - part
        raise ShareError(
            f"居民出资 {format_fen(funding[RESIDENTS])} 元与造价减其他来源所得 "
            f"{format_fen(part)} 元相差 {format_fen(abs(diff))} 元",
            difference_fen=diff,
        )
    return part


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ShareError(f"{what}不是数字：{value!r}")
    try:
        # A JSON float goes through str: repr(1.2) == "1.2", so Decimal("1.2") exactly.
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ShareError(f"{what}不是数字：{value!r}") from None
    if not number.is_finite():
        raise ShareError(f"{what}不是有限数字：{value!r}")
    return number


@functools.lru_cache(maxsize=65536)
def _exact(number: Decimal) -> Fraction:
    """A finite Decimal as a Fraction (areas repeat across households and items: cached)."""
    return Fraction(number)


def parse_floor_coefficients(table: Mapping[str | int, Any]) -> dict[int, Decimal]:
    """Parse a JSON floor-coefficient table {"1": 0, "4": 1.2} into {1: Decimal("0"), ...}."""
    result: dict[int, Decimal] = {}
    for key, value in table.items():
        text = str(key).strip()
        if isinstance(key, bool) or not re.fullmatch(r"-?\d+", text):
            raise ShareError(f"楼层系数表的楼层必须是整数，收到 {key!r}")
        floor = int(text)
        if floor in result:
            raise ShareError(f"楼层系数表中第 {floor} 层重复", ids=[floor])
        coefficient = _decimal(value, f"第 {floor} 层的楼层系数")
        if coefficient < 0:
            raise ShareError(f"第 {floor} 层的楼层系数不能为负数：{value}", ids=[floor])
        result[floor] = coefficient
    return dict(sorted(result.items()))


def largest_remainder(
    total: int, weights: Mapping[K, Fraction | Decimal | int], order_key: Callable[[K], Any]
) -> dict[K, int]:
    """Split ``total`` fen in proportion to ``weights``: floors, then leftover fen by remainder."""
    total = _fen(total, "分摊总额")
    if total < 0:
        raise ShareError(f"分摊总额不能为负数：{format_fen(total)} 元")
    exact_weights: dict[K, Fraction] = {}
    for key, weight in weights.items():
        if isinstance(weight, float | bool):
            raise ShareError(f"权重必须是精确数值（Fraction/Decimal/整数），收到 {weight!r}")
        exact_weights[key] = weight if type(weight) is Fraction else Fraction(weight)
        if exact_weights[key].numerator < 0:  # a Fraction's denominator is positive
            raise ShareError(f"权重不能为负数：{weight}", ids=[key])
    ranked = sorted(exact_weights, key=order_key)
    if total == 0:
        return dict.fromkeys(ranked, 0)
    if not ranked:
        raise ShareError(f"本项目没有分摊住户，无法分摊居民出资 {format_fen(total)} 元")
    # On a common denominator D the weights are integers n = w·D and each quota is
    # R·n / N (N = Σn): its floor and remainder are integer division, exactly as with
    # Fractions (the remainders share the denominator N, so comparing numerators orders them).
    denominator = math.lcm(*{w.denominator for w in exact_weights.values()})
    numerators = {k: w.numerator * (denominator // w.denominator) for k, w in exact_weights.items()}
    whole = sum(numerators.values())
    if whole == 0:
        raise ShareError(
            f"所有住户的分摊权重均为零（例如全部为免缴楼层），"
            f"无人承担居民出资 {format_fen(total)} 元"
        )
    shares: dict[K, int] = {}
    remainders: dict[K, int] = {}
    for key in ranked:
        shares[key], remainders[key] = divmod(total * numerators[key], whole)
    left = total - sum(shares.values())  # = Σ remainders < number of non-zero remainders
    # Stable sort over `ranked`: equal remainders keep the order_key order.
    for key in sorted(ranked, key=lambda k: remainders[k], reverse=True)[:left]:
        shares[key] += 1
    return shares


def _custom(residents_fen: int, households: Sequence[ShareHousehold], custom: Mapping[int, int]):
    by_id = {h.id: h for h in households}
    missing = [h for h in households if h.id not in custom]
    extra = sorted((i for i in custom if i not in by_id), key=str)
    if missing:
        raise ShareError(
            f"定制分摊缺少 {len(missing)} 户：{_names(h.name for h in missing)}",
            ids=[h.id for h in missing],
        )
    if extra:
        raise ShareError(
            f"定制分摊包含不在本项目范围内的住户：{_names(f'#{i}' for i in extra)}", ids=extra
        )
    amounts = {}
    for h in households:
        amounts[h.id] = _fen(custom[h.id], f"{h.name} 的定制分摊金额")
        if amounts[h.id] < 0:
            raise ShareError(f"{h.name} 的定制分摊金额不能为负数", ids=[h.id])
    given = sum(amounts.values())
    if given != residents_fen:
        diff = given - residents_fen
        raise ShareError(
            f"定制分摊合计 {format_fen(given)} 元，与居民出资部分 {format_fen(residents_fen)} 元"
            f"相差 {format_fen(abs(diff))} 元（{'多出' if diff > 0 else '不足'}）",
            difference_fen=diff,
        )
    return amounts


def split_shares(
    method: Method,
    residents_fen: int,
    households: Sequence[ShareHousehold],
    *,
    floor_coefficients: Mapping[int, Decimal] | None = None,
    custom: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """Split the residents' part over the households by ``method``; {household id: fen}."""
    residents_fen = _fen(residents_fen, "居民出资部分")
    if residents_fen < 0:
        raise ShareError(f"居民出资部分不能为负数：{format_fen(residents_fen)} 元")
    if method not in METHODS:
        raise ShareError(f"未知的分摊方式：{method!r}")
    area: dict[int, Fraction] = {}
    for h in households:
        if h.id in area:
            raise ShareError(f"住户重复：{h.name}", ids=[h.id])
        number = _decimal(h.area, f"{h.name} 的面积")
        if number < 0:
            raise ShareError(f"{h.name} 的面积不能为负数：{h.area}", ids=[h.id])
        area[h.id] = _exact(number)
    ordered = sorted(households, key=lambda h: (h.order, h.id))
    if method == "custom":
        if custom is None:
            raise ShareError("定制分摊方式需要上传每户金额")
        return _custom(residents_fen, ordered, custom)
    coefficient: dict[int, Fraction] = {}
    if method in ("floor", "floor_flat"):
        if floor_coefficients is None:
            raise ShareError("按楼层分摊需要楼层系数表")
        table = {f: _decimal(c, f"第 {f} 层的楼层系数") for f, c in floor_coefficients.items()}
        lacking = [h for h in ordered if h.floor not in table]
        if lacking:
            floors = sorted({h.floor for h in lacking})
            raise ShareError(
                f"楼层系数表缺少第 {'、'.join(map(str, floors))} 层"
                f"（涉及 {_names(h.name for h in lacking)}）",
                ids=floors,
            )
        if any(c < 0 for c in table.values()):
            raise ShareError("楼层系数不能为负数")
        coefficient = {h.id: Fraction(table[h.floor]) for h in ordered}
    weights: dict[int, Fraction] = {}
    for h in ordered:
        if method == "equal":
            weights[h.id] = Fraction(1)
        elif method == "area":
            weights[h.id] = area[h.id]
        elif method == "floor":
            weights[h.id] = coefficient[h.id] * area[h.id]
        else:  # floor_flat
            weights[h.id] = coefficient[h.id]
    rank = {h.id: i for i, h in enumerate(ordered)}
    return largest_remainder(residents_fen, weights, rank.__getitem__)
