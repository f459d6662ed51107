"""The overview's stored tally summaries: equal to a fresh tally; a page recounts what is stale
(up to INLINE_RECOUNTS plans) and shows the rest as counted earlier or being counted, and queues
the rollup, which recounts and stores only what changed (a write in the community, a new day)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

import app.district.summaries as summaries
from app.communities.models import Community, Household
from app.district.jobs import ROLLUP_LOCK, rollup, run_rollup
from app.district.models import PlanSummary
from app.district.queries import community_rows
from app.district.summaries import TallySummary, plan_summaries, stored_summaries, summarize
from app.extensions import db
from app.plans.queries import current_plan, local_today
from app.tally.queries import tally_plan
from app.voting.models import EffectiveBallot
from tests.conftest import make_rows, sign_in_staff
from tests.district.test_overview import add_plan, row_text

SHAPE = {"buildings": 3, "units": 2, "floors": 6}


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
    """The plan ids tally_plan counted for the overview or the rollup, in order."""
    counted = []

    def counting(plan, today=None):
        counted.append(plan.id)
        return tally_plan(plan, today)

    monkeypatch.setattr(summaries, "tally_plan", counting)
    return counted


def rows_now(app, today=None, recount=20) -> dict:
    """The overview's rows of every community by name, in a fresh request."""
    with app.test_request_context():
        communities = db.session.scalars(select(Community).order_by(Community.id)).all()
        rows = community_rows(communities, today or local_today(), recount)
        return {r.name: r for r in rows}


def roll_up(app) -> int:
    """The rollup, as the worker runs it."""
    with app.test_request_context():
        return rollup()


def stored(app) -> dict:
    """Every stored summary by plan id: (fingerprint, summary, counted at)."""
    with app.test_request_context():
        return stored_summaries(list(db.session.scalars(select(PlanSummary.plan_id))))


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


def figures(row) -> TallySummary:
    """A row's tally figures as a summary."""
    return TallySummary(
        row.provisional,
        row.electorate_households,
        row.voted_households,
        row.electorate_area_centi,
        row.voted_area_centi,
        row.items_passed,
        row.items_total,
    )


def test_rolled_up_summaries_equal_fresh_tallies_and_are_read_not_counted(app, town, tallies):
    assert roll_up(app) == 2 and len(tallies) == 2
    tallies.clear()
    rows = rows_now(app)
    assert tallies == []  # every summary current: read, not counted
    with app.test_request_context():
        for name, cid in town.items():
            plan = current_plan(cid)
            row = rows[f"{name}小区"]
            assert (row.plan_id, row.tallied, row.summary_state, row.counted_at) == (
                plan.id, True, "stored", None,
            )  # fmt: skip
            assert row.voted_households > 0 and row.items_total == len(plan.items)
            assert figures(row) == summarize(tally_plan(plan, local_today()))
    assert roll_up(app) == 0  # nothing changed: nothing recounted


def test_a_new_ballot_shows_on_the_next_page_load_and_the_page_queues_the_rollup(
    app, town, tallies
):
    client = app.test_client()
    sign_in_staff(client, "admin")
    roll_up(app)
    before = rows_now(app)["甲小区"]
    shown = f"{before.voted_households}/{before.electorate_households}户"
    assert shown in row_text(client.get("/district").get_data(as_text=True), town["甲"])
    vote_once_more(app, town["甲"])
    tallies.clear()
    response = client.get("/district")
    html = response.get_data(as_text=True)
    after = f"{before.voted_households + 1}/{before.electorate_households}户"
    assert after in row_text(html, town["甲"])  # recounted by the page: within its budget
    with app.test_request_context():
        assert tallies == [current_plan(town["甲"]).id]
    assert rows_now(app)["甲小区"].summary_state == "counted"  # not stored yet: counted here
    response.close()  # the queue runs the rollup it queued (immediate mode: now)
    tallies.clear()
    client.get("/district").close()
    assert tallies == []  # stored by the rollup: current again
    assert rows_now(app)["甲小区"].voted_households == before.voted_households + 1


