"""Phase × role matrix for proposal actions: the operations and the HTTP routes both follow the
proposal rows of the phase table (app/plans/phases.py), written out below, in every phase."""

import pytest
from sqlalchemy import func, select

from app.communities.models import Household
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Plan
from app.plans.phases import PHASE_ACTIONS, PHASES, RESIDENT, WORKER
from app.proposals.models import Proposal, ProposalSupport
from app.proposals.operations import (
    accept_into_new_item,
    create_proposal,
    decline_proposal,
    link_to_item,
    merge_proposals,
    support_proposal,
    withdraw_support,
)
from tests.conftest import post_form

# Written out, not read from PHASE_ACTIONS, so a changed entry fails: residents read proposals
# in every phase, propose and support only while proposals are open; workers add proposals and
# decide them while proposals are open and while the plan is drafted.
ALLOWED = {
    (RESIDENT, "view_proposals"): set(PHASES),
    (RESIDENT, "propose"): {"proposals"},
    (RESIDENT, "support"): {"proposals"},
    (WORKER, "add_proposal"): {"proposals", "drafting"},
    (WORKER, "decide_proposal"): {"proposals", "drafting"},
}


def allowed(role: str, action: str, phase: str) -> bool:
    """What the matrix above says."""
    return phase in ALLOWED[(role, action)]


def attempt(fn) -> bool:
    """True when the operation went through; the transaction is rolled back either way."""
    try:
        fn()
        return True
    except DomainError:
        return False
    finally:
        db.session.rollback()


def test_the_table_gives_residents_and_workers_the_expected_proposal_phases():
    for (role, action), phases in ALLOWED.items():
        assert {p for p in PHASES if action in PHASE_ACTIONS[p][role]} == phases, (role, action)


@pytest.mark.parametrize("phase", PHASES)
def test_operations_follow_the_phase_table(app, world, make_proposal, phase):
    h = world.households_a
    target, other, linked = make_proposal(h[0]), make_proposal(h[1]), make_proposal(h[4])
    supported = make_proposal(h[3])
    with app.test_request_context():
        support_proposal(db.session.get(Proposal, supported), db.session.get(Household, h[2]))
        item = accept_into_new_item(
            db.session.get(Proposal, linked), key="A1", title="已有项目", category="basic"
        )
        item_id = item.id
        db.session.commit()
    world.set_phase(world.plan_a, phase)

    def proposal(pid):
        return db.session.get(Proposal, pid)

    def household(hid):
        return db.session.get(Household, hid)

    with app.test_request_context():
        plan = db.session.get(Plan, world.plan_a)
        outcomes = {
            "propose": attempt(
                lambda: create_proposal(
                    db.session.get(Plan, world.plan_a),
                    household=household(h[2]),
                    title="新提议",
                    category="basic",
                )
            ),
            "support": attempt(lambda: support_proposal(proposal(target), household(h[2]))),
            "withdraw": attempt(lambda: withdraw_support(proposal(supported), household(h[2]))),
            "add_proposal": attempt(
                lambda: create_proposal(
                    db.session.get(Plan, world.plan_a),
                    source="survey",
                    title="问卷提议",
                    category="improvement",
                )
            ),
            "decline": attempt(lambda: decline_proposal(proposal(target), "不在范围内")),
            "merge": attempt(lambda: merge_proposals(proposal(target), proposal(other))),
            "accept": attempt(
                lambda: accept_into_new_item(
                    proposal(target), key="A2", title="新项目", category="basic"
                )
            ),
            "link": attempt(
                lambda: link_to_item(proposal(target), db.session.get(type(item), item_id))
            ),
        }
        assert plan.phase == phase
    expected = {
        "propose": allowed(RESIDENT, "propose", phase),
        "support": allowed(RESIDENT, "support", phase),
        "withdraw": allowed(RESIDENT, "support", phase),
        "add_proposal": allowed(WORKER, "add_proposal", phase),
        "decline": allowed(WORKER, "decide_proposal", phase),
        "merge": allowed(WORKER, "decide_proposal", phase),
        "accept": allowed(WORKER, "decide_proposal", phase),
        "link": allowed(WORKER, "decide_proposal", phase),
    }
    assert outcomes == expected


def count_titled(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Proposal.id)).where(Proposal.title == title))


