"""Honest dates: voting ends early only as an explicit, reasoned act at the current time; ballots
after the recorded close are refused by the database's clock; phase moves cut short the dates of
the phases they end; notices print the period voting really ran. One plan votes at a time."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.communities.models import Household
from app.core.audit import AuditEvent
from app.core.db import db_now
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import Item, Plan
from tests.conftest import post_form, sign_in_staff
from tests.plans.conftest import example, household_id  # noqa: F401


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _all_agree(plan, household):
    from app.plans.queries import items_for_household

    return {i.id: "agree" for i in items_for_household(plan, household)}


def test_moving_the_voting_close_into_the_past_is_refused(app, example):  # noqa: F811
    from app.plans.items import update_plan
    from app.plans.queries import local_today

    _cid, pid = example()
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        with pytest.raises(DomainError) as refused:
            update_plan(plan, voting_closes=local_today() - timedelta(days=1))
        assert "结束表决" in str(refused.value.reasons[0])
        db.session.rollback()
        update_plan(db.session.get(Plan, pid), voting_closes=local_today())  # today is fine


def test_the_edit_page_refuses_a_past_close(app, factory, example):  # noqa: F811
    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    url = f"/c/{cid}/plans/{pid}/edit"
    with app.app_context():
        plan = db.session.get(Plan, pid)
        closes_before = plan.voting_closes
    response = post_form(
        client,
        url,
        {
            "title": "改",
            "voting_closes": str(local_today_plus(app, -2)),
            "objection_days": "7",
        },
        follow_redirects=True,
    )
    assert "不能改到今天以前" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Plan, pid).voting_closes == closes_before


def test_ending_voting_records_the_close_and_cuts_the_last_day(app, example):  # noqa: F811
    from app.plans.queries import is_voting_open, local_today
    from app.plans.workflow import end_voting, reopen_voting

    _cid, pid = example()
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        with pytest.raises(DomainError):
            end_voting(plan, "  ")  # a reason is required
        end_voting(plan, "业主大会决定提前结束")
        db.session.commit()
        plan = db.session.get(Plan, pid)
        assert plan.voting_closes == local_today()
        assert plan.voting_ended_at is not None and plan.voting_end_reason
        assert not is_voting_open(plan)
        [event] = _events("plan.end_voting")
        assert json.loads(event.after)["reason"] == "业主大会决定提前结束"
        with pytest.raises(DomainError):
            reopen_voting(plan)  # ending is for good, unlike a pause
        with pytest.raises(DomainError):
            end_voting(plan, "again")


def test_ballots_after_the_recorded_close_are_refused_by_the_database_clock(app, factory, example):  # noqa: F811
    """Another worker ends voting while this request holds an old copy of the plan: the ballot
    is checked against the close as the database has it, at the database's time."""
    from app.accounts.models import User
    from app.voting.models import Ballot
    from app.voting.operations import cast_online_ballot, record_assisted_ballot

    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    hid = household_id(app, "1号楼", "1单元", "101")
    with app.test_request_context():
        plan, household = db.session.get(Plan, pid), db.session.get(Household, hid)
        assert plan.voting_ended_at is None  # this request's copy: still open
        db.session.execute(
            update(Plan)
            .where(Plan.id == pid)
            .values(voting_ended_at=db_now() - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
        with pytest.raises(DomainError):
            cast_online_ballot(plan, household, _all_agree(plan, household), set(), "k1")
        with pytest.raises(DomainError):
            record_assisted_ballot(
                plan,
                household,
                _all_agree(plan, household),
                set(),
                user=db.session.scalar(select(User)),
                authorised_by="本人",
                witness="邻居",
            )
        assert db.session.scalar(select(Ballot.id)) is None


def test_a_ballot_before_the_close_is_recorded_at_the_database_time(app, example):  # noqa: F811
    from app.voting.operations import cast_online_ballot

    _cid, pid = example()
    hid = household_id(app, "1号楼", "1单元", "101")
    with app.test_request_context():
        plan, household = db.session.get(Plan, pid), db.session.get(Household, hid)
        start = db_now()
        ballot = cast_online_ballot(plan, household, _all_agree(plan, household), set(), "k1")
        assert start <= ballot.recorded_at <= db_now()


def test_end_voting_page_confirms_then_ends(app, factory, example):  # noqa: F811
    cid, pid = example()
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    detail = f"/c/{cid}/plans/{pid}"
    url = f"{detail}/voting/end"
    first = post_form(client, url, {"reason": "提前达到目的"}, form_page=detail)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "确认结束表决" in html and "已有 0 户表决" in html
    with app.app_context():
        assert db.session.get(Plan, pid).voting_ended_at is None  # nothing yet
    post_form(client, url, {"reason": "提前达到目的", "confirmed": "1"}, form_page=detail)
    with app.app_context():
        assert db.session.get(Plan, pid).voting_ended_at is not None


def test_phase_moves_cut_short_the_dates_they_end(app, factory, example):  # noqa: F811
    from app.plans.queries import local_today
    from app.plans.workflow import set_phase

    _cid, pid = example(phase="proposals")
    with app.test_request_context():
        today = local_today()
        plan = db.session.get(Plan, pid)
        plan.proposals_opens = today - timedelta(days=3)
        plan.proposals_closes = today + timedelta(days=5)
        plan.drafting_opens = today + timedelta(days=6)
        plan.drafting_closes = today + timedelta(days=20)
        plan.voting_opens = today + timedelta(days=21)
        db.session.flush()
        set_phase(plan, "drafting")
        assert (plan.proposals_closes, plan.drafting_opens) == (today, today)
        set_phase(plan, "voting")
        assert (plan.drafting_closes, plan.voting_opens) == (today, today)
        event = _events("plan.phase")[-1]
        assert json.loads(event.before)["drafting_closes"] == str(today + timedelta(days=20))


def test_the_preliminary_notice_states_the_period_voting_really_ran(app, example):  # noqa: F811
    from app.plans.queries import local_today
    from app.plans.workflow import end_voting
    from app.printing.notice_data import notice_data
    from app.printing.notices import _intro, cn_date
    from app.tally.operations import publish_preliminary

    _cid, pid = example(closes=local_today_plus(app, 10))
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        end_voting(plan, "提前结束")
        publish_preliminary(plan)
        intro = _intro(notice_data(plan, "preliminary"))
        assert f"至 {cn_date(local_today())} 进行表决" in intro


def test_publishing_after_a_pause_ends_the_voting_period_today(app, example):  # noqa: F811
    from app.plans.queries import local_today
    from app.plans.workflow import close_voting
    from app.tally.operations import publish_preliminary

    _cid, pid = example()
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        close_voting(plan, "暂停")
        publish_preliminary(plan)
        assert plan.voting_closes == local_today()


def local_today_plus(app, days):
    from app.plans.queries import local_today

    with app.app_context():
        return local_today() + timedelta(days=days)


# --- One plan at a time -------------------------------------------------------------------------


def test_no_new_plan_while_another_is_voting(app, factory, example):  # noqa: F811
    from app.communities.models import Community
    from app.plans.items import create_plan

    cid, _pid = example()
    with app.test_request_context():
        with pytest.raises(DomainError) as refused:
            create_plan(db.session.get(Community, cid), "第二个方案")
        assert "同一时间只能进行一个方案" in str(refused.value.reasons[0])
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    response = post_form(
        client,
        f"/c/{cid}/plans/new",
        {
            "title": "第二个方案",
            "objection_days": "7",
            "conflict_policy": "paper_prevails",
            "non_voter_policy": "none",
        },
        follow_redirects=True,
    )
    assert "同一时间只能进行一个方案" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Plan.id))) == 1


