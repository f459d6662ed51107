"""The staff list of ballots: every version with who/when/how and its status, never the choices;
filters, search, pages that keep the filters, totals, permissions and tenancy."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.conftest import sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401

ROW = '<th scope="row"'


def _cast(app, pid, address, channel="online", choice="agree", key="k"):
    """Record one ballot for the household at `address` through the real operation."""
    from app.accounts.models import User
    from app.communities.models import Household
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.voting.operations import (
        cast_online_ballot,
        record_assisted_ballot,
        record_paper_ballot,
    )

    hid = household_id(app, *address)
    with app.test_request_context():
        plan, household = db.session.get(Plan, pid), db.session.get(Household, hid)
        choices = {i.id: choice for i in items_for_household(plan, household)}
        worker = db.session.scalar(select(User).where(User.username == "w1"))
        if channel == "online":
            ballot = cast_online_ballot(plan, household, choices, set(), key)
        elif channel == "assisted":
            ballot = record_assisted_ballot(
                plan, household, choices, set(), user=worker, authorised_by="女儿", witness="楼长"
            )
        else:
            ballot = record_paper_ballot(plan, household, choices, set(), user=worker)
        receipt = ballot.receipt
        db.session.commit()
        return receipt


@pytest.fixture
def voted(app, factory, example):  # noqa: F811
    """The example plan with five ballots: a changed online vote, an online/assisted conflict,
    and a paper ballot. Returns (community id, plan id, receipts by name)."""
    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    from app.accounts.models import User

    with app.app_context():
        db.session.scalar(select(User).where(User.username == "w1")).display_name = "王芳"
        db.session.commit()
    receipts = {
        "first": _cast(app, pid, ("1号楼", "1单元", "101"), key="a1"),
        "second": _cast(app, pid, ("1号楼", "1单元", "101"), choice="oppose", key="a2"),
        "online": _cast(app, pid, ("1号楼", "1单元", "102"), key="b1"),
        "assisted": _cast(app, pid, ("1号楼", "1单元", "102"), "assisted", "oppose"),
        "paper": _cast(app, pid, ("2号楼", "1单元", "201"), "paper"),
    }
    return cid, pid, receipts


def _page(app, url, user="w1"):
    """The HTML of a staff page."""
    client = app.test_client()
    sign_in_staff(client, user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _row_of(html, receipt):
    """The table row holding a receipt code."""
    return next(r for r in html.split("<tr>") if receipt in r)


def test_every_version_is_listed_with_who_when_how_and_status(app, voted):
    cid, pid, receipts = voted
    html = _page(app, f"/c/{cid}/plans/{pid}/ballots")
    assert html.count(ROW) == 5
    assert "已被取代" in _row_of(html, receipts["first"])
    assert ">有效<" in _row_of(html, receipts["second"])
    assert "冲突待处理 · 未计入" in _row_of(html, receipts["online"])
    assisted = _row_of(html, receipts["assisted"])
    assert "有效 · 冲突待处理" in assisted and "上门代填" in assisted
    assert "王芳" in assisted and "授权人：女儿" in assisted
    assert "住户本人" in _row_of(html, receipts["second"])
    paper = _row_of(html, receipts["paper"])
    assert "纸质" in paper and "2号楼1单元201" in paper and "王芳" in paper
    # Each row links to the household's page; the newest ballot comes first.
    hid = household_id(app, "2号楼", "1单元", "201")
    assert f'href="/c/{cid}/households/{hid}"' in paper
    assert html.index(receipts["paper"]) < html.index(receipts["first"])


def test_the_list_never_shows_the_choices(app, voted):
    cid, pid, _receipts = voted
    html = _page(app, f"/c/{cid}/plans/{pid}/ballots")
    for word in ("同意", "反对", "弃权"):
        assert word not in html


def test_totals_count_versions_households_channels_and_conflicts(app, voted):
    cid, pid, _receipts = voted
    html = _page(app, f"/c/{cid}/plans/{pid}/ballots?channel=paper")
    stats = html.split('class="stats stats-small"')[1].split("</section>")[0]
    numbers = re.findall(r'<span class="num">(\d+)</span><span>([^<]+)</span>', stats)
    assert dict((label, int(n)) for n, label in numbers) == {
        "已记录的表决票": 5,
        "已表决住户": 3,
        "网上": 3,
        "纸质": 1,
        "上门代填": 1,
        "冲突待处理（户）": 1,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=assisted", {"assisted"}),
        ("channel=online", {"first", "second", "online"}),
        ("status=counted", {"second", "assisted", "paper"}),
        ("status=conflict", {"online", "assisted"}),
        ("status=superseded", {"first"}),
        ("channel=online&status=counted", {"second"}),
        ("q=1-1-101", {"first", "second"}),
        ("q=1号楼1单元102", {"online", "assisted"}),
        ("q=2栋201", {"paper"}),
        ("status=bogus&channel=fax", {"first", "second", "online", "assisted", "paper"}),
    ],
)
def test_filters_and_searches(app, voted, query, expected):
    cid, pid, receipts = voted
    html = _page(app, f"/c/{cid}/plans/{pid}/ballots?{query}")
    shown = {name for name, receipt in receipts.items() if receipt in html}
    assert shown == expected
    assert html.count(ROW) == len(expected)


def test_search_by_owner_name_and_by_receipt(app, voted):
    from app.communities.models import Household

    cid, pid, receipts = voted
    with app.app_context():
        owner = db.session.get(Household, household_id(app, "2号楼", "1单元", "201")).owner_name
    assert receipts["paper"] in _page(app, f"/c/{cid}/plans/{pid}/ballots?q={owner}")
    typed = receipts["online"].lower()[:5] + " " + receipts["online"][5:]  # as a resident reads it
    html = _page(app, f"/c/{cid}/plans/{pid}/ballots?q={typed}")
    assert html.count(ROW) == 1 and receipts["online"] in html


def test_pages_of_fifty_keep_the_filters(app, factory, example):  # noqa: F811
    from app.communities.models import Building, Household, Unit

    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    with app.app_context():
        addresses = db.session.execute(
            select(Building.name, Unit.name, Household.room)
            .join(Building, Building.id == Household.building_id)
            .join(Unit, Unit.id == Household.unit_id)
            .where(Household.community_id == cid)
            .order_by(Household.id)
            .limit(55)
        ).all()
    for n, address in enumerate(addresses):
        _cast(app, pid, address, key=f"k{n}")
    _cast(app, pid, addresses[0], "paper")
    url = f"/c/{cid}/plans/{pid}/ballots?channel=online"
    first = _page(app, url)
    assert first.count(ROW) == 50 and "第 1 / 2 页，共 55 条" in first
    assert f'href="/c/{cid}/plans/{pid}/ballots?page=2&amp;channel=online"' in first
    second = _page(app, url + "&page=2")
    assert second.count(ROW) == 5 and "纸质" not in second.split("<tbody>")[1]
    beyond = _page(app, url + "&page=999999999999")
    assert beyond.count(ROW) == 0


def test_who_may_see_the_list(app, voted, factory):
    cid, pid, _receipts = voted
    url = f"/c/{cid}/plans/{pid}/ballots"
    factory.user("c1", "committee", communities=[cid])
    factory.user("d1", "district", district="滨城区")
    assert _page(app, url, "c1").count(ROW) == 5
    client = app.test_client()
    sign_in_staff(client, "d1")
    assert client.get(url).status_code == 403
    other = factory.community("别的小区", buildings=1, units=1, floors=1)
    factory.user("w2", "worker", communities=[other])
    client = app.test_client()
    sign_in_staff(client, "w2")
    assert client.get(url).status_code == 404
    assert client.get(f"/c/{other}/plans/{pid}/ballots").status_code == 404


def test_plan_page_and_results_link_to_the_list(app, voted):
    cid, pid, _receipts = voted
    link = f'href="/c/{cid}/plans/{pid}/ballots"'
    assert link in _page(app, f"/c/{cid}/plans/{pid}")
    assert link in _page(app, f"/c/{cid}/plans/{pid}/results")
