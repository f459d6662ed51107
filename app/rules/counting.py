"""Pure counting rules for item votes (PRC Civil Code art. 278, SPC interp. art. 9).

The contract, in words and worked examples: docs/counting.md.

No Flask, no database, no floats: headcount is a Fraction, area a Decimal.

A household (exclusive part, 专有部分) weighs 1/k of a head, k being the number of households its
owner has inside the item's electorate (SPC interpretation art. 9). So one item is fully counted
by households and area per (status, k): an ``ItemCounts``, built by ``count_centi_cells`` from
cells ``(k, status) → (households, area in centi-m²)`` as the database sums them (the tally's
fast path), by ``count_strata`` from rows ``(k, status, households, area)``, by
``count_owner_groups`` from one ``OwnerGroup`` per owner, or by ``count_households``
(``app.tally.households``) from per-household lists.
``tally_counts(counts, rule, policy)`` applies a rule; results pages show the outcome with and
without follow_majority: count once, then ``compare_policies`` (or tally_counts twice).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, localcontext
from fractions import Fraction
from functools import cached_property
from typing import Literal, NamedTuple, get_args

Choice = Literal["agree", "oppose", "abstain"]
Status = Literal["agree", "oppose", "abstain", "delivered_no_ballot", "no_ballot"]
NonVoterPolicy = Literal["none", "follow_majority"]
RuleKind = Literal["cc278_ordinary", "cc278_major", "custom"]
Base = Literal["participating", "electorate"]
Dimensions = Literal["headcount", "area", "both"]
Op = Literal[">", ">="]

CHOICES: tuple[Choice, ...] = get_args(Choice)
STATUSES: tuple[Status, ...] = get_args(Status)
NON_VOTER_POLICIES: tuple[NonVoterPolicy, ...] = get_args(NonVoterPolicy)
RULE_KINDS: tuple[RuleKind, ...] = get_args(RuleKind)
_CHOICE_SET = frozenset(CHOICES)
_STATUS_SET = frozenset(STATUSES)
_BALLOT_MARKS = frozenset((*CHOICES, None))  # None: left blank (used by households.py)

# Area sums must be exact: trap instead of rounding (docs/counting.md#exact-arithmetic).
_EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, DivisionByZero])


def _one_of(value: object, options: tuple, name: str) -> None:
    """Refuse a value outside a closed set of options."""
    if value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(map(str, options))}, got {value!r}")


def _count(value: object, name: str, minimum: int) -> int:
    """Validate a household count or k."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}: expected an integer ≥ {minimum}, got {value!r}")
    return value


def _area(value: object, name: str = "area") -> Decimal:
    """Validate an area: Decimal or int, finite, ≥ 0; floats are refused (inexact)."""
    if type(value) is Decimal and value.is_finite() and value >= 0:
        return value  # the common case, kept fast for 5,000 households × 40 items
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"{name}: expected a Decimal, got {value!r}")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name}: expected a finite area ≥ 0, got {value!r}")
    return value


def _fraction(value: object, name: str) -> Fraction:
    """Read a threshold given as "2/3", "0.5", "0", an int, Decimal or Fraction; never a float."""
    if isinstance(value, str):
        try:
            value = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{name}: {value!r} is not a fraction like '2/3' or '0.5'") from None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | Fraction):
        raise ValueError(f"{name}: give an exact fraction such as '2/3', not {value!r}")
    if not 0 <= (result := Fraction(value)) <= 1:
        raise ValueError(f"{name}: {value} is not between 0 and 1")
    return result


