"""The database checks after a load run (bench/load_vote.py): ballots, duplicates, partial
writes and the audit chain, read through the application's own models."""

import os
from collections import Counter


def check_database(url: str, receipts: list[str]) -> dict:
    """Count ballots and look for duplicates and partial writes; verify the audit chain."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import func, select

    from app import create_app
    from app.communities.models import Household
    from app.core.audit import AuditEvent, verify_every_chain
    from app.extensions import db
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.voting.models import Ballot, BallotChoice, EffectiveBallot

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    problems = []
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        ballots = db.session.scalars(select(Ballot).where(Ballot.plan_id == plan.id)).all()
        per_household = Counter(b.household_id for b in ballots)
        choices = dict(
            db.session.execute(
                select(BallotChoice.ballot_id, func.count()).group_by(BallotChoice.ballot_id)
            ).all()
        )
        audited = set(
            db.session.scalars(
                select(AuditEvent.record_id).where(AuditEvent.action == "ballot.online")
            )
        )
        in_scope = {}
        for b in ballots:
            if b.household_id not in in_scope:
                household = db.session.get(Household, b.household_id)
                in_scope[b.household_id] = len(items_for_household(plan, household))
            if choices.get(b.id, 0) != in_scope[b.household_id]:
                problems.append(f"ballot {b.id} has {choices.get(b.id, 0)} choices")
            if str(b.id) not in audited:
                problems.append(f"ballot {b.id} has no audit event")
        ids = {b.id for b in ballots}
        if audited - {str(i) for i in ids}:
            problems.append(
                f"audit events for missing ballots: {sorted(audited - {str(i) for i in ids})}"
            )
        effective = db.session.scalars(select(EffectiveBallot)).all()
        by_household = Counter(e.household_id for e in effective)
        for e in effective:
            if e.ballot_id not in ids:
                problems.append(f"effective ballot of household {e.household_id} points nowhere")
        if set(by_household) != set(per_household) or any(n != 1 for n in by_household.values()):
            problems.append("households without exactly one effective ballot")
        recorded = {b.receipt for b in ballots}
        missing = [r for r in receipts if r not in recorded]
        if missing:
            problems.append(f"{len(missing)} receipts shown to residents are not in the database")
        chain = verify_every_chain()
        if not chain.ok:
            problems.append(f"audit chain broken at {chain.broken_at}: {chain.reason}")
        db.session.remove()
        db.engine.dispose()
    return {
        "ballots": len(ballots),
        "households_with_ballot": len(per_household),
        "duplicates": sum(n - 1 for n in per_household.values()),
        "audit_events_checked": chain.checked,
        "problems": problems,
    }
