"""Export fixtures: the example plan with ballots of every channel, payments and proposals."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.plans.conftest import example, household_id  # noqa: F401

HYPERLINK = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def exported(app, factory, example):  # noqa: F811
    """The example plan in voting with, as ids and facts the tests check:

    - 1号楼1单元101 voted online twice (the first superseded); its last ballot opposes A1;
    - 1号楼1单元102 has a paper ballot entered by worker1, agreeing to A1 with a pledge, and a
      payment of 123.45 yuan on A1, corrected to 120.01 yuan;
    - 1号楼1单元201 has an assisted ballot (authorised by 李四, witnessed by 王五);
    - 3号楼2单元101 voted online, then on paper differently: a conflict, the paper counts;
    - 1号楼1单元202's owner is named like a spreadsheet formula;
    - two proposals, one taken up into A1 and one declined;
    - an opt-in item D1 (户内自选, not voted) that 1号楼1单元101 signed up for at the door.
    """
    from app.accounts.models import User
    from app.communities.models import Household
    from app.funding.payments import correct_payment, record_payment
    from app.plans.models import Item, ItemProposal, Plan
    from app.plans.queries import items_for_household, local_today
    from app.proposals.models import Proposal, ProposalSupport
    from app.voting.operations import (
        cast_online_ballot,
        record_assisted_ballot,
        record_paper_ballot,
    )

    cid, pid = example(phase="voting")
    worker = factory.user("worker1", "worker", communities=[cid])
    factory.user("committee1", "committee", communities=[cid])
    factory.user("district1", "district", district="滨城区")
    homes = {
        label: household_id(app, *label)
        for label in (
            ("1号楼", "1单元", "101"),
            ("1号楼", "1单元", "102"),
            ("1号楼", "1单元", "201"),
            ("1号楼", "1单元", "202"),
            ("3号楼", "2单元", "101"),
        )
    }
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        user = db.session.get(User, worker)
        user.display_name = "王芳"
        items = {i.key: i for i in plan.items}

        def everything(household, choice, **overrides):
            wanted = items_for_household(plan, household)
            return {i.id: overrides.get(i.key, choice) for i in wanted}

        h101, h102, h201, h202, h3101 = (db.session.get(Household, h) for h in homes.values())
        cast_online_ballot(plan, h101, everything(h101, "agree"), set(), "k1")
        cast_online_ballot(plan, h101, everything(h101, "agree", A1="oppose"), set(), "k2")
        record_paper_ballot(
            plan, h102, everything(h102, "abstain", A1="agree"), {items["A1"].id}, user=user
        )
        record_assisted_ballot(
            plan,
            h201,
            everything(h201, "agree", B2=None),
            set(),
            user=user,
            authorised_by="李四",
            witness="王五",
        )
        cast_online_ballot(plan, h3101, everything(h3101, "agree"), set(), "k3")
        record_paper_ballot(plan, h3101, everything(h3101, "oppose"), set(), user=user)
        h202.owner_name = HYPERLINK
        paid_on = local_today() - timedelta(days=1)
        first = record_payment(
            plan, h102, items["A1"], amount_fen=12345, paid_on=paid_on, method="cash",
            receipt_no="R-001", user=user,
        )  # fmt: skip
        correct_payment(
            first,
            reason="收据金额看错",
            user=user,
            replacement={
                "amount_fen": 12001, "paid_on": paid_on, "method": "wechat", "receipt_no": "R-002"
            },
        )  # fmt: skip
        taken = Proposal(
            community_id=cid, plan_id=pid, household_id=h101.id, title="外墙漏水", category="basic",
            status="accepted",
        )  # fmt: skip
        declined = Proposal(
            community_id=cid, plan_id=pid, household_id=h102.id, title="建游泳池",
            category="enhancement", status="declined", decline_reason="场地不够",
        )  # fmt: skip
        db.session.add_all([taken, declined])
        db.session.flush()
        db.session.add_all(
            [
                ProposalSupport(community_id=cid, proposal_id=taken.id, household_id=h)
                for h in (h101.id, h102.id, h201.id)
            ]
            + [ItemProposal(community_id=cid, item_id=items["A1"].id, proposal_id=taken.id)]
        )
        taken_id = taken.id
        from app.voting.models import OptInSignup

        optin = Item(
            community_id=cid, plan_id=pid, key="D1", position=99, title="入户电线改造",
            category="improvement", kind="opt_in", price_fen=180_000, subsidy_fen=50_000,
        )  # fmt: skip
        db.session.add(optin)
        db.session.flush()
        db.session.add(
            OptInSignup(
                community_id=cid, item_id=optin.id, household_id=h101.id, decision="join",
                channel="door", recorded_by_id=user.id,
            )
        )  # fmt: skip
        db.session.commit()
        a1 = db.session.scalar(select(Item.id).where(Item.plan_id == pid, Item.key == "A1"))
    return {"cid": cid, "pid": pid, "homes": homes, "a1": a1, "taken": taken_id}
