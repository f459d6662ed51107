"""A household evaluates the renovation on its phone: five big score buttons per question, a
comment, submit; it changes its answer before the round closes; then everyone sees the results,
with bar charts, and a worker sees the same on the staff page."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from tests.aftercare.conftest import move_on
from tests.plans.conftest import example  # noqa: F401

STAFF_PASSWORD = "secret-pass-1"  # tests/conftest.py factory.user


def test_household_evaluates_on_its_phone_and_sees_the_results(
    app,
    phone,
    second_phone,
    factory,
    example,  # noqa: F811
):
    from app.aftercare.models import EvaluationResponse
    from app.aftercare.operations import start_round
    from app.plans.models import Plan

    cid, pid = move_on(app, factory, example, "evaluation")
    with app.test_request_context():
        start_round(db.session.get(Plan, pid))
        db.session.commit()
    code = factory.codes(cid)[("3号楼", "2单元", "601")]

    page = phone.page
    page.goto(f"/h/{code}")
    expect(page).to_have_url(re.compile(r"/home$"))
    phone.shot("home-evaluation-open", full=False)
    page.get_by_role("link", name="去评价").click()
    expect(page.get_by_role("heading", name="改造满意度评价")).to_be_visible()
    questions = page.locator("fieldset.score-item")
    count = questions.count()
    assert count >= 4, "three aspects and at least one passed item of 3号楼 2单元"
    phone.shot("evaluation-form-empty")
    # One tap per question: the whole button is the target (at least 44 px high).
    picks = [5, 3, 4] + [4] * (count - 3)
    for n, score in enumerate(picks):
        button = questions.nth(n).locator("label.choice").nth(score - 1)
        assert button.bounding_box()["height"] >= 44
        button.tap()
    page.get_by_label("意见和建议（可不填）").fill("电梯装得好，施工期间噪音有点大。")
    phone.shot("evaluation-form-filled")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("您家的评价已提交")).to_be_visible()
    phone.shot("evaluation-submitted")

    # Changed before the close: the form opens with the earlier answers; one tap changes one.
    expect(questions.nth(0).get_by_role("radio", name=re.compile("^5"))).to_be_checked()
    questions.nth(1).locator("label.choice").nth(1).tap()
    page.get_by_role("button", name="修改评价").click()
    expect(page.get_by_text("您家的评价已提交")).to_be_visible()
    with app.app_context():
        rows = db.session.scalars(select(EvaluationResponse)).all()
        db.session.remove()
    assert len(rows) == 1 and '"process": 2' in rows[0].scores and rows[0].channel == "phone"

    page.goto("/home")
    page.get_by_role("link", name="看评价结果").click()
    expect(page.get_by_role("heading", name="满意度评价结果")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.get_by_text("参与 1 户")).to_be_visible()
    phone.shot("evaluation-results-resident")

    staff = second_phone.page
    staff.goto("/staff/signin")
    staff.get_by_label("用户名").fill("w1")
    staff.get_by_label("密码").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.goto(f"/c/{cid}/plans/{pid}/evaluation")
    expect(staff.get_by_role("heading", name="满意度评价")).to_be_visible()
    expect(staff.get_by_text("电梯装得好")).to_be_hidden()  # comments folded away
    staff.get_by_text("意见和建议（1 条）").click()
    expect(staff.get_by_text("电梯装得好")).to_be_visible()
    second_phone.shot("evaluation-results-staff")


def test_worker_records_an_acceptance_on_a_phone(app, phone, factory, example):  # noqa: F811
    from app.aftercare.models import AcceptanceCheck

    cid, pid = move_on(app, factory, example, "acceptance")
    page = phone.page
    page.goto("/staff/signin")
    page.get_by_label("用户名").fill("w1")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"/c/{cid}/plans/{pid}/acceptance")
    page.get_by_text("添加成员").click()
    page.get_by_label("房屋（居民代表）").fill("3-2-601")
    page.get_by_label("在验收小组中的职责").fill("居民代表")
    page.get_by_role("button", name="加入验收小组").click()
    expect(page.get_by_text("已加入验收小组")).to_be_visible()
    expect(page.get_by_text("3号楼2单元601")).to_be_visible()
    phone.shot("acceptance-group")

    page.locator("table a").first.click()
    expect(page.get_by_role("heading", name="验收清单")).to_be_visible()
    boxes = page.locator(".check-line input[type=checkbox]")
    for n in range(boxes.count() - 1):  # every default line met; the empty new line left
        boxes.nth(n).check()
    page.get_by_text("通过", exact=True).click()
    phone.shot("acceptance-checklist")
    page.get_by_role("button", name="保存验收记录").click()
    expect(page.get_by_text("验收记录已保存")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text("验收结果：通过")
    phone.shot("acceptance-saved")
    with app.app_context():
        check = db.session.scalar(select(AcceptanceCheck))
        db.session.remove()
    assert check.result == "passed" and '"ok": false' not in check.checklist


def test_aftercare_pages_with_their_records_fit_a_360px_phone(
    app,
    browser,
    live_server,
    factory,
    example,  # noqa: F811
):
    """The phone-width walk (test_phone_width) sees these pages empty; here they hold a group,
    checks, defects, two rounds of responses and a form waiting for the committee."""
    from app.aftercare import operations
    from app.aftercare.queries import applicable_items, passed_items
    from app.communities.models import Household
    from app.plans.models import Plan
    from app.plans.queries import local_today
    from app.plans.workflow import set_phase
    from app.rules.satisfaction import Scores
    from tests.e2e.test_phone_width import MEASURE, PHONE, WIDTH, _offence

    cid, pid = move_on(app, factory, example, "acceptance")
    code = factory.codes(cid)[("3号楼", "2单元", "601")]
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        homes = db.session.scalars(
            select(Household).where(Household.community_id == cid).order_by(Household.id)
        ).all()
        operations.add_member(plan, kind="resident", name="", role="居民代表", household=homes[0])
        operations.add_member(plan, kind="staff", name="某某监理公司 王工", role="监理")
        item = passed_items(plan)[0]
        lines = [("管线敷设规范", True), ("现场已清理", False)]
        operations.save_check(plan, item, lines=lines, result="conditional", notes="一处渗漏")
        operations.add_defect(
            plan,
            item,
            description="雨水管接口渗漏",
            responsible="某某建设公司",
            deadline=local_today(),
        )
        set_phase(plan, "evaluation")
        for n in (1, 2):
            round_ = operations.start_round(plan)
            for h in homes[: 30 * n]:
                ids = [i.id for i in applicable_items(plan, h)]
                operations.submit_phone_response(
                    plan,
                    round_,
                    h,
                    Scores({"content": 3 + n, "process": 3}, dict.fromkeys(ids, 4), "好"),
                )
            if n == 1:
                operations.end_round(plan, round_)
        from app.accounts.models import User

        w1 = db.session.scalar(select(User).where(User.username == "w1"))
        w2 = db.session.scalar(select(User).where(User.username == "w2"))
        operations.enter_form(plan, round_, homes[40], Scores({"content": 2}), w1)
        operations.enter_form(plan, round_, homes[40], Scores({"content": 5}), w2)
        db.session.commit()
        item_id, review_id = item.id, homes[40].id
    base = f"/c/{cid}/plans/{pid}"
    pages = {
        "staff": [
            f"{base}/acceptance",
            f"{base}/acceptance/items/{item_id}",
            f"{base}/evaluation",
            f"{base}/evaluation/door/{review_id}",
        ],
        "c1": [f"{base}/evaluation/review/{review_id}"],
        "household": ["/home", "/evaluate", "/evaluation/results"],
    }
    offenders = []
    for who, urls in pages.items():
        context = browser.new_context(
            base_url=live_server, **{**PHONE, "viewport": {"width": WIDTH, "height": 740}}
        )
        page = context.new_page()
        if who == "household":
            page.goto(f"/h/{code}")
        else:
            page.goto("/staff/signin")
            page.get_by_label("用户名").fill("w1" if who == "staff" else who)
            page.get_by_label("密码").fill(STAFF_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(re.compile(r"/staff/"))
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, url
            measured = page.evaluate(MEASURE)
            if measured["width"] > WIDTH or measured["hidden"] or measured["small"]:
                offenders.append(_offence(url, who, measured))
        context.close()
    assert not offenders, "\n".join(offenders)
