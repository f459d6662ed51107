"""Per-community audit chains on PostgreSQL: writers in different communities never wait on
each other; a writer stuck on one chain's lock turns into a clear "try again" refusal."""

import threading

import pytest
from sqlalchemy import func, select

from app.communities.models import Household
from app.core.audit import ChainBusy, log_event
from app.extensions import db
from app.plans.models import Plan
from app.plans.queries import items_for_household
from app.voting.operations import cast_online_ballot
from tests.conftest import another_app


@pytest.mark.postgres_only
def test_a_ballot_commits_while_another_communitys_chain_is_locked(app, voting_plan, factory):
    other = factory.community("乙小区", roster=False)
    quick = another_app(app, AUDIT_LOCK_TIMEOUT_MS=500)
    held, release = threading.Event(), threading.Event()

    def hold_the_other_chain():
        with quick.test_request_context():
            log_event("test.hold", "thing", 1, community_id=other)  # takes its chain's lock
            held.set()
            release.wait(20)
            db.session.rollback()
            db.session.remove()

    holder = threading.Thread(target=hold_the_other_chain)
    holder.start()
    try:
        assert held.wait(20)
        with quick.test_request_context():
            plan = db.session.get(Plan, voting_plan["plan_id"])
            household = db.session.get(Household, next(iter(voting_plan["households"].values())))
            choices = {i.id: "agree" for i in items_for_household(plan, household)}
            ballot = cast_online_ballot(plan, household, choices, set(), "while-locked")
            db.session.commit()  # never waited: its own community's chain is free
            assert ballot.id
            with pytest.raises(ChainBusy):
                log_event("test.blocked", "thing", 2, community_id=other)
            db.session.rollback()
    finally:
        release.set()
        holder.join()
    with quick.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres_only
def test_the_chain_lock_leaves_no_lock_timeout_behind(app, factory):
    """The lock is taken with a timeout (one statement); the rest of the transaction has none."""
    from sqlalchemy import text

    community = factory.community("丙小区", roster=False)
    with app.test_request_context():
        log_event("test.first", "thing", 1, community_id=community)
        assert db.session.scalar(text("SELECT current_setting('lock_timeout')")) == "0"
        held = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND objid = :chain"
            ),
            {"chain": community},
        )
        assert held == 1
        db.session.rollback()


def test_only_sqlites_single_writer_reads_a_chain_tail_ahead(app, voting_plan):
    """A ballot's checks read the chain's tail along on SQLite (one writer holds it to the
    commit); on PostgreSQL the tail is read under the chain's lock, when the event is
    appended, so known_tail refuses there. Either way the ballot's event links to the tail."""
    from app.core.audit import AuditEvent, known_tail, verify_every_chain

    cid = voting_plan["community_id"]
    with app.test_request_context():
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(RuntimeError):
                known_tail(cid, 1, "0" * 64)
        plan = db.session.get(Plan, voting_plan["plan_id"])
        household = db.session.get(Household, next(iter(voting_plan["households"].values())))
        choices = {i.id: "agree" for i in items_for_household(plan, household)}
        before = db.session.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.chain == cid))
        ballot = cast_online_ballot(plan, household, choices, set(), "tail")
        db.session.commit()
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.record_type == "ballot", AuditEvent.record_id == str(ballot.id)
            )
        )
        assert event.seq == before + 1
        assert verify_every_chain().ok
