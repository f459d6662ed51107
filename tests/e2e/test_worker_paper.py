"""Workers open voting, key one paper ballot twice (two workers, double entry), see the tally;
a resident's online vote shows up next to it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.communities.models import Household
from app.extensions import db
from app.plans.models import Plan
from app.voting.models import Ballot, EffectiveBallot
from tests.e2e.conftest import PHONE
from tests.e2e.test_worker import sign_in_worker

PAPER_HOUSEHOLD = ("1号楼", "1单元", "101")  # items A1, A2, B2, C1
MARKS = {"A1": "1", "A2": "2", "B2": "1", "C1": "3"}  # 同意, 反对, 同意, 弃权


@pytest.fixture
def drafting_plan(app, factory):
    """The example plan in drafting, two workers, and ballots printed for one household."""
    from app.printing.batches import prepare_ballots
    from app.printing.operations import apply_batch
    from tests.reliability.conftest import build_plan

    setup = build_plan(app, "drafting")
    factory.user("w1", "worker", communities=[setup["community_id"]])
    factory.user("w2", "worker", communities=[setup["community_id"]])
    with app.app_context():
        plan = db.session.get(Plan, setup["plan_id"])
        household = db.session.get(Household, setup["households"][PAPER_HOUSEHOLD])
        batch = prepare_ballots(plan, [household])
        apply_batch(plan, batch, actor="test")
        db.session.commit()
        serial = batch.serials[household.id][0]
        db.session.remove()
    return {**setup, "serial": serial}


def _key_ballot(device, base: str, serial: str) -> None:
    page = device.page
    page.goto(f"{base}/paper/entry")
    page.get_by_label("票号（扫码枪扫描或键盘输入，然后按 Enter）").fill(serial)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2)).to_contain_text("1号楼")
    for key, mark in MARKS.items():
        page.locator(f"#m-{key}").fill(mark)
    device.shot("marks-keyed")
    page.get_by_role("button", name="保存（Enter）").click()


def test_workers_open_voting_key_a_paper_ballot_twice_and_see_the_tally(
    app, desktop, second_phone, factory, drafting_plan
):
    cid, pid = drafting_plan["community_id"], drafting_plan["plan_id"]
    base = f"/c/{cid}/plans/{pid}"
    first, second = desktop, second_phone  # the second worker keys on a phone
    sign_in_worker(first, "w1")
    page = first.page
    page.goto(base)
    first.shot("plan-drafting")
    page.get_by_role("button", name=re.compile("开始表决")).click()
    expect(page.get_by_text("确认后将会：")).to_be_visible()  # the move asks first
    page.get_by_role("button", name=re.compile("确认进入")).click()
    expect(page.get_by_text("表决进行中")).to_be_visible()
    first.shot("voting-open")

    _key_ballot(first, base, drafting_plan["serial"])
    expect(page.get_by_role("status")).to_contain_text("还需要另一位工作人员再录入一次")
    first.shot("first-entry-saved")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 0
        db.session.remove()

    sign_in_worker(second, "w2")
    _key_ballot(second, base, drafting_plan["serial"])
    expect(second.page.get_by_role("status")).to_contain_text("已确认并计入")
    second.shot("second-entry-confirmed")

    # A resident votes online as well, on another household, on their own phone (on the
    # worker's signed-in phone the link would first ask whether to switch).
    codes = factory.codes(cid)
    own_phone = second.context.browser.new_context(base_url=second.base_url, **PHONE)
    resident = own_phone.new_page()
    resident.goto(f"/h/{codes[('2号楼', '1单元', '101')]}")
    resident.goto("/vote")
    items = resident.locator("fieldset.vote-item")
    for n in range(items.count()):
        items.nth(n).get_by_role("radio", name="同意").check()
    resident.get_by_role("button", name="下一步：确认").click()
    resident.get_by_role("button", name="确认提交").click()
    expect(resident).to_have_url(re.compile(r"/vote/receipt/"))
    own_phone.close()

    page.goto(f"{base}/results")
    stats = page.get_by_role("region", name="表决票")
    expect(stats).to_contain_text("有效表决票")
    first.shot("tally", full=False)
    with app.app_context():
        channels = sorted(
            db.session.scalars(
                select(Ballot.channel).join(EffectiveBallot, EffectiveBallot.ballot_id == Ballot.id)
            )
        )
        db.session.remove()
    assert channels == ["online", "paper"]
    numbers = [int(n) for n in stats.locator(".num").all_inner_texts()]
    assert numbers[:3] == [2, 1, 1], numbers  # effective, online, paper
