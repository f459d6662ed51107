"""A household on a phone: sign in by typed code or QR link, a wrong code, English."""

import re

from playwright.sync_api import expect

from app.core.codes import format_code


def _community_with_codes(factory):
    cid = factory.community(name="阳光小区", buildings=2, units=1, floors=3)
    return cid, factory.codes(cid)


def test_sign_in_by_typed_code_shows_home(phone, factory):
    _cid, codes = _community_with_codes(factory)
    code = codes[("2号楼", "1单元", "302")]
    page = phone.page
    page.goto("/")
    expect(page.get_by_role("heading", name="住户登录")).to_be_visible()
    phone.shot("signin-page")
    # Typed as a resident might: lower case, with a space instead of the dash.
    page.get_by_label("登录码").fill(format_code(code).lower().replace("-", " "))
    phone.shot("code-typed")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("2号楼")
    expect(page.get_by_role("heading", level=1)).to_contain_text("302")
    expect(page.get_by_text("阳光小区")).to_be_visible()
    phone.shot("home")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/home$"))  # already signed in: straight home


def test_sign_in_by_qr_link(phone, factory):
    _cid, codes = _community_with_codes(factory)
    page = phone.page
    page.goto(f"/h/{codes[('1号楼', '1单元', '101')]}")
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("1号楼 1单元 101")
    phone.shot("home-after-qr")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="住户登录")).to_be_visible()
    page.goto("/home")
    expect(page.get_by_role("heading", name="住户登录")).to_be_visible()  # signed out
    phone.shot("signed-out")


def test_wrong_code_and_dead_qr_link_explain_what_to_do(phone, factory):
    _community_with_codes(factory)
    page = phone.page
    page.goto("/")
    page.get_by_label("登录码").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录码不正确")
    phone.shot("wrong-code")
    page.goto("/h/ABCDEFGHJK")
    expect(page.get_by_role("alert")).to_contain_text("二维码链接已失效")
    phone.shot("dead-qr-link")
    page.goto("/home")
    expect(page).not_to_have_url(re.compile(r"/home$"))


def test_sign_in_input_is_big_enough_to_tap(phone):
    """The code field and the button are at least 44 CSS pixels each way."""
    page = phone.page
    page.goto("/")
    for target in (page.get_by_label("登录码"), page.get_by_role("button", name="登录")):
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box


def test_language_switch_to_english_and_back(phone, factory):
    _cid, codes = _community_with_codes(factory)
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Household sign-in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    phone.shot("signin-english")
    page.goto(f"/h/{codes[('1号楼', '1单元', '201')]}")
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")  # kept across sign-in
    expect(page).to_have_title(re.compile("My home"))
    phone.shot("home-english")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("201")
    phone.shot("home-chinese-again")


def test_language_chosen_before_sign_in_is_kept(phone, factory):
    _cid, codes = _community_with_codes(factory)
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Sign-in code").fill(format_code(codes[("1号楼", "1单元", "201")]))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=2000)
