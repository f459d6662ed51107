"""Property tests: app.rules.counting against a naive reference that follows the rules literally."""

import random
from collections import Counter
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.counting import (
    CC278_MAJOR,
    CC278_ORDINARY,
    CustomRule,
    OwnerGroup,
    Rule,
    count_centi_cells,
    count_owner_groups,
    count_strata,
    tally_counts,
)
from app.tally.households import (
    HouseholdRecord,
    ItemSpec,
    Scope,
    count_households,
    tally_households,
)

BUILDINGS = ["1号楼", "2号楼", "3号楼"]
UNITS = ["1单元", "2单元", None]
F = Fraction


# --- the reference: one household at a time, Fractions everywhere ---------------------------


def in_scope(scope, h):
    """Scope: whole community, or a listed building, or a listed (building, unit)."""
    return scope is None or h.building in scope.buildings or (h.building, h.unit) in scope.units


def owner_of(h):
    """Owners: households with the same owner ID are one owner; without one, its own owner."""
    return ("id", h.owner) if h.owner is not None else ("self", h.id)


def reference_item(households, ballots, item, policy):
    """Totals and outcome of one item, computed as docs/counting.md reads."""
    electorate = [h for h in households if in_scope(item.scope, h)]
    total = {name: [F(0), F(0), 0] for name in ("E", "P", "agree", "oppose", "abstain")}

    def add(name, head, area, count):
        total[name][0] += head
        total[name][1] += area
        total[name][2] += count

    for h in electorate:
        k = sum(1 for g in electorate if owner_of(g) == owner_of(h))
        weight, area = F(1, k), F(h.area)
        add("E", weight, area, 1)
        if h.id in ballots:  # an effective ballot: participates; blank counts as abstain
            add("P", weight, area, 1)
            add(ballots[h.id].get(item.key) or "abstain", weight, area, 1)
    if policy == "follow_majority":
        head_lead = side(total["agree"][0], total["oppose"][0])
        area_lead = side(total["agree"][1], total["oppose"][1])
        for h in electorate:
            if h.delivered and h.id not in ballots:
                k = sum(1 for g in electorate if owner_of(g) == owner_of(h))
                add("P", F(1, k), F(h.area), 1)
                add(head_lead, F(1, k), 0, 1)  # the household goes with its head
                add(area_lead, 0, F(h.area), 0)
    E, P, A = total["E"], total["P"], total["agree"]
    if item.rule == CC278_ORDINARY:
        quorum, approval, strict, base, dims = F(2, 3), F(1, 2), True, P, (0, 1)
    elif item.rule == CC278_MAJOR:
        quorum, approval, strict, base, dims = F(2, 3), F(3, 4), False, P, (0, 1)
    else:
        c = item.rule.custom
        quorum, approval, strict = c.quorum, c.approval, c.strict
        base = P if c.base == "participating" else E
        dims = {"headcount": (0,), "area": (1,), "both": (0, 1)}[c.dimensions]
    someone = E[2] > 0 and P[2] > 0
    quorum_met = someone and all(P[d] / E[d] >= quorum for d in dims if quorum)
    approved = someone and all(
        base[d] > 0 and (A[d] / base[d] > approval if strict else A[d] / base[d] >= approval)
        for d in dims
    )
    return total, quorum_met, approved


def side(agree, oppose):
    """The leading side, abstain on a tie."""
    return "agree" if agree > oppose else "oppose" if oppose > agree else "abstain"


# --- strategies ----------------------------------------------------------------------------


@st.composite
def rosters(draw):
    """Owners with 1-4 households each; single-household owners often have no owner ID."""
    households = []
    for o in range(draw(st.integers(0, 12))):
        n = draw(st.integers(1, 4))
        key = None if n == 1 and draw(st.booleans()) else f"owner{o}"
        for _ in range(n):
            households.append(
                HouseholdRecord(
                    id=f"h{len(households)}",
                    owner=key,
                    area=draw(st.decimals(Decimal("1"), Decimal("200"), places=2)),
                    building=draw(st.sampled_from(BUILDINGS)),
                    unit=draw(st.sampled_from(UNITS)),
                    delivered=draw(st.booleans()),
                )
            )
    return households


fractions = st.sampled_from([F(0), F(1, 3), F(1, 2), F(2, 3), F(3, 4), F(1)])
custom_rules = st.builds(
    CustomRule,
    quorum=fractions,
    approval=fractions.filter(lambda f: f < 1),
    strict=st.booleans(),
    base=st.sampled_from(["participating", "electorate"]),
    dimensions=st.sampled_from(["headcount", "area", "both"]),
).map(lambda c: Rule("custom", c))
rules = st.one_of(st.just(CC278_ORDINARY), st.just(CC278_MAJOR), custom_rules)
scopes = st.one_of(
    st.none(),
    st.builds(
        Scope,
        st.sets(st.sampled_from(BUILDINGS), max_size=2),
        st.sets(st.tuples(st.sampled_from(BUILDINGS), st.sampled_from(UNITS[:2])), max_size=3),
    ),
)


