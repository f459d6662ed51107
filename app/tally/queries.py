"""Tally a plan from the database: four statements feed the pure rules, whatever the size.

1. the plan's items with their scope rows;
2. households by (building, unit, owner, participation): an effective ballot, delivered without
   one, or neither. The owner column is NULL for owners with one household in the community
   (k is 1 in every electorate) and the owner key otherwise, so rows stay few;
3. effective ballots' marks by (item, item revision, unit, choice, owner) — the raw GROUP BY
   plus each household's area, the unit only for scoped items, the owner only for owners with
   several households (on PostgreSQL one scan with a left join on those owners; on SQLite, which
   sorts to group, the agree/oppose marks united with the same count for those owners, measured
   both ways with bench/tally.py). A participant's in-scope item without a counting
   agree/oppose (blank, abstain, or a mark on an older item revision) is an abstention
   (docs/counting.md), so abstain is participating − agree − oppose and needs no rows of its own;
4. effective ballots by channel and conflict, and paper ballots awaiting entry;

and a small fifth, the options of the plan's items (方案比选). Statement 3 also groups by the
option an agree marks, so each option's agree totals come with the item's (rules.options).
Opt-in items (kind ``opt_in``, 户内自选) are not voted and not counted here (design §3b).

Scopes are buildings and units, so an item's electorate is a set of units: Python sums the
unit rows in scope, derives k per owner inside that electorate (SPC interpretation art. 9),
and hands ``(k, status) → (households, area centi)`` cells to ``rules.count_centi_cells``.
Profiled on 5,000 households × 40 items (bench/tally.py): almost all the time is statement 3,
the raw count.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import bindparam, case, func, literal, literal_column, null, select, union_all

from app.communities.electorate import snapshot_for
from app.communities.models import (
    ElectorateSnapshot,
    FrozenHousehold,
    Household,
    centi_to_area,
)
from app.core.memo import once
from app.extensions import db
from app.paper.models import Delivery, PaperEntry
from app.plans.models import Item, ItemOption, ItemScope, Plan
from app.plans.phases import AFTER_RESULT
from app.plans.queries import local_today
from app.rules.counting import (
    ItemCounts,
    ItemTally,
    Measure,
    Rule,
    count_centi_cells,
    heads,
    parse_rule,
    tally_counts,
)
from app.rules.options import OptionOutcome, decide_options, option_measures
from app.voting.models import Ballot, BallotChoice, EffectiveBallot

PARTICIPATING, DELIVERED, NO_BALLOT = "participating", "delivered_no_ballot", "no_ballot"
AWAITING_ENTRY = ("pending", "mismatch")
COUNTED = frozenset(("agree", "oppose"))  # the marks with rows of their own (abstain is the rest)

# The four statements are built once, with these parameters, and reused for every plan: building
# and keying them anew took over a third of tally_plan's time on a 300-household plan.
_PLAN = bindparam("plan_id")
_COMMUNITY = bindparam("community_id")
_SCOPED = bindparam("scoped", expanding=True)  # ids of the plan's items that have a scope
_SNAPSHOT = bindparam("snapshot_id")  # the plan's frozen electorate (None before opening)


@dataclass(frozen=True)
class ItemInfo:
    """An item as the tally needs it."""

    id: int
    key: str
    title: str
    rule: Rule
    rule_kind: str
    rule_params: dict | None
    revision: int
    scoped: bool
    # Options within the item (方案比选): (id, key, title) in order; empty for a plain item.
    options: tuple[tuple[int, str, str], ...] = ()
    option_rule: str | None = None
    runoff_of_id: int | None = None  # set on a runoff item (决选): the undecided item's id


@dataclass(frozen=True)
class ItemResult:
    """One item: its counts and its outcome under the plan's policy (and under 'none')."""

    item: ItemInfo
    counts: ItemCounts
    tally: ItemTally
    without_policy: ItemTally | None = (
        None  # set when the plan uses follow_majority (docs/counting.md)
    )
    # An item with options: the option rule's outcome, under the plan's policy and under 'none'.
    options: OptionOutcome | None = None
    options_without_policy: OptionOutcome | None = None

    @property
    def passed(self) -> bool:
        """Whether the item passed: under ``threshold`` only with a passing option."""
        return self.options.passed if self.options is not None else self.tally.passed

    @property
    def chosen_option(self) -> tuple[int, str, str] | None:
        """(id, key, title) of the chosen option, or None."""
        chosen = self.options.chosen if self.options is not None else None
        return next((o for o in self.item.options if o[1] == chosen), None)

    @property
    def undecided(self) -> bool:
        """Passed with options but no option chosen: a runoff (决选) is needed."""
        return self.options is not None and not self.options.decided

    @property
    def status(self) -> str:
        """'passed' or 'not_passed' (the caller decides whether the result is provisional)."""
        return "passed" if self.passed else "not_passed"


