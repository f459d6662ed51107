"""Sign-ups for opt-in items: online, at the door, refusals, the deadline, and that opt-in items
stay off the ballot and out of the count."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.voting.models import OptInSignup
from tests.conftest import post_form, sign_in_staff
from tests.optin.conftest import household_id, optin_plan  # noqa: F401

B3 = ("3号楼", "1单元", "101")
B1 = ("1号楼", "1单元", "101")


def signed_in(app, factory, cid, address):
    """A client signed in as the household at `address`."""
    client = app.test_client()
    assert client.get(f"/h/{factory.codes(cid)[address]}").status_code == 302
    return client


def answer(client, item_id, decision):
    page = client.get("/home").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(f"/optin/{item_id}", data={"csrf_token": token, "decision": decision})


def area_of(app, address):
    from app.communities.models import Household

    with app.app_context():
        return Decimal(db.session.get(Household, household_id(app, *address)).area_centi) / 100


def test_household_sees_its_price_and_signs_up_then_changes_its_mind(app, factory, optin_plan):  # noqa: F811
    cid, _pid, ids = optin_plan()
    client = signed_in(app, factory, cid, B3)
    page = client.get("/home").get_data(as_text=True)
    assert "户内自选项目" in page and "入户电线改造" in page and "更换入户门" in page
    assert "1,300.00 元" in page  # 1 800 − 500
    area = area_of(app, B3)
    door = int((Decimal(1235) * area).quantize(Decimal(1), rounding="ROUND_HALF_UP")) - 20_000
    assert f"{door // 100:,}.{door % 100:02d} 元" in page
    assert "还差 3 户报名" in page
    assert answer(client, ids["D1"], "join").status_code == 303
    assert answer(client, ids["D1"], "decline").status_code == 303
    page = client.get("/home").get_data(as_text=True)
    assert "本户目前的答复：<strong>不参加" in page
    with app.app_context():
        row = db.session.scalar(select(OptInSignup))
        assert (row.decision, row.channel) == ("decline", "online")
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "optin.signup")
        ).all()
        assert [e.after_data["decision"] for e in events] == ["join", "decline"]
        assert events[1].before_data == {"decision": "join", "channel": "online"}


def test_outside_the_scope_is_refused(app, factory, optin_plan):  # noqa: F811
    cid, _pid, ids = optin_plan()
    client = signed_in(app, factory, cid, B1)
    page = client.get("/home").get_data(as_text=True)
    assert "入户电线改造" in page and "更换入户门" not in page
    response = answer(client, ids["D2"], "join")
    assert response.status_code == 303
    assert "本户不在这个项目的范围内" in client.get("/home").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(OptInSignup)) is None


def test_refused_after_the_deadline(app, factory, optin_plan):  # noqa: F811
    from app.communities.models import Household
    from app.core.errors import DomainError
    from app.plans.models import Item, Plan
    from app.plans.queries import local_today
    from app.voting.optin import record_signup

    _cid, pid, ids = optin_plan()
    hid = household_id(app, *B1)
    with app.test_request_context():
        plan, item = db.session.get(Plan, pid), db.session.get(Item, ids["D1"])
        household = db.session.get(Household, hid)
        later = local_today() + timedelta(days=11)
        try:
            record_signup(plan, item, household, "join", channel="online", today=later)
        except DomainError as exc:
            assert "报名已于" in str(exc.reasons[0]) and "截止" in str(exc.reasons[0])
        else:
            raise AssertionError("a sign-up after the deadline was taken")
        # Its own deadline may run past the vote's close.
        item.signup_closes = local_today() + timedelta(days=20)
        record_signup(plan, item, household, "join", channel="online", today=later)
        # A voted item is not signed up for.
        a1 = db.session.scalar(select(Item).where(Item.plan_id == pid, Item.key == "A1"))
        try:
            record_signup(plan, a1, household, "join", channel="online")
        except DomainError as exc:
            assert "不是户内自选项目" in str(exc.reasons[0])
        else:
            raise AssertionError("a voted item took a sign-up")


def test_worker_records_at_the_door(app, factory, optin_plan):  # noqa: F811
    cid, pid, ids = optin_plan()
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    hid = household_id(app, *B3)
    url = f"/c/{cid}/plans/{pid}/optin/door?household={hid}"
    page = client.get(url).get_data(as_text=True)
    assert "更换入户门" in page and "备注" in page
    response = post_form(client, url, {"item": ids["D2"], "decision": "join", "note": "业主本人"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(OptInSignup))
        assert (row.decision, row.channel, row.note) == ("join", "door", "业主本人")
        assert row.recorded_by_id is not None
    # Committee members may look but not record.
    factory.user("c1", "committee", communities=[cid])
    other = app.test_client()
    sign_in_staff(other, "c1")
    assert other.get(url).status_code == 403


def test_opt_in_items_are_neither_on_the_ballot_nor_counted(app, factory, optin_plan):  # noqa: F811
    from app.plans.models import Plan
    from app.tally.document import tally_document
    from app.tally.queries import tally_plan

    cid, pid, _ids = optin_plan()
    client = signed_in(app, factory, cid, B3)
    page = client.get("/vote").get_data(as_text=True)
    assert "外墙保温" in page and "入户电线改造" not in page
    with app.test_request_context():
        doc = tally_document(tally_plan(db.session.get(Plan, pid)))
        assert {i["key"] for i in doc["items"]} == {"A1", "A2", "B1", "B2", "C1"}
