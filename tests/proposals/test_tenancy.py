"""Tenancy: another community's plan, proposal and photo ids answer 404 on every staff route,
and a household never sees another community's proposals or photos."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.plans.models import Item
from app.proposals.models import Proposal, ProposalPhoto
from tests.conftest import csrf_from
from tests.proposals.conftest import image_bytes


def proposal_staff_rules(app):
    """(rule, methods) of every staff route of the proposals module."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint.startswith("proposals.") and getattr(view, "permission", None):
            found.append((rule, rule.methods - {"HEAD", "OPTIONS"}))
    return found


def build_url(rule, values) -> str:
    """Fill a rule's arguments from `values`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


@pytest.fixture
def records(app, world, make_proposal):
    """A proposal with a photo and an item in each community: {letter: ids for the routes}."""
    ids = {}
    for letter, household, plan in (
        ("a", world.households_a[0], world.plan_a),
        ("b", world.households_b[0], world.plan_b),
    ):
        pid = make_proposal(
            household, plan_id=plan, title=f"{letter}的提议", photos=[("p.png", image_bytes("PNG"))]
        )
        with app.app_context():
            photo = db.session.scalar(
                select(ProposalPhoto.id).where(ProposalPhoto.proposal_id == pid)
            )
            proposal = db.session.get(Proposal, pid)
            item = Item(
                community_id=proposal.community_id,
                plan_id=plan,
                key="Z9",
                title="项目",
                category="basic",
            )
            db.session.add(item)
            db.session.commit()
            ids[letter] = {
                "item_id": item.id,
                "community_id": proposal.community_id,
                "plan_id": plan,
                "proposal_id": pid,
                "photo_id": photo,
            }
    return ids


@pytest.mark.slow
def test_staff_routes_answer_404_for_another_communitys_ids(app, world, records):
    rules = proposal_staff_rules(app)
    assert len(rules) == 11  # the ten proposal pages and deleting a draft item
    own, foreign = records["a"], records["b"]
    for role in ("worker", "admin"):
        client = world.staff_client(role)
        token = csrf_from(client, world.staff_url())
        for rule, methods in rules:
            args = set(rule.arguments) - {"community_id"}
            variants = [foreign]
            # Own community in the path with the other community's plan, proposal or photo ids,
            # one at a time and all together.
            variants += [{**own, name: foreign[name]} for name in args]
            if args:
                variants.append({**foreign, "community_id": own["community_id"]})
            for values in variants:
                if role == "admin" and values["community_id"] == foreign["community_id"]:
                    continue  # an admin may open community B itself; its own ids are not foreign
                url = build_url(rule, values)
                if "GET" in methods:
                    status = client.get(url).status_code
                else:
                    status = client.post(url, data={"csrf_token": token}).status_code
                assert status == 404, (role, rule.endpoint, url, status)
            # The same route with the own community's ids is reachable.
            url = build_url(rule, own)
            if "GET" in methods:
                assert client.get(url).status_code in (200, 302), (role, url)
    with app.app_context():
        assert db.session.get(Proposal, foreign["proposal_id"]).status == "open"


def test_household_never_sees_another_communitys_proposals_or_photos(app, world, records):
    a, b = records["a"], records["b"]
    client = world.household_client(world.households_b[1])
    html = client.get("/proposals").get_data(as_text=True)
    assert "b的提议" in html and "a的提议" not in html
    assert client.get(f"/proposals/{a['proposal_id']}").status_code == 404
    assert client.get(f"/proposals/photos/{a['photo_id']}").status_code == 404
    assert client.get(f"/proposals/photos/{b['photo_id']}").status_code == 200
    token = csrf_from(client, "/proposals")
    for action in ("support", "withdraw"):
        url = f"/proposals/{a['proposal_id']}/{action}"
        assert client.post(url, data={"csrf_token": token}).status_code == 404


def test_photos_need_a_signed_in_viewer(app, world, records):
    a = records["a"]
    anonymous = app.test_client()
    response = anonymous.get(f"/proposals/photos/{a['photo_id']}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    staff_photo = f"/c/{a['community_id']}/plans/{a['plan_id']}/proposals/photos/{a['photo_id']}"
    response = anonymous.get(staff_photo)
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]
    household = world.household_client(world.households_a[1])
    assert household.get(staff_photo).status_code in (302, 403)
    worker = world.staff_client("worker").get(staff_photo)
    assert worker.status_code == 200 and worker.mimetype == "image/png"
    committee = world.staff_client("committee").get(staff_photo)
    assert committee.status_code == 200
    # Staff do not use the residents' photo route.
    assert world.staff_client("worker").get(f"/proposals/photos/{a['photo_id']}").status_code == 302


def test_committee_reads_but_cannot_decide(app, world, records):
    a = records["a"]
    client = world.staff_client("committee")
    base = f"/c/{a['community_id']}/plans/{a['plan_id']}/proposals"
    html = client.get(f"{base}/{a['proposal_id']}").get_data(as_text=True)
    assert "a的提议" in html and "/decline" not in html and "/accept" not in html
    token = csrf_from(client, base)
    for action in ("merge", "accept", "link", "decline"):
        url = f"{base}/{a['proposal_id']}/{action}"
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert client.get(f"{base}/new").status_code == 403


def test_a_proposal_is_reached_only_through_its_own_plan(app, world, records):
    """A community's older plan: its proposals and photos are not served under the newer plan."""
    from app.communities.models import Community
    from app.plans.items import create_plan

    with app.test_request_context():
        newer = create_plan(db.session.get(Community, world.a), "第二期方案").id
        db.session.commit()
    a = records["a"]
    client = world.staff_client("worker")
    base = f"/c/{world.a}/plans/{newer}/proposals"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/{a['proposal_id']}").status_code == 404
    assert client.get(f"{base}/photos/{a['photo_id']}").status_code == 404
    token = csrf_from(client, base)
    response = client.post(
        f"{base}/{a['proposal_id']}/decline", data={"csrf_token": token, "reason": "x"}
    )
    assert response.status_code == 404
