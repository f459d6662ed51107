"""An accepted proposal links to the item it became, the item back to its proposals, and the
plan page leads from an item's cost (or "未填写") to where cost, sources and shares are edited."""

import re

from sqlalchemy import select

from app.extensions import db
from app.plans.models import Item
from tests.conftest import post_form


def accept(world, worker, proposal_id, key="B2"):
    detail = world.staff_url(f"/{proposal_id}")
    response = post_form(
        worker,
        world.staff_url(f"/{proposal_id}/accept"),
        {"key": key, "title": "2单元加装电梯", "category": "improvement"},
        form_page=detail,
    )
    assert response.status_code == 302
    with world.app.app_context():
        return db.session.scalar(select(Item.id).where(Item.key == key))


def plan_url(world, suffix=""):
    return f"/c/{world.a}/plans/{world.plan_a}{suffix}"


def item_row(client, world, item_id) -> str:
    """The item's row of the plan page."""
    page = client.get(plan_url(world)).get_data(as_text=True)
    return re.search(rf'<tr id="item-{item_id}">.*?</tr>', page, re.S).group(0)


def test_accepted_proposal_and_its_item_link_to_each_other(app, world, make_proposal):
    proposal = make_proposal(world.households_a[0], title="加装电梯")
    worker = world.staff_client("worker")
    item_id = accept(world, worker, proposal)
    detail = worker.get(world.staff_url(f"/{proposal}")).get_data(as_text=True)
    item_page = plan_url(world, f"/items/{item_id}")
    assert f'href="{item_page}">查看项目 B2</a>' in detail

    page = worker.get(item_page).get_data(as_text=True)
    assert f'href="{world.staff_url(f"/{proposal}")}">提议 #{proposal}</a>' in page

    row = item_row(worker, world, item_id)
    assert f'href="{world.staff_url(f"/{proposal}")}">#{proposal}</a>' in row


def test_committee_is_sent_to_the_item_on_the_plan_page(app, world, make_proposal):
    proposal = make_proposal(world.households_a[0], title="加装电梯")
    item_id = accept(world, world.staff_client("worker"), proposal)
    committee = world.staff_client("committee")
    detail = committee.get(world.staff_url(f"/{proposal}")).get_data(as_text=True)
    assert f'href="{plan_url(world)}#item-{item_id}">查看项目 B2</a>' in detail


def test_plan_page_says_cost_not_filled_in_and_links_to_the_funding_page(app, world, make_proposal):
    proposal = make_proposal(world.households_a[0], title="加装电梯")
    worker = world.staff_client("worker")
    item_id = accept(world, worker, proposal)
    funding = plan_url(world, f"/items/{item_id}/funding")
    row = item_row(worker, world, item_id)
    assert re.search(rf'<a href="{funding}"[^>]*>未填写</a>', row)
    assert "0.00" not in row
    item_page = worker.get(plan_url(world, f"/items/{item_id}")).get_data(as_text=True)
    assert "项目总造价</dt><dd>未填写" in item_page
    assert f'href="{funding}">填写费用、资金来源和分摊方式</a>' in item_page

    response = post_form(
        worker,
        funding,
        {"cost": "120000", "share_method": "area", "amount_government": "20000"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    row = item_row(worker, world, item_id)
    assert re.search(rf'<a href="{funding}"[^>]*>120,000.00</a>', row)
    item_page = worker.get(plan_url(world, f"/items/{item_id}")).get_data(as_text=True)
    assert "项目总造价</dt><dd>120,000.00 元" in item_page
    assert "政府补助（含以奖代补） 20,000.00" in item_page


def test_a_new_item_goes_on_to_its_funding_page(app, world):
    worker = world.staff_client("worker")
    url = plan_url(world, "/items/new")
    assert "保存后的“资金安排”页填写" in worker.get(url).get_data(as_text=True)
    response = post_form(
        worker,
        url,
        {
            "key": "A1",
            "title": "楼道照明",
            "category": "basic",
            "rule": "cc278_major",
            "custom_base": "participating",
            "custom_dimensions": "both",
        },
    )
    with app.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.key == "A1"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(plan_url(world, f"/items/{item_id}/funding"))
    page = worker.get(response.headers["Location"]).get_data(as_text=True)
    assert "请接着填写费用、资金来源和分摊方式" in page
    assert re.search(r'<input[^>]*name="cost"[^>]*value=""', page)  # not a ready-made 0.00
    funding = response.headers["Location"]
    response = post_form(worker, funding, {"cost": "", "share_method": "equal"})
    assert response.status_code == 422 and "请填写金额。" in response.get_data(as_text=True)
