"""Property test: the database tally (queries.tally_plan) against a naive reference that reads
docs/counting.md literally, on random rosters, owners, scopes, ballots, deliveries and policies."""

import itertools
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.tally.queries import tally_plan
from tests.conftest import db_examples
from tests.tally.conftest import TODAY, Estate

F = Fraction
BUILDINGS = ["1号楼", "2号楼", "3号楼"]
UNITS = ["1单元", "2单元"]
MARKS = ["agree", "oppose", "abstain", "blank", "missing", "stale"]
# Revisions count from 1: only an item revised since (revision 2) can carry a stale mark.
FIRST_REVISION_MARKS = [m for m in MARKS if m != "stale"]
_names = itertools.count()

# --- the reference: one household at a time, Fractions everywhere ---------------------------


def in_scope(scope, h):
    """No scope: everyone; else a listed building or a listed (building, unit)."""
    return scope is None or h["building"] in scope[0] or (h["building"], h["unit"]) in scope[1]


def counted_choice(marks, key):
    """What an effective ballot's mark on an item counts as: blank, missing, stale → abstain."""
    mark = marks.get(key, "missing")
    return mark if mark in ("agree", "oppose", "abstain") else "abstain"


def lead(agree, oppose):
    """The side ahead among actual voters on one dimension; abstain on a tie."""
    return "agree" if agree > oppose else "oppose" if oppose > agree else "abstain"


def reference(households, item, policy):
    """Totals (owners, area, households) per name, quorum_met, approved — as the rules read."""
    electorate = [h for h in households if in_scope(item["scope"], h)]
    owner = lambda h: h["owner"] or ("self", h["n"])  # noqa: E731
    k = {h["n"]: sum(1 for g in electorate if owner(g) == owner(h)) for h in electorate}
    total = {name: [F(0), F(0), 0] for name in ("E", "P", "agree", "oppose", "abstain")}

    def add(name, head, area, count):
        total[name][0] += head
        total[name][1] += area
        total[name][2] += count

    for h in electorate:
        head, area = F(1, k[h["n"]]), F(h["area"])
        add("E", head, area, 1)
        if h["ballot"] is not None:
            add("P", head, area, 1)
            add(counted_choice(h["ballot"], item["key"]), head, area, 1)
    if policy == "follow_majority":
        by_head = lead(total["agree"][0], total["oppose"][0])
        by_area = lead(total["agree"][1], total["oppose"][1])
        for h in electorate:
            if h["ballot"] is None and h["delivered"]:
                head, area = F(1, k[h["n"]]), F(h["area"])
                add("P", head, area, 1)
                add(by_head, head, 0, 1)
                add(by_area, 0, area, 0)
    E, P, A = total["E"], total["P"], total["agree"]
    quorum, approval, strict, base, dims = item["thresholds"]
    base = P if base == "participating" else E
    someone = E[2] > 0 and P[2] > 0
    quorum_met = someone and all(P[d] >= quorum * E[d] for d in dims if quorum)
    approved = someone and all(
        base[d] > 0 and (A[d] > approval * base[d] if strict else A[d] >= approval * base[d])
        for d in dims
    )
    return total, quorum_met, approved


# --- strategies ----------------------------------------------------------------------------

RULES = {
    "cc278_ordinary": (F(2, 3), F(1, 2), True, "participating", (0, 1)),
    "cc278_major": (F(2, 3), F(3, 4), False, "participating", (0, 1)),
}
fractions = st.sampled_from(["0", "1/3", "1/2", "2/3", "3/4"])
DIMS = {"headcount": (0,), "area": (1,), "both": (0, 1)}


@st.composite
def items(draw, key):
    """An item: key, rule (with its thresholds for the reference), scope, revision."""
    kind = draw(st.sampled_from(["cc278_ordinary", "cc278_major", "custom"]))
    custom = None
    if kind == "custom":
        custom = {
            "quorum": draw(fractions),
            "approval": draw(fractions),
            "strict": draw(st.booleans()),
            "base": draw(st.sampled_from(["participating", "electorate"])),
            "dimensions": draw(st.sampled_from(list(DIMS))),
        }
        thresholds = (
            F(custom["quorum"]),
            F(custom["approval"]),
            custom["strict"],
            custom["base"],
            DIMS[custom["dimensions"]],
        )
    else:
        thresholds = RULES[kind]
    scope = None
    if draw(st.booleans()):
        scope = (
            set(draw(st.sets(st.sampled_from(BUILDINGS), max_size=1))),
            set(draw(st.sets(st.tuples(st.sampled_from(BUILDINGS), st.sampled_from(UNITS)),
                             min_size=1, max_size=2))),
        )  # fmt: skip
    revision = draw(st.integers(1, 2))
    return {"key": key, "rule": kind, "custom": custom, "thresholds": thresholds,
            "scope": scope, "revision": revision}  # fmt: skip


