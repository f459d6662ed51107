"""Voting on a phone: choose, confirm, receipt; change; refusals; idempotent double submit."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.plans.models import Item, Plan
from app.voting.models import Ballot, BallotChoice, EffectiveBallot
from tests.plans.conftest import example, household_id  # noqa: F401

ELEVATOR_UNIT = ("3号楼", "2单元", "301")
OTHER = ("1号楼", "1单元", "101")


def signed_in(app, factory, cid, address):
    """A client signed in as the household at `address`."""
    codes = factory.codes(cid)
    client = app.test_client()
    assert client.get(f"/h/{codes[address]}").status_code == 302
    return client


def item_ids(app, plan_id):
    with app.app_context():
        query = select(Item.key, Item.id).where(Item.plan_id == plan_id)
        return dict(db.session.execute(query).all())


def token(client, url="/vote"):
    return re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)
    ).group(1)


def choose(client, picks, pledges=()):
    """POST the ballot form; returns the confirmation page response."""
    data = {"csrf_token": token(client)}
    data.update({f"item-{i}": c for i, c in picks.items()})
    data.update({f"pledge-{i}": "yes" for i in pledges})
    return client.post("/vote", data=data)


def confirmation_data(confirmation) -> dict:
    """The fields of the confirmation form as the page renders them."""
    html = confirmation.get_data(as_text=True)
    form = html[html.index('action="/vote/confirm"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'name="([^"]+)"(?: type="hidden")? value="([^"]*)"', form))


def confirm(client, confirmation):
    """POST the confirmation form exactly as the page renders it."""
    data = confirmation_data(confirmation)
    return client.post("/vote/confirm", data=data), data


def ballots(app, plan_id):
    with app.app_context():
        return db.session.scalars(
            select(Ballot).where(Ballot.plan_id == plan_id).order_by(Ballot.id)
        ).all()


def test_ballot_shows_only_items_in_scope_with_shares(app, factory, example):  # noqa: F811
    cid, _pid = example()
    html = signed_in(app, factory, cid, ELEVATOR_UNIT).get("/vote").get_data(as_text=True)
    for key in ("A1", "B1", "B2", "C1"):
        assert f'<span class="key">{key}</span>' in html
    assert '<span class="key">A2</span>' not in html  # buildings 1 and 2 only
    assert "您家需出资" in html
    other = signed_in(app, factory, cid, OTHER).get("/vote").get_data(as_text=True)
    assert '<span class="key">B1</span>' not in other and '<span class="key">A2</span>' in other


def test_choose_confirm_receipt_and_change(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    picks = {ids["A1"]: "agree", ids["A2"]: "oppose", ids["B2"]: "abstain", ids["C1"]: "agree"}
    page = choose(client, picks, pledges=[ids["A1"]])
    assert page.status_code == 200 and "请确认您的选择" in page.get_data(as_text=True)
    assert ballots(app, pid) == []  # nothing recorded before confirmation
    response, _ = confirm(client, page)
    assert response.status_code == 303
    receipt_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "您的表决已记录" in receipt_page and "目前有效的一票" in receipt_page
    first = ballots(app, pid)
    assert len(first) == 1
    with app.app_context():
        stored = {
            c.item_id: (c.choice, c.pledge)
            for c in db.session.scalars(
                select(BallotChoice).where(BallotChoice.ballot_id == first[0].id)
            )
        }
    assert stored[ids["A1"]] == ("agree", True) and stored[ids["A2"]] == ("oppose", False)

    # The ballot page shows the current choices; a change adds a version, the latest counts.
    assert 'value="oppose" checked' in client.get("/vote").get_data(as_text=True)
    picks[ids["A2"]] = "agree"
    confirm(client, choose(client, picks))
    versions = ballots(app, pid)
    assert len(versions) == 2 and versions[0].receipt != versions[1].receipt
    with app.app_context():
        effective = db.session.scalar(select(EffectiveBallot))
        assert effective.ballot_id == versions[1].id
        assert db.session.scalar(select(func.count(EffectiveBallot.id))) == 1


def test_double_submit_records_one_ballot(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    page = choose(client, {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")})
    first, data = confirm(client, page)
    second = client.post("/vote/confirm", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(ballots(app, pid)) == 1


def test_a_form_sent_again_after_voting_ended_finds_its_ballot(app, factory, example):  # noqa: F811
    """The resent form is answered with the receipt of what was recorded; a new one is refused."""
    from sqlalchemy import update

    from app.core.db import db_now

    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    first, data = confirm(
        client, choose(client, {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")})
    )
    with app.app_context():
        db.session.execute(update(Plan).where(Plan.id == pid).values(voting_ended_at=db_now()))
        db.session.commit()
    again = client.post("/vote/confirm", data=data)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    refused = client.post("/vote/confirm", data={**data, "submission_key": "another-form"})
    assert refused.status_code == 409
    assert len(ballots(app, pid)) == 1


def test_missing_item_is_asked_again(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    page = choose(client, {ids["A1"]: "agree"})
    assert "还有 3 个项目没有选择" in page.get_data(as_text=True)


def test_out_of_scope_item_is_refused_and_nothing_changes(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)  # building 1: B1 (3号楼2单元) is not theirs
    page = choose(client, {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")})
    data = confirmation_data(page)
    data[f"item-{ids['B1']}"] = "agree"
    data["submission_key"] = "tampered-1"
    response = client.post("/vote/confirm", data=data)
    assert response.status_code == 400
    assert "不属于您家表决范围" in response.get_data(as_text=True)
    assert ballots(app, pid) == []


@pytest.mark.parametrize("bad", [{"item-abc": "agree"}, {"item-{A1}": "maybe"}])
def test_tampered_form_is_refused(app, factory, example, bad):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    data = {f"item-{ids[k]}": "agree" for k in ("A1", "A2", "B2", "C1")}
    data.update({k.replace("{A1}", str(ids["A1"])): v for k, v in bad.items()})
    data["csrf_token"] = token(client)
    data["submission_key"] = "x"
    response = client.post("/vote/confirm", data=data)
    assert response.status_code == 400 and "表决内容无效" in response.get_data(as_text=True)
    assert ballots(app, pid) == []


def test_no_csrf_token_no_ballot(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    data = {f"item-{ids[k]}": "agree" for k in ("A1", "A2", "B2", "C1")}
    assert client.post("/vote/confirm", data=data).status_code == 400
    assert ballots(app, pid) == []


def test_refused_after_close(app, factory, example):  # noqa: F811
    from app.plans.queries import local_today

    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    page = choose(client, {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")})
    with app.app_context():
        plan = db.session.get(Plan, pid)
        plan.voting_closes = local_today() - timedelta(days=1)
        db.session.commit()
    response, _ = confirm(client, page)
    assert response.status_code == 409
    assert "表决已经结束" in response.get_data(as_text=True)
    assert ballots(app, pid) == []
    assert "现在不能表决" in client.get("/vote").get_data(as_text=True)


def test_paused_voting_and_revised_item_voids_its_choices(app, factory, example):  # noqa: F811
    from app.plans.items import revise_item
    from app.plans.workflow import close_voting, reopen_voting

    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    confirm(client, choose(client, {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")}))
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        close_voting(plan, "电梯报价调整")
        revise_item(db.session.get(Item, ids["A2"]), "更换管材", title="楼道污水及雨水管线更换")
        db.session.commit()
    assert "现在不能表决" in client.get("/vote").get_data(as_text=True)
    with app.test_request_context():
        reopen_voting(db.session.get(Plan, pid))
        db.session.commit()
    html = client.get("/vote").get_data(as_text=True)
    assert "此项已修改：更换管材" in html
    a2 = html[html.index(f'id="i{ids["A2"]}"') :]
    assert "checked" not in a2[: a2.index("</fieldset>")]  # the old choice no longer counts


def test_receipt_check_reveals_no_choices(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    response, _ = confirm(
        client, choose(client, {ids[k]: "oppose" for k in ("A1", "A2", "B2", "C1")})
    )
    receipt = response.headers["Location"].rsplit("/", 1)[1]
    anyone = app.test_client()
    page = anyone.get(f"/receipt?code={receipt[:5]}-{receipt[5:].lower()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已记录" in html and "会被计入" in html
    for word in ("反对", "oppose", "同意", "外墙"):
        assert word not in html.split("<main>")[1]
    assert anyone.get("/receipt?code=ZZZZZZZZZZ").status_code == 404


def test_superseded_receipt_says_so(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    picks = {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")}
    first, _ = confirm(client, choose(client, picks))
    confirm(client, choose(client, picks))
    old = first.headers["Location"].rsplit("/", 1)[1]
    html = app.test_client().get(f"/receipt?code={old}").get_data(as_text=True)
    assert "又在网上修改了表决" in html


def test_household_home_calls_to_vote(app, factory, example):  # noqa: F811
    cid, _pid = example()
    client = signed_in(app, factory, cid, OTHER)
    assert "去表决" in client.get("/home").get_data(as_text=True)


def test_draft_page_shows_scope_and_share(app, factory, example):  # noqa: F811
    from app.plans.queries import local_today

    with app.app_context():
        opens = local_today() + timedelta(days=5)
    cid, _pid = example(phase="drafting", opens=opens, closes=opens + timedelta(days=10))
    client = signed_in(app, factory, cid, ELEVATOR_UNIT)
    html = client.get("/plan").get_data(as_text=True)
    assert "3号楼2单元加装电梯" in html and "您家应出资" in html and "楼层" in html
    assert "现在不能表决" in client.get("/vote").get_data(as_text=True)


def test_ballot_page_weight(app, factory, example):  # noqa: F811
    """The ballot page's HTML and CSS fit in 14 KB gzipped; the whole page under 50 KB."""
    import gzip

    cid, _pid = example()
    client = signed_in(app, factory, cid, ELEVATOR_UNIT)
    html = client.get("/vote").get_data()
    css = client.get("/static/css/app.css").get_data()
    assert len(gzip.compress(html)) + len(gzip.compress(css)) < 14 * 1024
    assert len(html) + len(css) < 50 * 1024


def test_household_home_shows_the_receipt_of_the_ballot_that_counts(app, factory, example):  # noqa: F811
    cid, pid = example()
    ids = item_ids(app, pid)
    client = signed_in(app, factory, cid, OTHER)
    assert "回执码：" not in client.get("/home").get_data(as_text=True)
    picks = {ids[k]: "agree" for k in ("A1", "A2", "B2", "C1")}
    first, _ = confirm(client, choose(client, picks))
    second, _ = confirm(client, choose(client, picks))
    old = first.headers["Location"].rsplit("/", 1)[1]
    new = second.headers["Location"].rsplit("/", 1)[1]
    html = client.get("/home").get_data(as_text=True)
    assert f"{new[:5]}-{new[5:]}" in html and f"{old[:5]}-{old[5:]}" not in html
    assert f'href="/receipt?code={new}"' in html and "网上投票" in html
    check = app.test_client().get(f"/receipt?code={new}").get_data(as_text=True)
    assert "会被计入" in check