def heads(by_k: Mapping[int, int]) -> Fraction:
    """Headcount of households grouped by k: Σ households/k, each weighing 1/k of an owner (SPC
    interpretation art. 9). Summed in integers over one common denominator, then reduced once:
    exact, without a Fraction addition per k."""
    denominator = math.lcm(*by_k)
    return Fraction(sum(n * (denominator // k) for k, n in by_k.items()), denominator)


@dataclass(frozen=True)
class Measure:
    """Headcount (owners), area (m²) and households of a set of households (docs/counting.md)."""

    owners: Fraction = Fraction(0)
    area: Decimal = Decimal(0)
    households: int = 0

    @classmethod
    def zero(cls) -> Measure:
        """The empty measure."""
        return cls()

    def __add__(self, other: Measure) -> Measure:
        """Sum two measures, exactly."""
        if not isinstance(other, Measure):
            return NotImplemented
        with localcontext(_EXACT):
            area = self.area + other.area
        return Measure(self.owners + other.owners, area, self.households + other.households)


@dataclass(frozen=True)
class CustomRule:
    """Custom thresholds (docs/counting.md#custom-rules); quorum 0 means no quorum."""

    quorum: Fraction
    approval: Fraction
    strict: bool
    base: Base
    dimensions: Dimensions

    def __post_init__(self) -> None:
        """Validate the parameters; thresholds become exact fractions in [0, 1]."""
        object.__setattr__(self, "quorum", _fraction(self.quorum, "quorum"))
        object.__setattr__(self, "approval", _fraction(self.approval, "approval"))
        if not isinstance(self.strict, bool):
            raise ValueError(f"strict: expected true or false, got {self.strict!r}")
        if self.strict and self.approval == 1:
            raise ValueError("approval: strictly more than all (1) can never be reached")
        _one_of(self.base, get_args(Base), "base")
        _one_of(self.dimensions, get_args(Dimensions), "dimensions")

    @property
    def op(self) -> Op:
        """Approval comparison: '>' like 过半数, '>=' like 以上 (docs/counting.md#rules)."""
        return ">" if self.strict else ">="


# Civil Code art. 278 ¶2: 2/3 of owners by headcount and by area take part; matters (6)-(8)
# need 3/4 of participants on both dimensions (以上, ≥), the others more than half (过半数, >).
_CC278_ORDINARY = CustomRule(Fraction(2, 3), Fraction(1, 2), True, "participating", "both")
_CC278_MAJOR = CustomRule(Fraction(2, 3), Fraction(3, 4), False, "participating", "both")
_CUSTOM_KEYS = ("quorum", "approval", "strict", "base", "dimensions")


@dataclass(frozen=True)
class Rule:
    """An item's decision rule: Civil Code art. 278 ¶2 ordinary or major, or custom."""

    kind: RuleKind
    custom: CustomRule | None = None

    def __post_init__(self) -> None:
        """Custom parameters go with, and only with, kind 'custom'."""
        _one_of(self.kind, RULE_KINDS, "rule")
        if (self.kind == "custom") != (self.custom is not None):
            raise ValueError("rule: custom parameters go with kind 'custom' and only with it")

    @property
    def thresholds(self) -> CustomRule:
        """The rule as quorum/approval thresholds (art. 278 ¶2 for the cc278 kinds)."""
        if self.custom is not None:
            return self.custom
        return _CC278_MAJOR if self.kind == "cc278_major" else _CC278_ORDINARY


CC278_ORDINARY = Rule("cc278_ordinary")
CC278_MAJOR = Rule("cc278_major")


def parse_rule(kind: str, params: Mapping[str, object] | None = None) -> Rule:
    """Build a Rule from a plan file's ``rule`` and ``custom`` fields (docs/formats.md)."""
    if kind != "custom":
        if params:
            raise ValueError(f"rule {kind!r} takes no custom parameters")
        return Rule(kind)  # type: ignore[arg-type]
    params = params or {}
    missing = [key for key in _CUSTOM_KEYS if key not in params]
    if missing or set(params) - set(_CUSTOM_KEYS):
        unknown = sorted(set(params) - set(_CUSTOM_KEYS))
        raise ValueError(f"custom rule: missing {missing}, unknown {unknown}")
    return Rule("custom", CustomRule(**params))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Check:
    """One threshold test: value op required × base, e.g. agree headcount > 1/2 × participating.

    ``actual`` is value / base, None when base is 0 (the check then fails). ``margin`` is
    value − required × base in the dimension's unit (owners, m², households): positive above
    the bound, negative below; '>' needs margin > 0, '>=' margin ≥ 0. Both are computed when
    read: a tally decides ``met`` in integers and most checks are never shown.
    """

    name: str
    dimension: Literal["headcount", "area", "households"]
    value: Fraction
    base: Fraction
    required: Fraction
    op: Op
    met: bool

    @property
    def actual(self) -> Fraction | None:
        """value / base, or None when the base is empty."""
        return self.value / self.base if self.base else None

    @property
    def margin(self) -> Fraction:
        """value − required × base: how far above (> 0) or below (< 0) the bound."""
        return self.value - self.required * self.base


def _exact(value: object) -> Fraction:
    """A count, area or Fraction as a Fraction (a Fraction is kept as it is)."""
    return value if type(value) is Fraction else Fraction(value)


def _check(name: str, dimension, value, base, required: Fraction, op: Op) -> Check:
    """Compare without dividing, so an empty base fails instead of raising: the sign of
    value − required × base, cross-multiplied in integers (denominators are positive)."""
    value, base = _exact(value), _exact(base)
    lhs = value.numerator * required.denominator * base.denominator
    rhs = required.numerator * base.numerator * value.denominator
    met = base.numerator > 0 and (lhs > rhs if op == ">" else lhs >= rhs)
    return Check(name, dimension, value, base, required, op, met)


@dataclass(frozen=True)
class ItemTally:
    """One item's totals and outcome under one rule and non-voter policy (docs/counting.md#rules).

    ``deemed`` is the part of ``participating`` that follow_majority added (zero under 'none').
    ``checks``: electorate_nonempty, participants_present, then quorum_<dim> (none if the quorum
    is 0) and approval_<dim> for each dimension the rule uses.
    """

    electorate: Measure
    participating: Measure
    agree: Measure
    oppose: Measure
    abstain: Measure
    deemed: Measure
    quorum_met: bool
    approved: bool
    passed: bool
    checks: tuple[Check, ...]
    rule: Rule
    non_voter_policy: NonVoterPolicy


@dataclass(frozen=True)
class ItemCounts:
    """Households and area per (status, k) for one item: all a rule needs (docs/counting.md).
    The cells are read once (``totals`` is kept): they must not change after counting."""

    cells: Mapping[tuple[Status, int], tuple[int, Decimal]]

    def __post_init__(self) -> None:
        """Each owner has exactly k households in the electorate, so class k totals k·owners."""
        per_k: Counter[int] = Counter()
        for (_status, k), (households, _area) in self.cells.items():
            per_k[k] += households
        for k, households in per_k.items():
            if households % k:
                raise ValueError(f"{households} households with k={k}: not a whole owner count")

    def by_status(self) -> dict[Status, Measure]:
        """Headcount, area and households of each status (zero where none), in one pass over the
        cells; a household weighs 1/k of a head (SPC art. 9)."""
        return dict(self.totals[0])

    @cached_property
    def totals(self) -> tuple[dict[Status, Measure], Measure, Measure]:
        """(each status's measure, the electorate's, the participants') from one pass over the
        cells: what tally_counts reads, once per item even when it is tallied under both
        non-voter policies. Heads are summed per k over one common denominator before dividing."""
        by_k: dict[Status, dict[int, int]] = {status: {} for status in STATUSES}
        area = dict.fromkeys(STATUSES, Decimal(0))
        with localcontext(_EXACT):
            for (status, k), (households, cell_area) in self.cells.items():
                counts = by_k[status]
                counts[k] = counts.get(k, 0) + households
                area[status] += cell_area
            every: Counter[int] = Counter()
            voting: Counter[int] = Counter()
            for status, counts in by_k.items():
                every.update(counts)
                if status in _CHOICE_SET:
                    voting.update(counts)
            every_area = sum(area.values(), Decimal(0))
            voting_area = sum((area[c] for c in CHOICES), Decimal(0))
        statuses = {
            status: Measure(heads(n), area[status], sum(n.values())) for status, n in by_k.items()
        }
        electorate = Measure(heads(every), every_area, sum(every.values()))
        participating = Measure(heads(voting), voting_area, sum(voting.values()))
        return statuses, electorate, participating


def _merge(cells: dict, status: Status, k: int, households: int, area: Decimal) -> None:
    """Add households and area to one (status, k) cell."""
    old = cells.get((status, k), (0, 0))
    cells[(status, k)] = (households + old[0], area + old[1])


class Stratum(NamedTuple):
    """Households of one item with the same k and status: one SQL GROUP BY row."""

    k: int
    status: Status
    households: int
    area: Decimal


def count_centi_cells(cells: Mapping[tuple[int, str], tuple[int, int]]) -> ItemCounts:
    """ItemCounts from cells (k, status) → (households, area in integer hundredths of a m²),
    as the database sums them: each cell's area becomes an exact Decimal once. The same
    checks as ``count_strata``, on integers."""
    out: dict = {}
    for (k, status), (households, centi) in cells.items():
        if status not in _STATUS_SET:
            _one_of(status, STATUSES, "status")
        if type(k) is not int or k < 1 or type(households) is not int or households < 0:
            raise ValueError(f"status {status!r}: bad k {k!r} or households {households!r}")
        if type(centi) is not int or centi < 0 or (centi and not households):
            raise ValueError(f"status {status!r}, k={k}: bad area {centi!r} centi-m²")
        out[(status, k)] = (households, Decimal(centi).scaleb(-2))
    return ItemCounts(out)


def count_strata(strata: Iterable[tuple[int, str, int, Decimal]]) -> ItemCounts:
    """Build ItemCounts from (k, status, households, area) rows; repeated cells are summed."""
    cells: dict = {}
    with localcontext(_EXACT):
        for k, status, households, area in strata:
            _one_of(status, STATUSES, "status")
            households, area = _count(households, "households", 0), _area(area)
            if area and not households:
                raise ValueError(f"status {status!r}, k={k}: area without households")
            _merge(cells, status, _count(k, "k", 1), households, area)  # type: ignore[arg-type]
    return ItemCounts(cells)


@dataclass(frozen=True)
class OwnerGroup:
    """One owner's households inside ONE item's electorate; blank choices come as abstain."""

    owner: Hashable
    households: int
    area: Decimal
    votes: Mapping[Choice, tuple[int, Decimal]]
    delivered_nonvoting: tuple[int, Decimal] = (0, Decimal(0))


def count_owner_groups(groups: Iterable[OwnerGroup]) -> ItemCounts:
    """Build ItemCounts from one OwnerGroup per owner; households not in votes are non-voters."""
    cells: dict = {}
    seen: set[Hashable] = set()
    with localcontext(_EXACT):
        for group in groups:
            k = _count(group.households, "households", 1)
            if group.owner in seen or not group.votes.keys() <= _CHOICE_SET:
                raise ValueError(f"owner {group.owner!r}: repeated, or votes not in {CHOICES}")
            seen.add(group.owner)
            rest_households, rest_area = k, _area(group.area)
            parts = [*group.votes.items(), ("delivered_no_ballot", group.delivered_nonvoting)]
            for status, (households, area) in parts:
                if households or area:
                    households, area = _count(households, "households", 1), _area(area)
                    _merge(cells, status, k, households, area)
                    rest_households, rest_area = rest_households - households, rest_area - area
            if rest_households < 0 or rest_area < 0 or (rest_area and not rest_households):
                raise ValueError(f"owner {group.owner!r}: votes exceed its households or area")
            if rest_households:
                _merge(cells, "no_ballot", k, rest_households, rest_area)
    return ItemCounts(cells)


def _leader(agree, oppose) -> Choice:
    """The side leading among actual participants on one dimension; a tie abstains."""
    return "agree" if agree > oppose else "oppose" if oppose > agree else "abstain"


def _on(measure: Measure, dimension: str) -> Fraction:
    """A measure's headcount or area, as a Fraction."""
    return measure.owners if dimension == "headcount" else Fraction(measure.area)


def tally_counts(
    counts: ItemCounts, rule: Rule, non_voter_policy: NonVoterPolicy = "none"
) -> ItemTally:
    """Apply a rule to one item's counts (Civil Code art. 278 ¶2, docs/counting.md#rules)."""
    _one_of(non_voter_policy, NON_VOTER_POLICIES, "non_voter_policy")
    measures, electorate, participating = counts.totals
    sides = {choice: measures[choice] for choice in CHOICES}
    deemed = Measure.zero()
    if non_voter_policy == "follow_majority":
        # A delivered household without an effective ballot joins, on EACH dimension
        # separately, the side leading among actual participants; its household count
        # goes with its headcount.
        deemed = measures["delivered_no_ballot"]
        head = _leader(sides["agree"].owners, sides["oppose"].owners)
        area = _leader(sides["agree"].area, sides["oppose"].area)
        sides[head] += Measure(deemed.owners, Decimal(0), deemed.households)
        sides[area] += Measure(Fraction(0), deemed.area, 0)
    # Deeming moves delivered non-voters into the sides, on each dimension as a whole.
    if non_voter_policy == "follow_majority":
        participating += deemed
    t = rule.thresholds
    dims = ("headcount", "area") if t.dimensions == "both" else (t.dimensions,)
    base = participating if t.base == "participating" else electorate
    guards = (
        _check("electorate_nonempty", "households", electorate.households, 1, Fraction(0), ">"),
        _check("participants_present", "households", participating.households, 1, Fraction(0), ">"),
    )
    quorum = tuple(
        _check(f"quorum_{d}", d, _on(participating, d), _on(electorate, d), t.quorum, ">=")
        for d in (dims if t.quorum else ())
    )
    approval = tuple(
        _check(f"approval_{d}", d, _on(sides["agree"], d), _on(base, d), t.approval, t.op)
        for d in dims
    )
    quorum_met = all(c.met for c in guards + quorum)
    approved = all(c.met for c in guards + approval)
    return ItemTally(
        electorate, participating, sides["agree"], sides["oppose"], sides["abstain"], deemed,
        quorum_met, approved, quorum_met and approved, guards + quorum + approval, rule,
        non_voter_policy,
    )  # fmt: skip


def compare_policies(counts: ItemCounts, rule: Rule) -> dict[NonVoterPolicy, ItemTally]:
    """Tally under both non-voter policies, for the side-by-side view docs/counting.md asks for."""
    return {policy: tally_counts(counts, rule, policy) for policy in NON_VOTER_POLICIES}


def tally_item(
    groups: Iterable[OwnerGroup], rule: Rule, non_voter_policy: NonVoterPolicy = "none"
) -> ItemTally:
    """Count one OwnerGroup per owner in the item's electorate and apply the rule."""
    return tally_counts(count_owner_groups(groups), rule, non_voter_policy)
