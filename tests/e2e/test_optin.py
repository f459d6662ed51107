"""Opt-in items (户内自选) on a phone: the household's section with its own price, the deadline
and the minimum uptake, 参加 then 不参加 with big buttons."""

from playwright.sync_api import expect

from tests.optin.conftest import example, optin_plan  # noqa: F401


def test_household_joins_then_declines_on_its_phone(phone, factory, optin_plan):  # noqa: F811
    cid, _pid, _ids = optin_plan()
    code = factory.codes(cid)[("3号楼", "1单元", "101")]
    page = phone.page
    page.goto(f"/h/{code}")
    section = page.locator("#optin")
    expect(section.get_by_role("heading", name="户内自选项目")).to_be_visible()
    expect(section).to_contain_text("1,300.00 元")
    expect(section).to_contain_text("还差 3 户报名")
    door = page.locator("article", has_text="更换入户门")
    join = door.get_by_role("button", name="参加", exact=True)
    assert join.bounding_box()["height"] >= 56
    section.scroll_into_view_if_needed()
    phone.shot("optin-section")
    join.click()
    expect(page.get_by_text("已记录：更换入户门 —— 参加。")).to_be_visible()
    door = page.locator("article", has_text="更换入户门")
    expect(door).to_contain_text("本户目前的答复：参加")
    expect(door).to_contain_text("1 户 / 至少 3 户")
    phone.shot("optin-joined")
    door.get_by_role("button", name="不参加").click()
    expect(page.locator("article", has_text="更换入户门")).to_contain_text("本户目前的答复：不参加")
    phone.shot("optin-declined")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
