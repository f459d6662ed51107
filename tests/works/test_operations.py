"""Works operations: created for the passed items, edited, logged with photos; supervisors;
issue reports through assignment, rectification, re-inspection and closure; every write
audited in the community's chain."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.communities.models import Household
from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Plan
from app.plans.queries import local_today
from app.works.models import IssueReport, IssueStep, Works, WorksLogEntry, WorksPhoto
from app.works.operations import (
    add_log_entry,
    appoint,
    assign_issue,
    create_works_for_plan,
    log_inspection,
    nominate,
    rectify_issue,
    reinspect_issue,
    report_issue,
    update_works,
    volunteer,
)
from app.works.queries import overdue_issues, works_figures
from tests.works.conftest import jpeg


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_entering_works_creates_one_works_per_passed_item_only(app, works_estate):
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        works = db.session.scalars(select(Works).where(Works.plan_id == plan.id)).all()
        assert [w.item.key for w in works] == ["A1"]  # A2 was opposed by everyone
        assert works[0].status == "pending" and works[0].progress == 0
        created = [e for e in _events("works.create") if e.community_id == works_estate.a]
        assert len(created) == 1
        # A worker asking again creates nothing new.
        assert create_works_for_plan(plan, _user("worker-a")) == []


def test_status_sets_default_progress_and_goes_into_the_log(app, works_estate):
    wid = works_estate.works_ids()[0]
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        works = db.session.get(Works, wid)
        worker = _user("worker-a")
        update_works(works, plan, worker, contractor="建工集团", status="in_progress",
                     contract_fen=123_456_00, planned_start=local_today())  # fmt: skip
        assert works.progress == 10 and works.contractor == "建工集团"
        update_works(works, plan, worker, status="in_progress", progress=45)
        assert works.progress == 45
        update_works(works, plan, worker, status="paused")
        assert works.progress == 45  # a pause keeps it
        update_works(works, plan, worker, status="completed")
        assert works.progress == 95
        log = db.session.scalars(
            select(WorksLogEntry.text).where(WorksLogEntry.kind == "status")
        ).all()
        assert log == ["in_progress", "paused", "completed"]
        event = _events("works.update")[-1]
        assert event.community_id == works_estate.a
        assert json.loads(event.after) == {"status": "completed", "progress": 95}
        with pytest.raises(DomainError):
            update_works(works, plan, worker, planned_start=local_today(),
                         planned_end=local_today() - timedelta(days=1))  # fmt: skip
        with pytest.raises(DomainError):
            update_works(works, plan, _user("committee-a"), status="accepted")


def test_log_entry_keeps_reencoded_photos_with_their_digest(app, works_estate):
    wid = works_estate.works_ids()[0]
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        works = db.session.get(Works, wid)
        entry = add_log_entry(works, plan, _user("worker-a"), entry_date=local_today(),
                              text="脚手架搭好", stage="during",
                              photos=[("a.jpg", jpeg())])  # fmt: skip
        photo = db.session.scalar(select(WorksPhoto).where(WorksPhoto.log_entry_id == entry.id))
        import hashlib

        assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()
        after = json.loads(_events("works.log")[-1].after)
        assert after["photos"][0]["sha256"] == photo.sha256
        with pytest.raises(DomainError) as refused:
            add_log_entry(works, plan, _user("worker-a"), entry_date=local_today(), text="x",
                          photos=[("b.jpg", b"not an image")])  # fmt: skip
        assert "不是 JPEG" in str(refused.value)
        with pytest.raises(DomainError):
            add_log_entry(works, plan, _user("worker-a"),
                          entry_date=local_today() + timedelta(days=1), text="未来")  # fmt: skip


def test_only_an_appointed_supervisor_logs_inspections(app, works_estate):
    wid = works_estate.works_ids()[0]
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        works = db.session.get(Works, wid)
        h1, h2 = (db.session.get(Household, h) for h in works_estate.households[:2])
        row = volunteer(works, plan, h1, "退休工程师")
        assert volunteer(works, plan, h1) is row  # once is enough
        with pytest.raises(DomainError):
            log_inspection(works, plan, h1, findings="看了", severity="ok")
        with pytest.raises(DomainError):
            appoint(row, plan, _user("worker-a"))  # the committee appoints
        appoint(row, plan, _user("committee-a"))
        entry = log_inspection(works, plan, h1, findings="接缝未抹平", severity="minor",
                               photos=[("i.jpg", jpeg((90, 90, 90)))])  # fmt: skip
        assert entry.kind == "inspection" and entry.household_id == h1.id
        assert len(entry.photos) == 1
        nominated = nominate(works, plan, _user("worker-a"), h2, "楼长")
        assert nominated.status == "nominated"
        with pytest.raises(DomainError):
            nominate(works, plan, _user("worker-a"), h2)
        for action in ("supervisor.volunteer", "supervisor.appoint", "works.inspection",
                       "supervisor.nominate"):  # fmt: skip
            assert [e.community_id for e in _events(action)] == [works_estate.a]


def test_issue_report_goes_through_assignment_rectification_and_reinspection(app, works_estate):
    wid = works_estate.works_ids()[0]
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        works = db.session.get(Works, wid)
        reporter = db.session.get(Household, works_estate.households[0])
        worker, committee = _user("worker-a"), _user("committee-a")
        with pytest.raises(DomainError) as refused:
            report_issue(plan, reporter, works=works, location="", text="")
        assert len(refused.value.reasons) == 2
        issue = report_issue(plan, reporter, works=works, location="1号楼 楼道口",
                             text="旧保温板堆在楼道口", photos=[("p.jpg", jpeg())])  # fmt: skip
        assert issue.status == "reported" and len(issue.photos) == 1
        with pytest.raises(DomainError):
            rectify_issue(issue, plan, worker, note="清走了")  # not assigned yet
        with pytest.raises(DomainError):
            assign_issue(issue, plan, worker, responsible="施工队",
                         deadline=local_today() - timedelta(days=1))  # fmt: skip
        assign_issue(issue, plan, worker, responsible="施工队",
                     deadline=local_today() + timedelta(days=2))  # fmt: skip
        rectify_issue(issue, plan, worker, note="已清运")
        reinspect_issue(issue, plan, committee, passed=False, note="还剩一半",
                        deadline=local_today() + timedelta(days=1))  # fmt: skip
        assert issue.status == "assigned" and issue.deadline == local_today() + timedelta(days=1)
        rectify_issue(issue, plan, worker, note="全部清运")
        reinspect_issue(issue, plan, committee, passed=True, note="已清空")
        assert issue.status == "closed" and issue.closed_at is not None
        steps = db.session.scalars(
            select(IssueStep.step).where(IssueStep.issue_id == issue.id).order_by(IssueStep.id)
        ).all()
        assert steps == ["reported", "assigned", "rectified", "reopened", "rectified", "closed"]
        with pytest.raises(DomainError):
            assign_issue(issue, plan, worker, responsible="x", deadline=local_today())
        actions = [e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.record_type == "issue_report")
            .order_by(AuditEvent.id))]  # fmt: skip
        assert actions == ["issue.report", "issue.assign", "issue.rectify", "issue.reopen",
                           "issue.rectify", "issue.close"]  # fmt: skip


def test_overdue_reports_are_found_and_counted_for_the_district(app, works_estate):
    wid = works_estate.works_ids()[0]
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        works = db.session.get(Works, wid)
        reporter = db.session.get(Household, works_estate.households[0])
        late = report_issue(plan, reporter, works=works, location="2号楼", text="漏水")
        report_issue(plan, reporter, works=works, location="1号楼", text="噪音")
        assign_issue(late, plan, _user("worker-a"), responsible="施工队", deadline=local_today())
        update_works(works, plan, _user("worker-a"), status="in_progress", progress=40)
        db.session.commit()
        later = local_today() + timedelta(days=1)
        assert [i.id for i in overdue_issues(plan, later)] == [late.id]
        assert overdue_issues(plan, local_today()) == []
        figures = works_figures([plan.id, works_estate.plan_b], later)
        assert figures[plan.id].works_total == 1 and figures[plan.id].average_progress == 40
        assert figures[plan.id].issues_open == 2 and figures[plan.id].issues_overdue == 1
        assert figures[works_estate.plan_b].issues_open == 0


def test_residents_cannot_report_before_the_works(app, works_estate):
    with app.test_request_context():
        plan = db.session.get(Plan, works_estate.plan)
        plan.phase = "published"
        reporter = db.session.get(Household, works_estate.households[0])
        with pytest.raises(DomainError):
            report_issue(plan, reporter, works=None, location="1号楼", text="x")
        db.session.rollback()
        assert db.session.scalar(select(IssueReport.id)) is None
