"""Permissions and tenancy: the role × route matrix, and every staff route with foreign ids."""

import re

import pytest
from sqlalchemy import select

from app.communities.models import Household, RosterUpload
from app.core.permissions import PERMISSIONS
from app.extensions import db
from tests.conftest import csrf_from, sign_in_staff

ROLES = ("admin", "district", "worker", "committee")

# Who may do what, written out from what each role is for (not read from PERMISSIONS), so a
# changed entry in app/core/permissions.py fails here. Admins do everything. District staff read
# progress across their district and set up its communities and accounts; they never handle
# residents' records (households, rosters, codes, ballots, exports) nor run the process. Workers
# run the process in their communities. The committee reads, reviews paper ballots that two
# keyings disagree on, corrects a plan's frozen electorate, publishes results and handles
# objections, prints, exports and archives.
#                      admin  district  worker  committee
PERMISSION_MATRIX = """
community.view           x       x        x        x
community.create         x       x        .        .
user.manage              x       x        .        .
household.view           x       .        x        x
roster.import            x       .        x        .
codes.issue              x       .        x        .
audit.view               x       x        x        x
plan.view                x       x        x        x
plan.manage              x       .        x        .
proposal.manage          x       .        x        .
ballot.view              x       .        x        x
ballot.enter             x       .        x        .
ballot.review            x       .        .        x
electorate.correct       x       .        .        x
tally.view               x       x        x        x
result.publish           x       .        x        x
objection.manage         x       .        x        x
print                    x       .        x        x
funding.view             x       x        x        x
funding.manage           x       .        x        .
payment.record           x       .        x        .
export                   x       .        x        x
archive                  x       .        x        x
district.overview        x       x        .        .
change.draft             x       .        x        .
acceptance.run           x       .        x        x
evaluation.run           x       .        x        x
change.approve           x       .        .        x
accounts.enter           x       .        x        .
accounts.confirm         x       .        .        x
works.manage             x       .        x        .
issue.handle             x       .        x        x
supervisor.appoint       x       .        .        x
"""
EXPECTED_PERMISSIONS: dict[str, set[str]] = {
    permission: {role for role, mark in zip(ROLES, marks, strict=True) if mark == "x"}
    for permission, *marks in (line.split() for line in PERMISSION_MATRIX.strip().splitlines())
}


def staff_rules(app):
    """(rule, endpoint, permission, methods) of every staff route."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "permission", None)
        if permission:
            found.append((rule, rule.endpoint, permission, rule.methods - {"HEAD", "OPTIONS"}))
    return found


def _plan_with_item(cid: int, household_id: int) -> dict:
    """A plan with one item and one of every record a staff route takes by id; their ids."""
    from datetime import date

    from app.communities.models import Building
    from app.funding.models import Payment
    from app.plans.models import Item, Plan

    plan = Plan(community_id=cid, title="方案")
    db.session.add(plan)
    db.session.flush()
    item = Item(community_id=cid, plan_id=plan.id, key="A1", title="外墙", category="basic")
    optin = Item(
        community_id=cid, plan_id=plan.id, key="D1", title="入户门", category="basic", kind="opt_in"
    )
    db.session.add_all([item, optin])
    db.session.flush()
    from app.plans.models import ItemOption

    option = ItemOption(community_id=cid, item_id=item.id, key="a", title="方案一")
    db.session.add(option)
    item.option_rule = "plurality"
    db.session.flush()
    from app.printing.models import PrintJob

    job = PrintJob(community_id=cid, plan_id=plan.id, kind="ballots", status="failed")
    archive_job = PrintJob(community_id=cid, plan_id=plan.id, kind="archive", status="failed")
    export_job = PrintJob(
        community_id=cid, plan_id=plan.id, kind="export", target="roster.csv", status="failed"
    )
    db.session.add_all([job, archive_job, export_job])
    db.session.flush()
    from app.proposals.models import Proposal, ProposalPhoto

    proposal = Proposal(community_id=cid, plan_id=plan.id, title="提议", category="basic")
    db.session.add(proposal)
    db.session.flush()
    photo = ProposalPhoto(
        community_id=cid, proposal_id=proposal.id, content_type="image/png", size=1, data=b"x"
    )
    db.session.add(photo)
    payment = Payment(
        community_id=cid,
        plan_id=plan.id,
        item_id=item.id,
        household_id=household_id,
        amount_fen=100,
        paid_on=date(2026, 5, 1),
        method="cash",
    )
    db.session.add(payment)
    from app.settlement.models import ChangeOrder

    change = ChangeOrder(community_id=cid, plan_id=plan.id, item_id=item.id, reason="变更")
    db.session.add(change)
    db.session.flush()
    from app.works.models import IssueReport, Works, WorksSupervisor

    works = Works(community_id=cid, plan_id=plan.id, item_id=item.id)
    db.session.add(works)
    db.session.flush()
    issue = IssueReport(community_id=cid, plan_id=plan.id, works_id=works.id,
                        household_id=household_id, location="1号楼", text="漏水")  # fmt: skip
    supervisor = WorksSupervisor(community_id=cid, works_id=works.id, household_id=household_id)
    db.session.add_all([issue, supervisor])
    db.session.flush()
    from app.aftercare.models import AcceptanceDefect, AcceptanceMember

    member = AcceptanceMember(community_id=cid, plan_id=plan.id, kind="staff", name="组长")
    defect = AcceptanceDefect(
        community_id=cid,
        plan_id=plan.id,
        item_id=item.id,
        description="裂缝",
        responsible="施工方",
        deadline=date(2026, 6, 1),
    )
    db.session.add_all([member, defect])
    db.session.flush()
    return {
        "change_id": change.id,
        "member_id": member.id,
        "defect_id": defect.id,
        "works_id": works.id,
        "issue_id": issue.id,
        "supervisor_id": supervisor.id,
        "payment_id": payment.id,
        "building_id": db.session.scalar(select(Building.id).where(Building.community_id == cid)),
        "plan_id": plan.id,
        "item_id": item.id,
        "option_id": option.id,
        "opt_in_id": optin.id,
        "job_id": job.id,
        "archive_job_id": archive_job.id,
        "export_job_id": export_job.id,
        "proposal_id": proposal.id,
        "photo_id": photo.id,
    }


@pytest.fixture
def world(app, factory):
    """Two communities in two districts, each with a roster, a plan and a pending upload."""
    a = factory.community("甲小区", "东区", buildings=1, units=1, floors=2)
    b = factory.community("乙小区", "西区", buildings=1, units=1, floors=2)
    users = {
        role: factory.user(
            f"{role}-a",
            role,
            communities=[a] if role in ("worker", "committee") else [],
            district="东区" if role == "district" else "",
        )
        for role in ROLES
    }
    # An account every role with user.manage may manage (district staff: one of their district).
    managed = factory.user("managed-a", "worker", communities=[a], district="东区")
    with app.app_context():
        ids = {}
        for cid in (a, b):
            hid = db.session.scalar(select(Household.id).where(Household.community_id == cid))
            upload = RosterUpload(
                community_id=cid,
                user_id=users["admin"],
                filename="r.csv",
                sha256="0" * 64,
                data=b"x",
            )
            db.session.add(upload)
            db.session.flush()
            ids[cid] = {
                "community_id": cid,
                "household_id": hid,
                "upload_id": upload.id,
                "export": "roster",  # reports.download: /exports/<export>.<fmt>
                "fmt": "csv",
                "user_id": managed,
                **_plan_with_item(cid, hid),
            }
            db.session.commit()
    return {"a": a, "b": b, "ids": ids, "users": users}


def build_url(rule, values):
    """Fill a rule's arguments from `values`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_the_permission_table_is_the_matrix_written_here():
    assert {p: set(roles) for p, roles in PERMISSIONS.items()} == EXPECTED_PERMISSIONS