@dataclass(frozen=True)
class BallotCounts:
    """Effective ballots, by channel, conflicts, and paper ballots awaiting entry."""

    effective: int
    by_channel: dict[str, int]
    conflicts: int
    awaiting_entry: int


@dataclass(frozen=True)
class PlaceTurnout:
    """Turnout of one building (unit None) or unit; heads weigh 1/k with k in the community."""

    building_id: int
    unit_id: int | None
    electorate: Measure
    participating: Measure


@dataclass(frozen=True)
class PlanTally:
    """A plan's tally: ballot counts, turnout by place, and one result per item."""

    plan: Plan
    provisional: bool
    ballots: BallotCounts
    community: PlaceTurnout
    places: list[PlaceTurnout]
    items: list[ItemResult] = field(default_factory=list)

    def item(self, key: str) -> ItemResult:
        """The result of the item with this key."""
        return next(r for r in self.items if r.item.key == key)


def voting_over(plan: Plan, today: date) -> bool:
    """Ballots can no longer change: paused or ended early, past the last day, or published."""
    if plan.phase in AFTER_RESULT:
        return True
    if plan.phase != "voting":
        return False
    if plan.voting_closed_at is not None or plan.voting_ended_at is not None:
        return True
    return bool(plan.voting_closes and today > plan.voting_closes)


def _params(plan: Plan, **more) -> dict:
    """The statements' parameters for a plan."""
    return {"plan_id": plan.id, "community_id": plan.community_id, **more}


@cache
def _items_statement():
    """Items of a plan in order, one row per scope row (or one without a scope), each with the
    id of the plan's frozen electorate (NULL before voting opened)."""
    snapshot = select(ElectorateSnapshot.id).where(ElectorateSnapshot.plan_id == _PLAN)
    return (
        select(
            snapshot.scalar_subquery(),
            Item.id,
            Item.key,
            Item.title,
            Item.rule,
            Item.rule_params,
            Item.revision,
            Item.option_rule,
            Item.runoff_of_id,
            ItemScope.building_id,
            ItemScope.unit_id,
        )
        .outerjoin(ItemScope, ItemScope.item_id == Item.id)
        # Opt-in items (户内自选) are signed up for, never voted or counted (design §3b).
        .where(Item.plan_id == _PLAN, Item.kind == "vote")
        .order_by(Item.position, Item.id)
    )


@cache
def _options_statement():
    """The options of a plan's items, in order: (item, option id, key, title)."""
    return (
        select(ItemOption.item_id, ItemOption.id, ItemOption.key, ItemOption.title)
        .join(Item, Item.id == ItemOption.item_id)
        .where(Item.plan_id == _PLAN)
        .order_by(ItemOption.item_id, ItemOption.position, ItemOption.id)
    )


