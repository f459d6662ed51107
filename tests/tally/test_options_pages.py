"""Results pages of items with options: per-option bars as inline SVG, the chosen option or
"未决出方案，需决选", explained in words; the residents' page too."""

from datetime import timedelta

import pytest

from app.communities.codes import issue_codes
from app.extensions import db
from app.plans.queries import local_today
from tests.conftest import post_form, sign_in_staff


@pytest.fixture
def options_plan(app, build, factory):
    """E1 (two options, split owner: undecided) and F1 (three options, C chosen)."""
    with build() as estate:
        today = local_today()
        plan = estate.plan(voting_opens=today - timedelta(3), voting_closes=today + timedelta(3))
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
        ids = {"cid": estate.cid, "pid": plan.id, "hh": households}
        ids["items"] = {i.key: i.id for i in plan.items}
    factory.user("worker1", "worker", communities=[estate.cid])
    return ids


def test_dashboard_draws_option_bars_and_names_the_outcome(client, options_plan):
    sign_in_staff(client, "worker1")
    ids = options_plan
    html = client.get(f"/c/{ids['cid']}/plans/{ids['pid']}/results").get_data(as_text=True)
    assert html.count('<svg class="option-bars"') == 2
    assert "<script" not in html.split('<svg class="option-bars"')[1].split("</svg>")[0]
    assert "未决出方案，需决选" in html
    assert "同意人数上 A、B 并列最多，同意面积最多的是 B。将在 A、B 之间决选。" in html
    assert "选定方案：C 方案C。同意它的人数和面积都最多。" in html
    assert "1.5 人 · 37.5%" in html  # A in E1: 3/2 of 4 participating owners
    assert "130.00 平方米 · 37.1%" in html  # 130 of 350 m²
    assert "✓ 选定" in html
    publication = client.get(f"/c/{ids['cid']}/plans/{ids['pid']}/publication")
    assert "未决出方案，需决选：同意人数上 A、B 并列最多" in publication.get_data(as_text=True)
    explain = client.get(
        f"/c/{ids['cid']}/plans/{ids['pid']}/items/{ids['items']['E1']}/explain"
    ).get_data(as_text=True)
    assert "方案 A（方案A）：同意 2 户，折合 1.5 人（精确为 1又1/2 人）" in explain
    assert "两者不是同一个方案，或有并列" in explain


def test_resident_results_show_bars_and_the_runoff_notice(app, client, options_plan):
    from app.communities.models import Community
    from app.plans.models import Plan

    with app.app_context():
        plan = db.session.get(Plan, options_plan["pid"])
        plan.phase, plan.result_stage = "published", "preliminary"
        plan.objections_close = local_today() + timedelta(days=7)
        issued = issue_codes(db.session.get(Community, options_plan["cid"]))
        codes = {h.id: code for h, code in issued}
        db.session.commit()
    post_form(client, "/", {"code": codes[options_plan["hh"][0]]})
    html = client.get("/results").get_data(as_text=True)
    assert html.count('<svg class="option-bars"') == 2
    assert "未决出方案，需决选" in html and "选定方案：C" in html


def test_notice_draws_option_bars_and_the_runoff_notice(app, options_plan, tmp_path):
    from app.plans.models import Plan
    from tests.printing.conftest import pdf_pages

    with app.app_context():
        plan = db.session.get(Plan, options_plan["pid"])
        plan.phase, plan.result_stage = "published", "preliminary"
        plan.objections_close = local_today() + timedelta(days=7)
        plan.preliminary_published_at = plan.phase_changed_at
        db.session.commit()
    out = tmp_path / "notice.pdf"
    result = app.test_cli_runner().invoke(
        args=["print", "notice", str(options_plan["pid"]), "--kind", "preliminary",
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    flat = "".join(pdf_pages(out.read_bytes())).replace("\n", "").replace(" ", "")
    assert "未决出方案，需决选" in flat and "将在A、B之间决选" in flat
    assert "选定方案：C方案C" in flat and "【选定】" in flat
    assert "1.5人·37.5%" in flat and "130.00平方米·37.1%" in flat
    assert "实心条为同意人数，斜线条为同意面积" in flat


def test_worker_opens_a_runoff_from_the_results_page_and_both_link(app, client, build, factory):
    from app.plans.workflow import set_phase

    with build() as estate:
        today = local_today()
        plan = estate.plan(phase="drafting", voting_opens=today - timedelta(9),
                           voting_closes=today - timedelta(2))  # fmt: skip
        item = estate.item(plan, "E1", rule="cc278_ordinary", options=("A", "B"), title="加装电梯")
        marks = [("X", "60", "agree:A"), ("X", "80", "agree:B"), ("Y", "70", "agree:A"),
                 ("Z", "90", "agree:B")]  # fmt: skip
        households = [estate.household(area, owner=owner) for owner, area, _m in marks]
        set_phase(plan, "voting")
        for h, (_o, _a, mark) in zip(households, marks, strict=True):
            estate.ballot(plan, h, {"E1": mark})
        plan.phase, plan.result_stage = "published", "final"
        cid, pid, item_id = estate.cid, plan.id, item.id
    factory.user("worker1", "worker", communities=[cid])
    factory.user("committee1", "committee", communities=[cid])
    results = f"/c/{cid}/plans/{pid}/results"
    sign_in_staff(client, "committee1")
    assert "发起决选" not in client.get(results).get_data(as_text=True)  # not theirs to open
    sign_in_staff(client, "worker1")
    html = client.get(results).get_data(as_text=True)
    assert "发起决选：在 A、B 之间" in html
    with app.app_context():
        opens = local_today()
    response = post_form(
        client, f"/c/{cid}/plans/{pid}/items/{item_id}/runoff",
        {"voting_opens": opens.isoformat(), "voting_closes": (opens + timedelta(5)).isoformat()},
        form_page=results,
    )  # fmt: skip
    assert response.status_code == 302
    runoff_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "本项目是决选" in runoff_page and f"/c/{cid}/plans/{pid}/results#item-E1" in runoff_page
    html = client.get(results).get_data(as_text=True)
    assert "已发起决选" in html and "发起决选：在" not in html
    # The residents see the runoff named on the original result.
    from app.communities.models import Community

    with app.app_context():
        issued = issue_codes(db.session.get(Community, cid))
        code = next(code for h, code in issued)
        db.session.commit()
    post_form(client, "/signout", form_page=f"/c/{cid}/plans/{pid}/results")
    post_form(client, "/", {"code": code})
    html = client.get("/results").get_data(as_text=True)
    assert "已发起决选：改造方案：E1 加装电梯 决选" in html
