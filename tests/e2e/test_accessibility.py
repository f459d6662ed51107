"""axe-core (vendored, tests/e2e/vendor) on every resident page: no serious or critical violation.

The axe run uses a context that bypasses the Content-Security-Policy, since the policy rightly
blocks the injected script; the pages themselves are unchanged.
"""

from playwright.sync_api import expect

from app.core.codes import format_code
from tests.e2e.conftest import axe_violations


def _check(phone, found: dict, label: str) -> None:
    """Record the page's serious/critical violations under `label`."""
    phone.page.wait_for_load_state("load")
    violations = axe_violations(phone.page)
    if violations:
        found[label] = violations


def test_resident_pages_have_no_serious_accessibility_violations(axe_phone, factory):
    cid = factory.community(name="阳光小区", buildings=1, units=1, floors=2)
    code = factory.codes(cid)[("1号楼", "1单元", "101")]
    page = axe_phone.page
    found: dict[str, list[str]] = {}

    page.goto("/")
    _check(axe_phone, found, "sign-in")
    page.get_by_role("button", name="登录").click()  # empty code: field error
    expect(page.locator(".field .error")).to_be_visible()
    _check(axe_phone, found, "sign-in, empty code")
    page.get_by_label("登录码").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _check(axe_phone, found, "sign-in, wrong code")
    page.goto("/h/ABCDEFGHJK")
    _check(axe_phone, found, "dead QR link")
    page.goto("/no-such-page")
    _check(axe_phone, found, "not found")
    page.goto("/staff/signin")
    _check(axe_phone, found, "staff sign-in")

    page.goto("/")
    page.get_by_label("登录码").fill(format_code(code))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("101")
    _check(axe_phone, found, "home")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _check(axe_phone, found, "home, English")
    page.goto("/")
    _check(axe_phone, found, "sign-in, English")
    assert not found, found


def test_voting_pages_have_no_serious_accessibility_violations(axe_phone, voter):
    page = axe_phone.page
    found: dict[str, list[str]] = {}
    page.goto(f"/h/{voter['code']}")
    _check(axe_phone, found, "home, voting open")
    page.goto("/plan")
    _check(axe_phone, found, "draft plan")
    page.goto("/vote")
    _check(axe_phone, found, "ballot")
    items = page.locator("fieldset.vote-item")
    for n in range(items.count()):
        items.nth(n).get_by_role("radio", name="同意").check()
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.locator(".confirm-list")).to_be_visible()
    _check(axe_phone, found, "confirm")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator(".code-display")).to_be_visible()
    receipt = page.locator(".code-display").inner_text()
    _check(axe_phone, found, "receipt")
    page.goto("/home")
    _check(axe_phone, found, "home, voted")
    page.goto("/receipt")
    _check(axe_phone, found, "receipt check")
    page.get_by_label("回执码").fill(receipt)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_be_visible()
    _check(axe_phone, found, "receipt check, found")
    page.get_by_label("回执码").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="查询").click()
    _check(axe_phone, found, "receipt check, not found")
    page.get_by_role("button", name="English").click()
    page.goto("/vote")
    _check(axe_phone, found, "ballot, English")
    assert not found, found


def test_proposal_pages_have_no_serious_accessibility_violations(axe_phone, app, factory):
    from tests.reliability.conftest import build_plan

    setup = build_plan(app, "proposals")
    code = factory.codes(setup["community_id"])[("1号楼", "1单元", "101")]
    page = axe_phone.page
    found: dict[str, list[str]] = {}
    page.goto(f"/h/{code}")
    _check(axe_phone, found, "home, proposals open")
    page.goto("/proposals")
    _check(axe_phone, found, "proposals")
    page.goto("/proposals/new")
    _check(axe_phone, found, "new proposal")
    page.get_by_role("button", name="提交提议").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    _check(axe_phone, found, "new proposal, errors")
    page.get_by_label("想改什么（一句话）").fill("1号楼楼道灯坏了")
    page.locator("fieldset.prop-cats input[type=radio]").first.check()
    page.get_by_role("button", name="提交提议").click()
    expect(page.get_by_text("1号楼楼道灯坏了").first).to_be_visible()
    _check(axe_phone, found, "after proposing")
    page.goto("/plan")
    _check(axe_phone, found, "draft plan, not yet")
    page.goto("/vote")
    _check(axe_phone, found, "ballot, voting not open")
    assert not found, found


def test_axe_finds_a_real_violation(axe_phone):
    """The check can fail: an image without alt text and an unlabeled input are reported."""
    page = axe_phone.page
    page.goto("/")
    page.evaluate(
        """() => {
          const input = document.createElement('input');
          input.type = 'text';
          document.querySelector('main').appendChild(input);
          const img = document.createElement('img');
          img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
          document.querySelector('main').appendChild(img);
        }"""
    )
    ids = " ".join(axe_violations(page, impacts=("serious", "critical")))
    assert "image-alt" in ids and "label" in ids, ids
