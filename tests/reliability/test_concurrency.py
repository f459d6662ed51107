"""Concurrent ballots: one coherent history and one effective ballot per household, enforced by
row locks (PostgreSQL) and by database constraints (both databases)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.communities.models import Household
from app.core.audit import AuditEvent, verify_every_chain
from app.extensions import db
from app.plans.models import Plan
from app.plans.queries import items_for_household
from app.voting.models import Ballot, BallotChoice, EffectiveBallot
from app.voting.operations import cast_online_ballot

HOUSEHOLD = ("3号楼", "2单元", "601")  # in 4 of the 5 items, the elevator (B1) included


def _submit(app, plan_id, household_id, key, choice, barrier):
    """One submission in its own app context and session, started together with the others."""
    with app.app_context():
        try:
            plan = db.session.get(Plan, plan_id)
            household = db.session.get(Household, household_id)
            choices = {i.id: choice for i in items_for_household(plan, household)}
            barrier.wait(timeout=60)
            ballot = cast_online_ballot(plan, household, choices, set(), key)
            result = (key, ballot.id, ballot.receipt)
            db.session.commit()
            return result
        except Exception as exc:
            db.session.rollback()
            return ("error", key, repr(exc))
        finally:
            db.session.remove()


def _run_together(app, jobs):
    """Run (plan_id, household_id, key, choice) jobs at once on an app with a pool for each."""
    wide = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": len(jobs), "max_overflow": 0, "pool_timeout": 60},
        RATELIMIT_STORAGE_URI="memory://",
    )
    barrier = threading.Barrier(len(jobs))
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = [pool.submit(_submit, wide, *job, barrier) for job in jobs]
            return [f.result(timeout=180) for f in futures]
    finally:
        with wide.app_context():
            db.engine.dispose()


def _history(app, plan_id, household_id):
    """The household's ballots (id, key, receipt, number of choices) and effective ballots."""
    with app.app_context():
        ballots = db.session.execute(
            select(Ballot.id, Ballot.submission_key, Ballot.receipt, Ballot.channel)
            .where(Ballot.plan_id == plan_id, Ballot.household_id == household_id)
            .order_by(Ballot.id)
        ).all()
        choices = dict(
            db.session.execute(
                select(BallotChoice.ballot_id, func.count())
                .where(BallotChoice.ballot_id.in_([b.id for b in ballots]))
                .group_by(BallotChoice.ballot_id)
            ).all()
        )
        effective = db.session.scalars(
            select(EffectiveBallot).where(
                EffectiveBallot.plan_id == plan_id, EffectiveBallot.household_id == household_id
            )
        ).all()
        events = db.session.scalars(
            select(AuditEvent.record_id).where(AuditEvent.action == "ballot.online")
        ).all()
        plan = db.session.get(Plan, plan_id)
        in_scope = len(items_for_household(plan, db.session.get(Household, household_id)))
        effective_ids = [e.ballot_id for e in effective]
        chain = verify_every_chain()
        return ballots, choices, effective_ids, events, in_scope, chain


@pytest.mark.postgres_only
def test_fifty_simultaneous_submissions_for_one_household(app, voting_plan):
    plan_id, hid = voting_plan["plan_id"], voting_plan["households"][HOUSEHOLD]
    distinct = [
        (plan_id, hid, f"key-{n:02d}", ("agree", "oppose", "abstain")[n % 3]) for n in range(42)
    ]
    same = [(plan_id, hid, "same-key", "agree")] * 8
    results = _run_together(app, distinct + same)

    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    same_results = {(r[1], r[2]) for r in results if r[0] == "same-key"}
    assert len(same_results) == 1, "the same form sent 8 times must record one ballot"

    ballots, choices, effective, events, in_scope, chain = _history(app, plan_id, hid)
    assert len(ballots) == 43
    assert len({b.receipt for b in ballots}) == 43, "every version has its own receipt"
    assert sorted(b.submission_key for b in ballots) == sorted(
        [k for _p, _h, k, _c in distinct] + ["same-key"]
    )
    assert {b.id for b in ballots} == {r[1] for r in results}
    assert all(choices.get(b.id) == in_scope for b in ballots), "a ballot lost choices"
    assert effective == [ballots[-1].id], "one effective ballot: the latest online ballot"
    assert sorted(map(int, events)) == [b.id for b in ballots], "one audit event per ballot"
    assert chain.ok, chain


@pytest.mark.postgres_only
def test_many_households_at_once_keep_the_audit_chain(app, voting_plan):
    plan_id = voting_plan["plan_id"]
    households = sorted(voting_plan["households"].values())[:20]
    jobs = [(plan_id, hid, f"k{hid}-{n}", "agree") for hid in households for n in (1, 2)]
    results = _run_together(app, jobs)
    assert not [r for r in results if r[0] == "error"]
    with app.app_context():
        assert verify_every_chain().ok
        per_household = dict(
            db.session.execute(
                select(EffectiveBallot.household_id, func.count())
                .where(EffectiveBallot.plan_id == plan_id)
                .group_by(EffectiveBallot.household_id)
            ).all()
        )
        assert per_household == dict.fromkeys(households, 1)
        latest = dict(
            db.session.execute(
                select(Ballot.household_id, func.max(Ballot.id))
                .where(Ballot.plan_id == plan_id)
                .group_by(Ballot.household_id)
            ).all()
        )
        pointed = dict(
            db.session.execute(
                select(EffectiveBallot.household_id, EffectiveBallot.ballot_id).where(
                    EffectiveBallot.plan_id == plan_id
                )
            ).all()
        )
        assert pointed == latest


