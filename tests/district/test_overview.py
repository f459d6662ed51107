"""The district and city overview: figures from the same tally and funding code, tenancy by
district, filters, sorts, paging, the audited CSV/XLSX export and the per-district totals."""

import io
import json
import os
import random
import re
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.communities.models import Community, Household
from app.core.audit import AuditEvent
from app.district.listing import sort_rows
from app.district.queries import (
    CommunityRow,
    community_rows,
    district_summary,
    overview_communities,
)
from app.extensions import db
from app.formats.tables import percent_value
from app.formats.writers import read_csv
from app.funding.ledger import funding_dashboard
from app.plans.models import Plan
from app.plans.queries import local_today
from app.tally.queries import tally_plan
from tests.conftest import DATA, sign_in_staff

EAST, WEST = "东区", "西区"


def add_plan(cid: int, phase: str, *, voters: float = 0.0, pay: bool = False) -> int:
    """The example plan (5 items) in `phase`; while voting, a share of households vote and
    pledge; `pay` records one payment. Runs inside a request context; returns the plan id."""
    from app.funding.payments import record_payment
    from app.plans.items import import_plan
    from app.plans.planfile import parse_plan_file
    from app.plans.queries import items_for_household
    from app.plans.workflow import set_phase
    from app.voting.operations import cast_online_ballot

    community = db.session.get(Community, cid)
    with open(os.path.join(DATA, "plan-example.json"), encoding="utf-8") as fh:
        raw = json.load(fh)
    today = local_today()
    raw["community"] = community.name
    raw["phases"] = {
        "proposals": {"opens": str(today - timedelta(days=30)), "closes": None},
        "drafting": {"opens": None, "closes": str(today + timedelta(days=3))},
        "voting": {
            "opens": str(today - timedelta(days=1)),
            "closes": str(today + timedelta(days=9 + cid)),
        },
    }
    if phase in ("proposals", "drafting"):
        raw["phases"]["voting"] = {"opens": None, "closes": None}
    plan = import_plan(community, parse_plan_file(json.dumps(raw).encode()))
    plan.title = f"{community.name}改造方案"
    if phase == "proposals":
        db.session.flush()
        return plan.id
    set_phase(plan, "drafting")
    if phase == "drafting":
        return plan.id
    set_phase(plan, "voting")
    rng = random.Random(cid)
    households = db.session.scalars(
        select(Household).where(Household.community_id == cid).order_by(Household.id)
    ).all()
    for household in households:
        if rng.random() >= voters:
            continue
        items = items_for_household(plan, household)
        choices = {
            i.id: rng.choice(("agree", "agree", "agree", "oppose", "abstain")) for i in items
        }
        pledges = {i for i, c in choices.items() if c == "agree" and rng.random() < 0.7}
        cast_online_ballot(plan, household, choices, pledges, f"t-{household.id}")
    if pay:
        item = plan.items[0]
        record_payment(
            plan,
            households[-1],
            item,
            amount_fen=12345,
            paid_on=today,
            method="cash",
            receipt_no="R-1",
        )
    if phase in ("published", "closed"):
        set_phase(plan, "published")
    if phase == "closed":
        set_phase(plan, "closed")
    return plan.id


