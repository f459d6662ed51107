"""Merges and declines can be undone while the draft is open; a merge is confirmed first."""

import pytest
from sqlalchemy import select

from app.communities.models import Household
from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.proposals.models import Proposal
from app.proposals.operations import (
    decline_proposal,
    merge_proposals,
    support_proposal,
    undo_decline,
    undo_merge,
)
from tests.conftest import post_form
from tests.proposals.test_operations import supporters


def test_undoing_a_merge_gives_each_proposal_back_its_supporters(app, world, make_proposal):
    h = world.households_a
    keep = make_proposal(h[0], title="加装电梯")
    dup = make_proposal(h[1], title="装电梯吧")
    earlier = make_proposal(h[4], title="希望有电梯")
    with app.test_request_context():
        for hid in (h[2], h[3]):
            support_proposal(db.session.get(Proposal, keep), db.session.get(Household, hid))
        for hid in (h[2], h[5]):  # h[2] supports both
            support_proposal(db.session.get(Proposal, dup), db.session.get(Household, hid))
        merge_proposals(db.session.get(Proposal, earlier), db.session.get(Proposal, dup))
        merge_proposals(db.session.get(Proposal, dup), db.session.get(Proposal, keep))
        before_keep = supporters(keep)
        back = undo_merge(db.session.get(Proposal, dup))
        db.session.commit()
        assert back == 2  # h[1] and h[5]: the duplicate's own supporters
        assert supporters(dup) == {h[1], h[2], h[5]}
        # The earlier proposal stays merged, its supporter with the proposal it points to.
        assert supporters(keep) == before_keep - {h[1], h[5]} == {h[0], h[2], h[3], h[4]}
        row = db.session.get(Proposal, dup)
        assert (row.status, row.merged_into_id, row.decided_at) == ("open", None, None)
        assert db.session.get(Proposal, earlier).merged_into_id == keep
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions[-1] == "proposal.unmerge"


def test_undoing_a_decline_reopens_the_proposal(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    with app.test_request_context():
        proposal = db.session.get(Proposal, pid)
        decline_proposal(proposal, "不在改造范围内")
        undo_decline(proposal)
        assert (proposal.status, proposal.decline_reason) == ("open", None)
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "proposal.undecline" and "不在改造范围内" in event.before


def test_no_undo_once_voting_has_started(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    with app.test_request_context():
        decline_proposal(db.session.get(Proposal, pid), "不在改造范围内")
        db.session.commit()
    world.set_phase(world.plan_a, "voting")
    with app.test_request_context(), pytest.raises(DomainError):
        undo_decline(db.session.get(Proposal, pid))


def test_merge_asks_first_and_the_page_offers_undo(app, world, make_proposal):
    keep = make_proposal(world.households_a[0], title="加装电梯")
    dup = make_proposal(world.households_a[1], title="装个电梯")
    worker = world.staff_client("worker")
    detail = world.staff_url(f"/{dup}")
    asked = post_form(worker, world.staff_url(f"/{dup}/merge"), {"target": keep}, form_page=detail)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认合并" in html and "1 户的支持转到" in html
    with app.app_context():
        assert db.session.get(Proposal, dup).status == "open"  # only asked
    post_form(
        worker,
        world.staff_url(f"/{dup}/merge"),
        {"target": keep, "confirmed": "1"},
        form_page=detail,
    )
    page = worker.get(detail).get_data(as_text=True)
    assert "撤销合并" in page
    post_form(worker, world.staff_url(f"/{dup}/undo"), form_page=detail)
    with app.app_context():
        assert db.session.get(Proposal, dup).status == "open"
        assert supporters(dup) == {world.households_a[1]}


def test_deleting_an_item_asks_first(app, world, make_proposal):
    from app.plans.items import save_item
    from app.plans.models import Item, Plan

    with app.test_request_context():
        item = save_item(
            db.session.get(Plan, world.plan_a), None, scope=[], key="A1", title="路灯",
            category="basic",
        )  # fmt: skip
        db.session.commit()
        item_id = item.id
    worker = world.staff_client("worker")
    form_page = f"/c/{world.a}/plans/{world.plan_a}/items/{item_id}"
    url = f"/c/{world.a}/plans/{world.plan_a}/items/{item_id}/delete"
    asked = post_form(worker, url, form_page=form_page)
    assert asked.status_code == 200 and "确认删除" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Item, item_id) is not None
    post_form(worker, url, {"confirmed": "1"}, form_page=form_page)
    with app.app_context():
        assert db.session.get(Item, item_id) is None