@st.composite
def cases(draw):
    """Households (some owners with several), 1-3 items, ballots, deliveries, a policy."""
    plan_items = [draw(items(f"A{i}")) for i in range(draw(st.integers(1, 3)))]
    households = []
    for n in range(draw(st.integers(0, 12))):
        voted = draw(st.booleans())
        households.append(
            {
                "n": n,
                "owner": draw(st.sampled_from([None, None, "P", "Q", "R"])),
                "area": draw(st.decimals(Decimal("1"), Decimal("150"), places=2)),
                "building": draw(st.sampled_from(BUILDINGS)),
                "unit": draw(st.sampled_from(UNITS)),
                "delivered": draw(st.booleans()),
                "ballot": {
                    i["key"]: draw(
                        st.sampled_from(MARKS if i["revision"] > 1 else FIRST_REVISION_MARKS)
                    )
                    for i in plan_items
                }
                if voted
                else None,
            }
        )
    return households, plan_items, draw(st.sampled_from(["none", "follow_majority"]))


def write(households, plan_items, policy):
    """The case as database rows, flushed in the test's transaction."""
    estate = Estate(name=f"小区{next(_names)}")
    plan = estate.plan(non_voter_policy=policy)
    for item in plan_items:
        scope = [*sorted(item["scope"][0]), *sorted(item["scope"][1])] if item["scope"] else ()
        estate.item(plan, item["key"], item["rule"], scope, item["custom"], item["revision"])
    for h in households:
        row = estate.household(h["area"], h["owner"], h["building"], h["unit"], f"{h['n'] + 1}01")
        if h["delivered"]:
            estate.deliver(plan, row)
        if h["ballot"] is not None:
            marks = {k: m for k, m in h["ballot"].items() if m != "missing"}
            choices = {k: (None if m == "blank" else "agree" if m == "stale" else m)
                       for k, m in marks.items()}  # fmt: skip
            stale = {k for k, m in marks.items() if m == "stale"}
            estate.ballot(plan, row, choices, stale=stale)
    return plan


def same(measure, expected):
    """A Measure equals the reference's [owners, area, households]."""
    return (measure.owners, F(measure.area), measure.households) == tuple(expected)


@settings(
    max_examples=db_examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=cases())
def test_database_tally_matches_the_reference(ctx, case):
    households, plan_items, policy = case
    try:
        result = tally_plan(write(households, plan_items, policy), TODAY)
        for item, r in zip(plan_items, result.items, strict=True):
            outcomes = [(policy, r.tally)]
            if policy == "follow_majority":
                outcomes.append(("none", r.without_policy))
            for applied, t in outcomes:
                total, quorum_met, approved = reference(households, item, applied)
                assert same(t.electorate, total["E"])
                assert same(t.participating, total["P"])
                for name in ("agree", "oppose", "abstain"):
                    assert same(getattr(t, name), total[name]), name
                assert (t.quorum_met, t.approved, t.passed) == (
                    quorum_met,
                    approved,
                    quorum_met and approved,
                )
    finally:
        db.session.rollback()


def counted(result):
    """Everything a tally counted, comparable across two tallies of one plan."""
    items = [(r.item.key, r.counts, r.tally, r.without_policy) for r in result.items]
    places = sorted(result.places, key=lambda p: (p.building_id, p.unit_id or 0))
    return items, result.community, places, result.ballots


@settings(
    max_examples=db_examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=cases(), new_area=st.decimals(Decimal("1"), Decimal("150"), places=2))
def test_tally_over_the_snapshot_equals_the_tally_over_its_census(ctx, case, new_area):
    """Freezing the electorate (design §3c) changes no count; changing the census afterwards —
    every area, every owner, a new household with a ballot — changes none either."""
    from app.communities.electorate import take_snapshot
    from app.communities.models import Household

    households, plan_items, policy = case
    try:
        plan = write(households, plan_items, policy)
        over_census = counted(tally_plan(plan, TODAY))
        take_snapshot(plan.community_id, plan.id, plan.title)
        assert counted(tally_plan(plan, TODAY)) == over_census
        rows = db.session.query(Household).filter_by(community_id=plan.community_id).all()
        for n, row in enumerate(rows):
            row.area_centi = int(new_area * 100) + n
            row.owner_key = "P" if n % 2 else None
        estate = Estate(community=plan.community)
        late = estate.household("99", "P", BUILDINGS[0], UNITS[0], "9901")
        estate.ballot(plan, late, {i["key"]: "agree" for i in plan_items})
        db.session.flush()
        after = counted(tally_plan(plan, TODAY))
        assert after[:3] == over_census[:3]  # the late household's ballot is stored, not counted
    finally:
        db.session.rollback()