@pytest.fixture
def city(app, factory):
    """Five communities in two districts: voting, drafting and no plan in 东区; published and
    proposals in 西区; plus the staff of every role."""
    shape = {"buildings": 3, "units": 2, "floors": 6}
    ids = {
        "甲": factory.community("甲小区", EAST, **shape),
        "乙": factory.community("乙小区", EAST, buildings=3, units=2, floors=1),
        "丙": factory.community("丙小区", EAST, buildings=1, units=1, floors=2),
        "丁": factory.community("丁小区", WEST, **shape),
        "戊": factory.community("戊小区", WEST, buildings=3, units=2, floors=1),
        "己": factory.community("己小区", WEST, buildings=3, units=2, floors=1),
    }
    with app.test_request_context():
        add_plan(ids["甲"], "voting", voters=0.75, pay=True)
        add_plan(ids["乙"], "drafting")
        add_plan(ids["丁"], "published", voters=0.5)
        add_plan(ids["戊"], "proposals")
        # One floor: the elevator's floor table (floors 1-2 pay 0) cannot split its part, so
        # it has no stored shares and the plan's funds go through funding_totals.
        add_plan(ids["己"], "voting", voters=0.9)
        db.session.commit()
    factory.user("admin", "admin")
    factory.user("east", "district", district=EAST)
    factory.user("west", "district", district=WEST)
    factory.user("worker", "worker", communities=[ids["甲"]])
    factory.user("committee", "committee", communities=[ids["甲"]])
    return ids


def signed_in(app, username):
    """A test client signed in as the staff user."""
    client = app.test_client()
    sign_in_staff(client, username)
    return client


def listed(html: str) -> list[str]:
    """Community names of the overview's rows, in page order."""
    return re.findall(r'<tr data-community="\d+">\s*<th scope="row" class="community-name head">'
                      r'(?:<a href="[^"]*">)?([^<]+)', html)  # fmt: skip


def row_text(html: str, cid: int) -> str:
    """The visible text of one community's row."""
    match = re.search(rf'<tr data-community="{cid}">(.*?)</tr>', html, re.S)
    assert match, cid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def pct(value: Fraction | None) -> str:
    """A ratio as the page shows it (the `pct` filter)."""
    rounded = percent_value(value)
    return "—" if rounded is None else f"{rounded * 100:.1f}%"


def yuan(fen: int) -> str:
    """Fen as the page and the CSV show yuan."""
    from app.rules.money import format_fen

    return format_fen(fen)


# --- figures ------------------------------------------------------------------------------


@pytest.mark.slow
def test_rows_equal_tally_plan_and_funding_dashboard(app, city):
    with app.test_request_context():
        communities = db.session.scalars(select(Community).order_by(Community.name)).all()
        today = local_today()
        rows = {r.name: r for r in community_rows(communities, today)}
        assert rows["丙小区"].phase is None and rows["丙小区"].phase_name == "未建方案"
        assert rows["丙小区"].households == 4 and rows["丙小区"].required_fen == 0
        assert rows["乙小区"].phase == "drafting" and not rows["乙小区"].tallied
        assert rows["乙小区"].turnout is None and rows["乙小区"].required_fen > 0
        checked = 0
        for community in communities:
            row = rows[community.name]
            plan = db.session.scalar(select(Plan).where(Plan.community_id == community.id))
            if plan is None:
                continue
            assert (row.plan_id, row.plan_title, row.phase) == (plan.id, plan.title, plan.phase)
            assert row.items_total == len(plan.items) == 5
            dashboard = funding_dashboard(plan)
            total = dashboard.total
            if plan.phase in ("proposals", "drafting"):
                # Before voting: the residents' parts the dashboard lists per item (the draft's
                # ask; an item whose split fails, e.g. 1-floor estate's elevator, still asks).
                asked = sum(i.residents_fen for i in dashboard.items if i.residents_fen)
                assert row.required_fen == asked and (row.pledged_fen, row.paid_fen) == (0, 0)
                assert row.pledge_rate is None
                continue
            assert (row.required_fen, row.pledged_fen, row.paid_fen) == (
                total.required_fen,
                total.pledged_fen,
                total.paid_fen,
            )
            assert row.pledge_rate == total.money_rate
            if plan.phase in ("voting", "published"):
                tally = tally_plan(plan, today)
                assert row.tallied and row.provisional == tally.provisional
                assert row.electorate_households == tally.community.electorate.households
                assert row.voted_households == tally.community.participating.households
                assert row.area_turnout == Fraction(tally.community.participating.area) / Fraction(
                    tally.community.electorate.area
                )
                assert row.items_passed == sum(r.tally.passed for r in tally.items)
                checked += 1
        assert checked == 3
        voting, published = rows["甲小区"], rows["丁小区"]
        assert voting.provisional and not published.provisional
        assert voting.voted_households > 0 and voting.pledged_fen > 0
        assert voting.paid_fen == 12345
        assert voting.phase_closes == plan_closes(city["甲"])