def test_every_staff_route_declares_a_known_permission(app):
    rules = staff_rules(app)
    assert len(rules) >= 12
    for _rule, endpoint, permission, _methods in rules:
        assert permission in PERMISSIONS, endpoint


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(app, world, role):
    """Each role reaches exactly the routes the matrix above grants, in its own community."""
    client = app.test_client()
    sign_in_staff(client, f"{role}-a")
    own = world["ids"][world["a"]]
    for rule, endpoint, permission, methods in staff_rules(app):
        url = build_url(rule, own)
        allowed = role in EXPECTED_PERMISSIONS[permission]
        if "GET" in methods:
            status = client.get(url).status_code
        else:
            status = client.post(
                url, data={"csrf_token": csrf_from(client, "/staff/signin")}
            ).status_code
        if allowed:
            assert status not in (403, 404), (role, endpoint, status)
        else:
            assert status == 403, (role, endpoint, status)


@pytest.mark.parametrize("role", ["worker", "committee", "district"])
def test_foreign_community_answers_404_on_every_staff_route(app, world, role):
    """A user of community A asking for B's records — by B's ids or A's path with B's record ids."""
    client = app.test_client()
    sign_in_staff(client, f"{role}-a")
    own, foreign = world["ids"][world["a"]], world["ids"][world["b"]]
    token = csrf_from(client, "/staff/signin")
    checked = 0
    for rule, endpoint, _permission, methods in staff_rules(app):
        if "community_id" not in rule.arguments:
            continue
        variants = [foreign]
        mixed = {**foreign, "community_id": own["community_id"]}
        # Own community in the path, foreign record id (not for a route whose other arguments
        # name no record, e.g. a file format: its URL is then the community's own).
        if len(rule.arguments) > 1 and build_url(rule, mixed) != build_url(rule, own):
            variants.append(mixed)
        for values in variants:
            url = build_url(rule, values)
            if "GET" in methods:
                status = client.get(url).status_code
            else:
                status = client.post(url, data={"csrf_token": token}).status_code
            if values["community_id"] == own["community_id"]:
                # Own community, foreign record: 404, unless the role may not use the route at all.
                assert status in (403, 404), (endpoint, url, status)
            else:
                assert status == 404, (endpoint, url, status)
            checked += 1
    assert checked >= 10


def test_foreign_community_not_listed(app, world):
    client = app.test_client()
    sign_in_staff(client, "worker-a")
    html = client.get("/staff/").get_data(as_text=True)
    assert "甲小区" in html and "乙小区" not in html


def test_district_sees_only_its_district(app, world):
    client = app.test_client()
    sign_in_staff(client, "district-a")
    html = client.get("/staff/").get_data(as_text=True)
    assert "甲小区" in html and "乙小区" not in html
    assert client.get(f"/c/{world['b']}/").status_code == 404


def test_anonymous_and_household_are_kept_out(app, world, factory):
    client = app.test_client()
    url = f"/c/{world['a']}/households"
    response = client.get(url)
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]
    code = next(iter(factory.codes(world["a"]).values()))
    client.get(f"/h/{code}")
    assert client.get(url).status_code in (302, 403)
    assert client.get("/staff/").status_code in (302, 403)
