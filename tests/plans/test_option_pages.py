"""The item's options pages (方案比选): add, edit, reorder, remove, the rule; 2-5; read-only once
voting opens; another community's ids answer 404."""

import re

from sqlalchemy import select

from app.extensions import db
from app.plans.models import FundingSource, Item, ItemOption, Plan
from tests.conftest import post_form, sign_in_staff
from tests.plans.conftest import example  # noqa: F401

OPTIONS_FILE = "plan-options-example.json"


def drafting(example):  # noqa: F811
    """The options example in drafting, voting some days ahead (so pages do not open it)."""
    from datetime import date, timedelta

    today = date.today()
    return example(
        "drafting",
        plan_file=OPTIONS_FILE,
        opens=today + timedelta(days=5),
        closes=today + timedelta(days=15),
    )


def worker_client(app, factory, cid, username="w1"):
    """A client signed in as a worker of the community."""
    factory.user(username, "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, username)
    return client


def _ids(app, plan_id, key="B1"):
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.plan_id == plan_id, Item.key == key))
        return item.id, {o.key: o.id for o in item.options}


def _options(app, item_id):
    with app.app_context():
        item = db.session.get(Item, item_id)
        return [(o.key, o.title, o.cost_fen) for o in item.options], item.option_rule


OPTION = {
    "key": "d",
    "title": "无机房电梯（节能型）",
    "description": "变频驱动。",
    "cost": "700,000",
    "amount_government": "200000",
    "share_method": "floor",
    "floor_coefficients": "1:0, 2:0, 3:1, 4:1.2, 5:1.4, 6：1.6",
}


def test_add_edit_reorder_and_remove_options(app, factory, example):  # noqa: F811
    cid, pid = drafting(example)
    client = worker_client(app, factory, cid)
    item_id, ids = _ids(app, pid)
    url = f"/c/{cid}/plans/{pid}/items/{item_id}/options"
    page = client.get(url).get_data(as_text=True)
    assert "方案a：无机房电梯（标准型）" in page and "添加方案" in page
    assert client.get(f"/c/{cid}/plans/{pid}/items/{item_id}").status_code == 200
    response = post_form(client, url, OPTION)
    assert response.status_code == 302, response.get_data(as_text=True)
    options, rule = _options(app, item_id)
    assert options[-1] == ("d", "无机房电梯（节能型）", 70000000) and rule == "plurality"
    with app.app_context():
        d = db.session.scalar(select(ItemOption).where(ItemOption.key == "d"))
        assert {(f.source, f.amount_fen, f.item_id) for f in d.funding} == {
            ("government", 20000000, item_id)
        }
        d_id = d.id
    # A fifth option is taken, a sixth refused: 2-5.
    assert post_form(client, url, {**OPTION, "key": "e", "title": "第五个"}).status_code == 302
    sixth = post_form(client, url, {**OPTION, "key": "f", "title": "第六个"})
    assert sixth.status_code == 422 and "最多 5 个方案" in sixth.get_data(as_text=True)
    with app.app_context():
        e_id = db.session.scalar(select(ItemOption.id).where(ItemOption.key == "e"))
    post_form(client, f"{url}/{e_id}/delete", {}, form_page=url)
    # A duplicate key, a mark word and funding above the cost are each named.
    bad = post_form(client, url, {**OPTION, "key": "a", "title": "反对", "amount_other": "900000"})
    text = bad.get_data(as_text=True)
    assert "方案编号 a 与方案 a 重复" in text and "不能是“反对”" in text
    # Edit d, then move it up, then remove b; positions follow.
    edit = post_form(client, f"{url}/{d_id}", {**OPTION, "cost": "720000"})
    assert edit.status_code == 302
    assert _options(app, item_id)[0][-1][2] == 72000000
    post_form(client, f"{url}/{d_id}/move", {"direction": "up"}, form_page=url)
    assert [o[0] for o in _options(app, item_id)[0]] == ["a", "b", "d", "c"]
    post_form(client, f"{url}/{ids['b']}/delete", {}, form_page=url)
    assert [o[0] for o in _options(app, item_id)[0]] == ["a", "d", "c"]
    with app.app_context():
        assert (
            db.session.scalar(select(FundingSource).where(FundingSource.option_id == ids["b"]))
            is None
        )
        assert [o.position for o in db.session.get(Item, item_id).options] == [0, 1, 2]
    post_form(client, f"{url}/rule", {"option_rule": "threshold"}, form_page=url)
    assert _options(app, item_id)[1] == "threshold"


