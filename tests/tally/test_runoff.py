"""Runoffs (决选) end to end at the operations level: an undecided item's leading options go to
a plan of their own, voted by the same frozen electorate, counted and linked both ways."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.communities.electorate import snapshot_for
from app.communities.models import FrozenHousehold
from app.core.audit import AuditEvent
from app.core.errors import DomainError
from app.extensions import db
from app.plans.models import FundingSource
from app.plans.queries import local_today
from app.plans.workflow import set_phase, sync_phase
from app.tally.document import tally_document
from app.tally.explain import option_summary
from app.tally.queries import tally_plan
from app.tally.runoff import open_runoff, runoff_problem, runoffs_of

MARKS = [("X", "60", "agree:A"), ("X", "80", "agree:B"), ("Y", "70", "agree:A"),
         ("Z", "90", "agree:B"), ("W", "50", "oppose")]  # fmt: skip


def undecided_plan(estate, final=True):
    """A plan voted by a frozen electorate whose item E1 passed without a chosen option (A and
    B tie on headcount, B leads on area); three options, C behind. Result final."""
    today = local_today()
    plan = estate.plan(phase="drafting", voting_opens=today - timedelta(9),
                       voting_closes=today - timedelta(2))  # fmt: skip
    item = estate.item(plan, "E1", rule="cc278_ordinary", options=("A", "B", "C"), title="电梯")
    db.session.add(FundingSource(community_id=estate.cid, item_id=item.id,
                                 option_id=item.options[1].id, source="government",
                                 amount_fen=500000))  # fmt: skip
    households = [estate.household(area, owner=owner) for owner, area, _m in MARKS]
    set_phase(plan, "voting")  # freezes the electorate
    for h, (_o, _a, mark) in zip(households, MARKS, strict=True):
        estate.ballot(plan, h, {"E1": mark})
    plan.phase, plan.result_stage = "published", ("final" if final else "preliminary")
    db.session.flush()
    return plan, item, households


def test_runoff_between_the_leading_options_with_the_same_electorate(estate):
    plan, item, households = undecided_plan(estate)
    assert tally_plan(plan).item("E1").undecided
    # The census changes after the vote: a new household, an area corrected in the roster.
    newcomer = estate.household("100", owner="N")
    households[0].area_centi = 99900
    db.session.flush()

    today = local_today()
    runoff = open_runoff(item, today, today + timedelta(6))
    assert runoff.phase == "drafting" and runoff.voting_opens == today
    (copy,) = runoff.items
    assert copy.runoff_of_id == item.id and copy.key == "E1" and copy.rule == "cc278_ordinary"
    assert [o.key for o in copy.options] == ["A", "B"]  # C was not among the leaders
    assert [(f.source, f.amount_fen) for f in copy.options[1].funding] == [("government", 500000)]
    rows = db.session.execute(
        select(FrozenHousehold.household_id, FrozenHousehold.area_centi)
        .where(FrozenHousehold.snapshot_id == snapshot_for(runoff.id).id)
        .order_by(FrozenHousehold.household_id)
    ).all()
    assert newcomer.id not in [r[0] for r in rows] and (households[0].id, 6000) in rows
    assert runoffs_of([item.id])[item.id].plan_id == runoff.id
    with pytest.raises(DomainError, match="已经发起过决选"):
        open_runoff(item, today, today + timedelta(6))

    assert sync_phase(runoff, today) and runoff.phase == "voting"  # opens on its first day
    assert snapshot_for(runoff.id).taken_at == snapshot_for(plan.id).taken_at  # not re-frozen
    # The runoff ballot: A for X's two flats and Y, B for Z; W abstains.
    for h, mark in zip(households, ["agree:A", "agree:A", "agree:A", "agree:B", "abstain"],
                       strict=True):  # fmt: skip
        estate.ballot(runoff, h, {"E1": mark})
    estate.ballot(runoff, newcomer, {"E1": "agree:B"})  # not in the frozen electorate
    r = tally_plan(runoff).item("E1")
    assert r.tally.electorate.households == 5 and r.tally.electorate.area == 350
    assert r.chosen_option[1] == "A" and not r.undecided
    assert option_summary(r).startswith("选定方案：A")

    runoff_doc = tally_document(tally_plan(runoff))["items"][0]
    assert runoff_doc["runoff_of"] == {"plan_id": plan.id, "key": "E1", "title": "电梯"}
    assert runoff_doc["chosen_option"] == "A" and runoff_doc["decided"] is True
    original_doc = tally_document(tally_plan(plan))["items"][0]
    assert original_doc["runoff"]["plan_id"] == runoff.id
    assert original_doc["runoff_options"] == ["A", "B"]
    from app.printing.notice_data import notice_data

    (runoff_notice,) = notice_data(runoff, "preliminary").items
    assert runoff_notice.runoff_note.startswith("本项目是《改造方案》E1“电梯”的决选")
    assert "【选定】" in runoff_notice.options[0].note
    (original_notice,) = notice_data(plan, "final").items
    assert original_notice.runoff_note.startswith("本项目已发起决选")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "plan.runoff_open" in actions and "electorate.snapshot_copy" in actions


def test_runoff_undecided_again_needs_a_revised_item(estate):
    _plan, item, households = undecided_plan(estate)
    today = local_today()
    runoff = open_runoff(item, today, today + timedelta(6))
    sync_phase(runoff, today)
    for h, (_o, _a, mark) in zip(households, MARKS, strict=True):  # the same split again
        estate.ballot(runoff, h, {"E1": mark if mark != "agree:C" else "abstain"})
    r = tally_plan(runoff).item("E1")
    assert r.passed and r.undecided
    assert "决选仍未决出方案" in option_summary(r) and "须修改后重新表决" in option_summary(r)
    assert "不能再次决选" in str(runoff_problem(runoff, r))
    runoff.phase, runoff.result_stage = "published", "final"
    with pytest.raises(DomainError, match="不能再次决选"):
        open_runoff(runoff.items[0], today, today + timedelta(3))


def test_runoff_waits_for_the_final_result_and_a_decided_item_needs_none(estate):
    plan, item, _households = undecided_plan(estate, final=False)
    today = local_today()
    with pytest.raises(DomainError, match="最终结果公布后"):
        open_runoff(item, today, today + timedelta(3))
    plan.result_stage = "final"
    with pytest.raises(DomainError, match="开始日期不能早于今天"):
        open_runoff(item, today - timedelta(1), today + timedelta(3))
    plain = estate.item(plan, "P1", rule="cc278_ordinary")
    with pytest.raises(DomainError, match="不需要决选"):
        open_runoff(plain, today, today + timedelta(3))


def test_one_plan_votes_at_a_time(estate):
    _plan, item, _households = undecided_plan(estate)
    today = local_today()
    estate.plan(phase="voting")  # another plan of the community, voting
    with pytest.raises(DomainError, match="同一时间只能进行一个方案"):
        open_runoff(item, today, today + timedelta(3))


def test_the_works_follow_the_chosen_option_and_wait_for_a_runoff(estate):
    """An undecided item goes ahead to no works (its runoff decides first); a decided one's works
    carry the option the vote chose (app.tally.queries.items_going_ahead)."""
    from app.tally.queries import items_going_ahead
    from app.works.operations import create_works_for_plan

    plan, item, households = undecided_plan(estate)
    assert items_going_ahead(plan) == []
    assert create_works_for_plan(plan) == []

    today = local_today()
    runoff = open_runoff(item, today, today + timedelta(6))
    sync_phase(runoff, today)
    for h, mark in zip(households, ["agree:B", "agree:B", "agree:B", "agree:B", "abstain"],
                       strict=True):  # fmt: skip
        estate.ballot(runoff, h, {"E1": mark})
    runoff.phase, runoff.result_stage = "published", "final"
    db.session.flush()
    ((copy, option_id),) = items_going_ahead(runoff)
    assert option_id == copy.options[1].id and copy.options[1].key == "B"
    (works,) = create_works_for_plan(runoff)
    assert works.option_id == option_id and works.option.key == "B"


def test_the_tally_export_lists_each_option_with_its_outcome(estate):
    """The tally export (CSV/XLSX, and so the archive) gains a 方案比选 sheet: one row per option
    with its agree totals and whether it was chosen or goes to the runoff."""
    from app.reports.voting import tally_reports

    plan, _item, _households = undecided_plan(estate)
    sheets = {report.sheet: report for report in tally_reports(plan)}
    options = sheets["方案比选"]
    rows = {row[3]: row for row in options.rows}
    assert sorted(rows) == ["A", "B", "C"]
    assert [rows[k][-1] for k in ("A", "B", "C")] == ["进入决选", "进入决选", ""]
    headers = [c.label for c in options.columns]
    households = headers.index("同意该方案户数")
    assert [rows[k][households] for k in ("A", "B", "C")] == [2, 2, 0]
