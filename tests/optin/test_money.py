"""Money on opt-in items: signed-up households owe their price like a pledged share
(statement, payments, dashboard, district totals); a lapsed offer owes nothing."""

from datetime import timedelta

import pytest

from app.core.errors import DomainError
from app.extensions import db
from tests.optin.conftest import household_id, optin_plan  # noqa: F401

B3 = [("3号楼", "1单元", "101"), ("3号楼", "1单元", "102"), ("3号楼", "2单元", "101")]
B1 = ("1号楼", "1单元", "101")


def _sign(app, pid, ids, key, addresses, decision="join"):
    from app.communities.models import Household
    from app.plans.models import Item, Plan
    from app.voting.optin import record_signup

    hids = [household_id(app, *a) for a in addresses]
    with app.test_request_context():
        plan, item = db.session.get(Plan, pid), db.session.get(Item, ids[key])
        for hid in hids:
            record_signup(plan, item, db.session.get(Household, hid), decision, channel="door")
        db.session.commit()
    return hids


def test_signed_up_households_owe_their_price_and_declines_owe_nothing(app, optin_plan):  # noqa: F811
    from app.district.funds import funding_totals, plans_funding
    from app.funding.ledger import funding_dashboard, ledger
    from app.plans.models import Plan

    _cid, pid, ids = optin_plan()
    joined = _sign(app, pid, ids, "D1", [B1, B3[0]])
    declined = _sign(app, pid, ids, "D1", [B3[1]], "decline")
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        lines = [line for line in ledger(plan) if line.item.key == "D1"]
        assert sorted(line.household.id for line in lines) == sorted(joined)
        assert all(line.share_fen == 130_000 and line.pledged for line in lines)
        assert declined[0] not in {line.household.id for line in lines}
        board = funding_dashboard(plan)
        d1 = next(r for r in board.items if r.item.key == "D1")
        assert (d1.figures.required_fen, d1.figures.pledged_fen, d1.figures.gap_fen) == (
            260_000,
            260_000,
            0,
        )
        # The district overview adds up the same (both paths).
        total = board.total
        expected = (total.required_fen, total.pledged_fen, total.paid_fen)
        assert funding_totals(plan) == expected
        assert plans_funding([plan])[plan.id] == expected


def test_a_lapsed_offer_owes_nothing_until_the_minimum_is_met(app, optin_plan):  # noqa: F811
    from app.funding.ledger import ledger
    from app.plans.models import Plan

    _cid, pid, ids = optin_plan()
    _sign(app, pid, ids, "D2", B3[:2])  # minimum 3
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        assert not [line for line in ledger(plan) if line.item.key == "D2"]
    _sign(app, pid, ids, "D2", B3[2:])
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        lines = [line for line in ledger(plan) if line.item.key == "D2"]
        assert len(lines) == 3 and all(line.share_fen > 0 for line in lines)


def test_payment_against_an_opt_in_item_and_the_statement(app, optin_plan):  # noqa: F811
    from app.communities.models import Household
    from app.funding.payments import record_payment
    from app.funding.statement import household_statement, statement_pdf
    from app.plans.models import Item, Plan
    from app.plans.queries import local_today

    _cid, pid, ids = optin_plan()
    (hid,) = _sign(app, pid, ids, "D1", [B1])
    other = household_id(app, *B3[0])
    with app.test_request_context():
        plan, item = db.session.get(Plan, pid), db.session.get(Item, ids["D1"])
        household = db.session.get(Household, hid)
        today = local_today()
        record_payment(
            plan,
            household,
            item,
            amount_fen=100_000,
            paid_on=today,
            method="cash",
            receipt_no="R-1",
        )
        with pytest.raises(DomainError) as refused:
            record_payment(
                plan,
                household,
                item,
                amount_fen=40_000,
                paid_on=today,
                method="cash",
                receipt_no="R-2",
            )
        assert "超出应缴金额" in str(refused.value.reasons[0])
        with pytest.raises(DomainError) as refused:
            record_payment(
                plan,
                db.session.get(Household, other),
                item,
                amount_fen=1_000,
                paid_on=today - timedelta(days=0),
                method="cash",
                receipt_no="R-3",
            )
        assert "没有报名参加 D1" in str(refused.value.reasons[0])
        statement = household_statement(plan, household, today)
        line = next(line for line in statement.lines if line.item.key == "D1")
        assert (line.share_fen, line.paid_fen, line.balance_fen) == (130_000, 100_000, 30_000)
        assert statement_pdf(statement).startswith(b"%PDF")
        db.session.commit()
