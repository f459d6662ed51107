"""The overview's cached tally summaries: equal to a fresh tally, recounted after any audited write
in the community (and only there), on a new day, and bounded."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

import app.district.cache as cache
from app.communities.models import Community, Household
from app.district.cache import SUMMARIES, SummaryCache, TallySummary, plan_summary, summarize
from app.district.queries import community_rows
from app.extensions import db
from app.plans.queries import current_plan, local_today
from app.tally.queries import tally_plan
from app.voting.models import EffectiveBallot
from tests.conftest import make_rows, sign_in_staff
from tests.district.test_overview import add_plan, row_text

SHAPE = {"buildings": 3, "units": 2, "floors": 6}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts from an empty cache (it is per process, the app per session)."""
    SUMMARIES.clear()
    yield
    SUMMARIES.clear()


@pytest.fixture
def town(app, factory):
    """Two communities voting (half of 甲's households and a third of 乙's voted), an admin."""
    ids = {"甲": factory.community("甲小区", "东区", **SHAPE)}
    ids["乙"] = factory.community("乙小区", "东区", **SHAPE)
    with app.test_request_context():
        add_plan(ids["甲"], "voting", voters=0.5)
        add_plan(ids["乙"], "voting", voters=0.34)
        db.session.commit()
    factory.user("admin", "admin")
    return ids


@pytest.fixture
def tallies(monkeypatch):
    """The plan ids tally_plan counted for the overview, in order."""
    counted = []

    def counting(plan, today=None):
        counted.append(plan.id)
        return tally_plan(plan, today)

    monkeypatch.setattr(cache, "tally_plan", counting)
    return counted


def rows_now(app, today=None) -> dict:
    """The overview's rows of every community by name, in a fresh request."""
    with app.test_request_context():
        communities = db.session.scalars(select(Community).order_by(Community.id)).all()
        return {r.name: r for r in community_rows(communities, today or local_today())}


def vote_once_more(app, cid: int) -> None:
    """One more household of the community votes (agrees to everything), committed."""
    from app.plans.queries import items_for_household
    from app.voting.operations import cast_online_ballot

    with app.test_request_context():
        plan = current_plan(cid)
        voted = select(EffectiveBallot.household_id).where(EffectiveBallot.plan_id == plan.id)
        household = db.session.scalars(
            select(Household)
            .where(Household.community_id == cid, Household.id.not_in(voted))
            .order_by(Household.id)
        ).first()
        items = items_for_household(plan, household)
        cast_online_ballot(plan, household, {i.id: "agree" for i in items}, set(), "one-more")
        db.session.commit()


def test_cached_rows_equal_fresh_tallies(app, town, tallies):
    cold = rows_now(app)
    assert len(tallies) == 2 and len(SUMMARIES) == 2
    warm = rows_now(app)
    assert len(tallies) == 2  # warm: no plan tallied again
    assert warm == cold
    with app.test_request_context():
        for name, cid in town.items():
            plan = current_plan(cid)
            fresh = summarize(tally_plan(plan, local_today()))
            row = warm[f"{name}小区"]
            assert (row.plan_id, row.tallied) == (plan.id, True)
            assert row.voted_households > 0
            assert (
                TallySummary(
                    row.provisional,
                    row.electorate_households,
                    row.voted_households,
                    row.electorate_area_centi,
                    row.voted_area_centi,
                    row.items_passed,
                    row.items_total,
                )
                == fresh
            )
            assert row.items_total == len(plan.items)


def test_a_new_ballot_shows_on_the_next_page_load(app, town, tallies):
    client = app.test_client()
    sign_in_staff(client, "admin")
    before = rows_now(app)["甲小区"]
    shown = f"{before.voted_households}/{before.electorate_households}户"
    assert shown in row_text(client.get("/district").get_data(as_text=True), town["甲"])
    vote_once_more(app, town["甲"])
    html = client.get("/district").get_data(as_text=True)
    after = f"{before.voted_households + 1}/{before.electorate_households}户"
    assert after in row_text(html, town["甲"])
    assert rows_now(app)["甲小区"].voted_households == before.voted_households + 1


