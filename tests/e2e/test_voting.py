"""A household votes on its phone: choose, confirm, receipt; changes its vote; checks receipts.

The example community (tests/data) with its example plan open for voting.
"""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.voting.models import Ballot, EffectiveBallot


def _ballots(app, household_id):
    with app.app_context():
        ballots = db.session.execute(
            select(Ballot.id, Ballot.receipt).where(Ballot.household_id == household_id)
        ).all()
        effective = db.session.scalars(
            select(EffectiveBallot.ballot_id).where(EffectiveBallot.household_id == household_id)
        ).all()
        db.session.remove()
    return ballots, effective


def _receipt_on_page(page) -> str:
    expect(page).to_have_url(re.compile(r"/vote/receipt/[A-Z0-9]+$"))
    return page.locator(".code-display").inner_text().replace("-", "").strip()


def test_household_votes_confirms_gets_receipt_and_changes_its_vote(app, phone, voter):
    page = phone.page
    page.goto(f"/h/{voter['code']}")
    expect(page).to_have_url(re.compile(r"/home$"))
    phone.shot("home-voting-open")
    page.get_by_role("link", name="去表决").click()
    expect(page).to_have_url(re.compile(r"/vote$"))
    items = page.locator("fieldset.vote-item")
    count = items.count()
    assert count == 4, "A1, B1 (the elevator of 3号楼 2单元), B2 and C1"
    phone.shot("ballot-empty")

    picks = ["同意", "反对", "同意", "弃权"]
    for n in range(count):
        items.nth(n).get_by_role("radio", name=picks[n]).check()
    pledges = page.get_by_role("checkbox")
    if pledges.count():
        pledges.first.check()
    phone.shot("ballot-filled")
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.get_by_role("heading", name="请确认您的选择")).to_be_visible()
    expect(page.locator(".confirm-list li")).to_have_count(count)
    for n in range(count):
        expect(page.locator(".confirm-list li").nth(n)).to_contain_text(picks[n])
    phone.shot("confirm")
    page.get_by_role("button", name="确认提交").click()
    first = _receipt_on_page(page)
    expect(page.get_by_text("这张票是您家目前有效的一票。")).to_be_visible()
    phone.shot("receipt")

    # Change the vote: the ballot opens with the earlier choices; abstain on the first item.
    page.get_by_role("link", name="修改我的选择").click()
    for n in range(count):
        expect(items.nth(n).get_by_role("radio", name=picks[n])).to_be_checked()
    items.nth(0).get_by_role("radio", name="弃权").check()
    phone.shot("ballot-changed")
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.locator(".confirm-list li").first).to_contain_text("弃权")
    page.get_by_role("button", name="确认提交").click()
    second = _receipt_on_page(page)
    assert second != first
    phone.shot("receipt-after-change")

    ballots, effective = _ballots(app, voter["household_id"])
    assert len(ballots) == 2 and effective == [max(b.id for b in ballots)]

    # Anyone can check a receipt: the old one is superseded, the new one counts, no choices.
    page.goto("/receipt")
    page.get_by_label("回执码").fill(first)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("该户后来又在网上修改了表决")
    expect(page.get_by_role("status")).not_to_contain_text("同意")
    phone.shot("old-receipt-superseded")
    page.get_by_label("回执码").fill(f"{second[:5]}-{second[5:]}".lower())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("会被计入")
    phone.shot("new-receipt-counts")


def test_double_tap_on_confirm_records_one_ballot(app, phone, voter):
    page = phone.page
    page.goto(f"/h/{voter['code']}")
    page.goto("/vote")
    items = page.locator("fieldset.vote-item")
    for n in range(items.count()):
        items.nth(n).get_by_role("radio", name="同意").check()
    page.get_by_role("button", name="下一步：确认").click()
    page.get_by_role("button", name="确认提交").dblclick()
    _receipt_on_page(page)
    # Resending the confirmed form (back, then submit again) records nothing new either.
    page.go_back()
    expect(page.get_by_role("button", name="确认提交")).to_be_visible()
    page.get_by_role("button", name="确认提交").click()
    _receipt_on_page(page)
    ballots, effective = _ballots(app, voter["household_id"])
    assert len(ballots) == 1 and effective == [ballots[0].id]


def test_receipt_check_without_signing_in(phone, voter):
    page = phone.page
    page.goto("/receipt")
    page.get_by_label("回执码").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert")).to_contain_text("没有找到这个回执码")
    phone.shot("unknown-receipt")
