"""Pure counting of options within an item (方案比选, design §3a; docs/counting.md#options).

An item may offer 2–5 options; a household agreeing to the item marks one of them. Agree is the
sum over the options, so quorum and approval are counted on it exactly as for any item
(``counting.tally_counts``); this module adds what the options need on top:

- per option, its agree totals: headcount with the same 1/k weights as the item (SPC
  interpretation art. 9), area and households (``option_measures`` from (option, k) strata);
- ``plurality`` (default): if the item passed, the chosen option leads on agree headcount AND on
  agree area; leaders that differ, or a tie on either measure, leave the item passed but
  undecided, and the leading options go to a runoff (决选);
- ``threshold``: each option must pass the item's rule on its own agree totals; the item passes
  only with a passing option. At most one can pass when approval is above one half, which this
  rule therefore requires.

No Flask, no database, no floats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Literal, get_args

from app.rules.counting import _EXACT, Check, ItemTally, Measure, Rule, _check, _on, heads

OptionRule = Literal["plurality", "threshold"]
OPTION_RULES: tuple[OptionRule, ...] = get_args(OptionRule)
MIN_OPTIONS, MAX_OPTIONS = 2, 5


def option_rule_allowed(rule: Rule, option_rule: str) -> bool:
    """Whether an option rule fits an item rule: ``threshold`` needs approval above one half
    (more than 1/2, or 1/2 strictly), so that at most one option can pass."""
    if option_rule not in OPTION_RULES:
        return False
    if option_rule == "plurality":
        return True
    t = rule.thresholds
    return t.approval > Fraction(1, 2) or (t.approval == Fraction(1, 2) and t.strict)


def option_measures(
    keys: Sequence[Hashable], strata: Iterable[tuple[Hashable, int, int, Decimal]]
) -> dict[Hashable, Measure]:
    """Agree totals per option from (option, k, households, area) rows; k is the number of
    households the owner has in the item's electorate, so each weighs 1/k of a head. Every
    option in ``keys`` gets a measure (zero without rows); a row of another option is refused."""
    by_k: dict = {key: Counter() for key in keys}
    areas: dict = dict.fromkeys(keys, Decimal(0))
    with localcontext(_EXACT):
        for key, k, households, area in strata:
            if key not in by_k:
                raise ValueError(f"option {key!r} is not one of {list(keys)}")
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise ValueError(f"k: expected an integer ≥ 1, got {k!r}")
            if isinstance(area, float) or households < 0 or area < 0:
                raise ValueError(f"option {key!r}: bad households {households!r} or area {area!r}")
            by_k[key][k] += households
            areas[key] += area
    return {
        key: Measure(heads(+by_k[key]) if +by_k[key] else Fraction(0), areas[key],
                     sum(by_k[key].values()))
        for key in keys
    }  # fmt: skip


@dataclass(frozen=True)
class OptionResult:
    """One option's agree totals; ``passed`` and ``checks`` only under ``threshold``."""

    key: Hashable
    agree: Measure
    passed: bool | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class OptionOutcome:
    """How an item with options came out (docs/counting.md#options).

    ``passed`` is the item's outcome with its options: the plain tally's under ``plurality``,
    and only with a passing option under ``threshold``. ``chosen`` is the chosen option's key or
    None. ``decided`` is False only for an item that passed without a chosen option (a runoff,
    决选, is needed between ``runoff``); a failed item is decided (it does not go ahead).
    ``leaders_headcount`` / ``leaders_area``: the options with the most agree on each measure
    (several on a tie).
    """

    option_rule: OptionRule
    options: tuple[OptionResult, ...]
    passed: bool
    chosen: Hashable | None
    decided: bool
    leaders_headcount: tuple[Hashable, ...]
    leaders_area: tuple[Hashable, ...]
    runoff: tuple[Hashable, ...]

    def option(self, key: Hashable) -> OptionResult:
        """The result of the option with this key."""
        return next(o for o in self.options if o.key == key)


def _leaders(agree: Mapping[Hashable, Measure], dimension: str) -> tuple[Hashable, ...]:
    """The options with the most agree on one measure, in the options' order."""
    best = max(_on(m, dimension) for m in agree.values())
    return tuple(key for key, m in agree.items() if _on(m, dimension) == best)


def _option_checks(tally: ItemTally, agree: Measure) -> tuple[Check, ...]:
    """The item's approval checks, with one option's agree in place of the item's."""
    t = tally.rule.thresholds
    base = tally.participating if t.base == "participating" else tally.electorate
    dims = ("headcount", "area") if t.dimensions == "both" else (t.dimensions,)
    return tuple(
        _check(f"approval_{d}", d, _on(agree, d), _on(base, d), t.approval, t.op) for d in dims
    )


def decide_options(
    tally: ItemTally, agree: Mapping[Hashable, Measure], option_rule: str = "plurality"
) -> OptionOutcome:
    """Apply an item's option rule to its tally and its options' agree totals, in the options'
    order (design §3a). The per-option totals are the actual choices; households a
    follow_majority policy deems to agree name no option."""
    # A plan offers 2–5 options (checked where it is written); a draft being edited may have one.
    if not 1 <= len(agree) <= MAX_OPTIONS:
        raise ValueError(f"an item offers 1–{MAX_OPTIONS} options, got {len(agree)}")
    if option_rule not in OPTION_RULES:
        raise ValueError(f"option_rule: expected one of {OPTION_RULES}, got {option_rule!r}")
    if not option_rule_allowed(tally.rule, option_rule):
        raise ValueError("option_rule threshold needs an approval above one half")
    heads_leaders, area_leaders = _leaders(agree, "headcount"), _leaders(agree, "area")
    if option_rule == "threshold":
        results = []
        for key, measure in agree.items():
            checks = _option_checks(tally, measure)
            passed = tally.quorum_met and all(c.met for c in checks)
            results.append(OptionResult(key, measure, passed, checks))
        winners = [r.key for r in results if r.passed]
        if len(winners) > 1:  # cannot happen above one half; kept as a guard on the arithmetic
            raise AssertionError(f"several options passed: {winners}")
        chosen = winners[0] if winners else None
        return OptionOutcome(
            "threshold", tuple(results), chosen is not None, chosen, True,
            heads_leaders, area_leaders, (),
        )  # fmt: skip
    results = tuple(OptionResult(key, measure) for key, measure in agree.items())
    chosen = None
    runoff: tuple[Hashable, ...] = ()
    if tally.passed:
        if len(heads_leaders) == 1 and heads_leaders == area_leaders:
            chosen = heads_leaders[0]
        else:
            wanted = set(heads_leaders) | set(area_leaders)
            runoff = tuple(key for key in agree if key in wanted)
    return OptionOutcome(
        "plurality", results, tally.passed, chosen, not (tally.passed and chosen is None),
        heads_leaders, area_leaders, runoff,
    )  # fmt: skip