def test_repeated_submissions_one_after_another(app, voting_plan):
    """On either database: changes add versions, a resent form adds nothing."""
    plan_id, hid = voting_plan["plan_id"], voting_plan["households"][HOUSEHOLD]
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        household = db.session.get(Household, hid)
        items = items_for_household(plan, household)
        receipts = []
        for n in range(10):
            key = "again" if n % 2 else f"k{n}"
            ballot = cast_online_ballot(
                plan, household, {i.id: "oppose" for i in items}, set(), key
            )
            receipts.append(ballot.receipt)
            db.session.commit()
        db.session.remove()
    ballots, choices, effective, _events, in_scope, chain = _history(app, plan_id, hid)
    assert len(ballots) == 6  # k0, k2, k4, k6, k8 and "again" once
    assert len(set(receipts)) == 6
    assert effective == [ballots[-1].id] and chain.ok
    assert all(choices[b.id] == in_scope for b in ballots)


def _one_ballot(app, voting_plan):
    plan_id, hid = voting_plan["plan_id"], voting_plan["households"][HOUSEHOLD]
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        household = db.session.get(Household, hid)
        items = items_for_household(plan, household)
        ballot = cast_online_ballot(plan, household, {i.id: "agree" for i in items}, set(), "k1")
        db.session.commit()
        ballot_id, community_id = ballot.id, plan.community_id
        db.session.remove()
    return plan_id, hid, ballot_id, community_id


def test_database_refuses_a_second_effective_ballot(app, voting_plan):
    plan_id, hid, ballot_id, community_id = _one_ballot(app, voting_plan)
    row = {
        "community_id": community_id,
        "plan_id": plan_id,
        "household_id": hid,
        "ballot_id": ballot_id,
        "conflict": False,
        "reason": "online_only",
    }
    with app.app_context():
        # Straight SQL, past every application check.
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert(EffectiveBallot.__table__).values(**row))
        with pytest.raises(IntegrityError):
            db.session.add(EffectiveBallot(**row))
            db.session.flush()
        db.session.rollback()
        count = db.session.scalar(
            select(func.count())
            .select_from(EffectiveBallot)
            .where(EffectiveBallot.household_id == hid)
        )
        assert count == 1


def test_database_refuses_a_resent_form_and_a_reused_receipt(app, voting_plan):
    plan_id, hid, ballot_id, community_id = _one_ballot(app, voting_plan)
    with app.app_context():
        receipt = db.session.get(Ballot, ballot_id).receipt
        db.session.rollback()  # SQLite transactions take the write lock (BEGIN IMMEDIATE)
        base = {
            "community_id": community_id,
            "plan_id": plan_id,
            "household_id": hid,
            "channel": "online",
        }
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                insert(Ballot.__table__).values(**base, receipt="OTHERRCPT1", submission_key="k1")
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                insert(Ballot.__table__).values(**base, receipt=receipt, submission_key="k2")
            )


def test_sqlite_requests_read_side_by_side_and_write_in_turn(app, voting_plan):
    """SQLite, the embedded default: under reads_first a ballot submission reads (sign-in,
    plan, items) without the write lock, so all six below hold a read transaction at the
    barrier at once — with the lock taken at the first read, the second would wait for the
    first, which waits at the barrier. Then they write one at a time through the writers'
    queue: six ballots, one effective ballot each, the chain whole."""
    from app.core.db import reads_first
    from app.core.reconcile import reconcile

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's writer queue; PostgreSQL locks rows")
    plan_id = voting_plan["plan_id"]
    households = sorted(voting_plan["households"].values())[:6]
    wide = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 0, "pool_timeout": 60},
        RATELIMIT_STORAGE_URI="memory://",
    )
    barrier = threading.Barrier(len(households))

    def submit(household_id):
        with wide.test_request_context():
            try:

                @reads_first
                def request():
                    plan = db.session.get(Plan, plan_id)
                    household = db.session.get(Household, household_id)
                    choices = {i.id: "agree" for i in items_for_household(plan, household)}
                    barrier.wait(timeout=30)  # every request inside its read transaction
                    ballot = cast_online_ballot(plan, household, choices, set(), "rf")
                    db.session.commit()
                    return ballot.id

                return request()
            except Exception as exc:
                db.session.rollback()
                return repr(exc)
            finally:
                db.session.remove()

    try:
        with ThreadPoolExecutor(max_workers=len(households)) as pool:
            results = list(pool.map(submit, households))
    finally:
        with wide.app_context():
            db.engine.dispose()
    assert all(isinstance(r, int) for r in results), results
    with app.app_context():
        effective = dict(
            db.session.execute(
                select(EffectiveBallot.household_id, EffectiveBallot.ballot_id).where(
                    EffectiveBallot.plan_id == plan_id
                )
            ).all()
        )
        assert effective == dict(zip(households, results, strict=True))
        assert verify_every_chain().ok
        assert reconcile(voting_plan["community_id"]) == []