def supports_of(app, pid: int) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(ProposalSupport.household_id).where(ProposalSupport.proposal_id == pid)
            )
        )


def status_of(app, pid: int) -> str:
    with app.app_context():
        return db.session.get(Proposal, pid).status


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
def test_http_routes_follow_the_phase_table(app, world, make_proposal, phase):
    h = world.households_a
    target, other, to_accept = make_proposal(h[0]), make_proposal(h[1]), make_proposal(h[4])
    supported = make_proposal(h[3], title="已支持的提议")
    with app.test_request_context():
        support_proposal(db.session.get(Proposal, supported), db.session.get(Household, h[2]))
        db.session.commit()
    world.set_phase(world.plan_a, phase)

    # Resident: reads in every phase; proposes, supports and withdraws only while proposals open.
    resident = world.household_client(h[2])
    page = resident.get("/proposals")
    assert page.status_code == 200 and "已支持的提议" in page.get_data(as_text=True)
    form_shown = 'name="title"' in resident.get("/proposals/new").get_data(as_text=True)
    assert form_shown == allowed(RESIDENT, "propose", phase)
    response = post_form(
        resident, "/proposals/new", {"title": "新提议", "category": "basic"}, form_page="/proposals"
    )
    may_propose = allowed(RESIDENT, "propose", phase)
    assert response.status_code == (302 if may_propose else 422)
    assert count_titled(app, "新提议") == (1 if may_propose else 0)
    may_support = allowed(RESIDENT, "support", phase)
    assert (f'action="/proposals/{target}/support"' in page.get_data(as_text=True)) == may_support
    post_form(resident, f"/proposals/{target}/support", form_page="/proposals")
    assert (h[2] in supports_of(app, target)) == may_support
    post_form(resident, f"/proposals/{supported}/withdraw", form_page="/proposals")
    assert (h[2] in supports_of(app, supported)) == (not may_support)

    # Worker: adds and decides in proposals and drafting.
    worker = world.staff_client("worker")
    assert worker.get(world.staff_url()).status_code == 200
    may_add = allowed(WORKER, "add_proposal", phase)
    response = post_form(
        worker,
        world.staff_url("/new"),
        {"source": "survey", "title": "问卷提议", "category": "improvement"},
    )
    assert response.status_code == (302 if may_add else 422)
    assert count_titled(app, "问卷提议") == (1 if may_add else 0)
    may_decide = allowed(WORKER, "decide_proposal", phase)
    detail = worker.get(world.staff_url(f"/{target}")).get_data(as_text=True)
    assert ("/decline" in detail) == may_decide
    response = post_form(
        worker,
        world.staff_url(f"/{target}/decline"),
        {"reason": "不在本次范围"},
        form_page=world.staff_url(f"/{target}"),
    )
    assert response.status_code == (302 if may_decide else 422)
    assert status_of(app, target) == ("declined" if may_decide else "open")
    response = post_form(
        worker,
        world.staff_url(f"/{to_accept}/accept"),
        {"key": "A1", "title": "新项目", "category": "basic"},
        form_page=world.staff_url(f"/{to_accept}"),
    )
    assert response.status_code == (302 if may_decide else 422)
    assert status_of(app, to_accept) == ("accepted" if may_decide else "open")
    response = post_form(
        worker,
        world.staff_url(f"/{other}/merge"),
        {"target": to_accept, "confirmed": "1"},
        form_page=world.staff_url(f"/{other}"),
    )
    assert response.status_code == (302 if may_decide else 422)
    assert status_of(app, other) == ("merged" if may_decide else "open")
    # Undo (a decline, a merge) follows the same row of the table.
    for undone in (target, other):
        post_form(worker, world.staff_url(f"/{undone}/undo"), form_page=world.staff_url())
        assert status_of(app, undone) == "open"

    # Committee and district staff read in every phase and never write.
    for role in ("committee", "district"):
        client = world.staff_client(role)
        assert client.get(world.staff_url()).status_code == 200
        assert client.get(world.staff_url(f"/{supported}")).status_code == 200
        for suffix, data in (
            ("/new", {"title": "x", "category": "basic"}),
            (f"/{supported}/decline", {"reason": "x"}),
        ):
            response = post_form(client, world.staff_url(suffix), data, form_page=world.staff_url())
            assert response.status_code == 403, (role, suffix)
