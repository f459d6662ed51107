"""At phone size: a household follows a change order and its final accounts' refund; a worker
enters the final accounts and the committee confirms them; the statement shows 退 / 补."""

import re

from playwright.sync_api import expect

from app.communities.codes import issue_codes
from app.communities.models import Community
from app.extensions import db
from app.plans.models import Plan
from app.plans.workflow import set_phase
from app.settlement.changes import approve_change, draft_change
from tests.funding.conftest import build_world
from tests.settlement.test_pages import vote_and_publish


def test_final_accounts_on_the_phone(app, factory, phone, second_phone):
    w = build_world(app, voting=True)
    with app.test_request_context():
        vote_and_publish(w.plan)
        set_phase(w.plan, "works")
        # Within the threshold: +500 yuan on 20,000 takes effect on approval.
        approve_change(draft_change(w.item("A1"), reason="保温层加厚", cost_change_fen=50_000))
        set_phase(db.session.get(Plan, w.plan_id), "acceptance")
        household = w.household("1号楼1单元101")
        hid = household.id
        codes = {h.id: c for h, c in issue_codes(db.session.get(Community, w.community_id))}
        a2 = w.item("A2").id
        db.session.commit()
    factory.user("worker", "worker", communities=[w.community_id])
    factory.user("committee", "committee", communities=[w.community_id])
    base = f"/c/{w.community_id}/plans/{w.plan_id}"

    def staff(device, username):
        page = device.new_page()
        page.goto("/staff/signin")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill("secret-pass-1")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/staff/|/c/"))
        return page

    # The worker reads the change orders and the one in effect, with every household's share.
    worker = staff(second_phone, "worker")
    worker.goto(f"{base}/changes")
    expect(worker.get_by_text("已生效").first).to_be_visible()
    second_phone.shot("change-orders", worker)
    worker.get_by_role("link", name=re.compile("保温|A1")).first.click()
    expect(worker.get_by_role("heading", name="每户分摊：变更前后")).to_be_visible()
    second_phone.shot("change-order", worker)
    # The worker enters A2's final accounts from the phone: 900 yuan instead of 1,000.
    worker.goto(f"{base}/final-accounts")
    second_phone.shot("final-accounts-list", worker)
    worker.get_by_role("link", name=re.compile("A2")).click()
    worker.get_by_label("实际造价（元）").fill("900")
    worker.get_by_role("button", name="保存决算").click()
    expect(worker.get_by_text("决算已录入")).to_be_visible()
    second_phone.shot("final-accounts-entered", worker)
    worker.context.clear_cookies()
    committee = staff(second_phone, "committee")
    committee.goto(f"{base}/final-accounts/{a2}")
    committee.get_by_role("button", name="确认决算").click()
    expect(committee.get_by_text("决算已确认")).to_be_visible()
    second_phone.shot("final-accounts-confirmed", committee)
    committee.context.clear_cookies()
    worker = staff(second_phone, "worker")
    worker.goto(f"{base}/households/{hid}/funding")
    expect(worker.get_by_role("heading", name="决算：多退少补")).to_be_visible()
    expect(worker.get_by_text(re.compile(r"退 16\.6[67] 元")).first).to_be_visible()
    second_phone.shot("statement-with-refund", worker)

    # The household: home → its changes and its refund.
    page = phone.page
    page.goto(f"/h/{codes[hid]}")
    expect(page).to_have_url(re.compile(r"/home$"))
    page.get_by_role("link", name=re.compile("设计变更与决算")).click()
    expect(page.get_by_role("heading", name="已生效的设计变更")).to_be_visible()
    expect(page.get_by_text("保温层加厚")).to_be_visible()
    expect(page.get_by_text(re.compile(r"补 \d+\.\d\d 元")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"退 16\.6[67] 元")).first).to_be_visible()
    phone.shot("household-changes-and-refund")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
