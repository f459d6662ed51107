"""Audited rows are recorded in their community's chain however the application writes them:
ORM changes, delete-orphan cascades, ORM bulk statements, and writes with no event of their own."""

import json

from sqlalchemy import delete, select, update

from app.communities.models import Household
from app.core.audit import AuditEvent
from app.core.ledger import audited_models, row_digest
from app.core.reconcile import reconcile
from app.extensions import db
from app.plans.models import FundingSource, HouseholdShare, Item, Plan
from tests.reliability.conftest import build_plan


def last_event(community_id):
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.chain == community_id).order_by(AuditEvent.seq.desc())
    )


def test_the_registry_holds_the_rows_outcomes_rest_on():
    from app import create_app

    with create_app("testing").app_context():
        names = set(audited_models())
    for table in ("household", "frozen_household", "ballot", "ballot_choice", "effective_ballot"):
        assert table in names
    assert "audit_event" not in names and "sign_in" not in names


def test_a_write_without_an_event_is_recorded_by_one(app):
    info = build_plan(app, "drafting")
    cid = info["community_id"]
    with app.app_context():
        item = Item(
            community_id=cid, plan_id=info["plan_id"], key="Z9", title="x", category="basic"
        )
        db.session.add(item)
        db.session.commit()
        event = last_event(cid)
        assert event.action == "audit.rows" and event.actor == "cli"
        table = Item.__table__
        row = db.session.execute(select(table).where(table.c.id == item.id)).mappings().one()
        assert json.loads(event.rows) == {"item": {str(item.id): row_digest(table, row)}}
        assert reconcile(cid) == []


def test_rows_written_after_the_event_join_it(app):
    """The event is the chain's tail until the commit: later rows are added and it is
    re-hashed, so the chain still verifies."""
    from app.core.audit import log_event, verify_chain

    info = build_plan(app, "drafting")
    cid = info["community_id"]
    with app.test_request_context():
        log_event("test.first", "plan", info["plan_id"], community_id=cid)
        household = db.session.get(Household, next(iter(info["households"].values())))
        household.phone = "13800000000"
        db.session.commit()
        event = last_event(cid)
        assert (
            event.action == "test.first"
            and str(household.id) in json.loads(event.rows)["household"]
        )
        assert verify_chain(cid).ok and reconcile(cid) == []


def test_cascades_and_bulk_statements_are_recorded(app):
    info = build_plan(app, "drafting")
    cid = info["community_id"]
    with app.test_request_context():
        item = db.session.scalar(
            select(Item).join(FundingSource).where(Item.plan_id == info["plan_id"])
        )
        gone = [f.id for f in item.funding]
        item.funding = []  # delete-orphan: the sources are deleted by the flush
        db.session.execute(delete(HouseholdShare).where(HouseholdShare.item_id == item.id))
        db.session.execute(update(Plan).where(Plan.id == info["plan_id"]).values(title="新标题"))
        db.session.commit()
        rows = json.loads(last_event(cid).rows)
        assert {rows["funding_source"][str(i)] for i in gone} == {None}
        assert "plan" in rows
        assert reconcile(cid) == []


def test_a_bulk_insert_with_blanks_runs_as_one_statement_and_is_recorded(app):
    """The ORM leaves a None out of a bulk INSERT row's parameters and groups rows by the keys
    left, one statement per group: blanks among many choices made thousands of statements and a
    quadratic splice of their results. Nulls of columns without a default are sent as NULL."""
    from sqlalchemy import event, insert

    from app.voting.models import Ballot, BallotChoice

    info = build_plan(app, "voting")
    cid = info["community_id"]
    with app.test_request_context():
        items = db.session.scalars(select(Item).where(Item.plan_id == info["plan_id"])).all()
        ballots = [
            Ballot(community_id=cid, plan_id=info["plan_id"], household_id=household_id,
                   channel="paper", receipt=f"BULK{n:06d}")
            for n, household_id in enumerate(list(info["households"].values())[:8])
        ]  # fmt: skip
        db.session.add_all(ballots)
        db.session.flush()
        marks = ["agree", None, "oppose", None, "abstain", "agree", None]
        rows = [
            {"community_id": cid, "ballot_id": ballot.id, "item_id": item.id,
             "item_revision": 1, "choice": marks[(b + i) % len(marks)], "option_id": None}
            for b, ballot in enumerate(ballots)
            for i, item in enumerate(items)
        ]  # fmt: skip
        statements = []

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("INSERT INTO BALLOT_CHOICE"):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            db.session.execute(insert(BallotChoice), rows)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1
        stored = db.session.scalars(
            select(BallotChoice.choice).where(BallotChoice.ballot_id.in_([b.id for b in ballots]))
        ).all()
        assert sorted(stored, key=str) == sorted((r["choice"] for r in rows), key=str)
        db.session.commit()
        assert reconcile(cid) == []


def test_rows_a_plain_insert_returned_are_recorded_as_stored_and_only_for_audited_tables(app):
    """ledger.record_returned: the vote path's plain INSERTs hand over their RETURNING rows; the
    digest recorded is the stored row's, and a table outside the ledger is refused."""
    import pytest

    from app.accounts.models import User
    from app.core.ledger import record_returned, take_pending

    data = build_plan(app, "voting")
    with app.test_request_context():
        table = Household.__table__
        row = (
            db.session.connection()
            .execute(select(table).where(table.c.community_id == data["community_id"]).limit(1))
            .mappings()
            .one()
        )
        record_returned(db.session(), table, [row])
        recorded = take_pending(db.session())
        assert recorded == {
            data["community_id"]: {"household": {str(row["id"]): row_digest(table, row)}}
        }
        with pytest.raises(ValueError):
            record_returned(db.session(), User.__table__, [])
        db.session.rollback()