@pytest.mark.slow
def test_batched_funds_equal_each_plans_own_sums(app, city):
    from app.district.funds import funding_totals, plans_funding, stored_item_sums
    from app.plans.queries import current_plan

    with app.test_request_context():
        plans = [current_plan(city[k]) for k in ("甲", "丁", "己")]
        batched = plans_funding(plans)
        assert batched == {plan.id: funding_totals(plan) for plan in plans}
        assert batched[plans[0].id][1] > 0 and batched[plans[0].id][2] == 12345
        # 己's elevator could not be split when voting opened: no stored shares, so its plan
        # took the per-plan path; 甲's items all have theirs and were summed in the database.
        required, _pledged, _paid = stored_item_sums([i.id for p in plans for i in p.items])
        elevator = next(i for i in plans[2].items if i.key == "B1")
        assert elevator.id not in required
        assert all(i.id in required for i in plans[0].items)


def plan_closes(cid):
    """The voting closing day of the community's plan."""
    return db.session.scalar(select(Plan.voting_closes).where(Plan.community_id == cid))


# --- tenancy ------------------------------------------------------------------------------


@pytest.mark.slow
def test_district_staff_see_only_their_district_whatever_they_ask(app, city):
    client = signed_in(app, "east")
    for url in (
        "/district",
        "/district?district=西区",
        "/district?q=丁",
        "/district?phase=published",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "丁小区" not in html and "戊小区" not in html, url
    html = client.get("/district?district=西区").get_data(as_text=True)
    assert listed(html) == ["丙小区", "乙小区", "甲小区"]  # name order (Unicode)
    assert 'name="district"' not in html  # no district select for district staff
    assert "全市合计" not in html
    _head, _labels, data = read_csv(client.get("/district/overview.csv?district=西区").data)
    assert sorted(r[0] for r in data) == ["丙小区", "乙小区", "甲小区"]
    # the community overview a name links to opens for district staff
    assert f'href="/c/{city["甲"]}/"' in html
    assert client.get(f"/c/{city['甲']}/").status_code == 200
    assert client.get(f"/c/{city['丁']}/").status_code == 404


@pytest.mark.slow
def test_district_account_without_district_sees_nothing(app, city, factory):
    from app.accounts.models import User

    uid = factory.user("nowhere", "district", district="东区")
    with app.app_context():  # accounts refuse this; an old or edited row may still have it
        db.session.get(User, uid).district = ""
        db.session.commit()
    html = signed_in(app, "nowhere").get("/district").get_data(as_text=True)
    assert listed(html) == []


@pytest.mark.slow
def test_admin_sees_the_city_with_district_totals(app, city):
    client = signed_in(app, "admin")
    html = client.get("/district").get_data(as_text=True)
    assert len(listed(html)) == 6 and 'name="district"' in html
    assert "全市合计" in html and "全市" in html
    html = client.get("/district?district=西区").get_data(as_text=True)
    assert listed(html) == ["丁小区", "己小区", "戊小区"]
    assert "全市合计" not in html


@pytest.mark.slow
@pytest.mark.parametrize("role", ["worker", "committee"])
def test_worker_and_committee_get_403(app, city, role):
    client = signed_in(app, role)
    for url in ("/district", "/district/overview.csv", "/district/overview.xlsx"):
        assert client.get(url).status_code == 403, url


@pytest.mark.slow
def test_anonymous_is_sent_to_sign_in(app, city):
    response = app.test_client().get("/district")
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]


