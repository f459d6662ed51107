"""Results of items with options (方案比选) on a phone: per-option bars, headcount and area side
by side, readable without colour; the chosen option or "未决出方案，需决选"."""

from datetime import timedelta

from playwright.sync_api import expect

from app.communities.codes import issue_codes
from app.extensions import db
from app.plans.queries import local_today
from tests.e2e.test_worker import sign_in_worker
from tests.tally.conftest import Estate


def _published_options_plan(app, factory):
    """E1 undecided (a split owner ties A and B on headcount), F1 with C chosen; published."""
    with app.test_request_context():
        estate = Estate(name="方案小区")
        today = local_today()
        plan = estate.plan(voting_opens=today - timedelta(9), voting_closes=today - timedelta(2))
        estate.item(plan, "E1", rule="cc278_ordinary", options=("A", "B"), title="加装电梯")
        estate.item(plan, "F1", rule="cc278_ordinary", options=("A", "B", "C"), title="外墙颜色")
        marks = [("X", "60", "agree:A", "agree:C"), ("X", "80", "agree:B", "agree:C"),
                 ("Y", "70", "agree:A", "agree:C"), ("Z", "90", "agree:B", "agree:A"),
                 ("W", "50", "oppose", "oppose")]  # fmt: skip
        households = []
        for owner, area, e1, f1 in marks:
            h = estate.household(area, owner=owner)
            estate.ballot(plan, h, {"E1": e1, "F1": f1})
            households.append(h.id)
        plan.phase, plan.result_stage = "published", "final"
        plan.objections_close = today - timedelta(days=1)
        plan.final_published_at = plan.phase_changed_at
        codes = {h.id: code for h, code in issue_codes(estate.community)}
        cid, pid = estate.cid, plan.id
        db.session.commit()
    factory.user("worker1", "worker", communities=[cid])
    return cid, pid, codes[households[0]]


def test_resident_and_worker_see_option_bars_on_a_phone(app, phone, factory):
    cid, pid, code = _published_options_plan(app, factory)
    page = phone.page
    page.goto(f"/h/{code}")
    page.goto("/results")
    bars = page.locator("svg.option-bars")
    expect(bars).to_have_count(2)
    expect(page.get_by_text("未决出方案，需决选").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert bars.first.bounding_box()["width"] <= 390
    phone.shot("resident-results-option-bars")
    sign_in_worker(phone, "worker1")
    page.goto(f"/c/{cid}/plans/{pid}/results")
    expect(page.locator("svg.option-bars")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("worker-results-option-bars")
    # The final result is out: the worker opens the runoff between A and B from the item's card.
    form = page.locator("form.runoff-form")
    expect(form).to_contain_text("发起决选：在 A、B 之间")
    with app.app_context():
        opens = local_today()
    form.get_by_label("决选开始日期").fill(opens.isoformat())
    form.get_by_label("决选截止日期（含当天）").fill((opens + timedelta(days=5)).isoformat())
    form.scroll_into_view_if_needed()
    phone.shot("worker-runoff-form", full=False)
    form.get_by_role("button", name="发起决选").click()
    expect(page.get_by_text("本项目是决选：决定")).to_be_visible()
    phone.shot("runoff-plan-results")