def test_no_new_plan_during_the_objection_period_but_after_the_final_result(app, example):  # noqa: F811
    from app.communities.models import Community
    from app.plans.items import create_plan
    from app.plans.workflow import end_voting
    from app.tally.operations import publish_preliminary

    cid, pid = example()
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        end_voting(plan, "结束")
        publish_preliminary(plan)
        with pytest.raises(DomainError):
            create_plan(db.session.get(Community, cid), "第二个方案")
        plan.result_stage = "final"  # the final result is out: the community may start again
        db.session.flush()
        assert create_plan(db.session.get(Community, cid), "第二个方案").phase == "proposals"


def test_residents_reach_the_plan_that_is_voting_not_a_newer_draft(app, factory, example):  # noqa: F811
    from app.communities.models import Community
    from app.plans.items import create_plan
    from app.plans.workflow import set_phase

    cid, pid = example(phase="drafting")
    with app.test_request_context():
        create_plan(db.session.get(Community, cid), "明年的方案")  # allowed: nothing is voting
        set_phase(db.session.get(Plan, pid), "voting")
        db.session.commit()
    code = factory.codes(cid)[("1号楼", "1单元", "101")]
    client = app.test_client()
    client.get(f"/h/{code}")
    html = client.get("/vote").get_data(as_text=True)
    with app.app_context():
        first_item = db.session.scalar(select(Item.title).where(Item.plan_id == pid))
    assert first_item in html and "尚未开始" not in html


def test_a_second_plan_cannot_start_voting_while_one_is_voting(app, example):  # noqa: F811
    from app.communities.models import Community
    from app.plans.items import create_plan, save_item
    from app.plans.workflow import set_phase, sync_phase

    cid, pid = example(phase="drafting")
    with app.test_request_context():
        second = create_plan(db.session.get(Community, cid), "第二个方案")
        save_item(second, None, scope=[], key="X1", title="路灯", category="basic")
        set_phase(db.session.get(Plan, pid), "voting")
        set_phase(second, "drafting")
        with pytest.raises(DomainError):
            set_phase(second, "voting")
        second.voting_opens = second.drafting_opens  # its date has come: the schedule waits
        assert sync_phase(second) is False and second.phase == "drafting"


def test_staff_pages_of_the_community_follow_the_plan_that_is_voting(app, factory, example):  # noqa: F811
    from app.communities.models import Community
    from app.plans.items import create_plan
    from app.plans.workflow import set_phase

    cid, pid = example(phase="drafting")
    with app.test_request_context():
        create_plan(db.session.get(Community, cid), "明年的方案")
        set_phase(db.session.get(Plan, pid), "voting")
        db.session.commit()
    factory.user("w1", "worker", communities=[cid])
    client = app.test_client()
    sign_in_staff(client, "w1")
    response = client.get(f"/c/{cid}/proposals")
    assert response.headers["Location"].endswith(f"/plans/{pid}/proposals")


def test_the_district_overview_shows_the_plan_that_is_voting(app, example):  # noqa: F811
    from app.communities.models import Community
    from app.district.queries import current_plans
    from app.plans.items import create_plan
    from app.plans.workflow import set_phase

    cid, pid = example(phase="drafting")
    with app.test_request_context():
        newer = create_plan(db.session.get(Community, cid), "明年的方案")
        assert current_plans([cid])[cid].id == newer.id  # nothing voting: the newest
        set_phase(db.session.get(Plan, pid), "voting")
        assert current_plans([cid])[cid].id == pid