def test_a_single_option_stops_voting_and_the_last_removed_clears_the_rule(app, factory, example):  # noqa: F811
    from app.core.errors import DomainError
    from app.plans.workflow import set_phase

    cid, pid = drafting(example)
    client = worker_client(app, factory, cid)
    item_id, ids = _ids(app, pid)
    url = f"/c/{cid}/plans/{pid}/items/{item_id}/options"
    for key in ("a", "b"):
        post_form(client, f"{url}/{ids[key]}/delete", {}, form_page=url)
    assert "只有 1 个方案" in client.get(url).get_data(as_text=True)
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        try:
            set_phase(plan, "voting")
        except DomainError as exc:
            assert "项目 B1 只有 1 个方案" in str(exc)
        else:
            raise AssertionError("voting opened with a single option")
        db.session.rollback()
    post_form(client, f"{url}/{ids['c']}/delete", {}, form_page=url)
    assert _options(app, item_id) == ([], None)
    # Adding to an item that has money of its own is refused: the money goes on the options.
    a1, _none = _ids(app, pid, "A1")
    refused = post_form(client, f"/c/{cid}/plans/{pid}/items/{a1}/options", OPTION)
    assert refused.status_code == 422 and "把项目本身的造价和资金来源清零" in refused.get_data(
        as_text=True
    )


def test_options_are_read_only_once_voting_opens(app, factory, example):  # noqa: F811
    cid, pid = example("voting", plan_file=OPTIONS_FILE)
    client = worker_client(app, factory, cid)
    item_id, ids = _ids(app, pid)
    url = f"/c/{cid}/plans/{pid}/items/{item_id}/options"
    page = client.get(url).get_data(as_text=True)
    assert "表决进行中" in page or "不能再改" in page
    assert "添加方案" not in page, page
    rule_select = re.search(r"<select[^>]*option_rule[^>]*>", page).group(0)
    assert "disabled" in rule_select
    assert "不能" in client.get(f"{url}/{ids['a']}").get_data(as_text=True)
    before = _options(app, item_id)
    post_form(client, f"{url}/{ids['a']}/delete", {}, form_page=url)
    post_form(client, url, OPTION, form_page=url)
    post_form(client, f"{url}/{ids['a']}", {**OPTION, "key": "a"}, form_page=url)
    assert _options(app, item_id) == before


def test_another_communitys_option_answers_404(app, factory, example):  # noqa: F811
    cid, pid = drafting(example)
    item_id, ids = _ids(app, pid)
    other = factory.community("别的小区")
    client = worker_client(app, factory, other)
    assert client.get(f"/c/{other}/plans/{pid}/items/{item_id}/options").status_code == 404
    # Same community, but an option of another item.
    client = worker_client(app, factory, cid, username="w9")
    a1, _none = _ids(app, pid, "A1")
    assert client.get(f"/c/{cid}/plans/{pid}/items/{a1}/options/{ids['a']}").status_code == 404
    assert re.search(
        "比选方案", client.get(f"/c/{cid}/plans/{pid}/items/{a1}").get_data(as_text=True)
    )


ITEM = {
    "title": "入户门更换（自愿参加）",
    "category": "improvement",
    "rule": "cc278_major",
    "custom_base": "participating",
    "custom_dimensions": "both",
}


def test_an_opt_in_item_is_authored_with_one_price_form(app, factory, example):  # noqa: F811
    cid, pid = drafting(example)
    client = worker_client(app, factory, cid)
    url = f"/c/{cid}/plans/{pid}/items/new"
    form = client.get(url).get_data(as_text=True)
    assert 'name="kind"' in form and 'name="price_per_m2"' in form
    both = post_form(
        client,
        url,
        {**ITEM, "key": "D2", "kind": "opt_in", "price": "1800", "price_per_m2": "30"},
        follow_redirects=True,
    )
    assert "只填其中一个" in both.get_data(as_text=True)
    priced_vote = post_form(
        client, url, {**ITEM, "key": "D2", "price": "1800"}, follow_redirects=True
    )
    assert "价格只用于户内自选项目" in priced_vote.get_data(as_text=True)
    saved = post_form(
        client,
        url,
        {
            **ITEM,
            "key": "D2",
            "kind": "opt_in",
            "price": "1,800",
            "subsidy": "500",
            "min_uptake": "30",
            "signup_closes": "2099-01-31",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[-600:]
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.plan_id == pid, Item.key == "D2"))
        assert (item.kind, item.price_fen, item.price_fen_per_m2, item.subsidy_fen) == (
            "opt_in",
            180000,
            None,
            50000,
        )
        assert (item.min_uptake, str(item.signup_closes)) == (30, "2099-01-31")
        item_id = item.id
    page = client.get(f"/c/{cid}/plans/{pid}/items/{item_id}").get_data(as_text=True)
    assert 'value="1800.00"' in page and 'value="500.00"' in page
    # An item with options cannot become opt-in.
    b1 = _ids(app, pid)[0]
    refused = post_form(
        client,
        f"/c/{cid}/plans/{pid}/items/{b1}",
        {**ITEM, "key": "B1", "kind": "opt_in", "price": "100"},
        follow_redirects=True,
    )
    assert "不能改为户内自选" in refused.get_data(as_text=True)