def _items_and_scopes(plan: Plan) -> tuple[list[ItemInfo], list, int | None]:
    """The plan's items in order with parsed rules, (item, building, unit or None) of every
    scope row, and the id of its frozen electorate or None (one query)."""
    rows = db.session.execute(_items_statement(), _params(plan)).all()
    if rows:
        snapshot_id = rows[0][0]
    else:  # no items, nothing to count; the turnout still reads the right households
        snapshot = snapshot_for(plan.id)
        snapshot_id = snapshot.id if snapshot is not None else None
    rows = [r[1:] for r in rows]
    pairs = [(r[0], r[8], r[9]) for r in rows if r[8] is not None]
    scoped = {item_id for item_id, _b, _u in pairs}
    options: dict[int, list] = defaultdict(list)
    if rows:
        for item_id, *option in db.session.execute(_options_statement(), _params(plan)):
            options[item_id].append(tuple(option))
    items: dict[int, ItemInfo] = {}
    for item_id, key, title, kind, params, revision, option_rule, runoff_of, *_ in rows:
        if item_id not in items:
            decoded = json.loads(params) if params else None
            rule = parse_rule(kind, decoded if kind == "custom" else None)
            offered = tuple(options.get(item_id, ()))
            items[item_id] = ItemInfo(
                item_id, key, title, rule, kind, decoded, revision, item_id in scoped,
                offered, (option_rule or "plurality") if offered else None, runoff_of,
            )  # fmt: skip
    return list(items.values()), pairs, snapshot_id


def plan_items(plan: Plan) -> list[ItemInfo]:
    """The plan's items in order, with parsed rules and whether each has a scope."""
    return _items_and_scopes(plan)[0]


def _roster(frozen: bool, name: str):
    """The households counted: the plan's frozen electorate once voting opened (design §3c),
    else the community's census. Columns id, building_id, unit_id, owner_key, area_centi."""
    if frozen:
        f = FrozenHousehold
        columns = (f.household_id.label("id"), f.building_id, f.unit_id, f.owner_key, f.area_centi)
        return select(*columns).where(f.snapshot_id == _SNAPSHOT).subquery(name)
    h = Household
    columns = (h.id, h.building_id, h.unit_id, h.owner_key, h.area_centi)
    return select(*columns).where(h.community_id == _COMMUNITY).subquery(name)


def _several_owners(frozen: bool):
    """Owner keys with several households counted: the only owners whose k can be > 1."""
    r = _roster(frozen, "owners")
    return (
        select(r.c.owner_key)
        .where(r.c.owner_key.is_not(None))
        .group_by(r.c.owner_key)
        .having(func.count() > 1)
    )


@cache
def _households_statement(frozen: bool):
    """(building, unit, owner, participation, households, area centi) of a plan's electorate.

    The owner column is the owner key when the owner has several households, else NULL (k = 1).
    """
    r = _roster(frozen, "roster")
    owner = case((r.c.owner_key.in_(_several_owners(frozen)), r.c.owner_key), else_=null())
    status = case(
        (EffectiveBallot.id.is_not(None), PARTICIPATING),
        (Delivery.id.is_not(None), DELIVERED),
        else_=NO_BALLOT,
    )
    return (
        select(
            r.c.building_id,
            r.c.unit_id,
            owner.label("owner"),
            status.label("status"),
            func.count(),
            func.sum(r.c.area_centi),
        )
        .select_from(r)
        .outerjoin(
            EffectiveBallot,
            (EffectiveBallot.household_id == r.c.id) & (EffectiveBallot.plan_id == _PLAN),
        )
        .outerjoin(Delivery, (Delivery.household_id == r.c.id) & (Delivery.plan_id == _PLAN))
        .group_by(r.c.building_id, r.c.unit_id, "owner", "status")
    )


def _household_rows(plan: Plan, snapshot_id: int | None):
    """(building, unit, owner, participation, households, area centi) of the plan's electorate."""
    statement = _households_statement(snapshot_id is not None)
    return db.session.execute(statement, _params(plan, snapshot_id=snapshot_id)).all()


