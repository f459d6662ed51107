"""A resident on a phone: a full-size camera photo is taken in (shrunk), then the resident edits
the proposal and withdraws it; the edit page has no serious accessibility violation."""

import io
import re

from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import axe_violations


def _proposals_community(app, factory):
    """A community whose plan is collecting proposals; one household's code."""
    from app.communities.models import Community
    from app.plans.items import create_plan

    cid = factory.community(name="银杏小区", buildings=1, units=1, floors=2)
    codes = factory.codes(cid)
    with app.test_request_context():
        create_plan(db.session.get(Community, cid), "银杏小区改造方案")
        db.session.commit()
    return codes[("1号楼", "1单元", "101")]


def _camera_photo(tmp_path):
    """A 6.5 MB JPEG the size of a phone camera's (noise does not compress)."""
    size = (3264, 2448)
    image = Image.merge("RGB", [Image.effect_noise(size, 60) for _ in range(3)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(out.getvalue())
    assert path.stat().st_size > 5 * 1024 * 1024
    return path


def test_resident_proposes_with_a_big_photo_edits_and_withdraws(phone, app, factory, tmp_path):
    code = _proposals_community(app, factory)
    page = phone.page
    page.goto(f"/h/{code}")
    page.goto("/proposals/new")
    page.get_by_label("想改什么（一句话）").fill("楼道灯坏了")
    page.locator("label.prop-cat", has_text="基础类").click()
    page.set_input_files("input[name=photos]", str(_camera_photo(tmp_path)))
    page.get_by_role("button", name="提交提议").click()
    expect(page.get_by_text("您的提议已提交")).to_be_visible()
    phone.shot("proposed-with-big-photo")

    page.get_by_role("link", name="修改或撤回").first.click()
    expect(page.get_by_role("heading", name="修改提议")).to_be_visible()
    expect(page.get_by_role("img", name="提议照片 1")).to_be_visible()
    phone.shot("edit-page")
    page.get_by_label("想改什么（一句话）").fill("1单元楼道灯坏了，晚上看不清")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_text("提议已修改")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1单元楼道灯坏了")
    phone.shot("edited")

    page.get_by_role("link", name="修改或撤回").click()
    page.get_by_role("button", name="撤回这条提议").click()
    expect(page).to_have_url(re.compile(r"/proposals$"))
    expect(page.get_by_text("已撤回提议")).to_be_visible()
    phone.shot("withdrawn")


def test_proposal_edit_page_has_no_serious_accessibility_violation(axe_phone, app, factory):
    from app.communities.models import Household
    from app.plans.models import Plan
    from app.proposals.operations import create_proposal

    code = _proposals_community(app, factory)
    page = axe_phone.page
    page.goto(f"/h/{code}")
    with app.test_request_context():
        plan = db.session.scalars(db.select(Plan)).one()
        household = db.session.scalars(db.select(Household).order_by(Household.id)).first()
        proposal = create_proposal(plan, household=household, title="门禁坏了", category="basic")
        db.session.commit()
        pid = proposal.id
    page.goto(f"/proposals/{pid}/edit")
    expect(page.get_by_role("heading", name="修改提议")).to_be_visible()
    assert axe_violations(page) == []