def test_a_write_in_another_community_keeps_this_ones_summary(app, town, tallies):
    roll_up(app)
    with app.test_request_context():
        first, second = current_plan(town["甲"]).id, current_plan(town["乙"]).id
    kept = stored(app)[first]
    vote_once_more(app, town["乙"])
    tallies.clear()
    assert roll_up(app) == 1
    assert tallies == [second]  # only the community that changed is counted again
    assert stored(app)[first] == kept
    assert rows_now(app)["甲小区"].voted_households == kept[1].voted_households


def test_beyond_its_budget_a_page_shows_earlier_figures_with_their_time_or_counting(
    app, town, tallies, monkeypatch
):
    """A city's voting evening: more plans stale than a page recounts. It shows what the
    rollup stored last, with the time, or "being counted" and refreshes itself; it queues the
    rollup, after which every figure is current."""
    monkeypatch.setitem(app.config, "DISTRICT_INLINE_RECOUNTS", 0)
    client = app.test_client()
    sign_in_staff(client, "admin")
    response = client.get("/district")  # nothing stored yet: both being counted
    html = response.get_data(as_text=True)
    assert response.headers["Refresh"] == "5" and tallies == []
    assert "2 个小区正在统计" in html and "统计中" in row_text(html, town["甲"])
    assert rows_now(app, recount=0)["甲小区"].summary_state == "counting"
    response.close()  # the rollup it queued runs
    assert len(stored(app)) == 2
    counted_at = stored(app)[rows_now(app)["甲小区"].plan_id][2]
    before = rows_now(app, recount=0)["甲小区"]
    vote_once_more(app, town["甲"])
    tallies.clear()
    response = client.get("/district")
    html = response.get_data(as_text=True)
    assert "Refresh" not in response.headers and tallies == []
    stale = rows_now(app, recount=0)["甲小区"]
    assert (stale.summary_state, stale.counted_at) == ("earlier", counted_at)
    assert figures(stale) == figures(before)
    assert "1 个小区的投票数据刚有变化" in html and "统计于" in row_text(html, town["甲"])
    assert "统计于" not in row_text(html, town["乙"])
    response.close()
    fresh = rows_now(app, recount=0)["甲小区"]
    assert (fresh.summary_state, fresh.counted_at) == ("stored", None)
    assert fresh.voted_households == before.voted_households + 1


def test_the_export_is_exact_whatever_the_pages_budget(app, town, tallies, monkeypatch):
    monkeypatch.setitem(app.config, "DISTRICT_INLINE_RECOUNTS", 0)
    roll_up(app)
    vote_once_more(app, town["甲"])
    client = app.test_client()
    sign_in_staff(client, "admin")
    text = client.get("/district/overview.csv").get_data().decode("utf-8-sig")
    now = rows_now(app)["甲小区"]
    line = next(line for line in text.splitlines() if line.startswith("甲小区"))
    assert f",{now.voted_households}," in line


def test_one_rollup_at_a_time(app, town, tallies):
    from app.core.queue import huey

    with huey.lock_task(ROLLUP_LOCK):
        run_rollup()  # another is running: this one steps aside
    assert stored(app) == {} and tallies == []
    run_rollup()
    assert len(stored(app)) == 2


def test_without_an_audit_event_nothing_is_stored_and_the_page_counts_it(app, town, tallies):
    with app.test_request_context():
        plan = current_plan(town["甲"])
        counted = plan_summaries([plan], local_today(), {})  # no newest event known
        assert counted[plan.id].summary == summarize(tally_plan(plan, local_today()))
    assert tallies == [plan.id] and stored(app) == {}


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


def test_a_new_day_is_counted_afresh(app, town, tallies, monkeypatch):
    with app.test_request_context():
        closes = current_plan(town["甲"]).voting_closes
    monkeypatch.setattr("app.district.jobs.local_today", lambda: closes)
    roll_up(app)
    assert rows_now(app, closes)["甲小区"].provisional  # the last day of voting
    tallies.clear()
    after = rows_now(app, closes + timedelta(days=1))  # no write since: only the day changed
    assert not after["甲小区"].provisional and len(tallies) == 2