def _vote_query(scoped: bool, owners: str, frozen: bool, counted_only: bool, revised: bool):
    """(item, revision, unit, owner, choice, option, households, area centi, sign) of marks;
    the option only on an item with options (方案比选), the unit only for scoped items (NULL else).

    `revised` says some item of the plan is past its first revision. When none is, every mark
    is on revision 1 (revisions only count up from 1): the column is the constant 1 and is not
    grouped by, one key less for each of the plan's marks.

    `owners` says what the owner column holds. "none": NULL, every mark counted at k = 1.
    "moved" (sign -1): only marks of owners with several households, by owner, to be moved
    from the k = 1 total to their owner's cell. "joined" (sign 0): every mark, the owner key for
    an owner with several households (a left join on those few owners) and NULL else, so one
    scan counts both. A household outside the counted roster (added to the census after voting
    opened) has no say and is left out by the join.
    """
    r = _roster(frozen, "voters")
    unit = case((BallotChoice.item_id.in_(_SCOPED), r.c.unit_id)) if scoped else null()
    revision = BallotChoice.item_revision if revised else literal_column("1")
    query = (
        select(BallotChoice.item_id, revision, unit)
        .select_from(EffectiveBallot)
        .join(BallotChoice, BallotChoice.ballot_id == EffectiveBallot.ballot_id)
        .join(r, r.c.id == EffectiveBallot.household_id)
        .where(EffectiveBallot.plan_id == _PLAN)
    )
    if counted_only:
        query = query.where(BallotChoice.choice.in_(tuple(COUNTED)))
    keys = [BallotChoice.item_id, BallotChoice.choice, BallotChoice.option_id]
    if revised:
        keys.append(BallotChoice.item_revision)
    if scoped:
        keys.append(unit)  # PostgreSQL refuses a constant NULL in GROUP BY
    owner, sign = null(), {"none": 1, "moved": -1, "joined": 0}[owners]
    if owners == "moved":
        query = query.where(r.c.owner_key.in_(_several_owners(frozen)))
        owner = r.c.owner_key
    elif owners == "joined":
        several = _several_owners(frozen).subquery("several")
        query = query.outerjoin(several, several.c.owner_key == r.c.owner_key)
        owner = several.c.owner_key
    if owners != "none":
        keys.append(owner)
    query = query.add_columns(
        owner,
        BallotChoice.choice,
        BallotChoice.option_id,
        func.count(),
        func.sum(r.c.area_centi),
    )
    return query.group_by(*keys).add_columns(literal(sign))


@cache
def _votes_statement(scoped: bool, several: bool, frozen: bool, revised: bool, dialect: str):
    """The marks' statement: with a unit column if some item has a scope, and owners' rows if
    some owner has several households. Shaped per database, as bench/tally.py measured:
    PostgreSQL counts fastest in one scan over every mark (a filter on the choice text costs
    more than grouping abstentions too); SQLite, which sorts to group, in two narrower selects
    of the agree and oppose marks only."""
    if dialect == "postgresql":
        owners = "joined" if several else "none"
        return _vote_query(scoped, owners, frozen, counted_only=False, revised=revised)
    query = _vote_query(scoped, "none", frozen, counted_only=True, revised=revised)
    if not several:
        return query
    return union_all(query, _vote_query(scoped, "moved", frozen, True, revised))


def _votes(
    plan: Plan, items: list[ItemInfo], scope_units: dict, several: bool, snapshot_id: int | None
) -> dict:
    """Per item, (owner or None, choice) → (households, area centi) of counting marks in scope;
    on an item with options also ("option", owner or None, option key) for each agree.

    Marks of owners with several households are in their owner's cell, the rest (k = 1) in
    the None cell. On an item with options an agree must name one of its options (agree is the
    sum over the options, design §3a); one that does not counts as an abstention, like a mark
    on an older revision.
    """
    revision = {i.id: i.revision for i in items}
    option_keys = {i.id: {o[0]: o[1] for o in i.options} for i in items if i.options}
    scoped = sorted(scope_units)
    dialect = db.session.get_bind().dialect.name
    revised = any(i.revision != 1 for i in items)
    query = _votes_statement(bool(scoped), several, snapshot_id is not None, revised, dialect)
    params = _params(plan, snapshot_id=snapshot_id)
    if scoped:
        params["scoped"] = scoped
    votes: dict = defaultdict(dict)
    rows = db.session.execute(query, params)
    for item_id, item_rev, unit, owner, choice, option_id, n, centi, sign in rows:
        if choice not in COUNTED:
            continue  # abstain or blank: the participant abstains, counted from the electorate
        if revision.get(item_id) != item_rev:
            continue  # another plan's item, or a mark on an older revision: abstain
        if unit is not None and unit not in scope_units[item_id]:
            continue  # a mark outside the item's scope is not a vote
        cells = votes[item_id]
        keys = option_keys.get(item_id)
        if keys is not None and choice == "agree":
            if option_id not in keys:
                continue  # an agree naming none of the item's options: abstain
            _add(cells, ("option", owner, keys[option_id]), n, centi)
            if sign < 0:  # moved out of the k = 1 total
                _add(cells, ("option", None, keys[option_id]), -n, -centi)
        _add(cells, (owner, choice), n, centi)
        if sign < 0:
            _add(cells, (None, choice), -n, -centi)
    return votes