@pytest.mark.slow
def test_staff_home_links_the_overview_for_district_and_admin_only(app, city):
    for username, shown in (("admin", True), ("east", True), ("worker", False)):
        html = signed_in(app, username).get("/staff/").get_data(as_text=True)
        assert ('href="/district"' in html) is shown, username


# --- page figures, filters, sorts, paging -------------------------------------------------


@pytest.mark.slow
def test_page_shows_the_rows_figures(app, city):
    client = signed_in(app, "admin")
    html = client.get("/district").get_data(as_text=True)
    with app.test_request_context():
        communities = db.session.scalars(select(Community)).all()
        rows = {r.community_id: r for r in community_rows(communities, local_today())}
    for cid, row in rows.items():
        text = row_text(html, cid)
        assert row.name in text and row.phase_name in text
        if row.has_plan:
            assert yuan(row.required_fen) in text and pct(row.pledge_rate) in text
        if row.tallied:
            assert pct(row.turnout) in text
            assert f"{row.voted_households}/{row.electorate_households}" in text
            assert f"{row.items_passed}/{row.items_total}" in text
    assert "暂计" in row_text(html, city["甲"]) and "暂计" not in row_text(html, city["丁"])


@pytest.mark.slow
def test_filters_by_phase_and_name(app, city):
    client = signed_in(app, "admin")

    def names(url):
        return listed(client.get(url).get_data(as_text=True))

    assert names("/district?phase=voting") == ["己小区", "甲小区"]
    assert names("/district?phase=none") == ["丙小区"]
    assert names("/district?phase=published") == ["丁小区"]
    assert names("/district?q=乙") == ["乙小区"]
    assert names("/district?q=%25") == []  # no LIKE wildcard
    assert names("/district?district=东区&phase=drafting") == ["乙小区"]
    assert len(names("/district?phase=bogus")) == 6


@pytest.mark.slow
def test_sorts_ascending_and_descending_with_unknowns_last(app, city):
    client = signed_in(app, "admin")
    with app.test_request_context():
        rows = community_rows(db.session.scalars(select(Community)).all(), local_today())
    by = {r.name: r for r in rows}
    tallied = sorted((n for n in by if by[n].tallied), key=lambda n: by[n].turnout)
    untallied = sorted(n for n in by if not by[n].tallied)
    asc = listed(client.get("/district?sort=turnout").get_data(as_text=True))
    desc = listed(client.get("/district?sort=turnout&desc=1").get_data(as_text=True))
    assert asc == tallied + untallied
    assert desc == tallied[::-1] + untallied
    phase = listed(client.get("/district?sort=phase").get_data(as_text=True))
    assert phase == ["丙小区", "戊小区", "乙小区", "己小区", "甲小区", "丁小区"]
    closes = listed(client.get("/district?sort=closes&desc=1").get_data(as_text=True))
    assert closes == ["己小区", "甲小区", "乙小区", "丁小区", "丙小区", "戊小区"]  # no day: last
    rate = listed(client.get("/district?sort=pledge_rate&desc=1").get_data(as_text=True))
    assert rate[-3:] == ["丙小区", "乙小区", "戊小区"]  # no rate before voting: last, by name
    name_desc = listed(client.get("/district?sort=name&desc=1").get_data(as_text=True))
    assert name_desc == sorted(by, reverse=True)
    html = client.get("/district?sort=turnout").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html and "sort=turnout&amp;desc=1" in html


@pytest.mark.slow
def test_many_communities_are_paged_by_fifty(app, city, factory):
    for n in range(50):
        factory.community(f"东区第{n:02d}小区", EAST, roster=False)
    client = signed_in(app, "east")
    first = client.get("/district").get_data(as_text=True)
    second = client.get("/district?page=2").get_data(as_text=True)
    assert len(listed(first)) == 50 and len(listed(second)) == 3
    assert "第 1 / 2 页，共 53 条" in first
    assert set(listed(first)).isdisjoint(listed(second))
    assert len(listed(client.get("/district?page=99").get_data(as_text=True))) == 3
    # the summary counts every community, not only the page's
    assert re.search(r"<th scope=\"row\"[^>]*>东区</th><td class=\"n\"[^>]*>53</td>", second)


