"""Per-community audit chains on PostgreSQL: writers in different communities never wait on
each other; a writer stuck on one chain's lock turns into a clear "try again" refusal."""

import threading

import pytest

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
