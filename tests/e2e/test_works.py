"""After the vote, on a phone: a resident follows an item's works, reports a problem with a
photo and later sees it closed; an appointed resident supervisor logs an inspection."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from app.extensions import db
from tests.works.conftest import jpeg, works_estate  # noqa: F401


def _photo(tmp_path, name="photo.jpg"):
    """A phone photo on disk."""
    path = tmp_path / name
    path.write_bytes(jpeg((180, 150, 120), (800, 600)))
    return path


def _sign_in_household(page, code):
    page.goto(f"/h/{code}")
    page.wait_for_url(re.compile(r"/home$"))


def _sign_in_staff(page, username):
    page.goto("/staff/signin")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("secret-pass-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/"))


def _log_progress(estate):
    """The worker has logged the works under way, with a photo (through the operations)."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.plans.models import Plan
    from app.plans.queries import local_today
    from app.works.models import Works
    from app.works.operations import add_log_entry, update_works

    (wid,) = estate.works_ids()
    with estate.app.test_request_context():
        plan = db.session.get(Plan, estate.plan)
        works = db.session.get(Works, wid)
        worker = db.session.scalar(select(User).where(User.username == "worker-a"))
        update_works(works, plan, worker, contractor="滨城建工集团", status="in_progress",
                     progress=40, planned_end=local_today() + timedelta(days=30))  # fmt: skip
        add_log_entry(works, plan, worker, entry_date=local_today(), stage="during",
                      text="1号楼脚手架搭设完成", photos=[("s.jpg", jpeg())])  # fmt: skip
        db.session.commit()
    return wid


def test_resident_follows_progress_reports_an_issue_and_sees_it_closed(
    phone,
    second_phone,
    works_estate,  # noqa: F811
    tmp_path,
):
    wid = _log_progress(works_estate)
    page = phone.page
    hid = works_estate.households[0]
    _sign_in_household(page, works_estate.codes[hid])
    section = page.locator("section.works-home")
    expect(section).to_contain_text("施工进度")
    expect(section).to_contain_text("40%")
    section.get_by_role("link", name="看施工进度").click()
    expect(page).to_have_url(re.compile(r"/works$"))
    page.get_by_role("link", name="看施工日志和照片").click()
    expect(page).to_have_url(re.compile(rf"/works/{wid}$"))
    expect(page.locator("ol.works-log")).to_contain_text("1号楼脚手架搭设完成")
    expect(page.locator("ol.works-log img").first).to_be_visible()
    phone.shot("item-progress")

    page.get_by_role("link", name="反映问题").click()
    page.get_by_label("在哪里（几号楼、几单元、什么位置）").fill("1号楼1单元 一楼楼道口")
    page.get_by_label("发现了什么问题").fill("拆下的旧保温板堆在楼道口，晚上看不清。")
    page.set_input_files("input[name=photos]", str(_photo(tmp_path)))
    phone.shot("report-form")
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/issues/\d+$"))
    expect(page.locator(".badge.issue-reported")).to_have_text("待处理")
    expect(page.locator("img.prop-photo")).to_be_visible()
    issue_url = page.url
    issue_id = issue_url.rsplit("/", 1)[1]
    phone.shot("issue-reported")

    # The worker assigns it, records the rectification and passes the re-inspection.
    staff = second_phone.page
    _sign_in_staff(staff, "worker-a")
    staff.goto(f"/c/{works_estate.a}/issues/{issue_id}")
    staff.get_by_label("整改责任方").fill("滨城建工集团 周工")
    with works_estate.app.app_context():
        from app.plans.queries import local_today

        deadline = (local_today() + timedelta(days=2)).isoformat()
    staff.get_by_label("整改期限").fill(deadline)
    staff.get_by_role("button", name="交办").click()
    expect(staff.locator(".badge.issue-assigned").first).to_have_text("整改中")

    page.reload()
    expect(page.locator("main")).to_contain_text("滨城建工集团 周工")
    expect(page.locator(".badge.issue-assigned")).to_have_text("整改中")

    staff.get_by_label("整改情况").fill("当天清运，已设警示灯")
    staff.get_by_role("button", name="登记整改完成").click()
    second_phone.shot("rectified")
    staff.get_by_text("通过，办结").click()
    staff.get_by_label("复查说明").fill("楼道已清空")
    staff.get_by_role("button", name="保存复查结果").click()
    expect(staff.locator(".badge.issue-closed")).to_have_text("已办结")

    page.goto("/works")
    expect(page.locator("main")).to_contain_text("已办结")
    page.goto(issue_url)
    expect(page.locator(".badge.issue-closed")).to_have_text("已办结")
    expect(page.locator("ol.steps-list")).to_contain_text("楼道已清空")
    phone.shot("issue-closed")


def test_appointed_supervisor_logs_an_inspection_from_the_phone(
    phone,
    second_phone,
    works_estate,  # noqa: F811
    tmp_path,
):
    wid = _log_progress(works_estate)
    page = phone.page
    hid = works_estate.households[1]
    _sign_in_household(page, works_estate.codes[hid])
    page.goto(f"/works/{wid}")
    expect(page.get_by_role("link", name="登记巡查")).to_have_count(0)
    page.get_by_label("简单介绍（可不填，如：退休工程师，白天在家）").fill("退休土建工程师")
    page.get_by_role("button", name="报名做居民监督员").click()
    expect(page.locator("main")).to_contain_text("等待居委会任命")

    committee = second_phone.page
    _sign_in_staff(committee, "committee-a")
    committee.goto(f"/c/{works_estate.a}/works/{wid}")
    committee.get_by_role("button", name="任命").click()
    expect(committee.locator("main")).to_contain_text("已任命")

    page.reload()
    page.get_by_role("link", name="登记巡查").click()
    page.get_by_label("巡查发现").fill("东立面保温板接缝两处未抹平，已告知施工队。")
    page.get_by_text("一般问题").click()
    page.set_input_files("input[name=photos]", str(_photo(tmp_path, "inspect.jpg")))
    phone.shot("inspection-form")
    page.get_by_role("button", name="提交巡查记录").click()
    expect(page).to_have_url(re.compile(rf"/works/{wid}$"))
    entry = page.locator("li.works-log-inspection").first
    expect(entry).to_contain_text("东立面保温板接缝两处未抹平")
    expect(entry).to_contain_text("一般问题")
    expect(entry.locator("img")).to_be_visible()
    phone.shot("inspection-logged")


def test_works_pages_have_no_serious_accessibility_violations(
    axe_phone,
    works_estate,  # noqa: F811
):
    from tests.e2e.conftest import axe_violations

    wid = _log_progress(works_estate)
    page = axe_phone.page
    _sign_in_household(page, works_estate.codes[works_estate.households[0]])
    found = {}
    for label, url in (("home", "/home"), ("works", "/works"), ("item", f"/works/{wid}"),
                       ("report", "/issues/new")):  # fmt: skip
        page.goto(url)
        page.wait_for_load_state("load")
        if violations := axe_violations(page):
            found[label] = violations
    page.get_by_role("button", name="提交").click()  # empty: the reasons
    expect(page.get_by_role("alert").first).to_be_visible()
    if violations := axe_violations(page):
        found["report, refused"] = violations
    assert not found, found