# --- export -------------------------------------------------------------------------------


@pytest.mark.slow
def test_csv_export_matches_the_page_and_is_audited(app, city):
    client = signed_in(app, "east")
    html = client.get("/district?sort=turnout&desc=1").get_data(as_text=True)
    response = client.get("/district/overview.csv?sort=turnout&desc=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    heading, labels, data = read_csv(response.data)
    assert heading[0] == ["小区改造进度总览"]
    assert ["范围", EAST] in heading and heading[-1][0] == "导出人"
    assert [r[0] for r in data] == listed(html)
    col = {label: i for i, label in enumerate(labels)}
    with app.test_request_context():
        rows = {r.name: r for r in community_rows(db.session.scalars(select(Community)).all(),
                                                   local_today())}  # fmt: skip
    for line in data:
        row = rows[line[0]]
        text = row_text(html, row.community_id)
        assert line[col["阶段"]] == row.phase_name and row.phase_name in text
        assert line[col["户数"]] == str(row.households)
        if row.has_plan:
            assert line[col["居民应筹（元）"]] == f"{Decimal(row.required_fen) / 100:.2f}"
            assert yuan(row.required_fen) in text
        if row.tallied:
            shown = Decimal(line[col["投票率（户）"]].rstrip("%"))
            assert pct(row.turnout) == f"{shown:.1f}%" or pct(row.turnout) in text
            assert line[col["已投票户数"]] == str(row.voted_households)
            assert line[col["通过项目"]] == str(row.items_passed)
        else:
            assert line[col["投票率（户）"]] == ""
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert event.record_type == "district" and event.community_id is None
        assert event.record_id == EAST and event.actor
        assert event.after_data["rows"] == 3 + 1 and event.after_data["format"] == "csv"


@pytest.mark.slow
def test_xlsx_export_has_communities_and_district_totals(app, city):
    from openpyxl import load_workbook

    client = signed_in(app, "admin")
    html = client.get("/district?phase=voting").get_data(as_text=True)
    response = client.get("/district/overview.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["各小区", "分区汇总", "决算与设计变更"]
    sheet = [list(r) for r in book["各小区"].iter_rows(values_only=True)]
    assert sheet[1][:2] == ["范围", "全市"]
    header = sheet.index(next(r for r in sheet if r and r[0] == "小区"))
    names = [r[0] for r in sheet[header + 1 :]]
    assert names == listed(signed_in(app, "admin").get("/district").get_data(as_text=True))
    labels = sheet[header]
    with app.test_request_context():
        rows = {r.name: r for r in community_rows(db.session.scalars(select(Community)).all(),
                                                   local_today())}  # fmt: skip
    for values in sheet[header + 1 :]:
        cells = dict(zip(labels, values, strict=True))
        row = rows[cells["小区"]]
        pledged = cells["已承诺（元）"]
        assert (None if pledged is None else Decimal(str(pledged))) == (
            (Decimal(row.pledged_fen) / 100) if row.tallied else None
        )
        rate = cells["承诺率"]
        assert (None if rate is None else Decimal(str(rate))) == percent_value(row.pledge_rate)
    summary = [list(r) for r in book["分区汇总"].iter_rows(values_only=True)]
    districts = {r[0]: r for r in summary if r and r[0] in (EAST, WEST, "全市合计")}
    assert districts[EAST][1] == 3 and districts[WEST][1] == 3 and districts["全市合计"][1] == 6
    assert listed(html) == ["己小区", "甲小区"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert event.record_id is None and event.after_data["format"] == "xlsx"


@pytest.mark.slow
def test_filtered_export_names_its_filters(app, city):
    client = signed_in(app, "admin")
    heading, _labels, data = read_csv(
        client.get("/district/overview.csv?district=西区&phase=proposals&q=戊").data
    )
    assert ["范围", WEST] in heading and ["阶段", "征集意见（一上）"] in heading
    assert ["搜索", "戊"] in heading and [r[0] for r in data] == ["戊小区"]


# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.slow
def test_overview_communities_scopes_by_role(app, city):
    from app.accounts.models import User

    with app.test_request_context():
        east = db.session.scalar(select(User).where(User.username == "east"))
        names = [c.name for c in overview_communities(east, district=WEST)]
        assert names == []  # the view never passes another district; the query still scopes


row_strategy = st.builds(
    CommunityRow,
    community_id=st.integers(1, 10**6),
    name=st.text(min_size=1, max_size=4),
    district=st.sampled_from(["", "东区", "西区", "南区"]),
    street=st.just(""),
    households=st.integers(0, 500),
    phase=st.sampled_from([None, "proposals", "drafting", "voting", "published", "closed"]),
    tallied=st.booleans(),
    electorate_households=st.integers(0, 500),
    voted_households=st.integers(0, 500),
    electorate_area_centi=st.integers(0, 10**7),
    voted_area_centi=st.integers(0, 10**7),
    items_total=st.integers(0, 20),
    items_passed=st.integers(0, 20),
    required_fen=st.integers(0, 10**9),
    pledged_fen=st.integers(0, 10**9),
    paid_fen=st.integers(0, 10**9),
)


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(st.lists(row_strategy, max_size=30))
def test_district_summary_equals_a_naive_sum(rows):
    summary = district_summary(rows)
    assert [t.district for t in summary.districts] == sorted({r.district for r in rows})
    for totals in [*summary.districts, summary.total]:
        mine = [r for r in rows if totals is summary.total or r.district == totals.district]
        tallied = [r for r in mine if r.tallied]
        assert totals.communities == len(mine)
        assert totals.with_plan == len([r for r in mine if r.phase])
        assert totals.in_voting == len([r for r in mine if r.phase == "voting"])
        assert totals.published == len([r for r in mine if r.phase in ("published", "closed")])
        assert totals.households == sum(r.households for r in mine)
        voted = sum(r.voted_households for r in tallied)
        electorate = sum(r.electorate_households for r in tallied)
        assert totals.voted_households == voted
        assert totals.turnout == (Fraction(voted, electorate) if electorate else None)
        area = sum(r.electorate_area_centi for r in tallied)
        assert totals.area_turnout == (
            Fraction(sum(r.voted_area_centi for r in tallied), area) if area else None
        )
        assert totals.items_passed == sum(r.items_passed for r in mine)
        assert totals.items_total == sum(r.items_total for r in mine)
        required = sum(r.required_fen for r in tallied)  # drafts' asks are not owed yet
        pledged = sum(r.pledged_fen for r in tallied)
        assert (totals.required_fen, totals.pledged_fen) == (required, pledged)
        assert totals.paid_fen == sum(r.paid_fen for r in tallied)
        assert totals.pledge_rate == (Fraction(pledged, required) if required else None)
    assert sum(t.communities for t in summary.districts) == summary.total.communities


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(
    st.lists(row_strategy, max_size=20),
    st.sampled_from(["name", "turnout", "pledge_rate", "phase", "closes"]),
    st.booleans(),
)
def test_sort_rows_orders_known_values_and_puts_unknowns_last(rows, key, descending):
    from app.district.listing import _sort_value

    ordered = sort_rows(rows, key, descending)
    assert sorted(map(id, ordered)) == sorted(map(id, rows))
    values = [_sort_value(r, key) for r in ordered]
    known = [v for v in values if v is not None]
    assert values[: len(known)] == known  # unknowns only at the end
    assert known == sorted(known, reverse=descending)
