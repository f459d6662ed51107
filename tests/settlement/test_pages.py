"""Change orders and final accounts through the pages: a worker drafts, the committee decides,
a revision vote runs through the ordinary voting machinery, the accounts are entered and
confirmed, and the household sees its share change and its refund."""

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from app.communities.models import Household
from app.extensions import db
from app.plans.models import HouseholdShare, Plan
from app.plans.queries import local_today
from app.plans.workflow import set_phase
from app.settlement.models import ChangeOrder, FinalAccount
from app.tally.operations import publish_final, publish_preliminary
from app.voting.models import Ballot, BallotChoice, EffectiveBallot
from tests.conftest import post_form, sign_in_staff
from tests.funding.conftest import build_world

_receipts = count(1)


def agree_all(plan: Plan) -> None:
    """Every household of the community agrees to every item (effective ballots)."""
    for household in db.session.scalars(
        select(Household).where(Household.community_id == plan.community_id)
    ):
        ballot = Ballot(
            community_id=plan.community_id,
            plan_id=plan.id,
            household_id=household.id,
            channel="online",
            receipt=f"S{next(_receipts):09d}",
        )
        db.session.add(ballot)
        db.session.flush()
        for item in plan.items:
            db.session.add(
                BallotChoice(
                    community_id=plan.community_id,
                    ballot_id=ballot.id,
                    item_id=item.id,
                    item_revision=item.revision,
                    choice="agree",
                )
            )
        db.session.add(
            EffectiveBallot(
                community_id=plan.community_id,
                plan_id=plan.id,
                household_id=household.id,
                ballot_id=ballot.id,
                reason="online_only",
            )
        )
    db.session.flush()


def vote_and_publish(plan: Plan, agree: bool = True) -> None:
    """Voting (already open) ends yesterday with everyone agreeing (or nobody voting); the
    preliminary and final results are published."""
    today = local_today()
    if agree:
        agree_all(plan)
    plan.voting_opens = today - timedelta(days=3)
    plan.voting_closes = today - timedelta(days=1)
    plan.objection_days = 0
    publish_preliminary(plan, today)
    publish_final(plan, today + timedelta(days=1))


@pytest.fixture
def site(app, factory):
    w = build_world(app, voting=True)
    with app.test_request_context():
        vote_and_publish(w.plan)
        set_phase(w.plan, "works")
        db.session.commit()
    factory.user("worker", "worker", communities=[w.community_id])
    factory.user("committee", "committee", communities=[w.community_id])
    other = factory.community("别的小区")
    factory.user("stranger", "worker", communities=[other])
    return w


def client_as(app, username):
    client = app.test_client()
    sign_in_staff(client, username)
    return client