def _scope_units(pairs, units: dict[int, int]) -> dict[int, frozenset[int]]:
    """In-scope unit ids of each scoped item (a scope row without a unit takes the building)."""
    buildings, listed = defaultdict(set), defaultdict(set)
    for item_id, building_id, unit_id in pairs:
        (listed[item_id].add(unit_id) if unit_id else buildings[item_id].add(building_id))
    return {
        item_id: frozenset(
            u for u, b in units.items() if b in buildings[item_id] or u in listed[item_id]
        )
        for item_id in set(buildings) | set(listed)
    }


def _add(cells: dict, key, households: int, centi: int) -> None:
    """Add households and area (centi-m²) to a cell."""
    n, area = cells.get(key, (0, 0))
    cells[key] = (n + households, area + centi)


def _electorate(hh_rows, in_scope: frozenset[int] | None) -> tuple[dict, dict]:
    """The strata of an electorate before any vote — every participant an abstention — and k
    per owner with several households in it. Shared by all items with the same scope."""
    cells: dict = {}
    for _building, unit, owner, status, n, centi in hh_rows:
        if in_scope is None or unit in in_scope:
            _add(cells, (owner, status), n, centi)
    k_of: dict = defaultdict(int)
    for (owner, _status), (n, _area) in cells.items():
        if owner is not None:
            k_of[owner] += n
    strata: dict = {}
    for (owner, status), (n, centi) in cells.items():
        k = k_of[owner] if owner is not None else 1
        _add(strata, (k, "abstain" if status == PARTICIPATING else status), n, centi)
    return strata, k_of


def _item_counts(electorate: tuple[dict, dict], votes: dict) -> ItemCounts:
    """Strata (k, status, households, area) of one item: its electorate, then its votes."""
    strata, k_of = dict(electorate[0]), electorate[1]
    for key, (n, centi) in votes.items():
        if len(key) == 3:
            continue  # an option's agree: counted by _option_agree
        owner, choice = key
        k = k_of[owner] if owner is not None else 1
        _add(strata, (k, choice), n, centi)
        _add(strata, (k, "abstain"), -n, -centi)  # participants not agreeing nor opposing
    return count_centi_cells(strata)


def _option_agree(item: ItemInfo, electorate: tuple[dict, dict], votes: dict) -> dict:
    """Agree totals per option of one item, with the item's 1/k weights (SPC interp. art. 9)."""
    k_of = electorate[1]
    strata = (
        (key[2], k_of[key[1]] if key[1] is not None else 1, n, centi_to_area(centi))
        for key, (n, centi) in votes.items()
        if len(key) == 3
    )
    return option_measures([o[1] for o in item.options], strata)


def _place_turnout(hh_rows) -> tuple[PlaceTurnout, list[PlaceTurnout]]:
    """Turnout for the community, each building and each unit (k counted community-wide)."""
    k_of: dict = defaultdict(int)
    for _b, _u, owner, _s, n, _c in hh_rows:
        if owner is not None:
            k_of[owner] += n
    # Per place, electorate and participating: households by k, and centi-m². Heads are
    # Σ households/k, computed once per place (fractions only for owners with several).
    sums: dict = defaultdict(lambda: ((defaultdict(int), [0]), (defaultdict(int), [0])))
    for building, unit, owner, status, n, centi in hh_rows:
        k = k_of[owner] if owner is not None else 1
        for place in ((None, None), (building, None), (building, unit)):
            for by_k, area in sums[place][: 2 if status == PARTICIPATING else 1]:
                by_k[k] += n
                area[0] += centi

    def measure(by_k, area) -> Measure:
        return Measure(heads(by_k), centi_to_area(area[0]), sum(by_k.values()))

    def turnout(place) -> PlaceTurnout:
        electorate, participating = sums[place]
        return PlaceTurnout(place[0], place[1], measure(*electorate), measure(*participating))

    return turnout((None, None)), [turnout(p) for p in sums if p != (None, None)]


