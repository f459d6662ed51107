"""A household edits or withdraws its own proposal while proposals are open, until a worker
answers it; each change is audited."""

import json

from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.extensions import db
from app.proposals.models import Proposal, ProposalPhoto, ProposalSupport
from tests.conftest import post_form
from tests.proposals.conftest import image_bytes
from tests.proposals.test_pages import upload


def _events(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _proposal(app, pid):
    with app.app_context():
        proposal = db.session.get(Proposal, pid)
        if proposal is not None:
            db.session.expunge(proposal)
        return proposal


def _edit(client, pid, form_page=None, **fields):
    data = {"title": "楼道灯坏了", "body": "", "category": "basic", **fields}
    return post_form(
        client,
        f"/proposals/{pid}/edit",
        data,
        form_page=form_page or f"/proposals/{pid}/edit",
        content_type="multipart/form-data",
    )


def test_the_proposer_edits_words_category_and_photos(app, world, make_proposal):
    pid = make_proposal(world.households_a[0], photos=[("a.jpg", image_bytes("JPEG"))])
    client = world.household_client(world.households_a[0])
    assert f'href="/proposals/{pid}/edit"' in client.get(f"/proposals/{pid}").get_data(as_text=True)
    html = client.get(f"/proposals/{pid}/edit").get_data(as_text=True)
    assert "楼道灯坏了" in html and 'name="remove_photo"' in html
    with app.app_context():
        old_photo = db.session.scalar(select(ProposalPhoto.id))
    response = _edit(
        client,
        pid,
        title="3单元楼道灯坏了",
        body="一楼到三楼都不亮。",
        category="improvement",
        remove_photo=str(old_photo),
        photos=[upload(image_bytes("PNG"), "b.png", "image/png")],
    )
    assert response.status_code == 302
    proposal = _proposal(app, pid)
    assert (proposal.title, proposal.body, proposal.category) == (
        "3单元楼道灯坏了",
        "一楼到三楼都不亮。",
        "improvement",
    )
    with app.app_context():
        assert db.session.scalars(select(ProposalPhoto.content_type)).all() == ["image/png"]
    [event] = _events(app, "proposal.edit")
    assert json.loads(event.before)["title"] == "楼道灯坏了"
    assert json.loads(event.after)["title"] == "3单元楼道灯坏了"
    assert event.actor == f"household:{world.households_a[0]}"


def test_a_failed_edit_keeps_what_was_typed_and_changes_nothing(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    client = world.household_client(world.households_a[0])
    response = _edit(client, pid, title="新的标题", body="新的说明", category="nope")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "新的标题" in html and "新的说明" in html
    assert _proposal(app, pid).title == "楼道灯坏了"
    assert _events(app, "proposal.edit") == []


def test_the_proposer_withdraws_it_with_its_supports(app, world, make_proposal):
    owner, supporter = world.households_a[0], world.households_a[1]
    pid = make_proposal(owner, photos=[("a.jpg", image_bytes("JPEG"))])
    fan = world.household_client(supporter)
    post_form(fan, f"/proposals/{pid}/support", form_page="/proposals")
    client = world.household_client(owner)
    response = post_form(client, f"/proposals/{pid}/retract", form_page=f"/proposals/{pid}/edit")
    assert response.status_code == 302
    assert _proposal(app, pid) is None
    with app.app_context():
        assert db.session.scalar(select(func.count(ProposalSupport.id))) == 0
        assert db.session.scalar(select(func.count(ProposalPhoto.id))) == 0
    [event] = _events(app, "proposal.withdraw")
    before = json.loads(event.before)
    assert before["title"] == "楼道灯坏了" and before["supporters"] == sorted([owner, supporter])
    assert "已撤回提议" in client.get("/proposals").get_data(as_text=True)


def test_only_the_proposer_may_change_it(app, world, make_proposal):
    pid = make_proposal(world.households_a[0])
    other = world.household_client(world.households_a[1])
    page = other.get(f"/proposals/{pid}").get_data(as_text=True)
    assert f"/proposals/{pid}/edit" not in page
    assert other.get(f"/proposals/{pid}/edit").status_code == 302
    refused = post_form(
        other, f"/proposals/{pid}/retract", form_page=f"/proposals/{pid}", follow_redirects=True
    )
    assert "只能修改或撤回您家自己提出的提议" in refused.get_data(as_text=True)
    assert _proposal(app, pid) is not None
    foreign = world.household_client(world.households_b[0])
    assert foreign.get(f"/proposals/{pid}/edit").status_code == 404


def test_no_change_once_answered_or_after_the_proposals_phase(app, world, make_proposal):
    from app.proposals.operations import decline_proposal

    answered = make_proposal(world.households_a[0], title="已处理的提议")
    waiting = make_proposal(world.households_a[0], title="还在等的提议")
    with app.test_request_context():
        decline_proposal(db.session.get(Proposal, answered), "不在改造范围内")
        db.session.commit()
    client = world.household_client(world.households_a[0])
    assert f"/proposals/{answered}/edit" not in client.get("/proposals").get_data(as_text=True)
    refused = _edit(client, answered, form_page="/proposals", title="改一改")
    assert refused.status_code == 302 and _proposal(app, answered).title == "已处理的提议"
    response = post_form(
        client, f"/proposals/{answered}/retract", form_page="/proposals", follow_redirects=True
    )
    assert "工作人员已经处理了这条提议（未采纳）" in response.get_data(as_text=True)
    world.set_phase(world.plan_a, "drafting")
    response = post_form(
        client, f"/proposals/{waiting}/retract", form_page="/proposals", follow_redirects=True
    )
    assert "征集提议已经结束" in response.get_data(as_text=True)
    assert _proposal(app, waiting) is not None


def test_a_proposal_others_were_merged_into_is_not_withdrawn(app, world, make_proposal):
    from app.proposals.operations import merge_proposals

    keep = make_proposal(world.households_a[0], title="门禁坏了")
    duplicate = make_proposal(world.households_a[1], title="单元门禁不好用")
    with app.test_request_context():
        merge_proposals(db.session.get(Proposal, duplicate), db.session.get(Proposal, keep))
        db.session.commit()
    client = world.household_client(world.households_a[0])
    response = post_form(
        client, f"/proposals/{keep}/retract", form_page="/proposals", follow_redirects=True
    )
    assert "已有别的提议合并到这条提议" in response.get_data(as_text=True)
    assert _proposal(app, keep) is not None
