"""Reads on ballots: a household's latest ballot, receipt status."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.core.codes import normalize_code
from app.extensions import db
from app.voting.models import Ballot, EffectiveBallot


def latest_online_ballot(plan_id: int, household_id: int) -> Ballot | None:
    """The household's newest online ballot on the plan."""
    return db.session.scalar(
        select(Ballot)
        .where(
            Ballot.plan_id == plan_id,
            Ballot.household_id == household_id,
            Ballot.channel == "online",
        )
        .order_by(Ballot.recorded_at.desc(), Ballot.id.desc())
        .limit(1)
    )


def effective_ballot(plan_id: int, household_id: int) -> EffectiveBallot | None:
    """The household's effective ballot row."""
    return db.session.scalar(
        select(EffectiveBallot).where(
            EffectiveBallot.plan_id == plan_id, EffectiveBallot.household_id == household_id
        )
    )


def counted_ballot(plan_id: int, household_id: int) -> Ballot | None:
    """The ballot that counts for the household (its effective ballot), whatever its channel."""
    return db.session.scalar(
        select(Ballot)
        .join(EffectiveBallot, EffectiveBallot.ballot_id == Ballot.id)
        .where(EffectiveBallot.plan_id == plan_id, EffectiveBallot.household_id == household_id)
    )


@dataclass
class ReceiptStatus:
    """What a receipt check may reveal: when, which channel, whether it counts. Never choices."""

    recorded_at: datetime
    channel: str
    counts: bool
    superseded_by: str | None  # "online", "paper", "assisted" or None


def receipt_status(code: str) -> ReceiptStatus | None:
    """Look up a receipt code; None when unknown."""
    receipt = normalize_code(code)
    ballot = db.session.scalar(select(Ballot).where(Ballot.receipt == receipt))
    if ballot is None:
        return None
    effective = effective_ballot(ballot.plan_id, ballot.household_id)
    counts = effective is not None and effective.ballot_id == ballot.id
    superseded_by = None
    if not counts and effective is not None:
        superseded_by = db.session.get(Ballot, effective.ballot_id).channel
    return ReceiptStatus(ballot.recorded_at, ballot.channel, counts, superseded_by)
