"""Warnings where a second channel meets the first: assisted and paper entry show the household's
effective ballot and which ballot will count under the plan's conflict policy; printing ballots
says how many households already voted online."""

from sqlalchemy import select

from app.communities.models import Household
from app.extensions import db
from app.plans.models import Plan
from app.voting.queries import standing_before_entry
from tests.conftest import sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401
from tests.voting.test_paper_entry import paper  # noqa: F401


def _vote_online(app, pid, hid):
    from app.plans.queries import items_for_household
    from app.voting.operations import cast_online_ballot

    with app.test_request_context():
        plan, household = db.session.get(Plan, pid), db.session.get(Household, hid)
        choices = {i.id: "agree" for i in items_for_household(plan, household)}
        cast_online_ballot(plan, household, choices, set(), "k1")
        db.session.commit()


def _set_policy(app, pid, policy):
    with app.app_context():
        db.session.get(Plan, pid).conflict_policy = policy
        db.session.commit()


def test_standing_follows_the_conflict_policy(app, example):  # noqa: F811
    _cid, pid = example()
    hid = household_id(app, "1号楼", "1单元", "101")
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        nothing = standing_before_entry(plan, hid, "paper")
        assert nothing.effective is None and nothing.new_counts
    _vote_online(app, pid, hid)
    expected = {"paper_prevails": True, "online_prevails": False, "latest_prevails": True}
    for policy, counts in expected.items():
        _set_policy(app, pid, policy)
        with app.test_request_context():
            standing = standing_before_entry(db.session.get(Plan, pid), hid, "assisted")
            assert standing.effective.channel == "online" and standing.new_counts is counts


def test_assisted_page_says_the_household_voted_online_and_what_will_count(app, factory, example):  # noqa: F811
    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    hid = household_id(app, "1号楼", "1单元", "101")
    client = app.test_client()
    sign_in_staff(client, "w1")
    url = f"/c/{cid}/plans/{pid}/assisted?household={hid}"
    assert "该户已经表决" not in client.get(url).get_data(as_text=True)
    _vote_online(app, pid, hid)
    html = client.get(url).get_data(as_text=True)
    assert "该户已经表决：现在计入的是网上投票" in html
    assert "这张上门代填记录后将计入，取代现在的网上投票" in html  # paper prevails by default
    _set_policy(app, pid, "online_prevails")
    html = client.get(url).get_data(as_text=True)
    assert "仍以网上投票计入，这张上门代填记录后不会计入" in html


def test_paper_entry_page_says_the_household_voted_online(app, paper):  # noqa: F811
    from app.paper.serials import format_serial

    _vote_online(app, paper["pid"], paper["hid"])
    client = app.test_client()
    sign_in_staff(client, "w1")
    url = f"/c/{paper['cid']}/plans/{paper['pid']}/paper/entry?serial="
    html = client.get(url + format_serial(paper["serial"])).get_data(as_text=True)
    assert "该户已经表决：现在计入的是网上投票" in html
    assert "这张纸质票记录后将计入" in html


def test_ballot_printing_says_how_many_households_voted_online(app, factory, example):  # noqa: F811
    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    _vote_online(app, pid, household_id(app, "1号楼", "1单元", "101"))
    _vote_online(app, pid, household_id(app, "1号楼", "1单元", "102"))
    client = app.test_client()
    sign_in_staff(client, "w1")
    with app.app_context():
        from app.communities.models import Building

        building = db.session.scalar(select(Building.id).where(Building.name == "1号楼"))
    html = client.get(f"/c/{cid}/plans/{pid}/print/ballots?batch=b{building}").get_data(
        as_text=True
    )
    assert "其中 2 户已经在网上表决" in html and "纸质票优先" in html
