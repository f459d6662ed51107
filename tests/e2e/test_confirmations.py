"""A worker on a phone: far-reaching steps ask first (opening voting, ending it, publishing), and
assisted entry warns that the household already voted online and says which ballot will count."""

import re

from playwright.sync_api import expect

from app.communities.models import Household
from app.extensions import db
from app.plans.models import Plan
from tests.e2e.test_worker import sign_in_worker


def test_opening_ending_and_publishing_ask_first(app, phone, factory):
    from tests.reliability.conftest import build_plan

    setup = build_plan(app, "drafting")
    cid, pid = setup["community_id"], setup["plan_id"]
    factory.user("w1", "worker", communities=[cid])
    sign_in_worker(phone, "w1")
    page = phone.page
    base = f"/c/{cid}/plans/{pid}"

    page.goto(base)
    page.get_by_role("button", name=re.compile("开始表决")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("进入下一阶段")
    expect(page.get_by_text("本小区 84 户可以开始表决")).to_be_visible()
    phone.shot("confirm-open-voting")
    page.get_by_role("link", name="取消，返回").click()
    expect(page).to_have_url(re.compile(rf"{base}$"))
    with app.app_context():
        assert db.session.get(Plan, pid).phase == "drafting"  # cancelled: nothing happened
        db.session.remove()
    page.get_by_role("button", name=re.compile("开始表决")).click()
    page.get_by_role("button", name=re.compile("确认进入")).click()
    expect(page.get_by_text("表决进行中")).to_be_visible()

    # What voting has fixed is read-only on the plan form, with the reason.
    page.goto(f"{base}/edit")
    expect(page.get_by_label("同一户既有网上又有纸质票时")).to_be_disabled()
    expect(page.get_by_text("表决开始后计票规则不能再改。").first).to_be_visible()
    phone.shot("plan-form-read-only")
    page.goto(base)
    page.get_by_label("提前结束表决的原因").scroll_into_view_if_needed()
    phone.shot("plan-end-voting-form", full=False)
    page.get_by_label("提前结束表决的原因").fill("业主大会决定提前结束")
    page.get_by_role("button", name="结束表决").click()
    expect(page.get_by_text("已有 0 户表决（本小区共 84 户）")).to_be_visible()
    phone.shot("confirm-end-voting")
    page.get_by_role("button", name="确认结束表决").click()
    expect(page.get_by_text(re.compile("表决已于 .* 结束：业主大会决定提前结束"))).to_be_visible()
    phone.shot("voting-ended")

    page.goto(f"{base}/publication")
    page.get_by_role("button", name="公示表决结果").click()
    expect(page.get_by_text(re.compile("异议期 7 天，到 .* 为止"))).to_be_visible()
    phone.shot("confirm-publish")
    page.get_by_role("button", name="确认公示").click()
    expect(page.get_by_text(re.compile("结果已公示"))).to_be_visible()
    with app.app_context():
        plan = db.session.get(Plan, pid)
        assert (plan.phase, plan.result_stage) == ("published", "preliminary")
        db.session.remove()


def test_assisted_entry_warns_the_household_already_voted_online(app, phone, factory):
    from app.plans.queries import items_for_household
    from app.voting.operations import cast_online_ballot
    from tests.reliability.conftest import build_voting_plan

    setup = build_voting_plan(app)
    cid, pid = setup["community_id"], setup["plan_id"]
    hid = setup["households"][("1号楼", "1单元", "101")]
    factory.user("w1", "worker", communities=[cid])
    with app.test_request_context():
        plan, household = db.session.get(Plan, pid), db.session.get(Household, hid)
        choices = {i.id: "agree" for i in items_for_household(plan, household)}
        cast_online_ballot(plan, household, choices, set(), "k1")
        db.session.commit()
        db.session.remove()
    sign_in_worker(phone, "w1")
    page = phone.page
    page.goto(f"/c/{cid}/plans/{pid}/assisted?household={hid}")
    warning = page.locator(".standing")
    expect(warning).to_contain_text("该户已经表决：现在计入的是网上投票")
    expect(warning).to_contain_text("这张上门代填记录后将计入，取代现在的网上投票")
    phone.shot("assisted-double-channel-warning", full=False)

    page.goto(f"/c/{cid}/plans/{pid}/print/ballots?batch=all")
    expect(page.get_by_text("其中 1 户已经在网上表决。")).to_be_visible()
    phone.shot("print-ballots-voted-online")


def test_merge_asks_first_and_can_be_undone(app, phone, factory):
    from app.proposals.operations import create_proposal
    from tests.reliability.conftest import build_plan

    setup = build_plan(app, "drafting")
    cid, pid = setup["community_id"], setup["plan_id"]
    factory.user("w1", "worker", communities=[cid])
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        households = [db.session.get(Household, h) for h in list(setup["households"].values())[:2]]
        keep = create_proposal(
            plan, title="加装电梯", category="improvement", household=households[0], source="survey"
        )
        dup = create_proposal(
            plan,
            title="装个电梯吧",
            category="improvement",
            household=households[1],
            source="survey",
        )
        db.session.commit()
        keep_id, dup_id = keep.id, dup.id
        db.session.remove()
    sign_in_worker(phone, "w1")
    page = phone.page
    detail = f"/c/{cid}/plans/{pid}/proposals/{dup_id}"
    page.goto(detail)
    page.locator("summary", has_text="合并").click()
    page.get_by_label("并入哪条提议").select_option(str(keep_id))
    page.get_by_role("button", name="合并", exact=True).click()
    expect(page.get_by_text("1 户的支持转到“加装电梯”")).to_be_visible()
    expect(page.get_by_text("可以在本提议的页面撤销合并")).to_be_visible()
    phone.shot("confirm-merge")
    page.get_by_role("button", name="确认合并").click()
    expect(page.get_by_role("button", name="撤销合并")).to_be_visible()
    phone.shot("merged-with-undo", full=False)
    page.get_by_role("button", name="撤销合并").click()
    expect(page.get_by_role("status")).to_contain_text("已撤销合并")
    phone.shot("merge-undone", full=False)


def test_reissuing_every_code_asks_first(app, phone, factory):
    cid = factory.community()
    factory.user("w1", "worker", communities=[cid])
    factory.codes(cid)
    sign_in_worker(phone, "w1")
    page = phone.page
    page.goto(f"/c/{cid}/codes")
    page.get_by_label("只给还没有登录码的住户发放").uncheck()
    page.get_by_role("button", name="发放并下载（CSV）").click()
    expect(page.get_by_text(re.compile(r"其中 \d+ 户原有的登录码立即失效"))).to_be_visible()
    phone.shot("confirm-reissue-codes")
    page.get_by_role("link", name="取消，返回").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/codes$"))
