"""Publication (二下): preliminary result, objection period, objections resolved, final result."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.paper.operations import record_delivery
from app.plans.models import Plan
from app.plans.queries import local_today
from app.tally.models import Objection
from app.tally.operations import (
    publish_final,
    publish_preliminary,
    record_objection,
    resolve_objection,
)
from tests.conftest import post_form, sign_in_staff
from tests.tally.conftest import TODAY


def events(action):
    """Audit events with this action, decoded."""
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    return [json.loads(e.after) for e in rows]


@pytest.fixture
def closed_plan(estate):
    """A plan whose voting ended yesterday (TODAY), one item, one agreeing household."""
    plan = estate.plan(voting_closes=TODAY - timedelta(days=1), objection_days=7)
    estate.item(plan, "A1", rule="cc278_ordinary")
    estate.ballot(plan, estate.household("80"), {"A1": "agree"})
    return plan


def test_preliminary_result_is_refused_while_voting_is_open(estate):
    plan = estate.plan()
    estate.item(plan, "A1")
    with pytest.raises(DomainError, match="表决结束后"):
        publish_preliminary(plan, TODAY)


def test_preliminary_result_after_voting_closed_starts_the_objection_period(closed_plan):
    publish_preliminary(closed_plan, TODAY)
    assert (closed_plan.phase, closed_plan.result_stage) == ("published", "preliminary")
    assert closed_plan.objections_close == TODAY + timedelta(days=7)
    assert closed_plan.preliminary_published_at is not None
    (event,) = events("result.publish_preliminary")
    assert event["result"]["items"]["A1"]["passed"] is True
    assert event["objections_close"] == (TODAY + timedelta(days=7)).isoformat()


def test_voting_closed_early_may_be_published(estate):
    plan = estate.plan(voting_closed_at=datetime(2026, 4, 19, 10))
    estate.item(plan, "A1")
    publish_preliminary(plan, TODAY)
    assert plan.result_stage == "preliminary"


def test_paper_ballots_awaiting_entry_block_publication(closed_plan, estate):
    estate.paper_entry(closed_plan, estate.household("60"), "mismatch")
    with pytest.raises(DomainError, match="等待录入或复核"):
        publish_preliminary(closed_plan, TODAY)
    assert closed_plan.phase == "voting"


def test_objections_are_resolved_before_the_final_result(closed_plan, estate):
    publish_preliminary(closed_plan, TODAY)
    item = closed_plan.items[0]
    h = estate.household("70")
    objection = record_objection(closed_plan, "  面积登记有误  ", item=item, household=h)
    assert objection.text == "面积登记有误" and objection.item_id == item.id
    after_period = closed_plan.objections_close + timedelta(days=1)
    with pytest.raises(DomainError, match="公示期到"):
        publish_final(closed_plan, closed_plan.objections_close)
    with pytest.raises(DomainError, match="1 条异议没有处理"):
        publish_final(closed_plan, after_period)
    with pytest.raises(DomainError, match="处理结果"):
        resolve_objection(objection, "   ")
    resolve_objection(objection, "已核对房产证，面积无误。")
    with pytest.raises(DomainError, match="已经处理过"):
        resolve_objection(objection, "again")
    publish_final(closed_plan, after_period)
    assert closed_plan.result_stage == "final" and closed_plan.final_published_at
    assert events("objection.record")[0]["text"] == "面积登记有误"
    assert events("objection.resolve")[0]["resolution"] == "已核对房产证，面积无误。"
    # The roster gained the objector's household after the preliminary result: 1 of 2 took part.
    assert events("result.publish_final")[0]["result"]["items"]["A1"]["electorate"] == [
        "2",
        "150.00",
    ]
    with pytest.raises(DomainError, match="公示期间"):
        record_objection(closed_plan, "太晚了")


def test_objection_needs_text_and_an_own_item(closed_plan, estate):
    publish_preliminary(closed_plan, TODAY)
    with pytest.raises(DomainError, match="异议内容"):
        record_objection(closed_plan, " ")
    other = estate.plan()
    with pytest.raises(DomainError, match="不属于本方案"):
        record_objection(closed_plan, "x", item=estate.item(other, "Z9"))


def test_final_result_needs_a_preliminary_one(closed_plan):
    with pytest.raises(DomainError, match="公示期间"):
        publish_final(closed_plan, TODAY)


def test_delivery_only_during_voting_and_once(estate):
    plan = estate.plan()
    h = estate.household("60")
    record_delivery(plan, h, "family")
    with pytest.raises(DomainError, match="已经登记过"):
        record_delivery(plan, h, "family")
    with pytest.raises(DomainError, match="送达方式"):
        record_delivery(plan, estate.household("61"), "carrier pigeon")
    plan.phase = "published"
    with pytest.raises(DomainError, match="表决期间"):
        record_delivery(plan, estate.household("62"), "mailbox")


def test_publication_pages_walk_through_both_stages(app, client, build, factory):
    with build() as estate:
        today = local_today()
        plan = estate.plan(voting_opens=today - timedelta(9), voting_closes=today - timedelta(1))
        item = estate.item(plan, "A1", rule="cc278_ordinary", title="外墙保温")
        estate.ballot(plan, estate.household("80", building="2号楼", room="301"), {"A1": "agree"})
        cid, pid, item_id = estate.cid, plan.id, item.id
    factory.user("worker1", "worker", communities=[cid])
    factory.user("district1", "district", district="滨城区")
    page = f"/c/{cid}/plans/{pid}/publication"

    sign_in_staff(client, "district1")
    assert "公示表决结果" not in client.get(page).get_data(as_text=True)  # may look, not act
    denied = post_form(client, f"/c/{cid}/plans/{pid}/publish/preliminary", form_page=page)
    assert denied.status_code == 403
    client.post("/signout")

    sign_in_staff(client, "worker1")
    assert "公示表决结果" in client.get(page).get_data(as_text=True)
    asked = post_form(client, f"/c/{cid}/plans/{pid}/publish/preliminary", form_page=page)
    asked_html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认公示" in asked_html and "异议期" in asked_html
    with app.app_context():
        assert db.session.get(Plan, pid).result_stage is None  # only asked, nothing published
    post_form(
        client, f"/c/{cid}/plans/{pid}/publish/preliminary", {"confirmed": "1"}, form_page=page
    )
    html = client.get(page).get_data(as_text=True)
    assert "结果已公示" in html and "登记异议" in html
    response = post_form(
        client,
        f"/c/{cid}/plans/{pid}/objections",
        {"item_id": item_id, "address": "2号楼 1单元 301", "text": "对面积有疑问"},
        form_page=page,
    )
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "对面积有疑问" in html and "2号楼1单元301" in html and "异议已登记" in html
    missing = post_form(
        client, f"/c/{cid}/plans/{pid}/objections",
        {"item_id": 0, "address": "9号楼301", "text": "x"}, form_page=page,
    )  # fmt: skip
    assert missing.status_code == 422
    assert "找不到住户" in missing.get_data(as_text=True)
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id))
    post_form(
        client,
        f"/c/{cid}/plans/{pid}/objections/resolve",
        {"objection_id": objection_id, "resolution": "已复核，无误"},
        form_page=page,
    )
    html = client.get(page).get_data(as_text=True)
    assert "已复核，无误" in html
    post_form(client, f"/c/{cid}/plans/{pid}/publish/final", {"confirmed": "1"}, form_page=page)
    assert "之后才能公布最终结果" in client.get(page).get_data(as_text=True)
    with app.app_context():
        db.session.get(Plan, pid).objections_close = today - timedelta(days=1)
        db.session.commit()
    asked = post_form(client, f"/c/{cid}/plans/{pid}/publish/final", form_page=page)
    assert "确认公布最终结果" in asked.get_data(as_text=True)
    post_form(client, f"/c/{cid}/plans/{pid}/publish/final", {"confirmed": "1"}, form_page=page)
    assert "最终结果已公布" in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Plan, pid).result_stage == "final"


def test_objection_takes_the_room_shorthand_and_keeps_the_text_on_any_error(
    app, client, build, factory
):
    with build() as estate:
        today = local_today()
        plan = estate.plan(voting_opens=today - timedelta(9), voting_closes=today - timedelta(1))
        item = estate.item(plan, "A1", rule="cc278_ordinary", title="外墙保温")
        h = estate.household("80", building="3号楼", unit="2单元", room="501")
        estate.household("70", building="3号楼", unit="1单元", room="501")
        estate.ballot(plan, h, {"A1": "agree"})
        cid, pid, item_id, hid = estate.cid, plan.id, item.id, h.id
    factory.user("worker1", "worker", communities=[cid])
    sign_in_staff(client, "worker1")
    page = f"/c/{cid}/plans/{pid}/publication"
    post_form(
        client, f"/c/{cid}/plans/{pid}/publish/preliminary", {"confirmed": "1"}, form_page=page
    )
    url = f"/c/{cid}/plans/{pid}/objections"
    typed = "我家面积登记错了，应为 82.5 平方米"

    def send(address, text=typed):
        data = {"item_id": item_id, "address": address, "text": text}
        return post_form(client, url, data, form_page=page)

    for address, words in (("9-9-999", "找不到住户"), ("3-501", "对应不止一户")):
        refused = send(address)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and words in html
        assert typed in html and f'value="{address}"' in html  # nothing typed is lost
        assert f'<option selected value="{item_id}"' in html or (
            f'value="{item_id}" selected' in html
        )
    empty = send("3-2-501", text="")
    assert empty.status_code == 422 and 'value="3-2-501"' in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Objection.id)) is None
    assert send("3-2-501").status_code == 302
    with app.app_context():
        objection = db.session.scalar(select(Objection))
        assert (objection.household_id, objection.text) == (hid, typed)