def test_change_order_with_revision_vote_and_final_accounts(app, site):
    base = f"/c/{site.community_id}/plans/{site.plan_id}"
    worker, committee = client_as(app, "worker"), client_as(app, "committee")
    with app.app_context():
        a1, a2 = site.item("A1"), site.item("A2")
        a1_id, a2_id = a1.id, a2.id
        household = site.household("1号楼1单元101")
        hid = household.id
        share_before = db.session.scalar(
            select(HouseholdShare.amount_fen).where(
                HouseholdShare.item_id == a1_id, HouseholdShare.household_id == hid
            )
        )
    page = worker.get(f"{base}/changes")
    assert page.status_code == 200 and "起草设计变更" in page.get_data(as_text=True)
    assert client_as(app, "stranger").get(f"{base}/changes").status_code == 404
    # +3,000 yuan on a residents' part of 20,000: every share rises 15 % > 10 %.
    response = post_form(
        worker,
        f"{base}/changes",
        {"item_id": a1_id, "reason": "外墙增加涂料", "cost_change": "3000"},
        form_page=f"{base}/changes",
    )
    assert response.status_code == 302
    with app.app_context():
        change = db.session.scalar(select(ChangeOrder))
        change_id = change.id
        assert change.needs_vote and change.status == "drafted"
    detail = f"{base}/changes/{change_id}"
    assert "须重新表决" in worker.get(f"{base}/changes").get_data(as_text=True)
    # A worker may not decide; the committee approves: a revision plan is drafted.
    assert post_form(worker, f"{detail}/approve", form_page=detail).status_code == 403
    assert post_form(committee, f"{detail}/approve", form_page=detail).status_code == 302
    with app.test_request_context():
        change = db.session.get(ChangeOrder, change_id)
        assert change.status == "pending_vote"
        revision = db.session.get(Plan, change.revision_plan_id)
        # The ordinary machinery: open voting (shares fixed over a new frozen electorate),
        # everyone agrees, preliminary and final results.
        set_phase(revision, "voting")
        vote_and_publish(revision)
        db.session.commit()
    page = committee.get(detail).get_data(as_text=True)
    assert "修订表决最终结果：通过。" in page
    assert post_form(committee, f"{detail}/settle", form_page=detail).status_code == 403
    assert post_form(worker, f"{detail}/settle", form_page=detail).status_code == 302
    with app.app_context():
        change = db.session.get(ChangeOrder, change_id)
        assert change.status == "effective"
        share_after = db.session.scalar(
            select(HouseholdShare.amount_fen).where(
                HouseholdShare.item_id == a1_id, HouseholdShare.household_id == hid
            )
        )
        assert share_after > share_before
        codes = {}
    # The household sees its share change on its own page.
    from app.communities.codes import issue_codes
    from app.communities.models import Community

    with app.test_request_context():
        for h, code in issue_codes(db.session.get(Community, site.community_id)):
            codes[h.id] = code
        db.session.commit()
    resident = app.test_client()
    assert resident.get(f"/h/{codes[hid]}").status_code == 302
    mine = resident.get("/my/changes").get_data(as_text=True)
    assert "外墙增加涂料" in mine and "补 " in mine
    item_page = resident.get("/plan").get_data(as_text=True)
    assert "设计变更（已生效）" in item_page and "外墙增加涂料" in item_page

    # Final accounts in acceptance: the worker enters A2 at 900 yuan, the committee confirms.
    with app.test_request_context():
        set_phase(db.session.get(Plan, site.plan_id), "acceptance")
        db.session.commit()
    final_page = f"{base}/final-accounts/{a2_id}"
    assert worker.get(f"{base}/final-accounts").status_code == 200
    response = post_form(worker, final_page, {"option_id": 0, "actual_cost": "900"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert post_form(worker, f"{final_page}/confirm", form_page=final_page).status_code == 403
    assert post_form(committee, f"{final_page}/confirm", form_page=final_page).status_code == 302
    with app.app_context():
        final = db.session.scalar(select(FinalAccount))
        assert (final.status, final.refunds_fen, final.top_ups_fen) == ("confirmed", 10_000, 0)
    statement = worker.get(f"{base}/households/{hid}/funding").get_data(as_text=True)
    assert "决算：多退少补" in statement and "退 16.6" in statement
    mine = resident.get("/my/changes").get_data(as_text=True)
    assert "退 16.6" in mine


def test_drafting_is_refused_outside_the_works(app, site):
    base = f"/c/{site.community_id}/plans/{site.plan_id}"
    with app.test_request_context():
        set_phase(db.session.get(Plan, site.plan_id), "acceptance")
        db.session.commit()
        a1_id = site.item("A1").id
    worker = client_as(app, "worker")
    response = post_form(
        worker,
        f"{base}/changes",
        {"item_id": a1_id, "reason": "x", "cost_change": "1"},
        form_page=f"{base}/changes",
    )
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.scalar(select(ChangeOrder)) is None


def test_archive_and_district_export_carry_the_figures(app, site, factory, tmp_path):
    import io
    import json
    import zipfile

    from openpyxl import load_workbook

    from app.reports.archive.build import build_archive
    from app.settlement.changes import approve_change, draft_change
    from app.settlement.finals import confirm_final_accounts, enter_final_accounts

    with app.test_request_context():
        change = draft_change(site.item("A1"), reason="外墙增加涂料", cost_change_fen=300_000)
        approve_change(change)  # beyond the threshold: waits for its revision vote
        set_phase(db.session.get(Plan, site.plan_id), "acceptance")
        final = enter_final_accounts(site.item("A2"), actual_cost_fen=90_000, actual_sources={})
        confirm_final_accounts(final)
        db.session.commit()
        path = tmp_path / "a.zip"
        info = build_archive(db.session.get(Plan, site.plan_id), path)
    assert info.manifest["counts"]["change_orders"] == 1
    assert info.manifest["counts"]["final_accounts"] == 1
    listed = {f["path"] for f in info.manifest["files"]}
    assert {"closeout/change-orders.json", "closeout/final-accounts.json"} <= listed
    with zipfile.ZipFile(path) as archive:
        root = info.root
        finals = json.loads(archive.read(root + "closeout/final-accounts.json"))
        changes = json.loads(archive.read(root + "closeout/change-orders.json"))
        payments = load_workbook(io.BytesIO(archive.read(root + "exports/payments.xlsx")))
    sheet = [list(r) for r in payments["决算退补"].iter_rows(values_only=True)]
    assert sheet[-1][-3:] == [1000, 900, -100]  # the total row: planned, final, refunds
    (a2,) = finals["final_accounts"]
    assert (a2["item"], a2["refunds_fen"], a2["status"]) == ("A2", 10_000, "confirmed")
    assert sum(s["difference_fen"] for s in a2["shares"]) == -10_000
    assert changes["change_orders"][0]["status"] == "pending_vote"

    factory.user("city", "admin")
    client = client_as(app, "city")
    book = load_workbook(io.BytesIO(client.get("/district/overview.xlsx").data))
    rows = [list(r) for r in book["决算与设计变更"].iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "小区"))
    cells = {r[0]: dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]}
    mine = cells["幸福小区"]
    assert mine["应退（元）"] == 100 and mine["应补（元）"] in (0, None)
    assert (mine["设计变更"], mine["待修订表决"]) == (1, 1)


def test_the_threshold_is_set_on_the_plan_edit_page(app, site):
    base = f"/c/{site.community_id}/plans/{site.plan_id}"
    worker = client_as(app, "worker")
    page = worker.get(f"{base}/edit").get_data(as_text=True)
    assert "设计变更阈值（%）" in page and 'value="10"' in page
    data = {
        "title": "改造方案",
        "description": "",
        "voting_closes": "",
        "objection_days": "0",
        "change_threshold_pct": "25",
    }
    with app.app_context():
        plan = db.session.get(Plan, site.plan_id)
        data["voting_closes"] = plan.voting_closes.isoformat()
    response = post_form(worker, f"{base}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        assert db.session.get(Plan, site.plan_id).change_threshold_pct == 25
    response = post_form(worker, f"{base}/edit", {**data, "change_threshold_pct": "-1"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Plan, site.plan_id).change_threshold_pct == 25
