"""Per-household front end of the counting rules: rosters and ballots as plain lists.

The database tally (``app.tally.queries``) aggregates in SQL and never builds these lists; this
module is the small, obviously-correct path used by tests, imports and anything that already
holds households in memory. Pure: no Flask, no database, no floats.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

from app.rules.counting import (
    _BALLOT_MARKS,
    _EXACT,
    CHOICES,
    Choice,
    ItemCounts,
    ItemTally,
    NonVoterPolicy,
    Rule,
    _area,
    tally_counts,
)


class HouseholdRecord(NamedTuple):
    """A household as counting sees it; owner None means it is its own owner (docs/counting.md)."""

    id: Hashable
    owner: Hashable | None
    area: Decimal
    building: str
    unit: str | None
    delivered: bool = False


@dataclass(frozen=True)
class Scope:
    """An item's scope: households in any listed building or any listed (building, unit)."""

    buildings: frozenset[str] = frozenset()
    units: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        """Accept any iterables (JSON lists included); store frozensets of tuples."""
        object.__setattr__(self, "buildings", frozenset(self.buildings))
        object.__setattr__(self, "units", frozenset(tuple(u) for u in self.units))

    def contains(self, building: str, unit: str | None) -> bool:
        """Whether a household in this building and unit is in scope."""
        return building in self.buildings or (building, unit) in self.units


class ItemSpec(NamedTuple):
    """An item to count: key, rule, and scope (None = the whole community)."""

    key: str
    rule: Rule
    scope: Scope | None = None


Ballots = Mapping[Hashable, Mapping[str, Choice | None]]


def count_households(
    households: Iterable[tuple], ballots: Ballots, items: Iterable[ItemSpec]
) -> dict[str, ItemCounts]:
    """Count each item from households and effective ballots (in-scope blank = abstain).

    Choices for items not in ``items`` are ignored, so a subset of a plan's items can be counted.
    """
    roster = [HouseholdRecord(*h) for h in households]
    items = [ItemSpec(*item) for item in items]
    keys = [item.key for item in items]
    owner_of: dict[Hashable, tuple] = {}
    for h in roster:
        if h.id in owner_of:
            raise ValueError(f"household {h.id!r} appears twice")
        _area(h.area, f"household {h.id!r} area")
        owner_of[h.id] = ("household", h.id) if h.owner is None else ("owner", h.owner)
    if len(set(keys)) != len(keys):
        raise ValueError("item keys must be unique")
    for household_id, choices in ballots.items():
        if household_id not in owner_of:
            raise ValueError(f"ballot for unknown household {household_id!r}")
        if not set(choices.values()) <= _BALLOT_MARKS:
            raise ValueError(f"ballot of {household_id!r}: choices must be among {CHOICES}")
    result: dict[str, ItemCounts] = {}
    with localcontext(_EXACT):
        for key, _rule, scope in items:
            members = [h for h in roster if scope is None or scope.contains(h.building, h.unit)]
            k_of = Counter(owner_of[h.id] for h in members)
            cells: dict = defaultdict(lambda: (0, Decimal(0)))
            for h in members:
                choices = ballots.get(h.id)
                if choices is not None:
                    status = choices.get(key) or "abstain"
                else:
                    status = "delivered_no_ballot" if h.delivered else "no_ballot"
                n, area = cells[(status, k_of[owner_of[h.id]])]
                cells[(status, k_of[owner_of[h.id]])] = (n + 1, area + h.area)
            result[key] = ItemCounts(dict(cells))
    return result


def tally_households(
    households: Iterable[tuple],
    ballots: Ballots,
    items: Iterable[ItemSpec],
    non_voter_policy: NonVoterPolicy = "none",
) -> dict[str, ItemTally]:
    """Tally every item from per-household lists (one policy; see compare_policies for both)."""
    items = [ItemSpec(*item) for item in items]
    counts = count_households(households, ballots, items)
    return {item.key: tally_counts(counts[item.key], item.rule, non_voter_policy) for item in items}