@cache
def _ballots_statement():
    """Effective ballots of a plan by channel and conflict, and one row (channel NULL) counting
    the households whose paper ballots await entry."""
    effective = (
        select(Ballot.channel, EffectiveBallot.conflict, func.count())
        .join(Ballot, Ballot.id == EffectiveBallot.ballot_id)
        .where(EffectiveBallot.plan_id == _PLAN)
        .group_by(Ballot.channel, EffectiveBallot.conflict)
    )
    awaiting = select(
        literal(None), literal(None), func.count(func.distinct(PaperEntry.household_id))
    ).where(PaperEntry.plan_id == _PLAN, PaperEntry.status.in_(AWAITING_ENTRY))
    return union_all(effective, awaiting)


def ballot_counts(plan: Plan) -> BallotCounts:
    """Effective ballots by channel and conflict; households with paper awaiting entry."""
    by_channel = dict.fromkeys(("online", "paper", "assisted"), 0)
    conflicts = waiting = 0
    for channel, conflict, n in db.session.execute(_ballots_statement(), {"plan_id": plan.id}):
        if channel is None:
            waiting = n
            continue
        by_channel[channel] = by_channel.get(channel, 0) + n
        conflicts += n if conflict else 0
    return BallotCounts(sum(by_channel.values()), by_channel, conflicts, waiting)


def tally_plan(plan: Plan, today: date | None = None) -> PlanTally:
    """Count every item of the plan (5 queries, whatever its size) and apply its rules (once
    per plan and day inside core.memo.reading_once(): an archive build's tally file, notices,
    exports and works going ahead all ask)."""
    if today is None:
        today = local_today()
    return once(("plan_tally", plan.id, today), lambda: _count_plan(plan, today))


def _count_plan(plan: Plan, today: date) -> PlanTally:
    """The plan's tally as the database holds it now (tally_plan)."""
    items, pairs, snapshot_id = _items_and_scopes(plan)
    hh_rows = _household_rows(plan, snapshot_id)
    units = {unit: building for building, unit, *_ in hh_rows}
    scope_units = _scope_units(pairs, units)
    several = any(owner is not None for _b, _u, owner, *_ in hh_rows)
    votes = _votes(plan, items, scope_units, several, snapshot_id)
    electorates: dict = {}
    results = []
    policy = plan.non_voter_policy
    for item in items:
        scope = scope_units.get(item.id) if item.scoped else None
        if scope not in electorates:
            electorates[scope] = _electorate(hh_rows, scope)
        item_votes = votes.get(item.id, {})
        counts = _item_counts(electorates[scope], item_votes)
        tally = tally_counts(counts, item.rule, policy)
        without = tally_counts(counts, item.rule, "none") if policy != "none" else None
        outcome = outcome_without = None
        if item.options:
            agree = _option_agree(item, electorates[scope], item_votes)
            outcome = decide_options(tally, agree, item.option_rule)
            if without is not None:
                outcome_without = decide_options(without, agree, item.option_rule)
        results.append(ItemResult(item, counts, tally, without, outcome, outcome_without))
    community, places = _place_turnout(hh_rows)
    return PlanTally(
        plan, not voting_over(plan, today), ballot_counts(plan), community, places, results
    )


def items_going_ahead(plan: Plan) -> list[tuple[Item, int | None]]:
    """The items the plan's result lets go ahead, in plan order, each with its chosen option's id.

    An item passed by its rule (under `threshold`: with a passing option) goes ahead; an item
    with options that passed undecided does not until its runoff (决选) decides. The works,
    acceptance, evaluation, change orders and final accounts all start from this list.
    """
    ahead = {}
    for r in tally_plan(plan).items:
        if r.passed and not r.undecided:
            chosen = r.chosen_option
            ahead[r.item.id] = chosen[0] if chosen else None
    return [(item, ahead[item.id]) for item in plan.items if item.id in ahead]