def test_a_write_in_another_community_keeps_this_ones_summary(app, town, tallies):
    rows_now(app)
    with app.test_request_context():
        first, second = current_plan(town["甲"]).id, current_plan(town["乙"]).id
    kept = SUMMARIES._entries[first]
    vote_once_more(app, town["乙"])
    tallies.clear()
    rows = rows_now(app)
    assert tallies == [second]  # only the community that changed is counted again
    assert SUMMARIES._entries[first] is kept
    assert rows["甲小区"].voted_households == kept[1].voted_households


def test_closing_voting_early_ends_provisional_on_the_next_load(app, town, tallies):
    from app.plans.workflow import close_voting

    assert rows_now(app)["甲小区"].provisional
    with app.test_request_context():
        close_voting(current_plan(town["甲"]), "修改项目")
        db.session.commit()
    assert not rows_now(app)["甲小区"].provisional


def test_a_roster_import_changes_the_census_a_correction_the_electorate(
    app, factory, town, tallies
):
    """The electorate is frozen when voting opens (design §3c): an import shows in the census
    count at once, never in the tally; a committee correction shows in the tally at once."""
    from app.communities.electorate import CorrectionRequest, correct_electorate, snapshot_for
    from app.communities.operations import apply_roster_import, plan_roster_import

    committee = factory.user("c-yi", "committee", communities=[town["乙"]])
    before = rows_now(app)["乙小区"]
    with app.test_request_context():
        community = db.session.get(Community, town["乙"])
        rows = make_rows(buildings=3, units=2, floors=7)  # one more floor: 12 households
        apply_roster_import(
            community, plan_roster_import(community, rows), filename="t", sha256="-"
        )
        db.session.commit()
    after_import = rows_now(app)["乙小区"]
    assert after_import.households == before.households + 12
    assert after_import.electorate_households == before.electorate_households
    with app.test_request_context():
        from app.accounts.models import User

        plan = current_plan(town["乙"])
        new = db.session.scalar(
            select(Household)
            .where(Household.community_id == town["乙"], Household.floor == 7)
            .limit(1)
        )
        correct_electorate(
            snapshot_for(plan.id),
            new,
            CorrectionRequest("add", "新建成交付，业委会核实"),
            db.session.get(User, committee),
        )
        db.session.commit()
    assert rows_now(app)["乙小区"].electorate_households == before.electorate_households + 1


def test_a_new_day_is_counted_afresh(app, town, tallies):
    with app.test_request_context():
        closes = current_plan(town["甲"]).voting_closes
    assert rows_now(app, closes)["甲小区"].provisional  # the last day of voting
    tallies.clear()
    after = rows_now(app, closes + timedelta(days=1))  # no write since: only the day changed
    assert not after["甲小区"].provisional and len(tallies) == 2


def test_without_an_audit_event_nothing_is_cached(app, town, tallies):
    with app.test_request_context():
        plan = current_plan(town["甲"])
        plan_summary(plan, local_today(), None)
        plan_summary(plan, local_today(), None)
    assert len(tallies) == 2 and len(SUMMARIES) == 0


def summary(n: int) -> TallySummary:
    """A summary told apart by n."""
    return TallySummary(False, n, n, n, n, 0, 0)


def test_the_cache_is_bounded_least_recently_used_out():
    day = date(2026, 5, 1)
    lru = SummaryCache(max_plans=3)
    for plan_id in range(1, 4):
        lru.put(plan_id, (plan_id, "h", day), summary(plan_id))
    assert lru.get(1, (1, "h", day)) == summary(1)  # 1 is now the most recently used
    lru.put(4, (4, "h", day), summary(4))
    assert len(lru) == 3 and lru.get(2, (2, "h", day)) is None  # 2 was the least recent
    assert lru.get(1, (1, "h", day)) == summary(1)
    # A newer state of a plan replaces its older one: one entry per plan.
    lru.put(1, (9, "k", day), summary(9))
    assert len(lru) == 3 and lru.get(1, (1, "h", day)) is None
    assert lru.get(1, (9, "k", day)) == summary(9)
    # Same event id, another history (ids restarted): not the same state.
    assert lru.get(1, (9, "other", day)) is None
    assert lru.get(1, (9, "k", day + timedelta(days=1))) is None
    for plan_id in range(100, 200):
        lru.put(plan_id, (plan_id, "h", day), summary(plan_id))
    assert len(lru) == 3
    assert SUMMARIES.max_plans == cache.MAX_PLANS == 2000