@st.composite
def cases(draw):
    """A roster, 1-4 items, effective ballots (some blank, some missing) and a policy."""
    households = draw(rosters())
    items = [ItemSpec(f"A{i}", draw(rules), draw(scopes)) for i in range(draw(st.integers(1, 4)))]
    marks = st.sampled_from(["agree", "oppose", "abstain", None, "missing"])
    ballots = {}
    for h in households:
        if draw(st.booleans()):
            chosen = {item.key: draw(marks) for item in items}
            ballots[h.id] = {key: mark for key, mark in chosen.items() if mark != "missing"}
    return households, ballots, items, draw(st.sampled_from(["none", "follow_majority"]))


# --- properties ----------------------------------------------------------------------------


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(cases())
def test_tally_matches_the_reference(case):
    households, ballots, items, policy = case
    result = tally_households(households, ballots, items, policy)
    for item in items:
        total, quorum_met, approved = reference_item(households, ballots, item, policy)
        t = result[item.key]
        for name, measure in [("E", t.electorate), ("P", t.participating), ("agree", t.agree)]:
            assert (measure.owners, F(measure.area), measure.households) == tuple(total[name])
        for name in ("oppose", "abstain"):
            measure = getattr(t, name)
            assert (measure.owners, F(measure.area), measure.households) == tuple(total[name])
        assert (t.quorum_met, t.approved, t.passed) == (
            quorum_met,
            approved,
            quorum_met and approved,
        )


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(cases())
def test_invariants(case):
    households, ballots, items, policy = case
    for item in items:
        t = tally_households(households, ballots, [item], policy)[item.key]
        electorate = [h for h in households if in_scope(item.scope, h)]
        assert t.participating == t.agree + t.oppose + t.abstain
        assert t.electorate.owners == len({owner_of(h) for h in electorate})
        assert t.electorate.households == len(electorate)
        assert t.participating.owners <= t.electorate.owners
        assert t.participating.area <= t.electorate.area
        assert not t.passed or t.quorum_met
        voters = sum(1 for h in electorate if h.id in ballots)
        assert t.participating.households - t.deemed.households == voters
        if policy == "none":
            assert t.deemed.households == 0
        for c in t.checks:
            assert c.met == (c.base > 0 and (c.margin > 0 if c.op == ">" else c.margin >= 0))
            assert c.actual == (c.value / c.base if c.base else None)


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(cases(), st.randoms(use_true_random=False))
def test_order_of_households_does_not_matter(case, rnd: random.Random):
    households, ballots, items, policy = case
    shuffled = list(households)
    rnd.shuffle(shuffled)
    assert tally_households(shuffled, ballots, items, policy) == tally_households(
        households, ballots, items, policy
    )


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(cases())
def test_owner_groups_and_sql_strata_agree_with_households(case):
    """What GROUP BY item, owner, choice and GROUP BY item, k, status produce, tallied alike."""
    households, ballots, items, policy = case
    counts = count_households(households, ballots, items)
    for item in items:
        electorate = [h for h in households if in_scope(item.scope, h)]
        k_of = Counter(owner_of(h) for h in electorate)
        groups, strata = {}, []
        for h in electorate:
            if h.id in ballots:
                status = ballots[h.id].get(item.key) or "abstain"
            else:
                status = "delivered_no_ballot" if h.delivered else "no_ballot"
            strata.append((k_of[owner_of(h)], status, 1, h.area))
            group = groups.setdefault(owner_of(h), {"n": 0, "area": Decimal(0), "by": {}})
            group["n"] += 1
            group["area"] += h.area
            n, area = group["by"].get(status, (0, Decimal(0)))
            group["by"][status] = (n + 1, area + h.area)
        owner_groups = [
            OwnerGroup(
                owner,
                g["n"],
                g["area"],
                {s: v for s, v in g["by"].items() if s in ("agree", "oppose", "abstain")},
                g["by"].get("delivered_no_ballot", (0, Decimal(0))),
            )
            for owner, g in groups.items()
        ]
        expected = tally_counts(counts[item.key], item.rule, policy)
        assert tally_counts(count_owner_groups(owner_groups), item.rule, policy) == expected
        assert tally_counts(count_strata(strata), item.rule, policy) == expected
        cells: dict = {}  # the same strata as the database sums them: integer hundredths of m²
        for k, status, n, area in strata:
            old_n, old_centi = cells.get((k, status), (0, 0))
            cells[(k, status)] = (old_n + n, old_centi + int(area * 100))
        counts_from_centi = count_centi_cells(cells)
        assert tally_counts(counts_from_centi, item.rule, policy) == expected
        # ItemCounts' one-pass totals: each status as counted from households, and the
        # electorate and participants summed cell by cell in Fractions
        assert counts_from_centi.by_status() == counts[item.key].by_status()
        electorate, participating = counts_from_centi.totals[1:]
        everyone = ("agree", "oppose", "abstain", "delivered_no_ballot", "no_ballot")
        for measure, statuses in ((electorate, everyone), (participating, everyone[:3])):
            expected_sums = summed_cells(counts_from_centi.cells, statuses)
            assert (measure.owners, measure.area, measure.households) == expected_sums


def summed_cells(cells, statuses):
    """(heads, area, households) of the cells of these statuses, one Fraction per cell."""
    chosen = [(k, value) for (status, k), value in cells.items() if status in statuses]
    return (
        sum((F(n, k) for k, (n, _area) in chosen), F(0)),
        sum((area for _k, (_n, area) in chosen), Decimal(0)),
        sum(n for _k, (n, _area) in chosen),
    )
