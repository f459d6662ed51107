"""Proposal operations: one support per household, merge without double counting, accept into
the draft, decline with a reason; every write audited, every refusal changes nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.communities.models import Household
from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Item, ItemProposal, Plan
from app.plans.queries import items_for_household
from app.proposals.models import Proposal, ProposalPhoto, ProposalSupport
from app.proposals.operations import (
    accept_into_new_item,
    create_proposal,
    decline_proposal,
    link_to_item,
    merge_proposals,
    support_proposal,
    withdraw_support,
)
from app.proposals.queries import proposal_cards, proposals_for_items
from tests.conftest import db_examples
from tests.proposals.conftest import image_bytes


def supporters(proposal_id: int) -> set[int]:
    """Household ids supporting a proposal."""
    return set(
        db.session.scalars(
            select(ProposalSupport.household_id).where(ProposalSupport.proposal_id == proposal_id)
        )
    )


def audit_actions() -> list[str]:
    """Actions of the audit trail, oldest first."""
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_proposer_counts_as_first_supporter_and_creation_is_audited(app, world, make_proposal):
    h1 = world.households_a[0]
    pid = make_proposal(h1, photos=[("a.jpg", image_bytes("JPEG"))])
    with app.app_context():
        assert supporters(pid) == {h1}
        assert db.session.scalar(select(func.count(ProposalPhoto.id))) == 1
        assert audit_actions()[-1] == "proposal.create"


def test_support_is_once_per_household(app, world, make_proposal):
    h1, h2 = world.households_a[:2]
    pid = make_proposal(h1)
    with app.test_request_context():
        proposal, household = db.session.get(Proposal, pid), db.session.get(Household, h2)
        assert support_proposal(proposal, household) is True
        events = len(audit_actions())
        assert support_proposal(proposal, household) is False  # a second tap changes nothing
        assert len(audit_actions()) == events
        db.session.commit()
        assert supporters(pid) == {h1, h2}


def test_database_refuses_a_second_support_row(app, world, make_proposal):
    h1, h2 = world.households_a[:2]
    pid = make_proposal(h1)
    with app.app_context():
        db.session.add(ProposalSupport(community_id=world.a, proposal_id=pid, household_id=h2))
        db.session.commit()
        db.session.add(ProposalSupport(community_id=world.a, proposal_id=pid, household_id=h2))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert supporters(pid) == {h1, h2}


def test_withdraw_support_while_open_but_not_the_proposers_own(app, world, make_proposal):
    h1, h2 = world.households_a[:2]
    pid = make_proposal(h1)
    with app.test_request_context():
        proposal = db.session.get(Proposal, pid)
        support_proposal(proposal, db.session.get(Household, h2))
        assert withdraw_support(proposal, db.session.get(Household, h2)) is True
        assert withdraw_support(proposal, db.session.get(Household, h2)) is False
        with pytest.raises(DomainError):
            withdraw_support(proposal, db.session.get(Household, h1))
        assert supporters(pid) == {h1}
        assert audit_actions()[-2:] == ["proposal.support", "proposal.withdraw_support"]


def test_household_of_another_community_cannot_support(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    with app.test_request_context():
        with pytest.raises(DomainError):
            support_proposal(
                db.session.get(Proposal, pid), db.session.get(Household, world.households_b[0])
            )
        assert supporters(pid) == {world.households_a[0]}


def test_merge_moves_supports_without_counting_a_household_twice(app, world, make_proposal):
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
        moved = merge_proposals(db.session.get(Proposal, dup), db.session.get(Proposal, keep))
        db.session.commit()
        assert supporters(keep) == {h[0], h[1], h[2], h[3], h[4], h[5]}
        assert moved == 3  # h[1], h[4] (from the earlier merge), h[5]; h[2] counted once
        # h[2] supported both: the kept one counts it once; its support of the duplicate stays
        # there, so undoing the merge gives the duplicate back every supporter it had.
        assert supporters(dup) == {h[2]}
        dup_row, earlier_row = db.session.get(Proposal, dup), db.session.get(Proposal, earlier)
        assert (dup_row.status, dup_row.merged_into_id) == ("merged", keep)
        assert earlier_row.merged_into_id == keep  # chains point straight at the kept one
        cards = {c.proposal.id: c for c in proposal_cards(db.session.get(Plan, world.plan_a))}
        assert cards[keep].supports == 6 and cards[dup].merged_into.id == keep
        assert audit_actions().count("proposal.merge") == 2


def test_merge_refusals(app, world, make_proposal):
    a1 = make_proposal(world.households_a[0])
    a2 = make_proposal(world.households_a[1])
    b1 = make_proposal(world.households_b[0], plan_id=world.plan_b)
    with app.test_request_context():
        p1, p2, pb = (db.session.get(Proposal, i) for i in (a1, a2, b1))
        with pytest.raises(DomainError):
            merge_proposals(p1, p1)
        with pytest.raises(DomainError):
            merge_proposals(p1, pb)
        decline_proposal(p2, "重复")
        with pytest.raises(DomainError):
            merge_proposals(p1, p2)  # into a declined one
        with pytest.raises(DomainError):
            merge_proposals(p2, p1)  # a decided one
        assert p1.status == "open"


@settings(
    max_examples=db_examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.sets(st.integers(min_value=0, max_value=7)), st.sets(st.integers(min_value=0, max_value=7))
)
def test_merged_supporters_are_the_union(app, world, make_proposal, keep_set, dup_set):
    h = world.households_a
    keep, dup = make_proposal(source="survey"), make_proposal(source="door_to_door")
    with app.test_request_context():
        for pid, chosen in ((keep, keep_set), (dup, dup_set)):
            for i in chosen:
                support_proposal(db.session.get(Proposal, pid), db.session.get(Household, h[i]))
        merge_proposals(db.session.get(Proposal, dup), db.session.get(Proposal, keep))
        db.session.commit()
        assert supporters(keep) == {h[i] for i in keep_set | dup_set}


def test_accept_creates_an_item_that_the_draft_shows(app, world, make_proposal):
    pid = make_proposal(world.households_a[0], title="楼道灯更换")
    with app.test_request_context():
        proposal = db.session.get(Proposal, pid)
        item = accept_into_new_item(proposal, key="A1", title="楼道照明改造", category="basic")
        db.session.commit()
        assert proposal.status == "accepted"
        assert (item.key, item.title, item.category) == ("A1", "楼道照明改造", "basic")
        household = db.session.get(Household, world.households_a[3])
        assert [
            i.key for i in items_for_household(db.session.get(Plan, world.plan_a), household)
        ] == ["A1"]
        assert [p.id for p in proposals_for_items([item.id])[item.id]] == [pid]
        assert {"item.create", "proposal.accept"} <= set(audit_actions())
    # The residents' draft page shows the item and the proposal it took up.
    world.set_phase(world.plan_a, "drafting")
    html = world.household_client(world.households_a[3]).get("/plan").get_data(as_text=True)
    assert "楼道照明改造" in html and "楼道灯更换" in html


def test_accept_refuses_a_used_key_and_changes_nothing(app, world, make_proposal):
    p1, p2 = make_proposal(world.households_a[0]), make_proposal(world.households_a[1])
    with app.test_request_context():
        accept_into_new_item(db.session.get(Proposal, p1), key="A1", title="甲", category="basic")
        db.session.commit()
        with pytest.raises(DomainError) as exc:
            accept_into_new_item(
                db.session.get(Proposal, p2), key="A1", title="乙", category="basic"
            )
        assert "A1" in str(exc.value)
        with pytest.raises(DomainError):
            accept_into_new_item(db.session.get(Proposal, p2), key="A 2", title="乙", category="x")
        db.session.rollback()
        assert db.session.get(Proposal, p2).status == "open"
        assert db.session.scalar(select(func.count(Item.id))) == 1


def test_link_to_existing_item(app, world, make_proposal):
    p1, p2 = make_proposal(world.households_a[0]), make_proposal(world.households_a[1])
    with app.test_request_context():
        item = accept_into_new_item(
            db.session.get(Proposal, p1), key="A1", title="甲", category="basic"
        )
        link_to_item(db.session.get(Proposal, p2), item)
        with pytest.raises(DomainError):
            link_to_item(db.session.get(Proposal, p2), item)  # already linked
        db.session.commit()
        assert db.session.get(Proposal, p2).status == "accepted"
        assert db.session.scalar(select(func.count(ItemProposal.id))) == 2
        assert {p.id for p in proposals_for_items([item.id])[item.id]} == {p1, p2}


def test_link_refuses_another_plans_item(app, world, make_proposal):
    pa = make_proposal(world.households_a[0])
    pb = make_proposal(world.households_b[0], plan_id=world.plan_b)
    with app.test_request_context():
        item_b = accept_into_new_item(
            db.session.get(Proposal, pb), key="B1", title="乙", category="basic"
        )
        with pytest.raises(DomainError):
            link_to_item(db.session.get(Proposal, pa), item_b)


def test_decline_needs_a_reason(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    with app.test_request_context():
        proposal = db.session.get(Proposal, pid)
        with pytest.raises(DomainError):
            decline_proposal(proposal, "   ")
        assert proposal.status == "open"
        decline_proposal(proposal, "不属于本次改造范围，已转交物业。")
        db.session.commit()
        assert (proposal.status, proposal.decline_reason) == (
            "declined",
            "不属于本次改造范围，已转交物业。",
        )
        assert audit_actions()[-1] == "proposal.decline"


def test_create_refusals_name_every_problem(app, world):
    with app.test_request_context():
        plan = db.session.get(Plan, world.plan_a)
        household = db.session.get(Household, world.households_a[0])
        with pytest.raises(DomainError) as exc:
            create_proposal(
                plan,
                household=household,
                title=" ",
                category="other",
                photos=[("a.jpg", image_bytes("JPEG"))] * 4,
            )
        assert len(exc.value.reasons) == 3
        assert db.session.scalar(select(func.count(Proposal.id))) == 0
        with pytest.raises(DomainError) as exc:
            create_proposal(
                plan,
                household=household,
                title="好",
                category="basic",
                photos=[("ok.png", image_bytes("PNG")), ("note.jpg", b"not an image at all")],
            )
        assert exc.value.reasons == ["第 2 张照片（note.jpg）不是 JPEG、PNG 或 WebP 格式的图片。"]
        with pytest.raises(DomainError):
            create_proposal(
                plan,
                household=db.session.get(Household, world.households_b[0]),
                title="好",
                category="basic",
            )


def test_a_household_may_not_flood_the_list(app, world, make_proposal):
    for n in range(10):
        make_proposal(world.households_a[0], title=f"提议{n}")
    with pytest.raises(DomainError):
        make_proposal(world.households_a[0], title="第十一条")


def test_deleting_an_item_reopens_the_proposals_it_answered(app, world, make_proposal):
    from app.proposals.operations import remove_draft_item as delete_item

    p1, p2 = make_proposal(world.households_a[0]), make_proposal(world.households_a[1])
    with app.test_request_context():
        item = accept_into_new_item(
            db.session.get(Proposal, p1), key="A1", title="甲", category="basic"
        )
        other = accept_into_new_item(
            db.session.get(Proposal, p2), key="A2", title="乙", category="basic"
        )
        link_to_item(db.session.get(Proposal, p1), other)
        db.session.commit()
        delete_item(db.session.get(Item, item.id))
        assert db.session.get(Proposal, p1).status == "accepted"  # still answered by A2
        delete_item(db.session.get(Item, other.id))
        db.session.commit()
        assert {db.session.get(Proposal, p).status for p in (p1, p2)} == {"open"}
        assert audit_actions().count("proposal.reopen") == 2
