"""Aftercare fixtures: the example plan voted, its final result published, moved on."""

import pytest

from app.extensions import db
from tests.plans.conftest import example, household_id  # noqa: F401


def move_on(app, factory, example, phase: str) -> tuple[int, int]:  # noqa: F811
    """The example plan, every household but one agreeing online, its result final, moved to
    `phase`; workers w1, w2 and committee member c1 of the community. (cid, pid)."""
    from sqlalchemy import select

    from app.communities.models import Household
    from app.plans.models import Plan
    from app.plans.queries import items_for_household
    from app.plans.workflow import close_voting, set_phase
    from app.tally.operations import publish_preliminary
    from app.voting.operations import cast_online_ballot

    cid, pid = example(phase="voting")
    for username, role in (("w1", "worker"), ("w2", "worker"), ("c1", "committee")):
        factory.user(username, role, communities=[cid])
    with app.test_request_context():
        plan = db.session.get(Plan, pid)
        households = db.session.scalars(
            select(Household).where(Household.community_id == cid).order_by(Household.id)
        ).all()
        for n, household in enumerate(households[1:]):
            items = items_for_household(plan, household)
            cast_online_ballot(plan, household, {i.id: "agree" for i in items}, set(), f"a-{n}")
        close_voting(plan, "表决期满")
        publish_preliminary(plan)
        plan.result_stage = "final"
        db.session.flush()
        for step in ("works", "acceptance", "evaluation"):
            set_phase(plan, step)
            if step == phase:
                break
        db.session.commit()
    return cid, pid


@pytest.fixture
def accepting(app, factory, example):  # noqa: F811
    """The example plan in the acceptance phase."""
    return move_on(app, factory, example, "acceptance")


@pytest.fixture
def evaluating(app, factory, example):  # noqa: F811
    """The example plan in the evaluation phase."""
    return move_on(app, factory, example, "evaluation")
