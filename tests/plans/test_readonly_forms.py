"""Forms that refuse up front: fields the phase has fixed are read-only with the reason, and a
value that would be ignored is refused with a message instead of being saved."""

import re

from sqlalchemy import select

from app.extensions import db
from app.plans.models import Item, Plan
from tests.conftest import post_form, sign_in_staff
from tests.plans.conftest import example  # noqa: F401


def _worker(app, factory, cid):
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    return client


def _disabled(html, name):
    tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html)
    assert tag, name
    return "disabled" in tag.group(0)


def test_objection_period_after_publication_is_read_only_and_refused(app, factory, example):  # noqa: F811
    from app.plans.workflow import end_voting
    from app.tally.operations import publish_preliminary

    cid, pid = example()
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        end_voting(plan, "结束")
        publish_preliminary(plan)
        db.session.commit()
        closes = plan.objections_close
    client = _worker(app, factory, cid)
    url = f"/c/{cid}/plans/{pid}/edit"
    html = client.get(url).get_data(as_text=True)
    assert _disabled(html, "objection_days") and "修改天数不会再起作用" in html
    assert _disabled(html, "conflict_policy") and not _disabled(html, "title")
    response = post_form(
        client, url, {"title": "改名", "objection_days": "0"}, follow_redirects=True
    )
    assert "修改天数不会再起作用" in response.get_data(as_text=True)
    with app.app_context():
        plan = db.session.get(Plan, pid)
        assert (plan.objection_days, plan.objections_close, plan.title) != (0, closes, "改名")
        assert plan.objection_days == 7


def test_counting_policies_are_read_only_once_voting_started(app, factory, example):  # noqa: F811
    cid, pid = example()
    client = _worker(app, factory, cid)
    url = f"/c/{cid}/plans/{pid}/edit"
    html = client.get(url).get_data(as_text=True)
    assert _disabled(html, "conflict_policy") and _disabled(html, "non_voter_policy")
    assert _disabled(html, "voting_opens") and not _disabled(html, "voting_closes")
    assert "表决开始后计票规则不能再改" in html
    # Saving the page as shown (disabled fields are not sent) changes only what may change.
    response = post_form(client, url, {"title": "新名字", "objection_days": "7"})
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.get(Plan, pid)
        assert plan.title == "新名字" and plan.conflict_policy == "paper_prevails"
        assert plan.paper_double_entry is True  # an unsent checkbox did not switch it off


def test_item_page_during_voting_says_why_it_cannot_be_edited(app, factory, example):  # noqa: F811
    cid, pid = example()
    client = _worker(app, factory, cid)
    with app.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.key == "A1"))
    html = client.get(f"/c/{cid}/plans/{pid}/items/{item_id}").get_data(as_text=True)
    assert "请先在方案页暂停表决" in html and _disabled(html, "title")
    assert "保存</button>" not in html


def test_rule_change_during_a_paused_vote_is_refused_before_saving(app, factory, example):  # noqa: F811
    from app.plans.workflow import close_voting

    cid, pid = example()
    with app.test_request_context():
        close_voting(db.session.get(Plan, pid), "修改说明")
        db.session.commit()
        item = db.session.scalar(select(Item).where(Item.key == "A1"))
        item_id, rule = item.id, item.rule
    client = _worker(app, factory, cid)
    url = f"/c/{cid}/plans/{pid}/items/{item_id}"
    html = client.get(url).get_data(as_text=True)
    assert _disabled(html, "rule") and _disabled(html, "key") and not _disabled(html, "title")
    assert "表决开始后不能再改" in html
    other = "cc278_ordinary" if rule != "cc278_ordinary" else "cc278_major"
    response = post_form(
        client,
        url,
        {"revision_reason": "写清楚", "title": "新标题", "rule": other},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "只能修改名称和说明" in body
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert (item.title, item.rule, item.revision) != ("新标题", other, 2)
        assert item.revision == 1
    # The page as shown (fixed fields not sent) revises the wording.
    post_form(client, url, {"revision_reason": "写清楚", "title": "新标题"})
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert (item.title, item.rule, item.revision) == ("新标题", rule, 2)
